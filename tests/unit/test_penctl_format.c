// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What penctl prints for a person: times as mm:ss, depths in mm, the
 * session summary, the after-care reminder and the anesthetic advisory
 * (cli/penctl_format.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "penctl/dbus_names.h"
#include "penctl_format.h"

static void assert_contains(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("\"%s\" not found in:\n%s", needle, text);
}

static void test_times_print_as_minutes_and_seconds(void **state)
{
	char out[PENCTL_MMSS_STRLEN];

	(void)state;
	penctl_format_mmss(0, out);
	assert_string_equal(out, "00:00");
	penctl_format_mmss(59999, out);
	assert_string_equal(out, "00:59");
	penctl_format_mmss(754000, out);
	assert_string_equal(out, "12:34");
	penctl_format_mmss(3600000, out);
	assert_string_equal(out, "60:00");
	penctl_format_mmss(480u * 60u * 1000u + 5000u, out);
	assert_string_equal(out, "480:05");
}

static void test_depths_print_in_mm_with_two_decimals(void **state)
{
	g_autofree char *a = penctl_format_depth(500);
	g_autofree char *b = penctl_format_depth(1250);
	g_autofree char *c = penctl_format_depth(3000);

	(void)state;
	assert_string_equal(a, "0.50 mm");
	assert_string_equal(b, "1.25 mm");
	assert_string_equal(c, "3.00 mm");
}

static GVariant *summary(bool above_anesthetic, bool with_stops)
{
	GVariantBuilder b, stops;
	const char *cartridges[] = { "0000000000001234", NULL };

	g_variant_builder_init(&stops, G_VARIANT_TYPE("a{su}"));
	if (with_stops) {
		g_variant_builder_add(&stops, "{su}", "pedal-released", 4);
		g_variant_builder_add(&stops, "{su}", "needling-budget", 1);
	}
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_SESSION_ID,
			      g_variant_new_string("20260124-103005-5f2a"));
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_WALL_MS, g_variant_new_uint64(754321));
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_NEEDLING_MS, g_variant_new_uint64(65000));
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_MAX_DEPTH_UM, g_variant_new_uint32(750));
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_STROKES, g_variant_new_uint32(4200));
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_ABOVE_ANESTHETIC,
			      g_variant_new_boolean(above_anesthetic));
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_ANESTHETIC_UM, g_variant_new_uint32(500));
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_CARTRIDGES,
			      g_variant_new_strv(cartridges, -1));
	g_variant_builder_add(&b, "{sv}", PENCTL_SUMMARY_STOPS, g_variant_builder_end(&stops));
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void test_summary_shows_times_depth_strokes_cartridges_and_stops(void **state)
{
	g_autoptr(GVariant) s = summary(false, true);
	g_autofree char *text = penctl_format_summary(s);

	(void)state;
	assert_contains(text, "20260124-103005-5f2a");
	assert_contains(text, "Wall time:      12:34");
	assert_contains(text, "Needling time:  01:05");
	assert_contains(text, "Deepest:        0.75 mm");
	assert_contains(text, "Strokes:        4200");
	assert_contains(text, "0000000000001234");
	assert_contains(text, "pedal-released 4");
	assert_contains(text, "needling-budget 1");
}

static void test_summary_without_stops_says_none(void **state)
{
	g_autoptr(GVariant) s = summary(false, false);
	g_autofree char *text = penctl_format_summary(s);

	(void)state;
	assert_contains(text, "Motor stops:    none");
}

static void test_aftercare_names_sunscreen_and_make_up(void **state)
{
	const char *text = penctl_aftercare_reminder();

	(void)state;
	assert_contains(text, "sunscreen every day");
	assert_contains(text, "no make-up for 24 hours");
}

static void test_advisory_only_above_the_anesthetic_threshold(void **state)
{
	g_autoptr(GVariant) below = summary(false, true);
	g_autoptr(GVariant) above = summary(true, true);
	g_autofree char *none = penctl_format_anesthetic_advisory(below);
	g_autofree char *advisory = penctl_format_anesthetic_advisory(above);

	(void)state;
	assert_null(none);
	assert_non_null(advisory);
	assert_contains(advisory, "0.50 mm");
	assert_contains(advisory, "anesthetic ointment may be advisable");
	/* The role is called aesthetician ([Role aesthetician]), not beautician. */
	assert_contains(advisory, "physiotherapist or aesthetician");
	assert_null(strstr(advisory, "beautician"));
}

