// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session engine, one test per safety rule and edge.  Test names follow
 * the rule they check (issue "Foundation", rules 1-9).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine_harness.h"

#define SEC INT64_C(1000000)
#define MINUTE (60 * SEC)

static int setup(void **state)
{
	*state = harness_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	return 0;
}

static struct pen_status running_status(struct harness *h, bool running, uint16_t depth)
{
	struct pen_status st = {
		.motor_running = running,
		.control_seq = harness_last_seq(h),
		.depth_um = depth,
		.speed = 100,
		.battery_percent = 80,
	};
	return st;
}

/* Rule 1: every condition holds -> the press runs the motor. */
static void rule1_motor_runs_when_every_condition_holds(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	assert_true(harness_motor_on(h));
	assert_non_null(harness_find_record(h, ENGINE_RECORD_MOTOR_START));
}

static void rule1_no_session_no_motor(void **state)
{
	struct harness *h = *state;
	const struct engine_record *r;

	harness_pedal(h, false);
	harness_connect(h, 0x1111, 3000);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	r = harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED);
	assert_non_null(r);
	assert_int_equal(r->reason, ENGINE_REASON_NO_SESSION);
}

static void rule1_no_pen_no_motor(void **state)
{
	struct harness *h = *state;

	harness_pedal(h, false);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_PEN_DISCONNECTED);
}

static void rule1_no_cartridge_no_motor(void **state)
{
	struct harness *h = *state;

	harness_pedal(h, false);
	harness_connect(h, 0, 0);
	harness_start_session(h, "home", "face");
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_NO_CARTRIDGE);
}

static void rule1_incompatible_pen_never_runs(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CONNECTED };
	const struct engine_record *r;

	harness_pedal(h, false);
	/* The session opens first: with the pen already connected, the start
	 * itself is refused (incompatible-pen-refuses-a-session). */
	harness_start_session(h, "home", "face");
	ev.pen_connected.address = "AA:BB:CC:DD:EE:01";
	ev.pen_connected.compatible = false;
	ev.pen_connected.incompatibility = "no Heartbeat characteristic";
	ev.pen_connected.cartridge.id = 7;
	ev.pen_connected.cartridge.max_depth_um = 3000;
	harness_step(h, &ev);
	r = harness_find_record(h, ENGINE_RECORD_FAULT);
	assert_non_null(r);
	assert_int_equal(r->reason, ENGINE_REASON_PEN_INCOMPATIBLE);
	assert_string_equal(r->detail, "no Heartbeat characteristic");
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_PEN_INCOMPATIBLE);
}

/* A session cannot open with an incompatible pen connected (it could never
 * run); the refusal and the snapshot say why.  Without a pen it may open. */
static void rule1_incompatible_pen_refuses_a_session(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CONNECTED };
	const struct engine_reply *r;
	struct engine_snapshot s;

	harness_pedal(h, false);
	ev.pen_connected.address = "AA:BB:CC:DD:EE:01";
	ev.pen_connected.compatible = false;
	ev.pen_connected.incompatibility = "no Heartbeat characteristic";
	ev.pen_connected.cartridge.id = 7;
	ev.pen_connected.cartridge.max_depth_um = 3000;
	harness_step(h, &ev);
	engine_get_snapshot(h->engine, 0, &s);
	assert_false(s.pen_compatible);
	assert_string_equal(s.pen_incompatibility, "no Heartbeat characteristic");
	r = harness_start_session(h, "home", "face");
	assert_int_equal(r->refusal, ENGINE_REASON_PEN_INCOMPATIBLE);
	assert_non_null(strstr(r->message, "no Heartbeat characteristic"));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_SESSION_REFUSED)->reason,
			 ENGINE_REASON_PEN_INCOMPATIBLE);
	engine_get_snapshot(h->engine, 0, &s);
	assert_false(s.session_open);
	/* A compatible pen clears the reason. */
	harness_connect(h, 0x1111, 3000);
	engine_get_snapshot(h->engine, 0, &s);
	assert_true(s.pen_compatible);
	assert_string_equal(s.pen_incompatibility, "");
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
}

static void rule1_pen_protocol_error_stops_until_reconnect(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_PROTOCOL_ERROR };

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	ev.lost.reason = "status: wrong length";
	harness_step(h, &ev);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_INCOMPATIBLE);
	assert_string_equal(harness_find_record(h, ENGINE_RECORD_FAULT)->detail,
			    "status: wrong length");
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	harness_disconnect(h);
	harness_connect(h, 0x1111, 3000);
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

static void rule1_distrusted_pen_gets_stop_and_no_heartbeats(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_PROTOCOL_ERROR };

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	harness_pedal(h, false);
	/* The STOP was refused: the motor state is unknown. */
	ev.lost.reason = "control write refused";
	harness_step(h, &ev);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_INCOMPATIBLE);
	assert_non_null(harness_find(h, ENGINE_ACTION_DROP_LINK));
	for (int i = 0; i < 10; i++) {
		harness_advance(h, 200000);
		assert_null(harness_find(h, ENGINE_ACTION_HEARTBEAT));
	}
	/* A fresh connection is trusted again. */
	harness_disconnect(h);
	harness_connect(h, 0x1111, 3000);
	assert_non_null(harness_find(h, ENGINE_ACTION_HEARTBEAT));
}

static void rule1_pen_running_unasked_is_a_runaway(void **state)
{
	struct harness *h = *state;
	struct pen_status st = { .motor_running = true, .control_seq = 4242, .battery_percent = 90 };

	harness_ready(h, "home", "face");
	/* Right after connecting the pen may still report an old state... */
	harness_status(h, &st);
	assert_null(harness_find(h, ENGINE_ACTION_DROP_LINK));
	/* ...but not a second later. */
	harness_advance(h, 1000000);
	harness_status(h, &st);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_FAULT)->reason,
			 ENGINE_REASON_PEN_RUNAWAY);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_RUNAWAY);
	assert_non_null(harness_find(h, ENGINE_ACTION_DROP_LINK));
}

static void rule8_cartridge_put_back_is_read_before_the_motor_runs(void **state)
{
	struct harness *h = *state;
	struct pen_status st = { .battery_percent = 90, .depth_um = 300 };
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CARTRIDGE };

	engine_mark_cartridge_used(h->engine, 0x7777);
	harness_ready(h, "home", "face");
	st.control_seq = (uint16_t)0;
	st.fault_bits = PEN_FAULT_CARTRIDGE_MISSING;
	harness_status(h, &st);
	st.fault_bits = 0;
	harness_status(h, &st);
	assert_non_null(harness_find(h, ENGINE_ACTION_READ_CARTRIDGE));
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_NO_CARTRIDGE);
	/* The read shows yesterday's cartridge: refused. */
	ev.pen_cartridge.id = 0x7777;
	ev.pen_cartridge.needle_count = 12;
	ev.pen_cartridge.max_depth_um = 3000;
	harness_step(h, &ev);
	assert_non_null(harness_find_record(h, ENGINE_RECORD_CARTRIDGE_REFUSED));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_CARTRIDGE_USED);
}

static void rule1_another_pen_waits_for_the_next_session(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CONNECTED };
	const struct engine_record *r;

	harness_ready(h, "home", "face");
	harness_disconnect(h);
	ev.pen_connected.address = "AA:BB:CC:DD:EE:02";
	ev.pen_connected.compatible = true;
	ev.pen_connected.cartridge.id = 0x4444;
	ev.pen_connected.cartridge.needle_count = 12;
	ev.pen_connected.cartridge.max_depth_um = 3000;
	harness_step(h, &ev);
	r = harness_find_record(h, ENGINE_RECORD_FAULT);
	assert_non_null(r);
	assert_int_equal(r->reason, ENGINE_REASON_PEN_INCOMPATIBLE);
	assert_non_null(strstr(r->detail, "AA:BB:CC:DD:EE:01"));
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	harness_pedal(h, false);
	harness_stop_session(h);
	harness_step(h, &ev); /* reconnects: a new session may use it */
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

