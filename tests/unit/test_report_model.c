/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl report's model: journal records -> timeline and summary
 * (cli/penctl_report_model.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>

#include "penctl_report_model.h"

#define T0 ((gint64)1769250600000000)  /* the session-start record's time, us */

/* A record at T0 + MS: "KEY", "value", ..., NULL. */
static GHashTable *record(int64_t ms, const char *session, const char *event, ...)
{
	GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	va_list args;
	const char *key;

	g_hash_table_insert(fields, g_strdup("__REALTIME_TIMESTAMP"),
			    g_strdup_printf("%" G_GINT64_FORMAT, T0 + ms * 1000));
	g_hash_table_insert(fields, g_strdup("_SYSTEMD_UNIT"), g_strdup("penctld.service"));
	g_hash_table_insert(fields, g_strdup("_HOSTNAME"), g_strdup("chair-1"));
	g_hash_table_insert(fields, g_strdup("PENCTL_SESSION"), g_strdup(session));
	g_hash_table_insert(fields, g_strdup("PENCTL_EVENT"), g_strdup(event));
	va_start(args, event);
	while ((key = va_arg(args, const char *)))
		g_hash_table_insert(fields, g_strdup(key), g_strdup(va_arg(args, const char *)));
	va_end(args);
	return fields;
}

static void add(struct penctl_report_builder *builder, GHashTable *fields)
{
	penctl_report_builder_add(fields, builder);
	g_hash_table_unref(fields);
}

static void add_start(struct penctl_report_builder *builder)
{
	add(builder, record(0, "S1", "session-start", "PENCTL_OPERATOR", "alice", "PENCTL_ROLE",
			    "aesthetician", "PENCTL_AREA", "face", "PENCTL_CLIENT_REF", "C-7",
			    "PENCTL_PEN", "AA:BB:CC:DD:EE:01", "PENCTL_CARTRIDGE", "00000000000000a1",
			    "PENCTL_DEPTH_UM", "300", "PENCTL_LIMIT_UM", "1500", NULL));
}

static struct penctl_report *finish_or_fail(struct penctl_report_builder *builder)
{
	g_autoptr(GError) error = NULL;
	struct penctl_report *report = penctl_report_builder_finish(builder, &error);

	if (!report)
		fail_msg("finish: %s", error->message);
	return report;
}

static unsigned stop_count(const struct penctl_report *r, const char *reason)
{
	for (guint i = 0; i < r->stops->len; i++) {
		const struct report_count *count = g_ptr_array_index(r->stops, i);

		if (g_str_equal(count->reason, reason))
			return count->count;
	}
	return 0;
}

/* /report/header: who, where and with what, from the records. */
static void test_header(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;

	(void)state;
	add_start(builder);
	add(builder, record(60000, "S1", "session-end", "PENCTL_CARTRIDGES",
			    "00000000000000a1 00000000000000a2", "PENCTL_WALL_MS", "60000", NULL));
	r = finish_or_fail(builder);
	assert_string_equal(r->hostname, "chair-1");
	assert_string_equal(r->operator_name, "alice");
	assert_string_equal(r->role, "aesthetician");
	assert_string_equal(r->area, "face");
	assert_string_equal(r->client_ref, "C-7");
	assert_string_equal(r->pen, "AA:BB:CC:DD:EE:01");
	assert_string_equal(r->pen_model, "");
	assert_int_equal(r->cartridges->len, 2);
	assert_int_equal(r->start_realtime_us, T0);
	assert_int_equal(r->duration_ms, 60000);
	assert_true(r->ended);
}

/* /report/pen-and-check: the pen's model and firmware and the
 * contraindication check, when the records carry them. */
static void test_optional_fields(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;
	GHashTable *start = record(0, "S1", "session-start", "PENCTL_CONTRAINDICATIONS", "checked",
				   NULL);

	(void)state;
	add(builder, start);
	add(builder, record(1000, "S1", "pen-connected", "PENCTL_PEN_MODEL", "MN-3",
			    "PENCTL_PEN_FIRMWARE", "2.4.1", NULL));
	r = finish_or_fail(builder);
	assert_string_equal(r->pen_model, "MN-3");
	assert_string_equal(r->pen_firmware, "2.4.1");
	assert_string_equal(r->contraindications, "checked");
}

/* /report/bands: a motor-start opens a band, the next motor-stop closes
 * it; a stop is forced unless the operator chose it. */
static void test_bands_and_stops(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;

	(void)state;
	add_start(builder);
	add(builder, record(1000, "S1", "motor-start", "PENCTL_DEPTH_UM", "300", NULL));
	add(builder, record(4000, "S1", "motor-stop", "PENCTL_REASON", "pedal-released",
			    "PENCTL_USED_MS", "3000", "PENCTL_BUDGET_MS", "600000", NULL));
	add(builder, record(5000, "S1", "motor-start", "PENCTL_DEPTH_UM", "300", NULL));
	add(builder, record(7000, "S1", "motor-stop", "PENCTL_REASON", "pen-fault", NULL));
	add(builder, record(8000, "S1", "motor-refused", "PENCTL_REASON", "pen-fault", NULL));
	r = finish_or_fail(builder);
	assert_int_equal(r->bands->len, 2);
	assert_int_equal(g_array_index(r->bands, struct report_band, 0).start_ms, 1000);
	assert_int_equal(g_array_index(r->bands, struct report_band, 0).end_ms, 4000);
	assert_int_equal(g_array_index(r->bands, struct report_band, 1).end_ms, 7000);
	assert_int_equal(stop_count(r, "pedal-released"), 1);
	assert_int_equal(stop_count(r, "pen-fault"), 1);
	assert_int_equal(r->forced_stops, 1);
	assert_int_equal(r->refusals, 1);
	assert_int_equal(r->needling_budget_ms, 600000);
	/* No session-end: the summary is what the records show. */
	assert_false(r->ended);
	assert_int_equal(r->needling_ms, 5000);
	assert_int_equal(r->wall_ms, 8000);
	assert_int_equal(r->max_depth_um, 300);
	assert_int_equal(r->strokes, -1);
	/* The bands show the starts: the event list leaves them out. */
	for (guint i = 0; i < r->events->len; i++)
		assert_string_not_equal(((struct report_event *)g_ptr_array_index(r->events, i))
						->event, "motor-start");
}

/* /report/summary-from-session-end: the daemon's own summary wins. */
static void test_summary_from_session_end(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;

	(void)state;
	add_start(builder);
	add(builder, record(1000, "S1", "motor-start", NULL));
	add(builder, record(2000, "S1", "motor-stop", "PENCTL_REASON", "pedal-released", NULL));
	add(builder, record(9000, "S1", "session-end", "PENCTL_WALL_MS", "9000",
			    "PENCTL_NEEDLING_MS", "1000", "PENCTL_MAX_DEPTH_UM", "300",
			    "PENCTL_STROKES", "120", "PENCTL_STOPS",
			    "pedal-released=1 session-stopped=0", NULL));
	r = finish_or_fail(builder);
	assert_int_equal(r->wall_ms, 9000);
	assert_int_equal(r->needling_ms, 1000);
	assert_int_equal(r->strokes, 120);
	assert_int_equal(stop_count(r, "pedal-released"), 1);
}

/* /report/depth-and-limit: the depth and the effective limit as steps;
 * an advisory's limit is its threshold, not the session's limit. */
static void test_depth_and_limit(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;
	const struct report_point *last;

	(void)state;
	add_start(builder);
	add(builder, record(1000, "S1", "depth-set", "PENCTL_DEPTH_UM", "1200", "PENCTL_LIMIT_UM",
			    "1500", NULL));
	add(builder, record(1000, "S1", "advisory", "PENCTL_REASON", "above-anesthetic",
			    "PENCTL_DEPTH_UM", "1200", "PENCTL_LIMIT_UM", "1000", NULL));
	add(builder, record(2000, "S1", "depth-refused", "PENCTL_REASON", "depth-above-limit",
			    "PENCTL_DEPTH_UM", "2500", "PENCTL_LIMIT_UM", "1500", NULL));
	add(builder, record(3000, "S1", "config-reloaded", "PENCTL_DEPTH_UM", "1200",
			    "PENCTL_LIMIT_UM", "1000", NULL));
	r = finish_or_fail(builder);
	assert_int_equal(r->points->len, 3);
	last = &g_array_index(r->points, struct report_point, 1);
	assert_int_equal(last->depth_um, 1200);
	assert_int_equal(last->limit_um, 1500);
	last = &g_array_index(r->points, struct report_point, 2);
	assert_int_equal(last->t_ms, 3000);
	assert_int_equal(last->limit_um, 1000);
	assert_true(r->above_advisory);
	assert_int_equal(r->advisory_um, 1000);
}

/* /report/budgets: the wall budget from its warning, the needling one
 * from a limit-reached. */
static void test_budgets(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;

	(void)state;
	add_start(builder);
	add(builder, record(1000, "S1", "limit-warning", "PENCTL_REASON", "wall-budget",
			    "PENCTL_BUDGET_MS", "1800000", NULL));
	add(builder, record(2000, "S1", "limit-reached", "PENCTL_REASON", "needling-budget",
			    "PENCTL_BUDGET_MS", "600000", NULL));
	r = finish_or_fail(builder);
	assert_int_equal(r->wall_budget_ms, 1800000);
	assert_int_equal(r->needling_budget_ms, 600000);
}

/* /report/budgets-stated: a session without warnings still shows its
 * budgets and threshold when a record states them. */
static void test_budgets_stated(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;

	(void)state;
	add(builder, record(0, "S1", "session-start", "PENCTL_WALL_BUDGET_MS", "1800000",
			    "PENCTL_NEEDLING_BUDGET_MS", "600000", "PENCTL_ANESTHETIC_UM", "1000",
			    NULL));
	r = finish_or_fail(builder);
	assert_int_equal(r->wall_budget_ms, 1800000);
	assert_int_equal(r->needling_budget_ms, 600000);
	assert_int_equal(r->advisory_um, 1000);
	assert_false(r->above_advisory);
}

/* /report/one-session: records of another session are not this one's,
 * even from a journal that ignores the match. */
static void test_other_session_ignored(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;

	(void)state;
	add_start(builder);
	add(builder, record(2000, "S2", "motor-stop", "PENCTL_REASON", "pen-fault", NULL));
	r = finish_or_fail(builder);
	assert_int_equal(r->events->len, 1);
	assert_int_equal(r->stops->len, 0);
}

/* /report/two-chairs: one id on two chairs is refused, naming both. */
static void test_two_chairs_refused(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(GError) error = NULL;
	GHashTable *other;

	(void)state;
	add_start(builder);
	other = record(1000, "S1", "motor-stop", "PENCTL_REASON", "pen-fault", NULL);
	g_hash_table_replace(other, g_strdup("_HOSTNAME"), g_strdup("chair-2"));
	add(builder, other);
	assert_null(penctl_report_builder_finish(builder, &error));
	assert_non_null(error);
	assert_non_null(strstr(error->message, "chair-1"));
	assert_non_null(strstr(error->message, "chair-2"));
	assert_non_null(strstr(error->message, "--chair"));
}

/* /report/order: records handed over newest first are put in time order. */
static void test_records_in_any_order(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;

	(void)state;
	add(builder, record(4000, "S1", "motor-stop", "PENCTL_REASON", "pedal-released", NULL));
	add(builder, record(1000, "S1", "motor-start", NULL));
	add_start(builder);
	r = finish_or_fail(builder);
	assert_int_equal(r->start_realtime_us, T0);
	assert_int_equal(r->bands->len, 1);
	assert_int_equal(g_array_index(r->bands, struct report_band, 0).start_ms, 1000);
}

/* /report/interrupted: a session cut short is reported with what was saved. */
static void test_interrupted(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(penctl_report) r = NULL;

	(void)state;
	add_start(builder);
	add(builder, record(1000, "S1", "motor-start", NULL));
	add(builder, record(50000, "S1", "session-interrupted", "PENCTL_NEEDLING_MS", "30000",
			    "PENCTL_MAX_DEPTH_UM", "800", NULL));
	r = finish_or_fail(builder);
	assert_true(r->interrupted);
	assert_false(r->ended);
	assert_int_equal(r->needling_ms, 49000);
	assert_int_equal(r->max_depth_um, 800);
	/* A band left open ends with the last record. */
	assert_int_equal(g_array_index(r->bands, struct report_band, 0).end_ms, 50000);
}

/* /report/no-record: nothing to report is an error, not an empty PDF. */
static void test_no_record(void **state)
{
	g_autoptr(penctl_report_builder) builder = penctl_report_builder_new("S1");
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_null(penctl_report_builder_finish(builder, &error));
	assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
}

static void test_duration_format(void **state)
{
	g_autofree char *short_one = penctl_report_format_duration(65000);
	g_autofree char *long_one = penctl_report_format_duration(3 * 3600000 + 61000);

	(void)state;
	assert_string_equal(short_one, "1:05");
	assert_string_equal(long_one, "3:01:01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_bands_and_stops),
		cmocka_unit_test(test_summary_from_session_end),
		cmocka_unit_test(test_depth_and_limit),
		cmocka_unit_test(test_budgets),
		cmocka_unit_test(test_budgets_stated),
		cmocka_unit_test(test_other_session_ignored),
		cmocka_unit_test(test_two_chairs_refused),
		cmocka_unit_test(test_records_in_any_order),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_no_record),
		cmocka_unit_test(test_duration_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
