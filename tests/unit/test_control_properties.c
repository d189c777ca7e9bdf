// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The D-Bus properties and summary of io.penctld.Penctl1, computed from an
 * engine snapshot and the configuration (daemon/control_properties.c),
 * checked against the interface generated from the XML that the daemon
 * serves; what is signalled when, and the Event signal's arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <gio/gio.h>

#include "penctl/control_properties.h"
#include "penctl/dbus_interface.h"
#include "penctl/dbus_names.h"
#include "penctl/pen_protocol.h"

#include "engine_harness.h"

#define S(x) ((int64_t)(x) * G_USEC_PER_SEC)

static struct engine_snapshot session_snapshot(void)
{
	return (struct engine_snapshot){
		.state = ENGINE_STATE_READY,
		.pen_connected = true,
		.pen_compatible = true,
		.pen_address = "00:11:22:33:44:55",
		.battery_percent = 80,
		.cartridge = 0x1234,
		.pedal_known = true,
		.pedal_armed = true,
		.session_open = true,
		.session_id = "20260101-100000-abcd",
		.operator_name = "alice",
		.role = "home",
		.area = "face",
		.client_ref = "",
		.depth_um = 300,
		.measured_depth_um = 300,
		.limit_um = 500,
		.speed = 100,
		.wall_used_us = S(10),
		.wall_budget_us = S(3600),
		.needling_used_us = S(2),
		.needling_budget_us = S(1200),
	};
}

static GVariant *lookup(GVariant *properties, const char *name)
{
	GVariant *value = g_variant_lookup_value(properties, name, NULL);

	assert_non_null(value);
	return value;
}

static void test_every_declared_property_is_served_with_its_type(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(GVariant) properties = control_properties_build(&snapshot, config, NULL);
	const GDBusInterfaceInfo *iface = &io_penctld_penctl1_interface;
	unsigned n_declared = 0;

	(void)state;
	assert_non_null(iface);
	assert_string_equal(iface->name, PENCTL_DBUS_INTERFACE);
	for (GDBusPropertyInfo **p = iface->properties; p && *p; p++) {
		g_autoptr(GVariant) value = g_variant_lookup_value(properties, (*p)->name, NULL);

		if (!value)
			fail_msg("property %s declared but not served", (*p)->name);
		if (!g_str_equal(g_variant_get_type_string(value), (*p)->signature))
			fail_msg("property %s: served %s, declared %s", (*p)->name,
				 g_variant_get_type_string(value), (*p)->signature);
		n_declared++;
	}
	/* ...and nothing served that the XML does not declare. */
	assert_int_equal(g_variant_n_children(properties), n_declared);
	assert_true(n_declared >= 25);
	assert_true(control_properties_table_matches());
}

static void test_every_method_of_the_issue_is_declared(void **state)
{
	static const char *const methods[] = {
		"StartSession", "StopSession", "SetDepth", "SetSpeed", "Scan", "Pair", "Forget",
		"Reload", "AcknowledgeState",
	};
	GDBusInterfaceInfo *iface = (GDBusInterfaceInfo *)&io_penctld_penctl1_interface;

	(void)state;
	assert_non_null(iface);
	for (size_t i = 0; i < G_N_ELEMENTS(methods); i++)
		assert_non_null(g_dbus_interface_info_lookup_method(iface, methods[i]));
}

/* A rejected reload leaves the old configuration in force: the property
 * says why, until a reload succeeds. */
static void test_config_problem_is_empty_unless_the_file_was_rejected(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(GVariant) fine = control_properties_build(&snapshot, config, NULL);
	g_autoptr(GVariant) rejected = control_properties_build(
		&snapshot, config,
		&(struct control_daemon_facts){
			.config_problem = "penctld.conf line 12: MaxDepthMm= must be 0.1 to 3.0" });
	g_autoptr(GVariant) a = NULL, b = NULL;

	(void)state;
	a = lookup(fine, "ConfigProblem");
	b = lookup(rejected, "ConfigProblem");
	assert_string_equal(g_variant_get_string(a, NULL), "");
	assert_string_equal(g_variant_get_string(b, NULL),
			    "penctld.conf line 12: MaxDepthMm= must be 0.1 to 3.0");
}