/* Rule 2: a condition lost -> stop in the same step, with the reason. */
static void rule2_pedal_release_stops_at_once(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	harness_pedal(h, false);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEDAL_RELEASED);
	assert_false(harness_motor_on(h));
}

static void rule2_pen_disconnect_stops(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	harness_disconnect(h);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_DISCONNECTED);
	assert_non_null(harness_find_record(h, ENGINE_RECORD_PEN_DISCONNECTED));
	assert_false(harness_motor_on(h));
}

static void rule2_pedal_lost_stops(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEDAL_LOST };

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	ev.lost.reason = "gpiochip0 gone";
	harness_step(h, &ev);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEDAL_LOST);
	assert_string_equal(harness_find_record(h, ENGINE_RECORD_PEDAL_LOST)->detail,
			    "gpiochip0 gone");
}

static void rule2_pen_fault_stops(void **state)
{
	struct harness *h = *state;
	struct pen_status st;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	st = running_status(h, true, 300);
	st.fault_bits = PEN_FAULT_OVERTEMP;
	harness_status(h, &st);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_FAULT);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_FAULT)->pen_faults,
			 PEN_FAULT_OVERTEMP);
}

static void rule2_session_stop_stops(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	harness_stop_session(h);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_SESSION_STOPPED);
}

static void rule2_pen_stopping_by_itself_is_a_stop(void **state)
{
	struct harness *h = *state;
	struct pen_status st;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	st = running_status(h, false, 300);
	st.stop_cause = PEN_STOP_WATCHDOG;
	harness_status(h, &st);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_STOPPED);
	assert_false(harness_motor_on(h));
}

static void rule2_stale_status_is_ignored(void **state)
{
	struct harness *h = *state;
	struct pen_status st;
	uint16_t run_seq;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	run_seq = harness_last_seq(h);
	/* A notification sent before the pen applied RUN. */
	st = running_status(h, false, 300);
	st.control_seq = (uint16_t)(run_seq - 1);
	harness_status(h, &st);
	assert_int_equal(harness_stop_reason(h), -1);
	assert_true(harness_motor_on(h));
}

static void rule2_runaway_pen_is_told_to_stop_again(void **state)
{
	struct harness *h = *state;
	struct pen_status st;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	harness_pedal(h, false);
	st = running_status(h, true, 300);
	harness_status(h, &st);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_RUNAWAY);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_FAULT)->reason,
			 ENGINE_REASON_PEN_RUNAWAY);
}

/* Rule 3: a pedal held at these moments is ignored until seen released. */
static void rule3_pedal_held_at_startup_is_ignored(void **state)
{
	struct harness *h = *state;

	harness_pedal(h, true); /* first level read: already down */
	harness_connect(h, 0x1111, 3000);
	harness_start_session(h, "home", "face");
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

static void rule3_pedal_held_at_pen_connect_is_ignored(void **state)
{
	struct harness *h = *state;

	harness_pedal(h, false);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true); /* refused: no pen */
	harness_pedal(h, false);
	harness_pedal(h, true); /* refused again, still held */
	harness_connect(h, 0x1111, 3000);
	assert_false(harness_motor_on(h));
	harness_advance(h, SEC);
	assert_false(harness_motor_on(h));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

static void rule3_pedal_held_at_session_open_is_ignored(void **state)
{
	struct harness *h = *state;

	harness_pedal(h, false);
	harness_connect(h, 0x1111, 3000);
	harness_pedal(h, true);
	harness_start_session(h, "home", "face");
	assert_false(harness_motor_ran(h));
	harness_advance(h, SEC);
	assert_false(harness_motor_on(h));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

static void rule3_pedal_held_after_fault_stop_is_ignored(void **state)
{
	struct harness *h = *state;
	struct pen_status st;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	st = running_status(h, true, 300);
	st.fault_bits = PEN_FAULT_MOTOR_STALL;
	harness_status(h, &st);
	st.fault_bits = 0;
	st.motor_running = false;
	st.control_seq = harness_last_seq(h);
	harness_status(h, &st); /* fault cleared, pedal still held */
	assert_non_null(harness_find_record(h, ENGINE_RECORD_FAULT_CLEARED));
	assert_false(harness_motor_on(h));
	harness_pedal(h, true); /* a duplicate down changes nothing */
	assert_false(harness_motor_ran(h));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

static void rule3_refused_press_never_starts_later(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "home", "face");
	harness_disconnect(h);
	harness_pedal(h, true); /* refused: pen gone */
	harness_connect(h, 0x1111, 3000);
	harness_advance(h, SEC);
	assert_false(harness_motor_on(h));
}

static void rule3_pedal_held_after_limit_stop_is_ignored(void **state)
{
	struct harness *h = harness_new("[Session]\nMaxMinutes=10\nMaxNeedlingMinutes=1\n"
					"[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n");

	(void)state;
	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	harness_advance(h, MINUTE);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_NEEDLING_BUDGET);
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_NEEDLING_BUDGET);
	harness_free(h);
}

/* Rule 4: depth requests. */
static void rule4_depth_above_limit_is_refused_with_the_numbers(void **state)
{
	struct harness *h = *state;
	const struct engine_reply *r;

	harness_ready(h, "home", "face");
	r = harness_depth(h, 1200);
	assert_int_equal(r->refusal, ENGINE_REASON_DEPTH_ABOVE_LIMIT);
	assert_non_null(strstr(r->message, "1.20 mm is above the limit 0.50 mm"));
	assert_non_null(strstr(r->message, "role home"));
	assert_null(harness_find(h, ENGINE_ACTION_SET_DEPTH));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_DEPTH_REFUSED)->limit_um, 500);
}

static void rule4_depth_within_limit_is_sent_to_the_pen(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "dermatologist", "face");
	assert_int_equal(harness_depth(h, 1500)->refusal, ENGINE_REASON_NONE);
	assert_int_equal(harness_find(h, ENGINE_ACTION_SET_DEPTH)->depth_um, 1500);
	assert_int_equal(harness_depth(h, 1501)->refusal, ENGINE_REASON_DEPTH_ABOVE_LIMIT);
	assert_int_equal(harness_depth(h, 50)->refusal, ENGINE_REASON_DEPTH_OUT_OF_RANGE);
}

static void rule4_session_opens_at_start_depth_clamped(void **state)
{
	struct harness *h = harness_new("[Session]\nStartDepthMm=0.5\n[Role home]\nMaxDepthMm=0.5\n"
					"[Area forehead]\nMaxDepthMm=0.25\n[Area face]\n"
					"MaxDepthMm=1.5\n");

	(void)state;
	harness_pedal(h, false);
	harness_connect(h, 0x1111, 3000);
	harness_start_session(h, "home", "face");
	assert_int_equal(harness_find(h, ENGINE_ACTION_SET_DEPTH)->depth_um, 500);
	harness_stop_session(h);
	harness_start_session(h, "home", "forehead");
	assert_int_equal(harness_find(h, ENGINE_ACTION_SET_DEPTH)->depth_um, 250);
	harness_free(h);
}

static void rule4_depth_above_anesthetic_threshold_gives_an_advisory(void **state)
{
	struct harness *h = *state;
	const struct engine_reply *r;

	harness_ready(h, "aesthetician", "face");
	r = harness_depth(h, 500);
	assert_null(harness_find_record(h, ENGINE_RECORD_ADVISORY));
	r = harness_depth(h, 800);
	assert_int_equal(r->refusal, ENGINE_REASON_NONE);
	assert_non_null(strstr(r->message, "anesthetic"));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_ADVISORY)->reason,
			 ENGINE_REASON_ABOVE_ANESTHETIC);
	/* The summary's flag is the needled depth's (summary/deepest-and-
	 * advisory-are-one-fact): needle at 0.80 mm. */
	harness_pedal(h, true);
	assert_true(harness_motor_on(h));
	r = harness_stop_session(h);
	assert_true(r->summary->above_anesthetic);
}

/* The summary's deepest depth and its anesthetic flag are one fact: a depth
 * asked for but never needled raises neither ("Deepest 0.00 mm" beside
 * "went deeper than 0.50 mm" was the defect); needling above raises both. */
