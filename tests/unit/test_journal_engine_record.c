/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Engine records to journal records: every kind has a MESSAGE_ID, the
 * fields carry the engine's numbers, the message reads well.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <syslog.h>

#include "penctl/journal_engine_record.h"
#include "penctl/message_ids.h"

#define MINUTES_US(m) ((int64_t)(m) * 60 * G_USEC_PER_SEC)

static const struct engine_snapshot session_snapshot = {
	.state = ENGINE_STATE_READY,
	.pen_connected = true,
	.pen_compatible = true,
	.pen_address = "AA:BB:CC:DD:EE:01",
	.battery_percent = PEN_BATTERY_UNKNOWN,
	.cartridge = 0x4d2,
	.session_open = true,
	.session_id = "S-0001",
	.operator_name = "alice",
	.role = "home",
	.area = "face",
	.client_ref = "",
	.depth_um = 500,
	.limit_um = 500,
	.speed = 5,
};

static struct journal_record *from_engine_or_fail(const struct engine_record *record,
						  const struct engine_snapshot *snapshot,
						  const struct journal_caller *caller)
{
	g_autoptr(GError) error = NULL;
	struct journal_record *built = journal_record_from_engine(record, snapshot, caller, &error);

	if (!built)
		fail_msg("journal_record_from_engine: %s", error->message);
	return built;
}

static void assert_field(const struct journal_record *record, const char *key,
			 const char *expected)
{
	const char *value = journal_record_get(record, key);

	if (!value)
		fail_msg("field %s missing, expected \"%s\"", key, expected);
	assert_string_equal(value, expected);
}

static const char *id_of(const char *event)
{
	const struct penctl_message_id *known = penctl_message_id_lookup(event);

	assert_non_null(known);
	return known->message_id;
}

static void spent_budget_is_a_limit_reached_record_of_the_session(void **state)
{
	const struct engine_record record = {
		.kind = ENGINE_RECORD_LIMIT_REACHED,
		.reason = ENGINE_REASON_NEEDLING_BUDGET,
		.used_us = MINUTES_US(20),
		.budget_us = MINUTES_US(20),
	};
	g_autoptr(journal_record) built = from_engine_or_fail(&record, &session_snapshot, NULL);

	(void)state;
	assert_field(built, "MESSAGE", "Needling budget spent (20:00 of 20:00): motor stopped, "
				       "session locked");
	assert_field(built, "MESSAGE_ID", id_of("limit-reached"));
	assert_field(built, "PENCTL_EVENT", "limit-reached");
	assert_field(built, "PENCTL_REASON", "needling-budget");
	assert_field(built, "PENCTL_SESSION", "S-0001");
	assert_field(built, "PENCTL_OPERATOR", "alice");
	assert_field(built, "PENCTL_ROLE", "home");
	assert_field(built, "PENCTL_AREA", "face");
	assert_field(built, "PENCTL_PEN", "AA:BB:CC:DD:EE:01");
	assert_field(built, "PENCTL_CARTRIDGE", "00000000000004d2");
	assert_field(built, "PENCTL_USED_MS", "1200000");
	assert_field(built, "PENCTL_BUDGET_MS", "1200000");
	assert_null(journal_record_get(built, "PENCTL_CLIENT_REF"));
	assert_null(journal_record_get(built, "PENCTL_DEPTH_UM"));
}

static void forced_motor_stop_is_a_notice_with_the_numbers(void **state)
{
	const struct engine_record forced = {
		.kind = ENGINE_RECORD_MOTOR_STOP,
		.reason = ENGINE_REASON_NEEDLING_BUDGET,
		.used_us = MINUTES_US(20),
		.budget_us = MINUTES_US(20),
	};
	const struct engine_record normal = {
		.kind = ENGINE_RECORD_MOTOR_STOP,
		.reason = ENGINE_REASON_PEDAL_RELEASED,
		.used_us = MINUTES_US(3) + 5 * G_USEC_PER_SEC,
		.budget_us = MINUTES_US(20),
	};
	g_autoptr(journal_record) forced_record = from_engine_or_fail(&forced, &session_snapshot,
								      NULL);
	g_autoptr(journal_record) normal_record = from_engine_or_fail(&normal, &session_snapshot,
								      NULL);

	(void)state;
	assert_field(forced_record, "MESSAGE",
		     "Motor stopped: needling budget spent (20:00 of 20:00)");
	assert_field(forced_record, "PRIORITY", "5");
	assert_field(forced_record, "PENCTL_EVENT", "motor-stop");
	assert_field(forced_record, "MESSAGE_ID", id_of("motor-stop"));
	assert_field(normal_record, "MESSAGE",
		     "Motor stopped: pedal released (needling 3:05 of 20:00)");
	assert_field(normal_record, "PRIORITY", "6");
	assert_field(normal_record, "PENCTL_REASON", "pedal-released");
	assert_field(normal_record, "PENCTL_USED_MS", "185000");
}