static void test_used_list_untrusted_shows_the_snapshot(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(GVariant) trusted = control_properties_build(&snapshot, config, NULL);
	g_autoptr(GVariant) untrusted = NULL;
	g_autoptr(GVariant) a = NULL, b = NULL;

	(void)state;
	snapshot.used_list_untrusted = true;
	untrusted = control_properties_build(&snapshot, config, NULL);
	a = lookup(trusted, "UsedListUntrusted");
	b = lookup(untrusted, "UsedListUntrusted");
	assert_false(g_variant_get_boolean(a));
	assert_true(g_variant_get_boolean(b));
}

static void test_properties_show_the_snapshot(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(GVariant) properties = NULL;
	g_autoptr(GVariant) v1 = NULL, v2 = NULL, v3 = NULL, v4 = NULL, v5 = NULL;

	(void)state;
	snapshot.depth_um = 450;
	snapshot.speed = 120;
	properties = control_properties_build(&snapshot, config, NULL);
	v1 = lookup(properties, "DepthUm");
	assert_int_equal(g_variant_get_uint32(v1), 450);
	v2 = lookup(properties, "Speed");
	assert_int_equal(g_variant_get_uint16(v2), 120);
	v3 = lookup(properties, "State");
	assert_string_equal(g_variant_get_string(v3, NULL), "ready");
	v4 = lookup(properties, "Cartridge");
	assert_string_equal(g_variant_get_string(v4, NULL), "0000000000001234");
	v5 = lookup(properties, "Operator");
	assert_string_equal(g_variant_get_string(v5, NULL), "alice");
}

static void test_no_cartridge_and_no_session_read_as_empty(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = { .state = ENGINE_STATE_IDLE,
					    .battery_percent = PEN_BATTERY_UNKNOWN };
	g_autoptr(GVariant) properties = control_properties_build(&snapshot, config, NULL);
	g_autoptr(GVariant) cartridge = lookup(properties, "Cartridge");
	g_autoptr(GVariant) session = lookup(properties, "SessionId");
	g_autoptr(GVariant) address = lookup(properties, "PenAddress");
	g_autoptr(GVariant) battery = lookup(properties, "Battery");

	(void)state;
	assert_string_equal(g_variant_get_string(cartridge, NULL), "");
	assert_string_equal(g_variant_get_string(session, NULL), "");
	assert_string_equal(g_variant_get_string(address, NULL), "");
	assert_int_equal(g_variant_get_byte(battery), PEN_BATTERY_UNKNOWN);
}

static void test_time_moves_in_whole_seconds(void **state)
{
	(void)state;
	assert_int_equal(control_used_ms(0), 0);
	assert_int_equal(control_used_ms(999999), 0);
	assert_int_equal(control_used_ms(1000000), 1000);
	assert_int_equal(control_used_ms(61999999), 61000);
	assert_int_equal(control_used_ms(-5), 0);
	assert_int_equal(control_remaining_ms(S(10) + 500000, S(60)), 50000);
	assert_int_equal(control_remaining_ms(S(61), S(60)), 0);
	assert_int_equal(control_remaining_ms(0, 0), 0);
}

static void test_time_properties_change_at_most_once_a_second(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(control_properties_tracker) tracker = control_properties_tracker_new();
	g_autoptr(GVariant) a = NULL;
	g_autoptr(GVariant) ab = NULL, bc = NULL;
	g_autoptr(GVariant) used = NULL;

	(void)state;
	snapshot.wall_used_us = S(10) + 100000;
	a = control_properties_changed(tracker, &snapshot, config, NULL);
	snapshot.wall_used_us = S(10) + 900000;
	ab = control_properties_changed(tracker, &snapshot, config, NULL);
	snapshot.wall_used_us = S(11);
	bc = control_properties_changed(tracker, &snapshot, config, NULL);

	assert_null(ab);
	assert_non_null(bc);
	assert_int_equal(g_variant_n_children(bc), 2); /* WallUsedMs, WallRemainingMs */
	used = lookup(bc, "WallUsedMs");
	assert_int_equal(g_variant_get_uint64(used), 11000);
}