static void summary_deepest_and_advisory_are_one_fact(void **state)
{
	struct harness *h = *state;
	const struct engine_reply *r;

	harness_ready(h, "aesthetician", "face");
	assert_int_equal(harness_depth(h, 800)->refusal, ENGINE_REASON_NONE);
	r = harness_stop_session(h);
	assert_int_equal(r->summary->max_depth_um, 0);
	assert_false(r->summary->above_anesthetic);

	harness_pedal(h, false);
	harness_connect(h, 0x3333, 3000); /* cartridges are single-use */
	assert_int_equal(harness_start_session(h, "aesthetician", "face")->refusal,
			 ENGINE_REASON_NONE);
	assert_int_equal(harness_depth(h, 800)->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true);
	assert_true(harness_motor_on(h));
	harness_pedal(h, false);
	r = harness_stop_session(h);
	assert_int_equal(r->summary->max_depth_um, 800);
	assert_true(r->summary->above_anesthetic);
}

static void rule4_cartridge_lowers_the_effective_limit(void **state)
{
	struct harness *h = *state;
	struct engine_snapshot s;

	harness_pedal(h, false);
	harness_connect(h, 0x2222, 1000);
	harness_start_session(h, "dermatologist", "body");
	engine_get_snapshot(h->engine, h->now, &s);
	assert_int_equal(s.limit_um, 1000);
	assert_int_equal(harness_depth(h, 1200)->refusal, ENGINE_REASON_DEPTH_ABOVE_LIMIT);
	assert_non_null(strstr(harness_reply(h)->message, "cartridge 1.00 mm"));
}

/* Rule 5: the pen measures a depth above the limit. */
static void rule5_measured_depth_above_limit_stops_and_faults(void **state)
{
	struct harness *h = *state;
	struct pen_status st;
	const struct engine_record *r;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	st = running_status(h, true, 900);
	harness_status(h, &st);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT);
	r = harness_find_record(h, ENGINE_RECORD_FAULT);
	assert_int_equal(r->depth_um, 900);
	assert_int_equal(r->limit_um, 500);
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	st.depth_um = 300;
	st.motor_running = false;
	harness_status(h, &st);
	assert_non_null(harness_find_record(h, ENGINE_RECORD_FAULT_CLEARED));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

/* Rule 6: time budgets. */
static void rule6_warning_at_warn_percent_of_needling(void **state)
{
	struct harness *h = *state;
	const struct engine_record *r;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	harness_advance(h, 16 * MINUTE - 1);
	assert_null(harness_find_record(h, ENGINE_RECORD_LIMIT_WARNING));
	harness_advance(h, 1);
	r = harness_find_record(h, ENGINE_RECORD_LIMIT_WARNING);
	assert_non_null(r);
	assert_int_equal(r->reason, ENGINE_REASON_NEEDLING_BUDGET);
	assert_int_equal(r->percent, 80);
	assert_true(harness_motor_on(h));
}

static void rule6_needling_budget_spent_stops_and_locks(void **state)
{
	struct harness *h = *state;
	const struct engine_record *r;
	const struct engine_reply *reply;

	harness_ready(h, "home", "face");
	/* 19 minutes in short runs, then one that crosses the budget. */
	for (int i = 0; i < 19; i++) {
		harness_pedal(h, true);
		harness_advance(h, MINUTE);
		harness_pedal(h, false);
	}
	harness_pedal(h, true);
	harness_advance(h, MINUTE - 1);
	assert_true(harness_motor_on(h));
	harness_advance(h, 1);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_NEEDLING_BUDGET);
	r = harness_find_record(h, ENGINE_RECORD_LIMIT_REACHED);
	assert_int_equal(r->used_us, 20 * MINUTE);
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	reply = harness_depth(h, 400);
	assert_int_equal(reply->refusal, ENGINE_REASON_SESSION_LOCKED);
	reply = harness_stop_session(h);
	assert_int_equal(reply->refusal, ENGINE_REASON_NONE);
	assert_int_equal(reply->summary->needling_us, 20 * MINUTE);
	assert_int_equal(reply->summary->stops[ENGINE_REASON_PEDAL_RELEASED], 19);
	assert_int_equal(reply->summary->stops[ENGINE_REASON_NEEDLING_BUDGET], 1);
	/* A new session may start, with a fresh cartridge. */
	harness_pedal(h, false);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal,
			 ENGINE_REASON_CARTRIDGE_USED);
	harness_connect(h, 0x2222, 3000);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

static void rule6_wall_budget_spent_locks_the_session(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "home", "face");
	harness_advance(h, 48 * MINUTE);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_LIMIT_WARNING)->reason,
			 ENGINE_REASON_WALL_BUDGET);
	harness_pedal(h, true);
	harness_advance(h, 12 * MINUTE);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_WALL_BUDGET);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_LIMIT_REACHED)->reason,
			 ENGINE_REASON_WALL_BUDGET);
}

static void rule6_timer_is_armed_at_the_budget_deadline(void **state)
{
	struct harness *h = harness_new("[Session]\nMaxMinutes=60\nMaxNeedlingMinutes=2\n"
					"WarnPercent=50\n[Role home]\nMaxDepthMm=0.5\n"
					"[Area face]\nMaxDepthMm=1.5\n");
	int64_t start, deadline = -1;
	const struct engine_action *t;

	(void)state;
	harness_pedal(h, false);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
	harness_connect(h, 0x1111, 3000);
	harness_advance(h, 100 * SEC);
	deadline = harness_find(h, ENGINE_ACTION_ARM_TIMER)->deadline_us;
	harness_pedal(h, true);
	start = h->now;
	/* Walk from deadline to deadline, as the main loop would (heartbeats included). */
	for (int i = 0; i < 10000 && h->now < start + 2 * MINUTE; i++) {
		t = harness_find(h, ENGINE_ACTION_ARM_TIMER);
		if (t)
			deadline = t->deadline_us;
		assert_true(deadline >= h->now);
		harness_advance(h, deadline - h->now);
		if (harness_find_record(h, ENGINE_RECORD_LIMIT_WARNING))
			assert_int_equal(h->now - start, MINUTE);
		if (harness_stop_reason(h) >= 0)
			break;
	}
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_NEEDLING_BUDGET);
	assert_int_equal(h->now - start, 2 * MINUTE);
	harness_free(h);
}

/* Rule 7: what a session needs to open. */
static void rule7_session_needs_operator_role_area_and_check(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_START };
	const struct engine_reply *r;

	ev.session_start.session_id = "s1";
	ev.session_start.role = "home";
	ev.session_start.area = "face";
	ev.session_start.contraindications_checked = true;
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_NO_OPERATOR);
	assert_non_null(harness_find_record(h, ENGINE_RECORD_SESSION_REFUSED));

	ev.session_start.operator_name = "alice";
	ev.session_start.role = "surgeon";
	harness_step(h, &ev);
	r = harness_reply(h);
	assert_int_equal(r->refusal, ENGINE_REASON_UNKNOWN_ROLE);
	assert_non_null(strstr(r->message, "dermatologist"));

	ev.session_start.role = "home";
	ev.session_start.area = "elbow";
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_UNKNOWN_AREA);

	ev.session_start.area = "face";
	ev.session_start.contraindications_checked = false;
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_CONTRAINDICATIONS);

	ev.session_start.contraindications_checked = true;
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_NONE);
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_SESSION_OPEN);
}

static void rule7_contraindication_check_can_be_disabled(void **state)
{
	struct harness *h = harness_new("[Safety]\nRequireContraindicationCheck=false\n"
					"[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1\n");
	struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_START };

	(void)state;
	ev.session_start.session_id = "s1";
	ev.session_start.operator_name = "bob";
	ev.session_start.role = "home";
	ev.session_start.area = "face";
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_NONE);
	harness_free(h);
}

