/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl log.  journalctl does the finding (by the PENCTL_SESSION field);
 * the export format is read as a stream so --follow prints as records
 * arrive.  journalctl is found on PATH.
 *
 * Any local user can write a record with PENCTL_SESSION=... and
 * PENCTL_EVENT=... (logger --journald, sd_journal_send): only the trusted
 * field _SYSTEMD_UNIT, which journald sets itself from the sender's cgroup
 * and which no client can set, says penctld wrote it.  Both queries ask for
 * _SYSTEMD_UNIT=penctld.service, and every record read is checked again,
 * so that a journal file or a journalctl that ignores the match cannot
 * slip a forged record into a treatment's timeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "journal_export.h"
#include "json_out.h"
#include "penctl_format.h"
#include "penctl_log.h"

#define PENCTL_LOG_UNIT "penctld.service"
#define PENCTL_LOG_UNIT_MATCH "_SYSTEMD_UNIT=" PENCTL_LOG_UNIT

struct log_printer {
	bool json;
	int printed;
	char *last_session;   /* penctl_log_last_session() */
};

/* One journalctl run: every record read, trusted or not, is counted and
 * handed to FN (which decides what to trust). */
struct journal_run {
	journal_export_record_fn fn;
	void *user_data;
	unsigned records;     /* records read, trusted or not */
};

/* Whether the field KEY (lower case, without PENCTL_) holds a number. */
static bool json_key_is_number(const char *key)
{
	static const char *const numbers[] = { "caller_uid", "percent", "strokes", "speed" };

	if (g_str_has_suffix(key, "_um") || g_str_has_suffix(key, "_ms"))
		return true;
	for (gsize i = 0; i < G_N_ELEMENTS(numbers); i++)
		if (g_str_equal(key, numbers[i]))
			return true;
	return false;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every PENCTL_* field of the record (PENCTL_ROLE as "role"), in name
 * order, with the time and the message: what penctld wrote, nothing left
 * out. */
static void print_json_entry(GHashTable *fields)
{
	g_autofree const char **names = (const char **)g_hash_table_get_keys_as_array(fields, NULL);
	struct json_out json;
	g_autofree char *text = NULL;
	const char *realtime = g_hash_table_lookup(fields, "__REALTIME_TIMESTAMP");
	const char *message = g_hash_table_lookup(fields, "MESSAGE");
	guint64 us;

	json_out_init(&json);
	json_out_begin_object(&json);
	if (realtime && g_ascii_string_to_unsigned(realtime, 10, 0, G_MAXINT64, &us, NULL)) {
		g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc((gint64)(us / G_USEC_PER_SEC));
		g_autofree char *iso = time ? g_date_time_format_iso8601(time) : NULL;

		json_out_member_string(&json, "time", iso);
		json_out_member_uint(&json, "realtime_us", us);
	}
	qsort(names, g_strv_length((char **)names), sizeof(*names), compare_names);
	for (const char **name = names; *name; name++) {
		const char *value = g_hash_table_lookup(fields, *name);
		g_autofree char *key = NULL;
		guint64 number;

		if (!g_str_has_prefix(*name, "PENCTL_"))
			continue;
		key = g_ascii_strdown(*name + strlen("PENCTL_"), -1);
		/* Numbers stay numbers for a machine. */
		if (json_key_is_number(key) &&
		    g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &number, NULL))
			json_out_member_uint(&json, key, number);
		else
			json_out_member_string(&json, key, value);
	}
	if (message)
		json_out_member_string(&json, "message", message);
	json_out_end_object(&json);
	text = json_out_finish(&json);
	printf("%s\n", text);
}

/* Written by penctld itself (see the top of this file). */
static bool written_by_penctld(GHashTable *fields)
{
	return g_strcmp0(g_hash_table_lookup(fields, "_SYSTEMD_UNIT"), PENCTL_LOG_UNIT) == 0;
}

static void on_record(GHashTable *fields, void *user_data)
{
	struct log_printer *printer = user_data;

	if (printer->json) {
		print_json_entry(fields);
	} else {
		g_autofree char *line = penctl_format_log_entry(fields);

		printf("%s\n", line);
	}
	fflush(stdout);
	printer->printed++;
}

static void on_last_session(GHashTable *fields, void *user_data)
{
	struct log_printer *printer = user_data;
	const char *session = g_hash_table_lookup(fields, "PENCTL_SESSION");

	if (session && session[0]) {
		g_free(printer->last_session);
		printer->last_session = g_strdup(session);
	}
}

static void count_record(GHashTable *fields, void *user_data)
{
	struct journal_run *run = user_data;

	run->records++;
	run->fn(fields, run->user_data);
}