static void test_diff_holds_only_what_changed(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(control_properties_tracker) tracker = control_properties_tracker_new();
	g_autoptr(control_properties_tracker) fresh = control_properties_tracker_new();
	g_autoptr(GVariant) before = control_properties_changed(tracker, &snapshot, config, NULL);
	g_autoptr(GVariant) after = NULL, diff = NULL, all = NULL, depth = NULL;

	(void)state;
	snapshot.depth_um = 400;
	after = control_properties_build(&snapshot, config, NULL);
	diff = control_properties_changed(tracker, &snapshot, config, NULL);
	assert_non_null(diff);
	assert_int_equal(g_variant_n_children(diff), 1);
	depth = lookup(diff, "DepthUm");
	assert_int_equal(g_variant_get_uint32(depth), 400);

	/* Nothing known before: everything is new. */
	all = control_properties_changed(fresh, &snapshot, config, NULL);
	assert_int_equal(g_variant_n_children(all), g_variant_n_children(after));
}

static void test_pedal_state_names_each_case(void **state)
{
	struct engine_snapshot s = { 0 };

	(void)state;
	assert_string_equal(control_pedal_state(&s), "unknown");
	s.pedal_known = true;
	s.pedal_armed = true;
	assert_string_equal(control_pedal_state(&s), "up");
	s.pedal_down = true;
	assert_string_equal(control_pedal_state(&s), "down");
	s.pedal_armed = false;
	assert_string_equal(control_pedal_state(&s), "held-not-armed");
	s.pedal_latched = true;
	assert_string_equal(control_pedal_state(&s), "latched");
	s.pedal_known = false;
	assert_string_equal(control_pedal_state(&s), "unknown");
}

static void test_faults_name_every_active_fault(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(GVariant) properties = NULL, faults = NULL, none = NULL, clean = NULL;
	g_autofree const char **names = NULL;

	(void)state;
	clean = control_properties_build(&snapshot, config, NULL);
	none = lookup(clean, "Faults");
	assert_int_equal(g_variant_n_children(none), 0);

	snapshot.pen_faults = PEN_FAULT_OVERTEMP | PEN_FAULT_MOTOR_STALL;
	snapshot.pen_compatible = false;
	snapshot.depth_fault = true;
	properties = control_properties_build(&snapshot, config, NULL);
	faults = lookup(properties, "Faults");
	names = g_variant_get_strv(faults, NULL);
	assert_int_equal(g_strv_length((char **)names), 4);
	assert_true(g_strv_contains(names, pen_fault_to_string(PEN_FAULT_MOTOR_STALL)));
	assert_true(g_strv_contains(names, pen_fault_to_string(PEN_FAULT_OVERTEMP)));
	assert_true(g_strv_contains(names, "pen-incompatible"));
	assert_true(g_strv_contains(names, "measured-depth-above-limit"));
}

static void test_limits_are_the_smaller_of_role_and_area(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(GVariant) properties = control_properties_build(&snapshot, config, NULL);
	g_autoptr(GVariant) limits = lookup(properties, "Limits");
	GVariantIter iter;
	const char *role, *area;
	guint32 um;
	gsize n = 0;

	(void)state;
	g_variant_iter_init(&iter, limits);
	while (g_variant_iter_next(&iter, "(&s&su)", &role, &area, &um)) {
		const struct penctl_limit *r = penctl_config_find_role(config, role);
		const struct penctl_limit *a = penctl_config_find_area(config, area);

		assert_non_null(r);
		assert_non_null(a);
		assert_int_equal(um, MIN(r->max_depth_um, a->max_depth_um));
		n++;
	}
	assert_int_equal(n, config->roles->len * config->areas->len);
	assert_true(n > 0);
}