static void depth_refusal_names_the_limit_role_and_area(void **state)
{
	const struct engine_record record = {
		.kind = ENGINE_RECORD_DEPTH_REFUSED,
		.reason = ENGINE_REASON_DEPTH_ABOVE_LIMIT,
		.depth_um = 1200,
		.limit_um = 500,
	};
	const struct journal_caller caller = { .name = ":1.42", .uid = JOURNAL_NUMBER(1000) };
	g_autoptr(journal_record) built = from_engine_or_fail(&record, &session_snapshot, &caller);

	(void)state;
	assert_field(built, "MESSAGE",
		     "Depth 1.20 mm refused: above the limit 0.50 mm (role home, area face)");
	assert_field(built, "PENCTL_EVENT", "depth-refused");
	assert_field(built, "PENCTL_REASON", "depth-above-limit");
	assert_field(built, "PENCTL_DEPTH_UM", "1200");
	assert_field(built, "PENCTL_LIMIT_UM", "500");
	assert_field(built, "PENCTL_CALLER", ":1.42");
	assert_field(built, "PENCTL_CALLER_UID", "1000");
	assert_field(built, "PRIORITY", "4");
}

static void session_end_record_carries_the_summary(void **state)
{
	struct engine_session_summary summary = {
		.session_id = "S-0001",
		.wall_us = MINUTES_US(14) + 2 * G_USEC_PER_SEC,
		.needling_us = MINUTES_US(9) + 45 * G_USEC_PER_SEC,
		.max_depth_um = 1200,
		.strokes = 312,
		.n_cartridges = 2,
		.cartridges = { 0x4d2, 0x162e },
	};
	const struct engine_record record = {
		.kind = ENGINE_RECORD_SESSION_END,
		.reason = ENGINE_REASON_SESSION_STOPPED,
		.summary = &summary,
	};
	/* After the step the session is gone from the snapshot. */
	const struct engine_snapshot closed = {
		.pen_address = "AA:BB:CC:DD:EE:01",
		.battery_percent = PEN_BATTERY_UNKNOWN,
		.session_id = "",
		.operator_name = "",
		.role = "",
		.area = "",
		.client_ref = "",
	};
	g_autoptr(journal_record) built = NULL;

	(void)state;
	summary.stops[ENGINE_REASON_PEDAL_RELEASED] = 4;
	summary.stops[ENGINE_REASON_NEEDLING_BUDGET] = 1;
	built = from_engine_or_fail(&record, &closed, NULL);
	assert_field(built, "MESSAGE_ID", id_of("session-end"));
	assert_field(built, "PENCTL_SESSION", "S-0001");
	assert_field(built, "PENCTL_WALL_MS", "842000");
	assert_field(built, "PENCTL_NEEDLING_MS", "585000");
	assert_field(built, "PENCTL_MAX_DEPTH_UM", "1200");
	assert_field(built, "PENCTL_STROKES", "312");
	assert_field(built, "PENCTL_CARTRIDGES", "00000000000004d2 000000000000162e");
	assert_field(built, "PENCTL_STOPS", "pedal-released=4 needling-budget=1");
	assert_field(built, "MESSAGE",
		     "Session S-0001 ended: 14:02 in all, 9:45 needling, deepest 1.20 mm, "
		     "312 strokes, stops: pedal-released=4 needling-budget=1");
}