/* Rule 8: single-use cartridges. */
static void rule8_used_cartridge_refuses_the_session(void **state)
{
	struct harness *h = *state;
	const struct engine_reply *r;

	engine_mark_cartridge_used(h->engine, 0xabc);
	harness_pedal(h, false);
	harness_connect(h, 0xabc, 3000);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_CARTRIDGE_REFUSED)->cartridge, 0xabc);
	r = harness_start_session(h, "home", "face");
	assert_int_equal(r->refusal, ENGINE_REASON_CARTRIDGE_USED);
	assert_non_null(strstr(r->message, "0000000000000abc"));
}

static void rule8_cartridge_is_used_once_the_motor_ran(void **state)
{
	struct harness *h = *state;
	const struct engine_action *a;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	a = harness_find(h, ENGINE_ACTION_CARTRIDGE_USED);
	assert_non_null(a);
	assert_int_equal(a->cartridge, 0x1111);
	harness_pedal(h, false);
	/* The same session may reconnect with its own cartridge. */
	harness_disconnect(h);
	harness_connect(h, 0x1111, 3000);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	assert_null(harness_find(h, ENGINE_ACTION_CARTRIDGE_USED));
	harness_pedal(h, false);
	harness_stop_session(h);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal,
			 ENGINE_REASON_CARTRIDGE_USED);
}

static void rule8_used_cartridge_connected_mid_session_blocks_the_motor(void **state)
{
	struct harness *h = *state;

	engine_mark_cartridge_used(h->engine, 0x9999);
	harness_pedal(h, false);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
	harness_connect(h, 0x9999, 3000);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_CARTRIDGE_USED);
}

static void rule8_cartridge_swap_while_running_stops(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CARTRIDGE };

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	ev.pen_cartridge.id = 0x5555;
	ev.pen_cartridge.needle_count = 12;
	ev.pen_cartridge.max_depth_um = 3000;
	harness_step(h, &ev);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_NO_CARTRIDGE);
}

/* Rule 9: a reload that lowers a limit below the current depth. */
static void rule9_reload_lowering_the_limit_stops_the_motor(void **state)
{
	struct harness *h = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) lower = penctl_config_load_from_data(
		"[Role aesthetician]\nMaxDepthMm=0.8\n[Area face]\nMaxDepthMm=1.5\n", "reload",
		&error);
	struct engine_event ev = { .kind = ENGINE_EVENT_CONFIG_RELOAD };

	assert_non_null(lower);
	harness_ready(h, "aesthetician", "face");
	assert_int_equal(harness_depth(h, 1200)->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true);
	ev.config = lower;
	harness_step(h, &ev);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_LIMIT_LOWERED);
	assert_non_null(harness_find_record(h, ENGINE_RECORD_CONFIG_RELOADED));
	/* The needle goes back within the new limit, and says why. */
	assert_int_equal(harness_find(h, ENGINE_ACTION_SET_DEPTH)->depth_um, 800);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_DEPTH_SET)->reason,
			 ENGINE_REASON_LIMIT_LOWERED);
	/* Still held: ignored until released. */
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	/* Back to the harness's own config before teardown frees LOWER. */
	ev.config = h->config;
	harness_step(h, &ev);
}

static void rule9_reload_within_the_limit_keeps_running(void **state)
{
	struct harness *h = *state;
	g_autoptr(penctl_config) same = penctl_config_new_default();
	struct engine_event ev = { .kind = ENGINE_EVENT_CONFIG_RELOAD };

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	ev.config = same;
	harness_step(h, &ev);
	assert_int_equal(harness_stop_reason(h), -1);
	assert_true(harness_motor_on(h));
	ev.config = h->config;
	harness_step(h, &ev);
}

/* The pen's own watchdog needs heartbeats while connected. */
static void heartbeat_every_interval_while_connected(void **state)
{
	struct harness *h = *state;
	const struct engine_action *a;

	harness_pedal(h, false);
	harness_connect(h, 0x1111, 3000);
	a = harness_find(h, ENGINE_ACTION_HEARTBEAT);
	assert_non_null(a);
	assert_int_equal(a->heartbeat, 0);
	assert_int_equal(harness_find(h, ENGINE_ACTION_ARM_TIMER)->deadline_us, h->now + 200000);
	harness_advance(h, 199999);
	assert_null(harness_find(h, ENGINE_ACTION_HEARTBEAT));
	harness_advance(h, 1);
	assert_int_equal(harness_find(h, ENGINE_ACTION_HEARTBEAT)->heartbeat, 1);
	harness_disconnect(h);
	assert_int_equal(harness_find(h, ENGINE_ACTION_ARM_TIMER)->deadline_us, -1);
	harness_advance(h, 10 * SEC);
	assert_null(harness_find(h, ENGINE_ACTION_HEARTBEAT));
}

/* A latching pedal, the pen connected, a session open (home, face). */
static struct harness *latching_ready(void)
{
	struct harness *h = harness_new("[Pedal]\nMode=latching\n[Role home]\nMaxDepthMm=0.5\n"
					"[Area face]\nMaxDepthMm=1.5\n");

	harness_ready(h, "home", "face");
	return h;
}

/* ... and the motor latched on by a press and release. */
static struct harness *latched_on(void)
{
	struct harness *h = latching_ready();

	harness_pedal(h, true);
	harness_pedal(h, false);
	assert_true(harness_motor_on(h));
	return h;
}

static void latching_press_toggles_run_and_stop(void **state)
{
	struct harness *h = latching_ready();

	(void)state;
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	harness_pedal(h, false);
	assert_true(harness_motor_on(h));
	harness_pedal(h, true);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEDAL_LATCHED_OFF);
	harness_pedal(h, false);
	assert_false(harness_motor_on(h));
	harness_free(h);
}

static void press_began(struct harness *h)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEDAL_PRESS_BEGAN, .time_us = h->now };

	harness_step(h, &ev);
}

/* The first edge of the stopping press stops a latched motor; the press
 * it began, once confirmed, is not a second toggle. */
static void latching_stop_comes_at_the_first_edge(void **state)
{
	struct harness *h = latching_ready();

	(void)state;
	press_began(h);
	assert_false(harness_motor_ran(h));
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	harness_pedal(h, false);
	press_began(h);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEDAL_LATCHED_OFF);
	assert_false(harness_motor_on(h));
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_false(harness_motor_on(h));
	harness_pedal(h, false);
	/* A fresh press starts it again. */
	press_began(h);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	harness_free(h);
}

/* A begin that no confirmed press followed at once (a knock) stopped the
 * motor; a press confirmed more than a second later is a new one and starts
 * it. */
static void latching_glitch_then_later_press_starts(void **state)
{
	struct harness *h = latched_on();

	(void)state;
	press_began(h);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEDAL_LATCHED_OFF);
	harness_advance(h, 2 * SEC);
	press_began(h);
	assert_int_equal(harness_stop_reason(h), -1);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	harness_free(h);
}

/* A hesitant stopping press: the first contact too short to count, the
 * line up a while, then the foot presses for good.  That is one press: it
 * stopped the motor at its first edge and must not start it again. */
static void latching_hesitant_stop_press_toggles_once(void **state)
{
	struct harness *h = latched_on();

	(void)state;
	press_began(h);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEDAL_LATCHED_OFF);
	harness_advance(h, 300 * 1000);
	press_began(h);
	harness_advance(h, 20 * 1000);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_false(harness_motor_on(h));
	harness_free(h);
}

/* Momentary: a begin changes nothing; only the debounced press runs. */
static void momentary_press_began_changes_nothing(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "home", "face");
	press_began(h);
	assert_false(harness_motor_ran(h));
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	press_began(h);
	assert_int_equal(harness_stop_reason(h), -1);
	assert_true(harness_motor_on(h));
}

static void latching_forced_stop_clears_the_latch(void **state)
{
	struct harness *h = latched_on();

	(void)state;
	harness_disconnect(h);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_DISCONNECTED);
	harness_connect(h, 0x1111, 3000);
	assert_false(harness_motor_on(h));
	/* The next press starts again (it does not count as the "stop" press). */
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	harness_free(h);
}