static void test_summary_holds_times_depth_strokes_and_stops(void **state)
{
	struct engine_session_summary summary = {
		.session_id = "20260101-100000-abcd",
		.wall_us = S(754) + 1500,
		.needling_us = S(300),
		.max_depth_um = 750,
		.strokes = 4200,
		.above_anesthetic = true,
		.n_cartridges = 2,
		.cartridges = { 0x1, 0xabcdef },
	};
	g_autoptr(GVariant) v = NULL;
	g_autoptr(GVariant) stops = NULL, cartridges = NULL;
	const char *id;
	guint64 wall, needling;
	guint32 depth, strokes, threshold, count;
	gboolean above;
	g_autofree const char **ids = NULL;

	(void)state;
	summary.stops[ENGINE_REASON_PEDAL_RELEASED] = 4;
	summary.stops[ENGINE_REASON_NEEDLING_BUDGET] = 1;
	v = control_summary_to_variant(&summary, 500);
	assert_true(g_variant_lookup(v, PENCTL_SUMMARY_SESSION_ID, "&s", &id));
	assert_string_equal(id, "20260101-100000-abcd");
	assert_true(g_variant_lookup(v, PENCTL_SUMMARY_WALL_MS, "t", &wall));
	assert_int_equal(wall, 754001);
	assert_true(g_variant_lookup(v, PENCTL_SUMMARY_NEEDLING_MS, "t", &needling));
	assert_int_equal(needling, 300000);
	assert_true(g_variant_lookup(v, PENCTL_SUMMARY_MAX_DEPTH_UM, "u", &depth));
	assert_int_equal(depth, 750);
	assert_true(g_variant_lookup(v, PENCTL_SUMMARY_STROKES, "u", &strokes));
	assert_int_equal(strokes, 4200);
	assert_true(g_variant_lookup(v, PENCTL_SUMMARY_ABOVE_ANESTHETIC, "b", &above));
	assert_true(above);
	assert_true(g_variant_lookup(v, PENCTL_SUMMARY_ANESTHETIC_UM, "u", &threshold));
	assert_int_equal(threshold, 500);

	cartridges = g_variant_lookup_value(v, PENCTL_SUMMARY_CARTRIDGES, G_VARIANT_TYPE("as"));
	assert_non_null(cartridges);
	ids = g_variant_get_strv(cartridges, NULL);
	assert_int_equal(g_strv_length((char **)ids), 2);
	assert_string_equal(ids[0], "0000000000000001");
	assert_string_equal(ids[1], "0000000000abcdef");

	stops = g_variant_lookup_value(v, PENCTL_SUMMARY_STOPS, G_VARIANT_TYPE("a{su}"));
	assert_non_null(stops);
	assert_int_equal(g_variant_n_children(stops), 2); /* only reasons that happened */
	assert_true(g_variant_lookup(stops, engine_reason_to_string(ENGINE_REASON_PEDAL_RELEASED),
				     "u", &count));
	assert_int_equal(count, 4);
}

static void test_session_id_is_typeable_and_sortable(void **state)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) t = g_date_time_new(utc, 2026, 1, 24, 10, 30, 5);
	g_autofree char *a = control_session_id_new(t, 0x12345f2a);
	g_autofree char *b = control_session_id_new(t, 7);

	(void)state;
	assert_string_equal(a, "20260124-103005-5f2a");
	assert_string_equal(b, "20260124-103005-0007");
}

static bool holds(GVariant *properties, const char *name, const GVariantType *type)
{
	g_autoptr(GVariant) value = g_variant_lookup_value(properties, name, type);

	return value != NULL;
}

/* The tracker signals each property once per change, whatever kind of
 * value it is: a text, a number, a composite (Faults) or the
 * configuration's tables. */
static void test_every_kind_of_property_is_signalled_when_it_changes(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	g_autoptr(penctl_config) other = penctl_config_new_default();
	g_autoptr(control_properties_tracker) tracker = control_properties_tracker_new();
	struct engine_snapshot snapshot = session_snapshot();
	g_autoptr(GVariant) first = control_properties_changed(tracker, &snapshot, config, NULL);
	g_autoptr(GVariant) operator = NULL, faults = NULL, problem = NULL, limits = NULL;
	char name[] = "bob";

	(void)state;
	/* A text that moved to another buffer but says the same: no change. */
	snapshot.operator_name = g_strdup("alice");
	assert_null(control_properties_changed(tracker, &snapshot, config, NULL));
	g_free((char *)snapshot.operator_name);
	snapshot.operator_name = name;
	operator = control_properties_changed(tracker, &snapshot, config, NULL);
	assert_int_equal(g_variant_n_children(operator), 1);
	assert_true(holds(operator, "Operator", G_VARIANT_TYPE_STRING));

	snapshot.depth_fault = true;
	faults = control_properties_changed(tracker, &snapshot, config, NULL);
	assert_int_equal(g_variant_n_children(faults), 1);
	assert_true(holds(faults, "Faults", G_VARIANT_TYPE_STRING_ARRAY));

	problem = control_properties_changed(tracker, &snapshot, config, &(struct control_daemon_facts){ .config_problem = "line 3: no" });
	assert_int_equal(g_variant_n_children(problem), 1);

	/* Another configuration object with the same content: nothing; a
	 * lower area limit: Areas stay, Limits change. */
	assert_null(control_properties_changed(tracker, &snapshot, other, &(struct control_daemon_facts){ .config_problem = "line 3: no" }));
	((struct penctl_limit *)g_ptr_array_index(other->areas, 0))->max_depth_um = 100;
	limits = control_properties_changed(tracker, &snapshot, other, &(struct control_daemon_facts){ .config_problem = "line 3: no" });
	assert_non_null(limits);
	assert_true(holds(limits, "Limits", G_VARIANT_TYPE("a(ssu)")));
	assert_false(holds(limits, "Areas", NULL));
	assert_false(holds(limits, "Roles", NULL));
	assert_non_null(first);
}

