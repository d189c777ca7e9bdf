/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where log records go: journald when systemd connected our stderr to the
 * journal, else one readable line per record on stderr.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "penctl/journal_record.h"

/* "<device>:<inode>", both decimal (systemd.exec(5), JOURNAL_STREAM). */
static bool journal_stream_parse(const char *text, guint64 *dev, guint64 *ino)
{
	const char *colon;
	g_autofree char *dev_text = NULL;

	if (!text)
		return false;
	colon = strchr(text, ':');
	if (!colon)
		return false;
	dev_text = g_strndup(text, (gsize)(colon - text));
	return g_ascii_string_to_unsigned(dev_text, 10, 0, G_MAXUINT64, dev, NULL) &&
	       g_ascii_string_to_unsigned(colon + 1, 10, 0, G_MAXUINT64, ino, NULL);
}

bool journal_fd_is_journal_stream(const char *journal_stream_env, int fd)
{
	guint64 dev, ino;
	struct stat st;

	if (!journal_stream_parse(journal_stream_env, &dev, &ino))
		return false;
	if (fstat(fd, &st) < 0)
		return false;
	/* A child that inherited the variable but got another stderr (a
	 * redirect, a pipe) must not log to the journal behind its back. */
	return (guint64)st.st_dev == dev && (guint64)st.st_ino == ino;
}

static const GLogField *journal_find_field(const GLogField *fields, gsize n_fields,
					   const char *key)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, key) == 0)
			return &fields[i];
	}
	return NULL;
}

/* Append VALUE so that the line stays one line and splits at spaces only
 * between fields: control characters escaped, quoted when it has a space. */
static void journal_append_value(GString *line, const GLogField *field)
{
	const char *value = field->value;
	gsize len = field->length < 0 ? strlen(value) : (gsize)field->length;
	bool quote = memchr(value, ' ', len) != NULL || memchr(value, '"', len) != NULL;

	if (quote)
		g_string_append_c(line, '"');
	for (gsize i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '\n')
			g_string_append(line, "\\n");
		else if (c == '"' || c == '\\')
			g_string_append_printf(line, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(line, "\\x%02x", c);
		else
			g_string_append_c(line, (char)c);
	}
	if (quote)
		g_string_append_c(line, '"');
}

static void journal_append_key(GString *line, const char *key)
{
	/* PENCTL_USED_MS -> used-ms */
	for (const char *p = key + strlen("PENCTL_"); *p; p++)
		g_string_append_c(line, *p == '_' ? '-' : g_ascii_tolower(*p));
}

static const char *journal_level_word(const GLogField *priority)
{
	if (!priority || priority->length > 1)
		return NULL;
	switch (((const char *)priority->value)[0]) {
	case '0':
	case '1':
	case '2':
	case '3':
		return "error";
	case '4':
		return "warning";
	default:
		return NULL;
	}
}

char *journal_format_line(const GLogField *fields, gsize n_fields)
{
	GString *line = g_string_new(PENCTL_LOG_DOMAIN ": ");
	const GLogField *message = journal_find_field(fields, n_fields, "MESSAGE");
	const GLogField *event = journal_find_field(fields, n_fields, "PENCTL_EVENT");
	const char *level = journal_level_word(journal_find_field(fields, n_fields, "PRIORITY"));

	if (!event && level)
		g_string_append_printf(line, "%s: ", level);
	if (message) {
		const char *text = message->value;
		gsize len = message->length < 0 ? strlen(text) : (gsize)message->length;

		/* The message itself is not quoted, only kept on one line. */
		for (gsize i = 0; i < len; i++) {
			char c = text[i];

			if (c == '\n')
				g_string_append(line, "\\n");
			else
				g_string_append_c(line, (unsigned char)c < 0x20 ? '?' : c);
		}
	}
	if (!event)
		return g_string_free(line, FALSE);

	g_string_append(line, " [");
	journal_append_value(line, event);
	for (gsize i = 0; i < n_fields; i++) {
		if (&fields[i] == event || !g_str_has_prefix(fields[i].key, "PENCTL_"))
			continue;
		g_string_append_c(line, ' ');
		journal_append_key(line, fields[i].key);
		g_string_append_c(line, '=');
		journal_append_value(line, &fields[i]);
	}
	g_string_append_c(line, ']');
	return g_string_free(line, FALSE);
}

static GLogWriterOutput journal_write_stderr(const GLogField *fields, gsize n_fields)
{
	g_autofree char *line = journal_format_line(fields, n_fields);
	g_autofree char *with_newline = g_strconcat(line, "\n", NULL);

	/* One write: lines of records never interleave with other output. */
	if (fputs(with_newline, stderr) == EOF || fflush(stderr) == EOF)
		return G_LOG_WRITER_UNHANDLED;
	return G_LOG_WRITER_HANDLED;
}

static GLogWriterOutput journal_writer(GLogLevelFlags log_level, const GLogField *fields,
				       gsize n_fields, gpointer user_data)
{
	bool to_journal = GPOINTER_TO_INT(user_data);
	bool is_record = journal_find_field(fields, n_fields, "PENCTL_EVENT") != NULL;
	const GLogField *domain = journal_find_field(fields, n_fields, "GLIB_DOMAIN");

	/* Records are the treatment record: never filtered.  Everything else
	 * follows GLib's usual G_MESSAGES_DEBUG rules. */
	if (!is_record && g_log_writer_default_would_drop(log_level,
							  domain ? domain->value : NULL))
		return G_LOG_WRITER_HANDLED;

	if (to_journal &&
	    g_log_writer_journald(log_level, fields, n_fields, NULL) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	return journal_write_stderr(fields, n_fields);
}

void journal_install_writer(void)
{
	static bool installed;
	bool to_journal;

	/* GLib aborts when the writer is set twice. */
	if (installed)
		return;
	installed = true;
	to_journal = journal_fd_is_journal_stream(g_getenv("JOURNAL_STREAM"), fileno(stderr));
	g_log_set_writer_func(journal_writer, GINT_TO_POINTER(to_journal), NULL);
}
