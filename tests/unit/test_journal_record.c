/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The journal record builder: the fields of each record, the stderr line,
 * the journal stream check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "penctl/journal_record.h"
#include "penctl/message_ids.h"

static const char *id_of(const char *event)
{
	const struct penctl_message_id *known = penctl_message_id_lookup(event);

	assert_non_null(known);
	return known->message_id;
}

static struct journal_record *build_or_fail(const struct journal_record_input *in)
{
	g_autoptr(GError) error = NULL;
	struct journal_record *record = journal_record_build(in, &error);

	if (!record)
		fail_msg("journal_record_build: %s", error->message);
	return record;
}

static void assert_field(const struct journal_record *record, const char *key,
			 const char *expected)
{
	const char *value = journal_record_get(record, key);

	if (!value)
		fail_msg("field %s missing, expected \"%s\"", key, expected);
	assert_string_equal(value, expected);
}

static const struct journal_record_input limit_reached = {
	.event = "limit-reached",
	.priority = LOG_WARNING,
	.message = "Needling budget spent (20:00 of 20:00): motor stopped, session locked",
	.reason = "needling-budget",
	.session = "S-2024-0001",
	.operator_name = "alice",
	.role = "home",
	.area = "face",
	.pen = "AA:BB:CC:DD:EE:01",
	.cartridge = 0x4d2,
	.depth_um = { true, 500 },
	.limit_um = { true, 1500 },
	.used_ms = { true, 1200000 },
	.budget_ms = { true, 1200000 },
};

static void limit_reached_record_is_found_by_event_reason_and_session(void **state)
{
	g_autoptr(journal_record) record = build_or_fail(&limit_reached);

	(void)state;
	assert_field(record, "MESSAGE_ID", id_of("limit-reached"));
	assert_field(record, "PENCTL_EVENT", "limit-reached");
	assert_field(record, "PENCTL_REASON", "needling-budget");
	assert_field(record, "PENCTL_SESSION", "S-2024-0001");
	assert_field(record, "PENCTL_OPERATOR", "alice");
	assert_field(record, "PENCTL_ROLE", "home");
	assert_field(record, "PENCTL_AREA", "face");
	assert_field(record, "PENCTL_PEN", "AA:BB:CC:DD:EE:01");
	assert_field(record, "PENCTL_DEPTH_UM", "500");
	assert_field(record, "PENCTL_LIMIT_UM", "1500");
	assert_field(record, "PENCTL_USED_MS", "1200000");
	assert_field(record, "PENCTL_BUDGET_MS", "1200000");
	assert_field(record, "MESSAGE", limit_reached.message);
	assert_field(record, "PRIORITY", "4");
	assert_field(record, "SYSLOG_IDENTIFIER", "penctld");
}

static void cartridge_is_sixteen_hex_digits(void **state)
{
	struct journal_record_input in = limit_reached;
	g_autoptr(journal_record) small = NULL;
	g_autoptr(journal_record) large = NULL;

	(void)state;
	small = build_or_fail(&in);
	assert_field(small, "PENCTL_CARTRIDGE", "00000000000004d2");
	in.cartridge = UINT64_C(0xfedcba9876543210);
	large = build_or_fail(&in);
	assert_field(large, "PENCTL_CARTRIDGE", "fedcba9876543210");
}

static void empty_and_unset_fields_are_left_out(void **state)
{
	struct journal_record_input in = {
		.event = "pen-connected",
		.priority = LOG_INFO,
		.message = "Pen AA:BB:CC:DD:EE:01 connected, no cartridge",
		.reason = "",
		.session = "",
		.operator_name = NULL,
		.pen = "AA:BB:CC:DD:EE:01",
		.cartridge = 0,
	};
	static const char *const absent[] = {
		"PENCTL_REASON", "PENCTL_SESSION", "PENCTL_OPERATOR", "PENCTL_ROLE",
		"PENCTL_AREA", "PENCTL_CLIENT_REF", "PENCTL_CARTRIDGE", "PENCTL_DEPTH_UM",
		"PENCTL_LIMIT_UM", "PENCTL_SPEED", "PENCTL_USED_MS", "PENCTL_BUDGET_MS",
		"PENCTL_PERCENT", "PENCTL_PEN_FAULTS", "PENCTL_DETAIL", "PENCTL_CALLER_UID",
		"PENCTL_CALLER", "PENCTL_WALL_MS", "PENCTL_NEEDLING_MS", "PENCTL_MAX_DEPTH_UM",
		"PENCTL_STROKES", "PENCTL_CARTRIDGES", "PENCTL_STOPS",
	};
	g_autoptr(journal_record) record = NULL;
	const GLogField *fields;
	gsize n;

	(void)state;
	record = build_or_fail(&in);
	for (size_t i = 0; i < G_N_ELEMENTS(absent); i++) {
		if (journal_record_get(record, absent[i]))
			fail_msg("%s present though empty", absent[i]);
	}
	assert_field(record, "PENCTL_PEN", "AA:BB:CC:DD:EE:01");
	fields = journal_record_get_fields(record, &n);
	for (gsize i = 0; i < n; i++) {
		assert_non_null(fields[i].value);
		assert_true(((const char *)fields[i].value)[0] != '\0');
		assert_int_equal(fields[i].length, -1);
	}
}

