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

int penctl_log_session(const struct penctl_journal_source *source, const char *session_id,
		       bool follow, bool json, GError **error)
{
	struct log_printer printer = { .json = json };

	if (!penctl_log_read_session(source, session_id, follow, on_record, &printer, error))
		return -1;
	return printer.printed;
}

static void on_chair(GHashTable *fields, void *user_data)
{
	GPtrArray *chairs = user_data;
	const char *name = g_hash_table_lookup(fields, "_HOSTNAME");

	if (name && !g_ptr_array_find_with_equal_func(chairs, name, g_str_equal, NULL))
		g_ptr_array_add(chairs, g_strdup(name));
}

GPtrArray *penctl_log_session_chairs(const struct penctl_journal_source *source,
				     const char *session_id, GError **error)
{
	g_autoptr(GPtrArray) chairs = g_ptr_array_new_with_free_func(g_free);

	if (!penctl_log_read_session(source, session_id, false, on_chair, chairs, error))
		return NULL;
	return g_steal_pointer(&chairs);
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

/* ---- penctl log --day: every chair's sessions of one day ---- */

/* One session of the day: its session-start record, and its end when
 * there is one.  A session is a chair's (machine id) session id: two chairs
 * may well have used the same id. */
struct day_session {
	GHashTable *start;   /* the session-start record's fields */
	GHashTable *end;     /* session-end or session-interrupted, or NULL */
};

struct day_reader {
	gint64 from_us, to_us;   /* the day, [from, to) */
	GPtrArray *sessions;     /* struct day_session *, in start order */
	GHashTable *by_key;      /* day_key() -> struct day_session * (not owned) */
};

static void day_session_free(struct day_session *session)
{
	g_hash_table_unref(session->start);
	if (session->end)
		g_hash_table_unref(session->end);
	g_free(session);
}

static const char *field_or(GHashTable *fields, const char *key, const char *fallback)
{
	const char *value = fields ? g_hash_table_lookup(fields, key) : NULL;

	return value && value[0] ? value : fallback;
}

static bool field_number(GHashTable *fields, const char *key, guint64 *out)
{
	const char *value = fields ? g_hash_table_lookup(fields, key) : NULL;

	return value && g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, out, NULL);
}

/* The chair (its machine id and, for records without one, its host name)
 * and the session id. */
static char *day_key(GHashTable *fields)
{
	return g_strdup_printf("%s\n%s\n%s", field_or(fields, "_MACHINE_ID", ""),
			       field_or(fields, "_HOSTNAME", ""), field_or(fields, "PENCTL_SESSION", ""));
}

/* The parser frees FIELDS after the call: keep a copy. */
static GHashTable *copy_fields(GHashTable *fields)
{
	GHashTable *copy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, fields);
	while (g_hash_table_iter_next(&iter, &key, &value))
		g_hash_table_insert(copy, g_strdup(key), g_strdup(value));
	return copy;
}

static void on_day_record(GHashTable *fields, void *user_data)
{
	struct day_reader *day = user_data;
	const char *event = field_or(fields, "PENCTL_EVENT", "");
	g_autofree char *key = NULL;
	struct day_session *session;
	guint64 realtime;

	if (!field_or(fields, "PENCTL_SESSION", NULL) ||
	    !field_number(fields, "__REALTIME_TIMESTAMP", &realtime))
		return;
	key = day_key(fields);
	if (g_str_equal(event, "session-start")) {
		if ((gint64)realtime < day->from_us || (gint64)realtime >= day->to_us ||
		    g_hash_table_contains(day->by_key, key))
			return;
		session = g_new0(struct day_session, 1);
		session->start = copy_fields(fields);
		g_ptr_array_add(day->sessions, session);
		g_hash_table_insert(day->by_key, g_steal_pointer(&key), session);
		return;
	}
	/* session-end, or session-interrupted (a restart cut it short). */
	session = g_hash_table_lookup(day->by_key, key);
	if (session && !session->end)
		session->end = copy_fields(fields);
}

static const char *day_state(const struct day_session *session)
{
	if (!session->end)
		return "not ended";
	if (g_str_equal(field_or(session->end, "PENCTL_EVENT", ""), "session-interrupted"))
		return "cut short by a restart";
	return "ended";
}

static void print_day_json(const struct day_session *session)
{
	static const struct {
		const char *field;
		const char *key;
	} start_strings[] = {
		{ "_HOSTNAME", "chair" },          { "_MACHINE_ID", "machine_id" },
		{ "PENCTL_SESSION", "session" },   { "PENCTL_OPERATOR", "operator" },
		{ "PENCTL_ROLE", "role" },         { "PENCTL_AREA", "area" },
		{ "PENCTL_CLIENT_REF", "client" }, { "PENCTL_PEN", "pen" },
	}, end_numbers[] = {
		{ "PENCTL_WALL_MS", "wall_ms" },   { "PENCTL_NEEDLING_MS", "needling_ms" },
		{ "PENCTL_MAX_DEPTH_UM", "max_depth_um" }, { "PENCTL_STROKES", "strokes" },
	};
	struct json_out json;
	g_autofree char *text = NULL;
	guint64 us, n;

	json_out_init(&json);
	json_out_begin_object(&json);
	if (field_number(session->start, "__REALTIME_TIMESTAMP", &us)) {
		g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc((gint64)(us / G_USEC_PER_SEC));
		g_autofree char *iso = time ? g_date_time_format_iso8601(time) : NULL;

		json_out_member_string(&json, "start", iso);
		json_out_member_uint(&json, "start_realtime_us", us);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(start_strings); i++)
		json_out_member_string(&json, start_strings[i].key,
				       field_or(session->start, start_strings[i].field, ""));
	json_out_member_string(&json, "state", day_state(session));
	for (gsize i = 0; i < G_N_ELEMENTS(end_numbers); i++) {
		if (field_number(session->end, end_numbers[i].field, &n))
			json_out_member_uint(&json, end_numbers[i].key, n);
	}
	if (session->end && field_or(session->end, "PENCTL_STOPS", NULL))
		json_out_member_string(&json, "stops", field_or(session->end, "PENCTL_STOPS", ""));
	json_out_end_object(&json);
	text = json_out_finish(&json);
	printf("%s\n", text);
}