static void pen_fault_record_names_the_fault_bits(void **state)
{
	const struct engine_record record = {
		.kind = ENGINE_RECORD_FAULT,
		.reason = ENGINE_REASON_PEN_FAULT,
		.pen_faults = PEN_FAULT_MOTOR_STALL | PEN_FAULT_OVERTEMP,
	};
	g_autoptr(journal_record) built = from_engine_or_fail(&record, &session_snapshot, NULL);

	(void)state;
	assert_field(built, "PENCTL_EVENT", "fault");
	assert_field(built, "PENCTL_PEN_FAULTS", "0x0003");
	assert_field(built, "MESSAGE", "Pen fault: motor-stall, overtemp");
	assert_field(built, "PRIORITY", "3");
}

static void measured_depth_fault_gives_depth_and_limit(void **state)
{
	const struct engine_record record = {
		.kind = ENGINE_RECORD_FAULT,
		.reason = ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT,
		.depth_um = 1200,
		.limit_um = 500,
	};
	const struct engine_record cleared = {
		.kind = ENGINE_RECORD_FAULT_CLEARED,
		.reason = ENGINE_REASON_PEN_FAULT,
		.pen_faults = PEN_FAULT_OVERTEMP,
	};
	g_autoptr(journal_record) built = from_engine_or_fail(&record, &session_snapshot, NULL);
	g_autoptr(journal_record) built_cleared = from_engine_or_fail(&cleared, &session_snapshot,
								      NULL);

	(void)state;
	assert_field(built, "MESSAGE", "Pen fault: measured depth 1.20 mm above the limit 0.50 mm");
	assert_field(built, "PENCTL_REASON", "pen-depth-above-limit");
	assert_field(built, "PENCTL_PEN_FAULTS", "0x0000");
	assert_field(built_cleared, "MESSAGE", "Pen fault cleared: overtemp");
	assert_field(built_cleared, "PENCTL_EVENT", "fault-cleared");
	assert_field(built_cleared, "PENCTL_PEN_FAULTS", "0x0002");
}

static void incompatible_pen_has_its_own_event(void **state)
{
	const struct engine_record record = {
		.kind = ENGINE_RECORD_FAULT,
		.reason = ENGINE_REASON_PEN_INCOMPATIBLE,
		.detail = "no Depth characteristic",
	};
	g_autoptr(journal_record) built = from_engine_or_fail(&record, &session_snapshot, NULL);

	(void)state;
	assert_field(built, "PENCTL_EVENT", "pen-incompatible");
	assert_field(built, "MESSAGE_ID", id_of("pen-incompatible"));
	assert_field(built, "PENCTL_DETAIL", "no Depth characteristic");
	assert_field(built, "MESSAGE",
		     "Pen AA:BB:CC:DD:EE:01 is not compatible: no Depth characteristic");
}

static void limit_warning_gives_the_percentage(void **state)
{
	const struct engine_record record = {
		.kind = ENGINE_RECORD_LIMIT_WARNING,
		.reason = ENGINE_REASON_WALL_BUDGET,
		.used_us = MINUTES_US(24),
		.budget_us = MINUTES_US(30),
		.percent = 80,
	};
	g_autoptr(journal_record) built = from_engine_or_fail(&record, &session_snapshot, NULL);

	(void)state;
	assert_field(built, "MESSAGE", "Session time budget 80% used (24:00 of 30:00)");
	assert_field(built, "PENCTL_PERCENT", "80");
	assert_field(built, "PENCTL_EVENT", "limit-warning");
}

static void every_engine_record_kind_becomes_a_journal_record(void **state)
{
	struct engine_session_summary summary = { .session_id = "S-0001" };

	(void)state;
	for (int kind = 0; kind < ENGINE_RECORD_KIND_COUNT; kind++) {
		const struct engine_record record = {
			.kind = (enum engine_record_kind)kind,
			.summary = kind == ENGINE_RECORD_SESSION_END ? &summary : NULL,
		};
		const char *event = engine_record_kind_to_string(record.kind);
		g_autoptr(journal_record) built = NULL;

		if (!penctl_message_id_lookup(event))
			fail_msg("engine record kind %d (%s) has no MESSAGE_ID", kind, event);
		built = from_engine_or_fail(&record, &session_snapshot, NULL);
		assert_field(built, "PENCTL_EVENT", event);
		assert_field(built, "MESSAGE_ID", id_of(event));
		assert_true(strlen(journal_record_get(built, "MESSAGE")) > 10);
	}
}