static void zero_is_recorded_when_it_is_set(void **state)
{
	struct journal_record_input in = {
		.event = "motor-stop",
		.priority = LOG_INFO,
		.message = "Motor stopped: pedal released",
		.reason = "pedal-released",
		.used_ms = JOURNAL_NUMBER(0),
	};
	g_autoptr(journal_record) record = NULL;

	(void)state;
	record = build_or_fail(&in);
	assert_field(record, "PENCTL_USED_MS", "0");
}

static void session_end_carries_the_summary(void **state)
{
	struct journal_record_input in = {
		.event = "session-end",
		.priority = LOG_INFO,
		.message = "Session S1 ended",
		.session = "S1",
		.wall_ms = JOURNAL_NUMBER(842000),
		.needling_ms = JOURNAL_NUMBER(585000),
		.max_depth_um = JOURNAL_NUMBER(1200),
		.strokes = JOURNAL_NUMBER(312),
		.cartridges = "00000000000004d2 000000000000162e",
		.stops = "pedal-released=4 needling-budget=1",
	};
	g_autoptr(journal_record) record = NULL;

	(void)state;
	record = build_or_fail(&in);
	assert_field(record, "MESSAGE_ID", id_of("session-end"));
	assert_field(record, "PENCTL_WALL_MS", "842000");
	assert_field(record, "PENCTL_NEEDLING_MS", "585000");
	assert_field(record, "PENCTL_MAX_DEPTH_UM", "1200");
	assert_field(record, "PENCTL_STROKES", "312");
	assert_field(record, "PENCTL_CARTRIDGES", "00000000000004d2 000000000000162e");
	assert_field(record, "PENCTL_STOPS", "pedal-released=4 needling-budget=1");
}

static void caller_timing_and_faults_are_recorded(void **state)
{
	struct journal_record_input in = {
		.event = "limit-warning",
		.priority = LOG_NOTICE,
		.message = "Needling budget 80% used (16:00 of 20:00)",
		.reason = "needling-budget",
		.percent = JOURNAL_NUMBER(80),
		.caller_uid = JOURNAL_NUMBER(1000),
		.caller = ":1.42",
		.pen_faults = JOURNAL_NUMBER(0x3),
		.speed = JOURNAL_NUMBER(7),
		.detail = "some detail",
	};
	g_autoptr(journal_record) record = NULL;

	(void)state;
	record = build_or_fail(&in);
	assert_field(record, "PENCTL_PERCENT", "80");
	assert_field(record, "PENCTL_CALLER_UID", "1000");
	assert_field(record, "PENCTL_CALLER", ":1.42");
	assert_field(record, "PENCTL_PEN_FAULTS", "0x0003");
	assert_field(record, "PENCTL_SPEED", "7");
	assert_field(record, "PENCTL_DETAIL", "some detail");
	assert_field(record, "PRIORITY", "5");
}

static void every_event_has_its_own_valid_message_id(void **state)
{
	size_t n;
	const struct penctl_message_id *ids = penctl_message_ids(&n);

	(void)state;
	assert_true(n >= 22);
	for (size_t i = 0; i < n; i++) {
		struct journal_record_input in = {
			.event = ids[i].event,
			.priority = ids[i].priority,
			.message = "text",
		};
		g_autoptr(journal_record) record = NULL;

		if (!penctl_message_id_is_valid(ids[i].message_id))
			fail_msg("%s: bad id %s", ids[i].event, ids[i].message_id);
		assert_ptr_equal(penctl_message_id_lookup(ids[i].event), &ids[i]);
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(ids[i].message_id, ids[j].message_id);
			assert_string_not_equal(ids[i].event, ids[j].event);
		}
		record = build_or_fail(&in);
		assert_field(record, "MESSAGE_ID", ids[i].message_id);
		assert_field(record, "PENCTL_EVENT", ids[i].event);
	}
}