static GVariant *status_properties(bool session)
{
	GVariantBuilder b;
	const char *faults[] = { "overtemp", NULL };

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "State", g_variant_new_string(session ? "ready" : "idle"));
	g_variant_builder_add(&b, "{sv}", "MotorOn", g_variant_new_boolean(FALSE));
	g_variant_builder_add(&b, "{sv}", "PenAddress", g_variant_new_string("00:11:22:33:44:55"));
	g_variant_builder_add(&b, "{sv}", "PenConnected", g_variant_new_boolean(TRUE));
	g_variant_builder_add(&b, "{sv}", "PenCompatible", g_variant_new_boolean(TRUE));
	g_variant_builder_add(&b, "{sv}", "Battery", g_variant_new_byte(80));
	g_variant_builder_add(&b, "{sv}", "Cartridge", g_variant_new_string("0000000000001234"));
	g_variant_builder_add(&b, "{sv}", "Pedal", g_variant_new_string("up"));
	g_variant_builder_add(&b, "{sv}", "SessionId",
			      g_variant_new_string(session ? "20260124-103005-5f2a" : ""));
	g_variant_builder_add(&b, "{sv}", "Operator", g_variant_new_string("alice"));
	g_variant_builder_add(&b, "{sv}", "Role", g_variant_new_string("home"));
	g_variant_builder_add(&b, "{sv}", "Area", g_variant_new_string("face"));
	g_variant_builder_add(&b, "{sv}", "ClientRef", g_variant_new_string("C-17"));
	g_variant_builder_add(&b, "{sv}", "DepthUm", g_variant_new_uint32(300));
	g_variant_builder_add(&b, "{sv}", "LimitUm", g_variant_new_uint32(500));
	g_variant_builder_add(&b, "{sv}", "MeasuredDepthUm", g_variant_new_uint32(300));
	g_variant_builder_add(&b, "{sv}", "Speed", g_variant_new_uint16(120));
	g_variant_builder_add(&b, "{sv}", "WallUsedMs", g_variant_new_uint64(65000));
	g_variant_builder_add(&b, "{sv}", "WallRemainingMs", g_variant_new_uint64(3535000));
	g_variant_builder_add(&b, "{sv}", "NeedlingUsedMs", g_variant_new_uint64(5000));
	g_variant_builder_add(&b, "{sv}", "NeedlingRemainingMs", g_variant_new_uint64(1195000));
	g_variant_builder_add(&b, "{sv}", "Faults", g_variant_new_strv(faults, -1));
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void test_status_shows_session_times_and_depths_readably(void **state)
{
	g_autoptr(GVariant) p = status_properties(true);
	g_autofree char *text = penctl_format_status(p);

	(void)state;
	assert_contains(text, "ready (motor off)");
	assert_contains(text, "00:11:22:33:44:55, connected, battery 80 %");
	assert_contains(text, "operator alice, role home, area face, client C-17");
	assert_contains(text, "0.30 mm (limit 0.50 mm");
	assert_contains(text, "120 strokes/s");
	assert_contains(text, "01:05 used, 58:55 left");
	assert_contains(text, "00:05 used, 19:55 left");
	assert_contains(text, "overtemp");
}

static void test_status_without_session_says_so(void **state)
{
	g_autoptr(GVariant) p = status_properties(false);
	g_autofree char *text = penctl_format_status(p);

	(void)state;
	assert_contains(text, "Session:   none");
	assert_null(strstr(text, "alice"));
}

static GVariant *with(GVariant *properties, const char *key, GVariant *value)
{
	GVariantBuilder b;
	GVariantIter iter;
	const char *name;
	GVariant *item;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_iter_init(&iter, properties);
	while (g_variant_iter_loop(&iter, "{&sv}", &name, &item))
		if (!g_str_equal(name, key)) /* KEY's new value replaces the old */
			g_variant_builder_add(&b, "{sv}", name, item);
	g_variant_builder_add(&b, "{sv}", key, value);
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

static void test_status_says_a_rejected_config_and_what_to_do(void **state)
{
	g_autoptr(GVariant) base = status_properties(false);
	g_autoptr(GVariant) fine = with(base, "ConfigProblem", g_variant_new_string(""));
	g_autoptr(GVariant) bad = with(base, "ConfigProblem",
				       g_variant_new_string("line 12: MaxDepthMm= is not a number"));
	g_autofree char *fine_text = penctl_format_status(fine);
	g_autofree char *bad_text = penctl_format_status(bad);

	(void)state;
	assert_null(strstr(fine_text, "Config:"));
	assert_contains(bad_text, "REJECTED");
	assert_contains(bad_text, "line 12: MaxDepthMm= is not a number");
	assert_contains(bad_text, "systemctl reload penctld");
}

static void test_status_says_a_damaged_used_list_and_what_to_do(void **state)
{
	g_autoptr(GVariant) base = status_properties(false);
	g_autoptr(GVariant) trusted = with(base, "UsedListUntrusted", g_variant_new_boolean(FALSE));
	g_autoptr(GVariant) damaged = with(base, "UsedListUntrusted", g_variant_new_boolean(TRUE));
	g_autofree char *trusted_text = penctl_format_status(trusted);
	g_autofree char *damaged_text = penctl_format_status(damaged);

	(void)state;
	assert_null(strstr(trusted_text, "Used list"));
	assert_contains(damaged_text, "new sessions are refused");
	assert_contains(damaged_text, "penctl state acknowledge");
}

static void test_limits_table_lists_every_pair(void **state)
{
	GVariantBuilder b, limits;
	g_autoptr(GVariant) p = NULL;
	g_autofree char *text = NULL;

	(void)state;
	g_variant_builder_init(&limits, G_VARIANT_TYPE("a(ssu)"));
	g_variant_builder_add(&limits, "(ssu)", "home", "face", 500);
	g_variant_builder_add(&limits, "(ssu)", "dermatologist", "body", 3000);
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "Limits", g_variant_builder_end(&limits));
	g_variant_builder_add(&b, "{sv}", "MaxMinutes", g_variant_new_uint32(60));
	g_variant_builder_add(&b, "{sv}", "MaxNeedlingMinutes", g_variant_new_uint32(20));
	g_variant_builder_add(&b, "{sv}", "AnestheticAdvisoryUm", g_variant_new_uint32(500));
	p = g_variant_ref_sink(g_variant_builder_end(&b));
	text = penctl_format_limits(p);
	assert_contains(text, "home");
	assert_contains(text, "3.00 mm");
	assert_contains(text, "60 min wall, 20 min needling");
}