/* Drive the real engine through a treatment and journal every record it
 * makes, as the daemon does: each must build, with its own event. */
struct treatment {
	struct engine *engine;
	int64_t now;
	GPtrArray *events; /* PENCTL_EVENT of every record, in order */
};

static void treatment_step(struct treatment *t, struct engine_event event)
{
	struct engine_output out = { 0 };
	struct engine_snapshot snapshot;

	event.time_us = t->now;
	engine_step(t->engine, &event, &out);
	engine_get_snapshot(t->engine, t->now, &snapshot);
	for (unsigned i = 0; i < out.n_actions; i++) {
		g_autoptr(journal_record) built = NULL;

		if (out.actions[i].kind != ENGINE_ACTION_RECORD)
			continue;
		built = from_engine_or_fail(&out.actions[i].record, &snapshot, NULL);
		g_ptr_array_add(t->events, g_strdup(journal_record_get(built, "PENCTL_EVENT")));
	}
	/* As the daemon and a willing pen answer: the cartridge is saved, the RUN taken. */
	for (unsigned i = 0; i < out.n_actions; i++) {
		struct engine_event answer = { .kind = ENGINE_EVENT_TICK };

		if (out.actions[i].kind == ENGINE_ACTION_CARTRIDGE_USED) {
			answer.kind = ENGINE_EVENT_CARTRIDGE_RECORDED;
			answer.cartridge_recorded.cartridge = out.actions[i].cartridge;
			answer.cartridge_recorded.saved = true;
		} else if (out.actions[i].kind == ENGINE_ACTION_MOTOR_RUN) {
			answer.kind = ENGINE_EVENT_PEN_RUN_CONFIRMED;
			answer.run_seq = out.actions[i].motor.seq;
		} else {
			continue;
		}
		treatment_step(t, answer);
	}
}

static bool events_contain(const GPtrArray *events, const char *event)
{
	for (guint i = 0; i < events->len; i++) {
		if (strcmp(events->pdata[i], event) == 0)
			return true;
	}
	return false;
}

static void whole_treatment_leaves_a_structured_record_of_each_event(void **state)
{
	g_autoptr(penctl_config) config = penctl_config_new_default();
	struct treatment t = { .now = 1000000, .events = g_ptr_array_new_with_free_func(g_free) };
	static const char *const expected[] = {
		"pen-connected", "session-start", "depth-set", "motor-start", "limit-warning",
		"limit-reached", "motor-stop", "session-end",
	};
	struct engine_event ev;

	(void)state;
	t.engine = engine_new(config, t.now);

	ev = (struct engine_event){ .kind = ENGINE_EVENT_PEN_CONNECTED };
	ev.pen_connected.address = "AA:BB:CC:DD:EE:01";
	ev.pen_connected.compatible = true;
	ev.pen_connected.cartridge = (struct pen_cartridge){ .id = 0x4d2, .needle_count = 12,
							     .max_depth_um = 2500 };
	treatment_step(&t, ev);

	ev = (struct engine_event){ .kind = ENGINE_EVENT_SESSION_START, .caller = ":1.42" };
	ev.session_start.session_id = "S-0001";
	ev.session_start.operator_name = "alice";
	ev.session_start.role = "dermatologist";
	ev.session_start.area = "face";
	ev.session_start.contraindications_checked = true;
	treatment_step(&t, ev);

	ev = (struct engine_event){ .kind = ENGINE_EVENT_PEDAL_UP };
	treatment_step(&t, ev);
	t.now += G_USEC_PER_SEC;
	ev = (struct engine_event){ .kind = ENGINE_EVENT_PEDAL_DOWN };
	treatment_step(&t, ev);

	/* Far past the needling budget: the engine stops and locks. */
	t.now += (int64_t)config->max_needling_ms * 1000 + G_USEC_PER_SEC;
	ev = (struct engine_event){ .kind = ENGINE_EVENT_TICK };
	treatment_step(&t, ev);

	ev = (struct engine_event){ .kind = ENGINE_EVENT_SESSION_STOP, .caller = ":1.42" };
	treatment_step(&t, ev);

	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
		if (!events_contain(t.events, expected[i])) {
			g_autofree char *seen = NULL;

			g_ptr_array_add(t.events, NULL);
			seen = g_strjoinv(" ", (char **)t.events->pdata);
			fail_msg("no %s record; records were: %s", expected[i], seen);
		}
	}
	engine_free(t.engine);
	g_ptr_array_unref(t.events);
}