static void issue_events_all_have_message_ids(void **state)
{
	/* The events the treatment record must distinguish (issue 6). */
	static const char *const required[] = {
		"session-start", "session-refused", "session-end", "motor-start", "motor-stop",
		"motor-refused", "depth-set", "depth-refused", "speed-set", "speed-refused",
		"limit-warning", "limit-reached", "pen-connected", "pen-disconnected",
		"pedal-lost", "fault", "fault-cleared", "advisory", "cartridge-refused",
		"config-reloaded", "config-rejected", "daemon-started",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(required); i++) {
		if (!penctl_message_id_lookup(required[i]))
			fail_msg("no MESSAGE_ID for %s", required[i]);
	}
}

static void bad_input_is_refused_not_fatal(void **state)
{
	struct journal_record_input unknown = { .event = "no-such-event", .priority = LOG_INFO,
						.message = "x" };
	struct journal_record_input no_event = { .priority = LOG_INFO, .message = "x" };
	struct journal_record_input no_message = { .event = "fault", .priority = LOG_ERR };
	struct journal_record_input bad_priority = { .event = "fault", .priority = 9,
						     .message = "x" };
	struct journal_record_input bad_id = { .event = "fault", .priority = LOG_ERR,
					       .message = "x", .message_id = "not-hex" };
	const struct journal_record_input *bad[] = {
		&unknown, &no_event, &no_message, &bad_priority, &bad_id,
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(journal_record) record = journal_record_build(bad[i], &error);

		assert_null(record);
		assert_non_null(error);
	}
}

static void extra_fields_need_journal_field_names(void **state)
{
	g_autoptr(journal_record) record = build_or_fail(&limit_reached);
	g_autofree char *longest = g_strnfill(64, 'A');
	g_autofree char *too_long = g_strnfill(65, 'A');

	(void)state;
	assert_true(journal_record_add_field(record, "PENCTL_CONFIG_FILE", "/etc/penctld/x.conf"));
	assert_field(record, "PENCTL_CONFIG_FILE", "/etc/penctld/x.conf");
	assert_false(journal_record_add_field(record, "_PID", "1"));
	assert_false(journal_record_add_field(record, "lower", "1"));
	assert_false(journal_record_add_field(record, "1ST", "1"));
	assert_false(journal_record_add_field(record, "", "1"));
	assert_false(journal_record_add_field(record, "A-B", "1"));
	assert_true(journal_record_add_field(record, longest, "1"));
	assert_false(journal_record_add_field(record, too_long, "1"));
	assert_null(journal_record_get(record, "_PID"));
	assert_true(journal_record_add_field(record, "PENCTL_EMPTY", ""));
	assert_null(journal_record_get(record, "PENCTL_EMPTY"));
}

static void records_never_use_a_fatal_log_level(void **state)
{
	(void)state;
	for (int priority = LOG_EMERG; priority <= LOG_DEBUG; priority++) {
		GLogLevelFlags level = journal_priority_to_log_level(priority);

		assert_false(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL));
	}
	assert_int_equal(journal_priority_to_log_level(LOG_ERR), G_LOG_LEVEL_WARNING);
	assert_int_equal(journal_priority_to_log_level(LOG_WARNING), G_LOG_LEVEL_WARNING);
	assert_int_equal(journal_priority_to_log_level(LOG_NOTICE), G_LOG_LEVEL_MESSAGE);
	assert_int_equal(journal_priority_to_log_level(LOG_INFO), G_LOG_LEVEL_INFO);
	assert_int_equal(journal_priority_to_log_level(LOG_DEBUG), G_LOG_LEVEL_DEBUG);
}

/* What the writer received from journal_record_emit(). */
static GLogLevelFlags captured_level;
static GPtrArray *captured; /* "KEY=value" */

static GLogWriterOutput capture_writer(GLogLevelFlags log_level, const GLogField *fields,
				       gsize n_fields, gpointer user_data)
{
	(void)user_data;
	captured_level = log_level;
	g_ptr_array_set_size(captured, 0);
	for (gsize i = 0; i < n_fields; i++)
		g_ptr_array_add(captured, g_strdup_printf("%s=%s", fields[i].key,
							  (const char *)fields[i].value));
	return G_LOG_WRITER_HANDLED;
}

static bool captured_has(const char *key_value)
{
	for (guint i = 0; i < captured->len; i++) {
		if (strcmp(captured->pdata[i], key_value) == 0)
			return true;
	}
	return false;
}

static void emit_hands_every_field_to_the_log_writer(void **state)
{
	g_autoptr(journal_record) record = build_or_fail(&limit_reached);
	gsize n;

	(void)state;
	journal_record_get_fields(record, &n);
	journal_record_emit(record);
	assert_int_equal(captured->len, n);
	assert_int_equal(captured_level, G_LOG_LEVEL_WARNING);
	assert_true(captured_has("PENCTL_EVENT=limit-reached"));
	assert_true(captured_has("PENCTL_CARTRIDGE=00000000000004d2"));
	assert_true(captured_has("PRIORITY=4"));
}