static void summary_counts_time_strokes_and_stops(void **state)
{
	struct harness *h = *state;
	struct pen_status st;
	const struct engine_reply *r;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	st = running_status(h, true, 300);
	st.strokes = 0xfffffff0u; /* wraps during the session */
	harness_status(h, &st);
	harness_advance(h, 30 * SEC);
	st.strokes = 0x10;
	harness_status(h, &st);
	harness_pedal(h, false);
	harness_advance(h, 30 * SEC);
	r = harness_stop_session(h);
	assert_int_equal(r->refusal, ENGINE_REASON_NONE);
	assert_int_equal(r->summary->needling_us, 30 * SEC);
	assert_int_equal(r->summary->wall_us, 60 * SEC);
	assert_int_equal(r->summary->strokes, 0x20);
	assert_int_equal(r->summary->max_depth_um, 300);
	assert_int_equal(r->summary->n_cartridges, 1);
	assert_int_equal(r->summary->stops[ENGINE_REASON_PEDAL_RELEASED], 1);
	assert_non_null(harness_find_record(h, ENGINE_RECORD_SESSION_END)->summary);
	assert_int_equal(harness_stop_session(h)->refusal, ENGINE_REASON_NO_SESSION);
}

static void requests_need_a_session_and_a_pen(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_SPEED_REQUEST, .speed = 100 };

	assert_int_equal(harness_depth(h, 300)->refusal, ENGINE_REASON_NO_SESSION);
	harness_pedal(h, false);
	harness_start_session(h, "home", "face");
	assert_int_equal(harness_depth(h, 300)->refusal, ENGINE_REASON_PEN_NOT_CONNECTED);
	harness_connect(h, 0x1111, 3000);
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_NONE);
	assert_int_equal(harness_find(h, ENGINE_ACTION_SET_SPEED)->speed, 100);
	ev.speed = 5;
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_SPEED_OUT_OF_RANGE);
}

static void names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(engine_reason_to_string(ENGINE_REASON_NEEDLING_BUDGET),
			    "needling-budget");
	assert_string_equal(engine_record_kind_to_string(ENGINE_RECORD_LIMIT_REACHED),
			    "limit-reached");
	for (int i = 0; i < ENGINE_REASON_COUNT; i++)
		assert_string_not_equal(engine_reason_to_string(i), "unknown");
	for (int i = 0; i < ENGINE_RECORD_KIND_COUNT; i++)
		assert_string_not_equal(engine_record_kind_to_string(i), "unknown");
	for (int i = 0; i < ENGINE_EVENT_KIND_COUNT; i++)
		assert_string_not_equal(engine_event_kind_to_string(i), "unknown");
}


/* ---- the contract of session 3: answers from the pen and the daemon ---- */

static void press_only(struct harness *h, bool down)
{
	struct engine_event ev = { .kind = down ? ENGINE_EVENT_PEDAL_DOWN : ENGINE_EVENT_PEDAL_UP };

	harness_step_only(h, &ev);
}

static void cartridge_recorded(struct harness *h, uint64_t id, bool saved, const char *error)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_CARTRIDGE_RECORDED };

	ev.cartridge_recorded.cartridge = id;
	ev.cartridge_recorded.saved = saved;
	ev.cartridge_recorded.error = error;
	harness_step_only(h, &ev);
}

static void run_confirmed(struct harness *h, uint16_t seq)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_RUN_CONFIRMED, .run_seq = seq };

	harness_step_only(h, &ev);
}

static void run_refused(struct harness *h, uint8_t refusal)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_RUN_REFUSED, .pen_refusal = refusal };

	harness_step_only(h, &ev);
}

/* The first run with a cartridge waits until the cartridge is on disk as used. */
static void cartridge_recorded_before_run(void **state)
{
	struct harness *h = *state;
	const struct engine_action *a;

	harness_ready(h, "home", "face");
	h->manual_answers = true;
	press_only(h, true);
	a = harness_find(h, ENGINE_ACTION_CARTRIDGE_USED);
	assert_non_null(a);
	assert_int_equal(a->cartridge, 0x1111);
	assert_false(harness_motor_ran(h));
	assert_false(harness_motor_on(h));
	cartridge_recorded(h, 0x1111, true, NULL);
	assert_true(harness_motor_ran(h));
	assert_true(harness_motor_on(h));
	/* Later presses with the recorded cartridge run in the press's step. */
	press_only(h, false);
	press_only(h, true);
	assert_true(harness_motor_ran(h));
	assert_null(harness_find(h, ENGINE_ACTION_CARTRIDGE_USED));
}

static void cartridge_not_recorded_refuses_the_press(void **state)
{
	struct harness *h = *state;
	const struct engine_record *r;

	harness_ready(h, "home", "face");
	h->manual_answers = true;
	press_only(h, true);
	cartridge_recorded(h, 0x1111, false, "No space left on device");
	assert_false(harness_motor_ran(h));
	assert_false(harness_motor_on(h));
	r = harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED);
	assert_non_null(r);
	assert_int_equal(r->reason, ENGINE_REASON_CARTRIDGE_NOT_RECORDED);
	assert_non_null(strstr(r->detail, "No space left on device"));
	/* Locked out until released; then it asks to record again. */
	press_only(h, true);
	assert_null(harness_find(h, ENGINE_ACTION_CARTRIDGE_USED));
	press_only(h, false);
	press_only(h, true);
	assert_non_null(harness_find(h, ENGINE_ACTION_CARTRIDGE_USED));
}

/* A momentary press released before the save answered is over. */
static void cartridge_recorded_after_release_does_not_run(void **state)
{
	struct harness *h = *state;

	harness_ready(h, "home", "face");
	h->manual_answers = true;
	press_only(h, true);
	press_only(h, false);
	cartridge_recorded(h, 0x1111, true, NULL);
	assert_false(harness_motor_ran(h));
	assert_false(harness_motor_on(h));
	/* It is recorded now: the next press runs at once. */
	press_only(h, true);
	assert_true(harness_motor_ran(h));
}

static void cartridge_recorded_after_a_lost_condition_does_not_run(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_STATUS };

	harness_ready(h, "home", "face");
	h->manual_answers = true;
	press_only(h, true);
	ev.pen_status.fault_bits = PEN_FAULT_OVERTEMP;
	ev.pen_status.battery_percent = 50;
	harness_step_only(h, &ev);
	cartridge_recorded(h, 0x1111, true, NULL);
	assert_false(harness_motor_ran(h));
	assert_false(harness_motor_on(h));
}

/* The motor-start record says the pen took the RUN. */
static void motor_start_recorded_on_run_confirmed(void **state)
{
	struct harness *h = *state;
	uint16_t seq;

	harness_ready(h, "home", "face");
	h->manual_answers = true;
	press_only(h, true);
	cartridge_recorded(h, 0x1111, true, NULL);
	assert_true(harness_motor_ran(h));
	assert_null(harness_find_record(h, ENGINE_RECORD_MOTOR_START));
	seq = harness_last_seq(h);
	run_confirmed(h, (uint16_t)(seq - 1)); /* not this RUN */
	assert_null(harness_find_record(h, ENGINE_RECORD_MOTOR_START));
	run_confirmed(h, seq);
	assert_non_null(harness_find_record(h, ENGINE_RECORD_MOTOR_START));
	run_confirmed(h, seq); /* once */
	assert_null(harness_find_record(h, ENGINE_RECORD_MOTOR_START));
}

/* A RUN the pen refused is recorded as refused, never as a motor start;
 * the pen stays trusted and the pedal must be released. */
static void refused_run_is_not_a_motor_start(void **state)
{
	struct harness *h = *state;
	const struct engine_record *r;

	harness_ready(h, "home", "face");
	h->manual_answers = true;
	press_only(h, true);
	cartridge_recorded(h, 0x1111, true, NULL);
	assert_true(harness_motor_ran(h));
	run_refused(h, ENGINE_PEN_REFUSAL_FAULT_ACTIVE);
	assert_null(harness_find_record(h, ENGINE_RECORD_MOTOR_START));
	assert_null(harness_find_record(h, ENGINE_RECORD_MOTOR_STOP));
	r = harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED);
	assert_non_null(r);
	assert_int_equal(r->reason, ENGINE_REASON_PEN_REFUSED);
	assert_non_null(strstr(r->detail, "fault"));
	assert_false(harness_motor_on(h));
	assert_null(harness_find(h, ENGINE_ACTION_DROP_LINK));
	harness_advance(h, SEC);
	assert_non_null(harness_find(h, ENGINE_ACTION_HEARTBEAT));
	press_only(h, true);
	assert_false(harness_motor_ran(h));
	press_only(h, false);
	press_only(h, true);
	assert_true(harness_motor_ran(h));
}