/* A heartbeat is the most frequent engine step (5 Hz while a pen is
 * connected): one that shows nothing new signals nothing. */
static void test_a_heartbeat_step_signals_nothing(void **state)
{
	struct harness *h = harness_new(NULL);
	g_autoptr(control_properties_tracker) tracker = control_properties_tracker_new();
	g_autoptr(GVariant) before = NULL;
	struct engine_snapshot snapshot;
	unsigned heartbeats = 0;

	(void)state;
	harness_ready(h, "home", "face");
	/* Start on a whole second, so the next 0.8 s move no time property. */
	harness_advance(h, G_USEC_PER_SEC - h->now % G_USEC_PER_SEC);
	engine_get_snapshot(h->engine, h->now, &snapshot);
	before = control_properties_changed(tracker, &snapshot, h->config, NULL);
	assert_non_null(before);
	for (int tick = 0; tick < 4; tick++) {
		harness_advance(h, 200000);
		if (harness_find(h, ENGINE_ACTION_HEARTBEAT))
			heartbeats++;
		engine_get_snapshot(h->engine, h->now, &snapshot);
		assert_null(control_properties_changed(tracker, &snapshot, h->config, NULL));
	}
	assert_true(heartbeats > 0);
	harness_free(h);
}

/* A view shows why the motor stopped: the release's record becomes an
 * Event with its kind and reason. */
static void test_a_pedal_release_stop_is_an_event_with_its_reason(void **state)
{
	struct harness *h = harness_new(NULL);
	const struct engine_record *record;
	g_autoptr(GVariant) event = NULL, fields = NULL, depth = NULL;
	const char *kind, *reason;

	(void)state;
	harness_ready(h, "home", "face");
	harness_depth(h, 300);
	harness_pedal(h, true);
	assert_true(harness_motor_on(h));
	harness_advance(h, 2 * G_USEC_PER_SEC);
	harness_pedal(h, false);
	record = harness_find_record(h, ENGINE_RECORD_MOTOR_STOP);
	assert_non_null(record);
	event = g_variant_ref_sink(control_event_to_variant(record));
	assert_string_equal(g_variant_get_type_string(event), "(ssa{sv})");
	g_variant_get(event, "(&s&s@a{sv})", &kind, &reason, &fields);
	assert_string_equal(kind, "motor-stop");
	assert_string_equal(reason, "pedal-released");
	depth = g_variant_lookup_value(fields, PENCTL_EVENT_DEPTH_UM, G_VARIANT_TYPE_UINT32);
	if (record->depth_um)
		assert_int_equal(g_variant_get_uint32(depth), record->depth_um);
	harness_free(h);
}