/* "10:30:05  chair-3 (3d1219c7)  S-0124-0007  alice (beautician, face,
 *  client C-1042)  ended: 08:15, needling 05:14, deepest 1.20 mm, 31400
 *  strokes, stops: ..." */
static void print_day_line(const struct day_session *session)
{
	g_autoptr(GString) line = g_string_new(NULL);
	const char *machine = field_or(session->start, "_MACHINE_ID", "-");
	guint64 us, n;

	if (field_number(session->start, "__REALTIME_TIMESTAMP", &us)) {
		g_autoptr(GDateTime) time = g_date_time_new_from_unix_local((gint64)(us / G_USEC_PER_SEC));
		g_autofree char *hms = time ? g_date_time_format(time, "%H:%M:%S") : NULL;

		g_string_append(line, hms ? hms : "--:--:--");
	}
	g_string_append_printf(line, "  %s (%.8s)  %s  %s (%s, %s, client %s)  %s",
			       field_or(session->start, "_HOSTNAME", "-"), machine,
			       field_or(session->start, "PENCTL_SESSION", "-"),
			       field_or(session->start, "PENCTL_OPERATOR", "-"),
			       field_or(session->start, "PENCTL_ROLE", "-"),
			       field_or(session->start, "PENCTL_AREA", "-"),
			       field_or(session->start, "PENCTL_CLIENT_REF", "-"), day_state(session));
	if (field_number(session->end, "PENCTL_WALL_MS", &n)) {
		char mmss[PENCTL_MMSS_STRLEN];

		penctl_format_mmss(n, mmss);
		g_string_append_printf(line, ": %s", mmss);
	}
	if (field_number(session->end, "PENCTL_NEEDLING_MS", &n)) {
		char mmss[PENCTL_MMSS_STRLEN];

		penctl_format_mmss(n, mmss);
		g_string_append_printf(line, ", needling %s", mmss);
	}
	if (field_number(session->end, "PENCTL_MAX_DEPTH_UM", &n) && n <= G_MAXUINT32) {
		g_autofree char *depth = penctl_format_depth((uint32_t)n);

		g_string_append_printf(line, ", deepest %s", depth);
	}
	if (field_number(session->end, "PENCTL_STROKES", &n))
		g_string_append_printf(line, ", %" G_GUINT64_FORMAT " strokes", n);
	if (session->end && field_or(session->end, "PENCTL_STOPS", NULL))
		g_string_append_printf(line, ", stops: %s", field_or(session->end, "PENCTL_STOPS", ""));
	printf("%s\n", line->str);
}

bool penctl_log_parse_day(const char *day, gint64 *from_us, gint64 *to_us)
{
	unsigned year, month, mday;
	char end;
	g_autoptr(GDateTime) from = NULL;
	g_autoptr(GDateTime) to = NULL;

	if (!day || sscanf(day, "%4u-%2u-%2u%c", &year, &month, &mday, &end) != 3 ||
	    strlen(day) != 10 || !g_date_valid_dmy((GDateDay)mday, (GDateMonth)month, (GDateYear)year))
		return false;
	from = g_date_time_new_local((gint)year, (gint)month, (gint)mday, 0, 0, 0);
	to = from ? g_date_time_add_days(from, 1) : NULL;
	if (!to)
		return false;
	*from_us = g_date_time_to_unix(from) * G_USEC_PER_SEC;
	*to_us = g_date_time_to_unix(to) * G_USEC_PER_SEC;
	return true;
}

int penctl_log_day(const struct penctl_journal_source *source, gint64 from_us, gint64 to_us,
		   bool json, GError **error)
{
	struct day_reader day = {
		.from_us = from_us, .to_us = to_us,
		.sessions = g_ptr_array_new_with_free_func((GDestroyNotify)day_session_free),
		.by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	};
	struct trusted_reader reader = { .source = source, .fn = on_day_record, .user_data = &day };
	/* journalctl narrows the reading to the day on; the day's end is
	 * checked here, as a session may end after midnight. */
	g_autofree char *since = g_strdup_printf("--since=@%" G_GINT64_FORMAT, from_us / G_USEC_PER_SEC);
	const char *const options[] = { since, NULL };
	const char *const matches[] = { "PENCTL_EVENT=session-start", "PENCTL_EVENT=session-end",
					"PENCTL_EVENT=session-interrupted", NULL };
	g_autoptr(GPtrArray) argv = journalctl_argv(source, options, matches);
	int printed = -1;

	if (run_journalctl((const char *const *)argv->pdata, on_trusted_record, &reader, error)) {
		for (guint i = 0; i < day.sessions->len; i++) {
			if (json)
				print_day_json(g_ptr_array_index(day.sessions, i));
			else
				print_day_line(g_ptr_array_index(day.sessions, i));
		}
		fflush(stdout);
		printed = (int)day.sessions->len;
	}
	g_hash_table_unref(day.by_key);
	g_ptr_array_unref(day.sessions);
	return printed;
}