/* The link could not carry a write: as a protocol error, but named for what it is. */
static void link_error_stops_and_drops_the_link(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_LINK_ERROR };
	const struct engine_record *r;

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	ev.lost.reason = "Control write: org.bluez.Error.Failed";
	harness_step(h, &ev);
	assert_int_equal(h->out.actions[0].kind, ENGINE_ACTION_MOTOR_STOP);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_LINK_ERROR);
	r = harness_find_record(h, ENGINE_RECORD_FAULT);
	assert_int_equal(r->reason, ENGINE_REASON_PEN_LINK_ERROR);
	assert_string_equal(r->detail, "Control write: org.bluez.Error.Failed");
	assert_non_null(harness_find(h, ENGINE_ACTION_DROP_LINK));
	harness_advance(h, SEC);
	assert_null(harness_find(h, ENGINE_ACTION_HEARTBEAT));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_PEN_LINK_ERROR);
}

static void used_list_untrusted_refuses_sessions_until_acknowledged(void **state)
{
	struct harness *h = *state;
	struct engine_event ack = { .kind = ENGINE_EVENT_STATE_ACKNOWLEDGED, .caller = "uid 1000" };
	struct engine_snapshot s;
	const struct engine_record *r;

	engine_set_used_list_untrusted(h->engine, "line 4: not a cartridge id");
	harness_pedal(h, false);
	harness_connect(h, 0x1111, 3000);
	engine_get_snapshot(h->engine, h->now, &s);
	assert_true(s.used_list_untrusted);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal,
			 ENGINE_REASON_USED_LIST_UNTRUSTED);
	assert_non_null(strstr(harness_find_record(h, ENGINE_RECORD_SESSION_REFUSED)->detail,
			       "line 4"));
	harness_step(h, &ack);
	r = harness_find_record(h, ENGINE_RECORD_STATE_ACKNOWLEDGED);
	assert_non_null(r);
	assert_non_null(strstr(r->detail, "uid 1000"));
	engine_get_snapshot(h->engine, h->now, &s);
	assert_false(s.used_list_untrusted);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
}

static void role_denied_group_refuses_the_session(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_START };
	const struct engine_record *r;

	ev.session_start.session_id = "s1";
	ev.session_start.operator_name = "alice";
	ev.session_start.role = "dermatologist";
	ev.session_start.area = "face";
	ev.session_start.contraindications_checked = true;
	ev.session_start.role_denied_group = "penctl-dermatologist";
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_ROLE_NOT_PERMITTED);
	r = harness_find_record(h, ENGINE_RECORD_SESSION_REFUSED);
	assert_int_equal(r->reason, ENGINE_REASON_ROLE_NOT_PERMITTED);
	assert_non_null(strstr(r->detail, "penctl-dermatologist"));
	ev.session_start.role_denied_group = NULL;
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_NONE);
}

static const char lower_limit_text[] =
	"[Role aesthetician]\nMaxDepthMm=0.8\n[Area face]\nMaxDepthMm=1.5\n";

/* A reload lowers the limit under the running depth: the pen's measured
 * depth from before the new depth is no fault, and the next press runs. */
static void reload_lowering_limit_keeps_no_stale_depth_fault(void **state)
{
	struct harness *h = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) lower = penctl_config_load_from_data(lower_limit_text, "reload",
								      &error);
	struct engine_event ev = { .kind = ENGINE_EVENT_CONFIG_RELOAD };
	struct pen_status st;

	assert_non_null(lower);
	harness_ready(h, "aesthetician", "face");
	assert_int_equal(harness_depth(h, 1200)->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true);
	st = running_status(h, true, 1200);
	harness_status(h, &st);
	assert_int_equal(harness_stop_reason(h), -1);
	ev.config = lower;
	harness_step(h, &ev);
	assert_int_equal(h->out.actions[0].kind, ENGINE_ACTION_MOTOR_STOP);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_LIMIT_LOWERED);
	assert_null(harness_find_record(h, ENGINE_RECORD_FAULT));
	/* The pen, stopping, still measures the old depth; then it falls silent. */
	st = running_status(h, false, 1200);
	harness_status(h, &st);
	assert_null(harness_find_record(h, ENGINE_RECORD_FAULT));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	/* Running at the new depth. */
	st = running_status(h, true, 800);
	harness_status(h, &st);
	assert_int_equal(harness_stop_reason(h), -1);
	assert_true(harness_motor_on(h));
	ev.config = h->config;
	harness_step(h, &ev);
}

/* ... but a measured depth above the old one, or the old one measured after
 * the pen took a later Control, is still a fault. */
static void too_deep_after_lowering_still_faults(void **state)
{
	struct harness *h = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) lower = penctl_config_load_from_data(lower_limit_text, "reload",
								      &error);
	struct engine_event ev = { .kind = ENGINE_EVENT_CONFIG_RELOAD };
	struct pen_status st;
	uint16_t stop_seq;

	assert_non_null(lower);
	harness_ready(h, "aesthetician", "face");
	assert_int_equal(harness_depth(h, 1200)->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true);
	ev.config = lower;
	harness_step(h, &ev);
	stop_seq = harness_last_seq(h);
	st = running_status(h, false, 1300);
	harness_status(h, &st);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_FAULT)->reason,
			 ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT);
	st.depth_um = 1200;
	harness_status(h, &st);
	assert_non_null(harness_find_record(h, ENGINE_RECORD_FAULT_CLEARED));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
	assert_true(harness_last_seq(h) != stop_seq);
	/* The pen took the RUN written after the depth, yet measures the old depth. */
	st = running_status(h, true, 1200);
	harness_status(h, &st);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT);
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_FAULT)->limit_um, 800);
	ev.config = h->config;
	harness_step(h, &ev);
}

/* The same cartridge read again with a lower limit stops as a reload does. */
static void cartridge_reread_with_lower_limit_stops(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CARTRIDGE };

	harness_ready(h, "aesthetician", "face");
	assert_int_equal(harness_depth(h, 1200)->refusal, ENGINE_REASON_NONE);
	harness_pedal(h, true);
	ev.pen_cartridge.id = 0x1111;
	ev.pen_cartridge.needle_count = 12;
	ev.pen_cartridge.max_depth_um = 800;
	harness_step(h, &ev);
	assert_int_equal(harness_stop_reason(h), ENGINE_REASON_LIMIT_LOWERED);
	assert_int_equal(h->out.actions[0].kind, ENGINE_ACTION_MOTOR_STOP);
	assert_int_equal(harness_find(h, ENGINE_ACTION_SET_DEPTH)->depth_um, 800);
	assert_false(harness_motor_on(h));
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	harness_pedal(h, false);
	harness_pedal(h, true);
	assert_true(harness_motor_ran(h));
}

/* Names cut to fit their field are cut between characters, never inside one. */
static void session_texts_cut_on_a_character_boundary(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_START };
	g_autoptr(GString) ref = g_string_new(NULL);
	g_autoptr(GString) id = g_string_new(NULL);
	struct engine_snapshot s;

	for (int i = 0; i < 40; i++)
		g_string_append(ref, "\xc3\xa9"); /* é: 2 bytes */
	for (int i = 0; i < 30; i++)
		g_string_append(id, "\xe2\x82\xac"); /* €: 3 bytes */
	ev.session_start.session_id = id->str;
	ev.session_start.operator_name = "Zo\xc3\xab";
	ev.session_start.role = "home";
	ev.session_start.area = "face";
	ev.session_start.client_ref = ref->str;
	ev.session_start.contraindications_checked = true;
	harness_pedal(h, false);
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_NONE);
	engine_get_snapshot(h->engine, h->now, &s);
	assert_true(g_utf8_validate(s.client_ref, -1, NULL));
	assert_int_equal(strlen(s.client_ref), 62); /* 31 × é: the 63rd byte would split one */
	assert_true(g_utf8_validate(s.session_id, -1, NULL));
	assert_int_equal(strlen(s.session_id), 63); /* 21 × € */
	assert_string_equal(s.operator_name, "Zo\xc3\xab");
	assert_true(g_utf8_validate(harness_reply(h)->message, -1, NULL));
}