/* Run journalctl with ARGV and feed its output to a parser calling FN. */
static bool run_journalctl(const char *const *argv, journal_export_record_fn fn,
			   void *user_data, GError **error)
{
	struct journal_run run = { .fn = fn, .user_data = user_data };
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(journal_export_parser) parser = journal_export_parser_new(count_record, &run);
	GInputStream *out;
	char buf[8192];
	gssize n;

	process = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
	if (!process)
		return false;
	out = g_subprocess_get_stdout_pipe(process);
	while ((n = g_input_stream_read(out, buf, sizeof(buf), NULL, error)) > 0) {
		if (!journal_export_parser_feed(parser, buf, (size_t)n, error)) {
			g_subprocess_force_exit(process);
			return false;
		}
	}
	if (n < 0)
		return false;
	if (!journal_export_parser_finish(parser, error))
		return false;
	if (!g_subprocess_wait(process, NULL, error))
		return false;
	/* journalctl exits 1 when the journal has no matching entry on some
	 * versions: only a failure without any output is an error. */
	if (!g_subprocess_get_if_exited(process) ||
	    (g_subprocess_get_exit_status(process) != 0 && run.records == 0 &&
	     g_subprocess_get_exit_status(process) != 1)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "journalctl failed (status %d)",
			    g_subprocess_get_if_exited(process)
				    ? g_subprocess_get_exit_status(process) : -1);
		return false;
	}
	return true;
}

/* journalctl -o export, where SOURCE says, penctld's records only, then
 * the MATCHES (NULL-ended). */
static GPtrArray *journalctl_argv(const struct penctl_journal_source *source,
				  const char *const *options, const char *const *matches)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(argv, g_strdup("journalctl"));
	g_ptr_array_add(argv, g_strdup("-o"));
	g_ptr_array_add(argv, g_strdup("export"));
	g_ptr_array_add(argv, g_strdup("--no-pager"));
	if (source && source->directory)
		g_ptr_array_add(argv, g_strdup_printf("--directory=%s", source->directory));
	for (guint i = 0; source && source->files && source->files[i]; i++)
		g_ptr_array_add(argv, g_strdup_printf("--file=%s", source->files[i]));
	for (guint i = 0; options && options[i]; i++)
		g_ptr_array_add(argv, g_strdup(options[i]));
	g_ptr_array_add(argv, g_strdup(PENCTL_LOG_UNIT_MATCH));
	if (source && source->hostname)
		g_ptr_array_add(argv, g_strdup_printf("_HOSTNAME=%s", source->hostname));
	for (guint i = 0; matches && matches[i]; i++)
		g_ptr_array_add(argv, g_strdup(matches[i]));
	g_ptr_array_add(argv, NULL);
	return argv;
}

/* Passes on to the reader's function only what penctld wrote (and, when
 * a chair is named, what that chair's journald stamped with its name). */
struct trusted_reader {
	const struct penctl_journal_source *source;
	journal_export_record_fn fn;
	void *user_data;
};

static void on_trusted_record(GHashTable *fields, void *user_data)
{
	struct trusted_reader *reader = user_data;

	if (!written_by_penctld(fields))
		return;
	if (reader->source && reader->source->hostname &&
	    g_strcmp0(g_hash_table_lookup(fields, "_HOSTNAME"), reader->source->hostname) != 0)
		return;
	reader->fn(fields, reader->user_data);
}

bool penctl_log_read_session(const struct penctl_journal_source *source, const char *session_id,
			     bool follow, journal_export_record_fn fn, void *user_data,
			     GError **error)
{
	struct trusted_reader reader = { .source = source, .fn = fn, .user_data = user_data };
	g_autofree char *match = g_strdup_printf("PENCTL_SESSION=%s", session_id);
	const char *const options[] = { follow ? "--follow" : NULL, NULL };
	const char *const matches[] = { match, NULL };
	g_autoptr(GPtrArray) argv = journalctl_argv(source, options, matches);

	return run_journalctl((const char *const *)argv->pdata, on_trusted_record, &reader, error);
}

int penctl_log_session(const char *session_id, bool follow, bool json, GError **error)
{
	struct log_printer printer = { .json = json };

	if (!penctl_log_read_session(NULL, session_id, follow, on_record, &printer, error))
		return -1;
	return printer.printed;
}

char *penctl_log_last_session_in(const struct penctl_journal_source *source, GError **error)
{
	struct log_printer printer = { 0 };
	struct trusted_reader reader = { .source = source, .fn = on_last_session,
					 .user_data = &printer };
	const char *const options[] = { "--reverse", "-n", "1", NULL };
	const char *const matches[] = { "PENCTL_EVENT=session-start", NULL };
	g_autoptr(GPtrArray) argv = journalctl_argv(source, options, matches);

	if (!run_journalctl((const char *const *)argv->pdata, on_trusted_record, &reader, error)) {
		g_free(printer.last_session);
		return NULL;
	}
	return printer.last_session;
}

char *penctl_log_last_session(GError **error)
{
	return penctl_log_last_session_in(NULL, error);
}