/* The signal the daemon emits is the one the XML declares. */
static void test_the_event_signal_is_declared(void **state)
{
	GDBusInterfaceInfo *iface = (GDBusInterfaceInfo *)&io_penctld_penctl1_interface;
	GDBusSignalInfo *signal = g_dbus_interface_info_lookup_signal(iface, "Event");
	struct engine_record record = { .kind = ENGINE_RECORD_LIMIT_WARNING,
					.reason = ENGINE_REASON_WALL_BUDGET,
					.used_us = S(54), .budget_us = S(60), .percent = 90,
					.pen_faults = PEN_FAULT_OVERTEMP, .cartridge = 0x42,
					.detail = "x" };
	g_autoptr(GVariant) event = g_variant_ref_sink(control_event_to_variant(&record));
	g_autoptr(GVariant) fields = g_variant_get_child_value(event, 2);
	GString *declared = g_string_new("(");

	(void)state;
	assert_non_null(signal);
	for (GDBusArgInfo **arg = signal->args; arg && *arg; arg++)
		g_string_append(declared, (*arg)->signature);
	g_string_append_c(declared, ')');
	assert_string_equal(g_variant_get_type_string(event), declared->str);
	g_string_free(declared, TRUE);
	assert_int_equal(g_variant_n_children(fields), 6);
}

/* The conditions outside the engine are a property: set one, and it is
 * signalled with its words; nothing changes, nothing is signalled; cleared,
 * the list is empty again. */
static void test_conditions_are_signalled_when_they_change(void **state)
{
	g_autoptr(control_properties_tracker) tracker = control_properties_tracker_new();
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct engine_snapshot snapshot = session_snapshot();
	struct penctl_conditions *conditions = penctl_conditions_new();
	struct control_daemon_facts facts = { .conditions = conditions };
	g_autoptr(GVariant) first = NULL, set = NULL, cleared = NULL, list = NULL;
	const char *name, *meaning, *fix;

	(void)state;
	first = control_properties_changed(tracker, &snapshot, config, &facts);
	list = lookup(first, "Conditions");
	assert_int_equal(g_variant_n_children(list), 0);
	g_clear_pointer(&list, g_variant_unref);

	penctl_conditions_set(conditions, PENCTL_CONDITION_PEDAL_MISSING, "no /dev/gpiochip0");
	set = control_properties_changed(tracker, &snapshot, config, &facts);
	assert_int_equal(g_variant_n_children(set), 1);
	list = lookup(set, "Conditions");
	assert_int_equal(g_variant_n_children(list), 1);
	g_variant_get_child(list, 0, "(&s&s&s)", &name, &meaning, &fix);
	assert_string_equal(name, "pedal-missing");
	assert_non_null(strstr(meaning, "no /dev/gpiochip0"));
	assert_null(control_properties_changed(tracker, &snapshot, config, &facts));

	penctl_conditions_clear(conditions, PENCTL_CONDITION_PEDAL_MISSING);
	cleared = control_properties_changed(tracker, &snapshot, config, &facts);
	assert_non_null(cleared);
	g_clear_pointer(&list, g_variant_unref);
	list = lookup(cleared, "Conditions");
	assert_int_equal(g_variant_n_children(list), 0);
	penctl_conditions_free(conditions);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions_are_signalled_when_they_change),
		cmocka_unit_test(test_every_declared_property_is_served_with_its_type),
		cmocka_unit_test(test_every_method_of_the_issue_is_declared),
		cmocka_unit_test(test_config_problem_is_empty_unless_the_file_was_rejected),
		cmocka_unit_test(test_used_list_untrusted_shows_the_snapshot),
		cmocka_unit_test(test_properties_show_the_snapshot),
		cmocka_unit_test(test_no_cartridge_and_no_session_read_as_empty),
		cmocka_unit_test(test_time_moves_in_whole_seconds),
		cmocka_unit_test(test_time_properties_change_at_most_once_a_second),
		cmocka_unit_test(test_diff_holds_only_what_changed),
		cmocka_unit_test(test_pedal_state_names_each_case),
		cmocka_unit_test(test_faults_name_every_active_fault),
		cmocka_unit_test(test_limits_are_the_smaller_of_role_and_area),
		cmocka_unit_test(test_summary_holds_times_depth_strokes_and_stops),
		cmocka_unit_test(test_session_id_is_typeable_and_sortable),
		cmocka_unit_test(test_every_kind_of_property_is_signalled_when_it_changes),
		cmocka_unit_test(test_a_heartbeat_step_signals_nothing),
		cmocka_unit_test(test_a_pedal_release_stop_is_an_event_with_its_reason),
		cmocka_unit_test(test_the_event_signal_is_declared),
	};

	return cmocka_run_group_tests_name("control-properties", tests, NULL, NULL);
}