/* Bytes that are no UTF-8 never reach a record as they came. */
static void session_texts_are_valid_utf8(void **state)
{
	struct harness *h = *state;
	struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_START };
	struct engine_snapshot s;

	ev.session_start.session_id = "s\xff\xfe";
	ev.session_start.operator_name = "alice";
	ev.session_start.role = "home";
	ev.session_start.area = "face";
	ev.session_start.client_ref = "\xc3";
	ev.session_start.contraindications_checked = true;
	harness_step(h, &ev);
	assert_int_equal(harness_reply(h)->refusal, ENGINE_REASON_NONE);
	engine_get_snapshot(h->engine, h->now, &s);
	assert_true(g_utf8_validate(s.session_id, -1, NULL));
	assert_true(g_utf8_validate(s.client_ref, -1, NULL));
}

/* In every step that stops the motor, the STOP is the first thing done. */
static void stop_is_the_first_action(void **state)
{
	struct harness *h = *state;
	struct engine_event lost = { .kind = ENGINE_EVENT_PEDAL_LOST };
	struct engine_event err = { .kind = ENGINE_EVENT_PEN_PROTOCOL_ERROR };

	harness_ready(h, "home", "face");
	harness_pedal(h, true);
	lost.lost.reason = "gone";
	harness_step(h, &lost);
	assert_int_equal(h->out.actions[0].kind, ENGINE_ACTION_MOTOR_STOP);
	harness_pedal(h, false);
	harness_pedal(h, true);
	err.lost.reason = "bad status";
	harness_step(h, &err);
	assert_int_equal(h->out.actions[0].kind, ENGINE_ACTION_MOTOR_STOP);
	assert_true(harness_find(h, ENGINE_ACTION_DROP_LINK) > &h->out.actions[0]);
}


/* Found by the explorer: a save nobody asked for (or an old answer) never
 * makes a cartridge of an earlier session this session's own. */
static void unasked_cartridge_save_never_unlocks_a_used_cartridge(void **state)
{
	struct harness *h = *state;

	engine_mark_cartridge_used(h->engine, 0x7777);
	harness_pedal(h, false);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
	harness_connect(h, 0x7777, 3000);
	h->manual_answers = true;
	cartridge_recorded(h, 0x7777, true, NULL);
	press_only(h, true);
	assert_false(harness_motor_ran(h));
	assert_null(harness_find(h, ENGINE_ACTION_CARTRIDGE_USED));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_CARTRIDGE_USED);
}


/* Found by the fuzzer: a cartridge whose limit is below the pen's least
 * depth gets no depth above its limit sent to the pen. */
static void no_depth_above_the_limit_is_sent(void **state)
{
	struct harness *h = *state;
	const struct engine_action *a;

	harness_ready(h, "home", "face");
	harness_disconnect(h);
	harness_connect(h, 0x2222, 50);
	a = harness_find(h, ENGINE_ACTION_SET_DEPTH);
	assert_true(a == NULL || a->depth_um <= 50);
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
}


/* Found by the fuzzer: a cartridge limit below the pen's least depth
 * (0.1 mm) left a session depth the pen was never told, and the motor ran
 * at whatever depth the pen had. */
static void limit_below_the_pens_least_depth_never_runs(void **state)
{
	struct harness *h = *state;

	harness_pedal(h, false);
	harness_connect(h, 0x2222, 15);
	assert_int_equal(harness_start_session(h, "home", "face")->refusal, ENGINE_REASON_NONE);
	assert_null(harness_find(h, ENGINE_ACTION_SET_DEPTH));
	harness_pedal(h, true);
	assert_false(harness_motor_ran(h));
	assert_int_equal(harness_find_record(h, ENGINE_RECORD_MOTOR_REFUSED)->reason,
			 ENGINE_REASON_DEPTH_ABOVE_LIMIT);
}


/* Latching: the press that waits for its cartridge latches the motor on
 * once saved, released or not; a second press before that takes it back. */
static void latching_first_run_waits_for_the_cartridge(void **state)
{
	struct harness *h = latching_ready();

	(void)state;
	h->manual_answers = true;
	press_only(h, true);
	assert_non_null(harness_find(h, ENGINE_ACTION_CARTRIDGE_USED));
	press_only(h, false);
	cartridge_recorded(h, 0x1111, true, NULL);
	assert_true(harness_motor_ran(h));
	assert_true(harness_motor_on(h));
	harness_free(h);

	h = latching_ready();
	h->manual_answers = true;
	press_only(h, true);
	press_only(h, false);
	press_only(h, true); /* changed their mind */
	cartridge_recorded(h, 0x1111, true, NULL);
	assert_false(harness_motor_ran(h));
	assert_false(harness_motor_on(h));
	harness_free(h);
}

#define NAMED(n, f) { n, f, setup, teardown, NULL }

/* The pen's model and firmware are kept for the records while it is
 * connected: cleaned, cut to ENGINE_PEN_TEXT_MAX, forgotten at a disconnect,
 * ignored without a pen; nothing else changes. */