/* 0.5 min is shown as configured, not rounded up to "1 min". */
static void test_limits_show_a_budget_in_part_minutes(void **state)
{
	GVariantBuilder b;
	g_autoptr(GVariant) p = NULL;
	g_autofree char *text = NULL;

	(void)state;
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "MaxMinutes", g_variant_new_uint32(1));
	g_variant_builder_add(&b, "{sv}", "MaxNeedlingMinutes", g_variant_new_uint32(1));
	g_variant_builder_add(&b, "{sv}", "MaxWallMs", g_variant_new_uint64(30000));
	g_variant_builder_add(&b, "{sv}", "MaxNeedlingMs", g_variant_new_uint64(15000));
	g_variant_builder_add(&b, "{sv}", "AnestheticAdvisoryUm", g_variant_new_uint32(500));
	p = g_variant_ref_sink(g_variant_builder_end(&b));
	text = penctl_format_limits(p);
	assert_contains(text, "0.5 min wall, 0.25 min needling");
}

/* Without a speed set the motor runs at the pen's own: not "not set". */
static void test_status_says_the_pen_s_own_speed_when_none_is_set(void **state)
{
	g_autoptr(GVariant) base = status_properties(true);
	g_autoptr(GVariant) p = with(base, "Speed", g_variant_new_uint16(0));
	g_autofree char *text = penctl_format_status(p);

	(void)state;
	assert_contains(text, "Speed:     the pen's own");
	assert_null(strstr(text, "not set"));
}

/* An incompatible pen says why. */
static void test_status_says_why_the_pen_is_incompatible(void **state)
{
	g_autoptr(GVariant) base = status_properties(false);
	g_autoptr(GVariant) a = with(base, "PenCompatible", g_variant_new_boolean(FALSE));
	g_autoptr(GVariant) p = with(a, "PenIncompatibility",
				     g_variant_new_string("no Heartbeat characteristic"));
	g_autofree char *text = penctl_format_status(p);

	(void)state;
	assert_contains(text, "but incompatible (no Heartbeat characteristic)");
}

static void test_log_entry_shows_event_reason_and_depth(void **state)
{
	g_autoptr(GHashTable) fields = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree char *line = NULL;

	(void)state;
	g_hash_table_insert(fields, "__REALTIME_TIMESTAMP", "1769250605000000");
	g_hash_table_insert(fields, "PENCTL_EVENT", "depth-refused");
	g_hash_table_insert(fields, "PENCTL_REASON", "depth-above-limit");
	g_hash_table_insert(fields, "PENCTL_DEPTH_UM", "1200");
	g_hash_table_insert(fields, "MESSAGE", "1.20 mm is above the limit 0.50 mm for role home");
	line = penctl_format_log_entry(fields);
	assert_contains(line, "depth-refused");
	assert_contains(line, "depth-above-limit");
	assert_contains(line, "1.20 mm");
	assert_contains(line, "for role home");
	assert_contains(line, "2026-01-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times_print_as_minutes_and_seconds),
		cmocka_unit_test(test_depths_print_in_mm_with_two_decimals),
		cmocka_unit_test(test_summary_shows_times_depth_strokes_cartridges_and_stops),
		cmocka_unit_test(test_summary_without_stops_says_none),
		cmocka_unit_test(test_aftercare_names_sunscreen_and_make_up),
		cmocka_unit_test(test_advisory_only_above_the_anesthetic_threshold),
		cmocka_unit_test(test_status_shows_session_times_and_depths_readably),
		cmocka_unit_test(test_status_without_session_says_so),
		cmocka_unit_test(test_status_says_a_rejected_config_and_what_to_do),
		cmocka_unit_test(test_status_says_a_damaged_used_list_and_what_to_do),
		cmocka_unit_test(test_limits_table_lists_every_pair),
		cmocka_unit_test(test_log_entry_shows_event_reason_and_depth),
		cmocka_unit_test(test_limits_show_a_budget_in_part_minutes),
		cmocka_unit_test(test_status_says_the_pen_s_own_speed_when_none_is_set),
		cmocka_unit_test(test_status_says_why_the_pen_is_incompatible),
	};

	return cmocka_run_group_tests_name("penctl-format", tests, NULL, NULL);
}