static void session_start_record_says_what_the_session_was_opened_under(void **state)
{
	const struct engine_record record = {
		.kind = ENGINE_RECORD_SESSION_START,
		.depth_um = 300,
		.limit_um = 500,
	};
	const struct engine_snapshot open = {
		.pen_address = "AA:BB:CC:DD:EE:01",
		.battery_percent = PEN_BATTERY_UNKNOWN,
		.session_open = true,
		.session_id = "S-0002",
		.operator_name = "alice",
		.role = "home",
		.area = "face",
		.client_ref = "",
		.wall_budget_us = MINUTES_US(30),
		.needling_budget_us = MINUTES_US(20),
		.anesthetic_advisory_above_um = 500,
	};
	g_autoptr(journal_record) built = NULL;
	g_autoptr(journal_record) stop = NULL;
	const struct engine_record motor_stop = {
		.kind = ENGINE_RECORD_MOTOR_STOP,
		.reason = ENGINE_REASON_PEDAL_RELEASED,
	};

	(void)state;
	built = from_engine_or_fail(&record, &open, NULL);
	assert_field(built, "MESSAGE_ID", id_of("session-start"));
	/* A treatment record a clinic can file: the confirmation and the
	 * budgets and threshold in force, not only when a limit is reached. */
	assert_field(built, "PENCTL_CONTRAINDICATIONS", "checked");
	assert_field(built, "PENCTL_WALL_BUDGET_MS", "1800000");
	assert_field(built, "PENCTL_NEEDLING_BUDGET_MS", "1200000");
	assert_field(built, "PENCTL_ANESTHETIC_UM", "500");
	/* Other records do not repeat them. */
	stop = from_engine_or_fail(&motor_stop, &open, NULL);
	assert_null(journal_record_get(stop, "PENCTL_CONTRAINDICATIONS"));
	assert_null(journal_record_get(stop, "PENCTL_WALL_BUDGET_MS"));
}

/* Every reason has its row in the one table: a stable name, unique, and
 * words; a reason added without a row fails here. */
static void every_reason_has_a_name_and_words(void **state)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	(void)state;
	for (int r = 0; r < ENGINE_REASON_COUNT; r++) {
		const char *name = engine_reason_to_string((enum engine_reason)r);

		assert_string_not_equal(name, "unknown");
		assert_string_not_equal(engine_reason_phrase((enum engine_reason)r),
					"unknown reason");
		assert_false(g_hash_table_contains(seen, name));
		g_hash_table_add(seen, (gpointer)name);
	}
	assert_string_equal(engine_reason_to_string(ENGINE_REASON_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_reason_has_a_name_and_words),
		cmocka_unit_test(spent_budget_is_a_limit_reached_record_of_the_session),
		cmocka_unit_test(forced_motor_stop_is_a_notice_with_the_numbers),
		cmocka_unit_test(depth_refusal_names_the_limit_role_and_area),
		cmocka_unit_test(session_end_record_carries_the_summary),
		cmocka_unit_test(session_start_record_says_what_the_session_was_opened_under),
		cmocka_unit_test(pen_fault_record_names_the_fault_bits),
		cmocka_unit_test(measured_depth_fault_gives_depth_and_limit),
		cmocka_unit_test(incompatible_pen_has_its_own_event),
		cmocka_unit_test(limit_warning_gives_the_percentage),
		cmocka_unit_test(every_engine_record_kind_becomes_a_journal_record),
		cmocka_unit_test(whole_treatment_leaves_a_structured_record_of_each_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
