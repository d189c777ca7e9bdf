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

static void print_json_entry(GHashTable *fields)
{
	static const struct {
		const char *field;
		const char *key;
	} strings[] = {
		{ "PENCTL_EVENT", "event" },      { "PENCTL_REASON", "reason" },
		{ "PENCTL_SESSION", "session" },  { "PENCTL_OPERATOR", "operator" },
		{ "PENCTL_CALLER", "caller" },    { "PENCTL_CALLER_UID", "caller_uid" },
		{ "PENCTL_DEPTH_UM", "depth_um" }, { "PENCTL_LIMIT_UM", "limit_um" },
		{ "PENCTL_PEN", "pen" },          { "PENCTL_CARTRIDGE", "cartridge" },
		{ "MESSAGE", "message" },
	};
	struct json_out json;
	g_autofree char *text = NULL;
	const char *realtime = g_hash_table_lookup(fields, "__REALTIME_TIMESTAMP");
	guint64 us;

	json_out_init(&json);
	json_out_begin_object(&json);
	if (realtime && g_ascii_string_to_unsigned(realtime, 10, 0, G_MAXINT64, &us, NULL)) {
		g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc((gint64)(us / G_USEC_PER_SEC));
		g_autofree char *iso = time ? g_date_time_format_iso8601(time) : NULL;

		json_out_member_string(&json, "time", iso);
		json_out_member_uint(&json, "realtime_us", us);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(strings); i++) {
		const char *value = g_hash_table_lookup(fields, strings[i].field);
		guint64 number;

		if (!value)
			continue;
		/* Numbers stay numbers for a machine. */
		if (g_str_has_suffix(strings[i].key, "_um") || g_str_equal(strings[i].key, "caller_uid")) {
			if (g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &number, NULL)) {
				json_out_member_uint(&json, strings[i].key, number);
				continue;
			}
		}
		json_out_member_string(&json, strings[i].key, value);
	}
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

	if (!written_by_penctld(fields))
		return;

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

	if (!written_by_penctld(fields))
		return;
	if (session && session[0]) {
		g_free(printer->last_session);
		printer->last_session = g_strdup(session);
	}
}

/* Run journalctl with ARGV and feed its output to a parser calling FN. */
static bool run_journalctl(const char *const *argv, journal_export_record_fn fn,
			   struct log_printer *printer, GError **error)
{
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(journal_export_parser) parser = journal_export_parser_new(fn, printer);
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
	    (g_subprocess_get_exit_status(process) != 0 && printer->printed == 0 &&
	     !printer->last_session && g_subprocess_get_exit_status(process) != 1)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "journalctl failed (status %d)",
			    g_subprocess_get_if_exited(process)
				    ? g_subprocess_get_exit_status(process) : -1);
		return false;
	}
	return true;
}

int penctl_log_session(const char *session_id, bool follow, bool json, GError **error)
{
	struct log_printer printer = { .json = json };
	g_autofree char *match = g_strdup_printf("PENCTL_SESSION=%s", session_id);
	const char *argv[] = { "journalctl", "-o", "export", "--no-pager", PENCTL_LOG_UNIT_MATCH,
			       match, follow ? "--follow" : NULL, NULL };

	if (!run_journalctl(argv, on_record, &printer, error))
		return -1;
	return printer.printed;
}

char *penctl_log_last_session(GError **error)
{
	struct log_printer printer = { 0 };
	const char *argv[] = { "journalctl", "-o", "export", "--no-pager", "--reverse", "-n", "1",
			       PENCTL_LOG_UNIT_MATCH, "PENCTL_EVENT=session-start", NULL };

	if (!run_journalctl(argv, on_last_session, &printer, error)) {
		g_free(printer.last_session);
		return NULL;
	}
	return printer.last_session;
}