static void pen_identity_is_kept_for_the_records(void **state)
{
	struct harness *h = harness_new(NULL);
	struct engine_event id = { .kind = ENGINE_EVENT_PEN_IDENTITY };
	struct engine_snapshot s;
	g_autofree char *long_model = g_strnfill(100, 'M');

	(void)state;
	id.pen_identity.model = "MN Pro 2";
	id.pen_identity.firmware = "2.4\n1";
	harness_step(h, &id);
	engine_get_snapshot(h->engine, h->now, &s);
	assert_string_equal(s.pen_model, "");
	harness_connect(h, 0x4d2, 2500);
	harness_step(h, &id);
	assert_int_equal(h->out.n_actions, 0);
	engine_get_snapshot(h->engine, h->now, &s);
	assert_string_equal(s.pen_model, "MN Pro 2");
	assert_string_equal(s.pen_firmware, "2.4 1");
	id.pen_identity.model = long_model;
	harness_step(h, &id);
	engine_get_snapshot(h->engine, h->now, &s);
	assert_int_equal(strlen(s.pen_model), ENGINE_PEN_TEXT_MAX);
	harness_disconnect(h);
	engine_get_snapshot(h->engine, h->now, &s);
	assert_string_equal(s.pen_model, "");
	assert_string_equal(s.pen_firmware, "");
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NAMED("/records/pen-identity", pen_identity_is_kept_for_the_records),
		NAMED("/safety/rule1/motor-runs-when-every-condition-holds",
		      rule1_motor_runs_when_every_condition_holds),
		NAMED("/safety/rule1/no-session-no-motor", rule1_no_session_no_motor),
		NAMED("/safety/rule1/no-pen-no-motor", rule1_no_pen_no_motor),
		NAMED("/safety/rule1/no-cartridge-no-motor", rule1_no_cartridge_no_motor),
		NAMED("/safety/rule1/incompatible-pen-never-runs", rule1_incompatible_pen_never_runs),
		NAMED("/safety/rule1/incompatible-pen-refuses-a-session",
		      rule1_incompatible_pen_refuses_a_session),
		NAMED("/summary/deepest-and-advisory-are-one-fact",
		      summary_deepest_and_advisory_are_one_fact),
		NAMED("/safety/rule1/pen-protocol-error-stops-until-reconnect",
		      rule1_pen_protocol_error_stops_until_reconnect),
		NAMED("/safety/rule1/distrusted-pen-gets-stop-and-no-heartbeats",
		      rule1_distrusted_pen_gets_stop_and_no_heartbeats),
		NAMED("/safety/rule1/pen-running-unasked-is-a-runaway",
		      rule1_pen_running_unasked_is_a_runaway),
		NAMED("/safety/rule8/cartridge-put-back-is-read-first",
		      rule8_cartridge_put_back_is_read_before_the_motor_runs),
		NAMED("/safety/rule1/another-pen-waits-for-the-next-session",
		      rule1_another_pen_waits_for_the_next_session),
		NAMED("/safety/rule2/pedal-release-stops-at-once", rule2_pedal_release_stops_at_once),
		NAMED("/safety/rule2/pen-disconnect-stops", rule2_pen_disconnect_stops),
		NAMED("/safety/rule2/pedal-lost-stops", rule2_pedal_lost_stops),
		NAMED("/safety/rule2/pen-fault-stops", rule2_pen_fault_stops),
		NAMED("/safety/rule2/session-stop-stops", rule2_session_stop_stops),
		NAMED("/safety/rule2/pen-stopping-by-itself-is-a-stop",
		      rule2_pen_stopping_by_itself_is_a_stop),
		NAMED("/safety/rule2/stale-status-is-ignored", rule2_stale_status_is_ignored),
		NAMED("/safety/rule2/runaway-pen-is-told-to-stop-again",
		      rule2_runaway_pen_is_told_to_stop_again),
		NAMED("/safety/rule3/pedal-held-at-startup", rule3_pedal_held_at_startup_is_ignored),
		NAMED("/safety/rule3/pedal-held-at-pen-connect",
		      rule3_pedal_held_at_pen_connect_is_ignored),
		NAMED("/safety/rule3/pedal-held-at-session-open",
		      rule3_pedal_held_at_session_open_is_ignored),
		NAMED("/safety/rule3/pedal-held-after-fault-stop",
		      rule3_pedal_held_after_fault_stop_is_ignored),
		NAMED("/safety/rule3/pedal-held-after-limit-stop",
		      rule3_pedal_held_after_limit_stop_is_ignored),
		NAMED("/safety/rule3/refused-press-never-starts-later",
		      rule3_refused_press_never_starts_later),
		NAMED("/safety/rule4/depth-above-limit-refused-with-numbers",
		      rule4_depth_above_limit_is_refused_with_the_numbers),
		NAMED("/safety/rule4/depth-within-limit-sent-to-pen",
		      rule4_depth_within_limit_is_sent_to_the_pen),
		NAMED("/safety/rule4/session-opens-at-start-depth-clamped",
		      rule4_session_opens_at_start_depth_clamped),
		NAMED("/safety/rule4/anesthetic-advisory",
		      rule4_depth_above_anesthetic_threshold_gives_an_advisory),
		NAMED("/safety/rule4/cartridge-lowers-effective-limit",
		      rule4_cartridge_lowers_the_effective_limit),
		NAMED("/safety/rule5/measured-depth-above-limit-stops-and-faults",
		      rule5_measured_depth_above_limit_stops_and_faults),
		NAMED("/safety/rule6/warning-at-warn-percent", rule6_warning_at_warn_percent_of_needling),
		NAMED("/safety/rule6/needling-budget-stops-and-locks",
		      rule6_needling_budget_spent_stops_and_locks),
		NAMED("/safety/rule6/wall-budget-locks", rule6_wall_budget_spent_locks_the_session),
		NAMED("/safety/rule6/timer-armed-at-budget-deadline",
		      rule6_timer_is_armed_at_the_budget_deadline),
		NAMED("/safety/rule7/session-needs-operator-role-area-check",
		      rule7_session_needs_operator_role_area_and_check),
		NAMED("/safety/rule7/contraindication-check-can-be-disabled",
		      rule7_contraindication_check_can_be_disabled),
		NAMED("/safety/rule8/used-cartridge-refuses-session",
		      rule8_used_cartridge_refuses_the_session),
		NAMED("/safety/rule8/cartridge-used-once-motor-ran",
		      rule8_cartridge_is_used_once_the_motor_ran),
		NAMED("/safety/rule8/used-cartridge-mid-session-blocks-motor",
		      rule8_used_cartridge_connected_mid_session_blocks_the_motor),
		NAMED("/safety/rule8/cartridge-swap-while-running-stops",
		      rule8_cartridge_swap_while_running_stops),
		NAMED("/safety/rule9/reload-lowering-limit-stops-motor",
		      rule9_reload_lowering_the_limit_stops_the_motor),
		NAMED("/safety/rule9/reload-within-limit-keeps-running",
		      rule9_reload_within_the_limit_keeps_running),
		NAMED("/link/heartbeat-every-interval-while-connected",
		      heartbeat_every_interval_while_connected),
		NAMED("/pedal/latching/press-toggles", latching_press_toggles_run_and_stop),
		NAMED("/pedal/latching/forced-stop-clears-latch", latching_forced_stop_clears_the_latch),
		NAMED("/pedal/latching/stop-at-the-first-edge", latching_stop_comes_at_the_first_edge),
		NAMED("/pedal/latching/glitch-then-later-press-starts",
		      latching_glitch_then_later_press_starts),
		NAMED("/pedal/latching/hesitant-stop-press-toggles-once",
		      latching_hesitant_stop_press_toggles_once),
		NAMED("/pedal/momentary/press-began-changes-nothing", momentary_press_began_changes_nothing),
		NAMED("/session/summary-counts-time-strokes-stops",
		      summary_counts_time_strokes_and_stops),
		NAMED("/session/requests-need-session-and-pen", requests_need_a_session_and_a_pen),
		NAMED("/names/stable", names_are_stable),
		NAMED("/safety/cartridge-recorded-before-run", cartridge_recorded_before_run),
		NAMED("/pedal/latching/first-run-waits-for-the-cartridge",
		      latching_first_run_waits_for_the_cartridge),
		NAMED("/safety/cartridge-not-recorded-refuses-press",
		      cartridge_not_recorded_refuses_the_press),
		NAMED("/safety/cartridge-recorded-after-release-does-not-run",
		      cartridge_recorded_after_release_does_not_run),
		NAMED("/safety/cartridge-recorded-after-lost-condition-does-not-run",
		      cartridge_recorded_after_a_lost_condition_does_not_run),
		NAMED("/safety/motor-start-recorded-on-run-confirmed",
		      motor_start_recorded_on_run_confirmed),
		NAMED("/safety/refused-run-is-not-a-motor-start", refused_run_is_not_a_motor_start),
		NAMED("/safety/link-error-stops-and-drops-link", link_error_stops_and_drops_the_link),
		NAMED("/safety/used-list-untrusted-refuses-sessions-until-acknowledged",
		      used_list_untrusted_refuses_sessions_until_acknowledged),
		NAMED("/safety/role-denied-group-refuses-session", role_denied_group_refuses_the_session),
		NAMED("/safety/stop-is-the-first-action", stop_is_the_first_action),
		NAMED("/safety/rule5/reload-lowering-limit-no-stale-depth-fault",
		      reload_lowering_limit_keeps_no_stale_depth_fault),
		NAMED("/safety/rule5/too-deep-after-lowering-still-faults",
		      too_deep_after_lowering_still_faults),
		NAMED("/safety/rule9/cartridge-reread-lower-limit-stops-motor",
		      cartridge_reread_with_lower_limit_stops),
		NAMED("/session/texts-cut-on-a-character-boundary",
		      session_texts_cut_on_a_character_boundary),
		NAMED("/session/texts-are-valid-utf8", session_texts_are_valid_utf8),
		NAMED("/safety/rule4/no-depth-above-the-limit-is-sent", no_depth_above_the_limit_is_sent),
		NAMED("/safety/rule4/limit-below-the-pens-least-depth-never-runs",
		      limit_below_the_pens_least_depth_never_runs),
		NAMED("/safety/unasked-cartridge-save-never-unlocks-a-used-cartridge",
		      unasked_cartridge_save_never_unlocks_a_used_cartridge),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