static void stderr_line_shows_message_then_event_and_fields(void **state)
{
	g_autoptr(journal_record) record = build_or_fail(&limit_reached);
	g_autofree char *line = NULL;
	const GLogField *fields;
	gsize n;

	(void)state;
	fields = journal_record_get_fields(record, &n);
	line = journal_format_line(fields, n);
	assert_string_equal(line,
			    "penctld: Needling budget spent (20:00 of 20:00): motor stopped, "
			    "session locked [limit-reached reason=needling-budget "
			    "session=S-2024-0001 operator=alice role=home area=face "
			    "pen=AA:BB:CC:DD:EE:01 cartridge=00000000000004d2 depth-um=500 "
			    "limit-um=1500 used-ms=1200000 budget-ms=1200000]");
}

static void stderr_line_stays_one_line(void **state)
{
	struct journal_record_input in = {
		.event = "config-rejected",
		.priority = LOG_ERR,
		.message = "Configuration rejected:\nbad key",
		.detail = "file a.conf\nline 3 \"x\"",
	};
	g_autoptr(journal_record) record = build_or_fail(&in);
	g_autofree char *line = NULL;
	const GLogField *fields;
	gsize n;

	(void)state;
	fields = journal_record_get_fields(record, &n);
	line = journal_format_line(fields, n);
	assert_null(strchr(line, '\n'));
	assert_string_equal(line, "penctld: Configuration rejected:\\nbad key [config-rejected "
				  "detail=\"file a.conf\\nline 3 \\\"x\\\"\"]");
}

static void plain_messages_get_a_level_word_on_stderr(void **state)
{
	const GLogField fields[] = {
		{ "MESSAGE", "cannot open chip", -1 },
		{ "PRIORITY", "4", -1 },
		{ "GLIB_DOMAIN", "penctld", -1 },
	};
	g_autofree char *line = journal_format_line(fields, G_N_ELEMENTS(fields));

	(void)state;
	assert_string_equal(line, "penctld: warning: cannot open chip");
}

static void journal_stream_must_match_the_descriptor(void **state)
{
	g_autofree char *path = NULL;
	g_autofree char *good = NULL, *wrong_inode = NULL;
	struct stat st;
	int fd;

	(void)state;
	fd = g_file_open_tmp("penctl-journal-XXXXXX", &path, NULL);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	good = g_strdup_printf("%" PRIu64 ":%" PRIu64, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	wrong_inode = g_strdup_printf("%" PRIu64 ":%" PRIu64, (uint64_t)st.st_dev,
				      (uint64_t)st.st_ino + 1);

	assert_true(journal_fd_is_journal_stream(good, fd));
	assert_false(journal_fd_is_journal_stream(wrong_inode, fd));
	assert_false(journal_fd_is_journal_stream(NULL, fd));
	assert_false(journal_fd_is_journal_stream("", fd));
	assert_false(journal_fd_is_journal_stream("12", fd));
	assert_false(journal_fd_is_journal_stream("a:b", fd));
	assert_false(journal_fd_is_journal_stream(good, -1));
	close(fd);
	g_unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(limit_reached_record_is_found_by_event_reason_and_session),
		cmocka_unit_test(cartridge_is_sixteen_hex_digits),
		cmocka_unit_test(empty_and_unset_fields_are_left_out),
		cmocka_unit_test(zero_is_recorded_when_it_is_set),
		cmocka_unit_test(session_end_carries_the_summary),
		cmocka_unit_test(caller_timing_and_faults_are_recorded),
		cmocka_unit_test(every_event_has_its_own_valid_message_id),
		cmocka_unit_test(issue_events_all_have_message_ids),
		cmocka_unit_test(bad_input_is_refused_not_fatal),
		cmocka_unit_test(extra_fields_need_journal_field_names),
		cmocka_unit_test(records_never_use_a_fatal_log_level),
		cmocka_unit_test(emit_hands_every_field_to_the_log_writer),
		cmocka_unit_test(stderr_line_shows_message_then_event_and_fields),
		cmocka_unit_test(stderr_line_stays_one_line),
		cmocka_unit_test(plain_messages_get_a_level_word_on_stderr),
		cmocka_unit_test(journal_stream_must_match_the_descriptor),
	};
	int failed;

	captured = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(capture_writer, NULL, NULL);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	g_ptr_array_unref(captured);
	return failed;
}
