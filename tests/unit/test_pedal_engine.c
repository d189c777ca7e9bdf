// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pedal path end to end without hardware: timestamped edges through
 * the debouncer into the session engine, as the daemon wires them
 * (pressed -> PEDAL_DOWN, released -> PEDAL_UP, press-began ->
 * PEDAL_PRESS_BEGAN, at the debouncer's times).
 * Bouncy contacts must toggle a latching pedal exactly once per press, its
 * stop must come at the first edge (not after the debounce), a
 * pedal held at start must never start the motor, and a lost release found
 * by the resync must stop a momentary pedal.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "penctl/config.h"
#include "penctl/engine.h"
#include "penctl/pedal_debouncer.h"

#define MS(x) ((int64_t)(x) * 1000)
#define T0 MS(10000)

struct rig {
	struct penctl_config *config;
	struct engine *engine;
	struct pedal_debouncer debouncer;
	int64_t now;
	unsigned runs;        /* MOTOR_RUN actions so far */
	unsigned stops;       /* MOTOR_STOP actions so far */
	enum engine_reason last_stop;
};

static void step(struct rig *r, struct engine_event *event)
{
	struct engine_output out = { 0 };

	if (event->time_us < r->now)
		event->time_us = r->now;
	r->now = event->time_us;
	engine_step(r->engine, event, &out);
	for (unsigned i = 0; i < out.n_actions; i++) {
		if (out.actions[i].kind == ENGINE_ACTION_MOTOR_RUN)
			r->runs++;
		if (out.actions[i].kind == ENGINE_ACTION_MOTOR_STOP) {
			r->stops++;
			r->last_stop = out.actions[i].motor.reason;
		}
	}
	/* As the daemon does: a first run waits until the cartridge is saved. */
	for (unsigned i = 0; i < out.n_actions; i++) {
		if (out.actions[i].kind == ENGINE_ACTION_CARTRIDGE_USED) {
			struct engine_event saved = { .kind = ENGINE_EVENT_CARTRIDGE_RECORDED,
						      .time_us = r->now };

			saved.cartridge_recorded.cartridge = out.actions[i].cartridge;
			saved.cartridge_recorded.saved = true;
			step(r, &saved);
		}
	}
}

/* The daemon's glue: each debounced event becomes one engine event. */
static void forward(struct rig *r, const struct pedal_debouncer_output *out)
{
	for (unsigned i = 0; i < out->n_events; i++) {
		struct engine_event event = { .time_us = out->events[i].time_us };

		switch (out->events[i].kind) {
		case PEDAL_DEBOUNCE_PRESSED:
			event.kind = ENGINE_EVENT_PEDAL_DOWN;
			break;
		case PEDAL_DEBOUNCE_RELEASED:
			event.kind = ENGINE_EVENT_PEDAL_UP;
			break;
		case PEDAL_DEBOUNCE_PRESS_BEGAN:
			event.kind = ENGINE_EVENT_PEDAL_PRESS_BEGAN;
			break;
		}
		step(r, &event);
	}
}

/* A burst of edges (level, time pairs) as the main loop reads it: fire a
 * due deadline first, feed each edge, then resync with the final level. */
static void burst(struct rig *r, const int64_t (*edges)[2], unsigned n, int64_t read_at)
{
	struct pedal_debouncer_output out;

	for (unsigned i = 0; i < n; i++) {
		int64_t deadline = pedal_debouncer_next_deadline(&r->debouncer);

		if (deadline >= 0 && deadline <= edges[i][1]) {
			pedal_debouncer_on_deadline(&r->debouncer, deadline, &out);
			forward(r, &out);
		}
		pedal_debouncer_feed(&r->debouncer, edges[i][0] ? PEDAL_LEVEL_DOWN : PEDAL_LEVEL_UP,
				     edges[i][1], &out);
		forward(r, &out);
	}
	pedal_debouncer_resync(&r->debouncer, edges[n - 1][0] ? PEDAL_LEVEL_DOWN : PEDAL_LEVEL_UP,
			       read_at, &out);
	forward(r, &out);
}

/* The timer fires at the debouncer's deadline, if one is armed. */
static void fire_timer(struct rig *r)
{
	struct pedal_debouncer_output out;
	int64_t deadline = pedal_debouncer_next_deadline(&r->debouncer);

	if (deadline < 0)
		return;
	pedal_debouncer_on_deadline(&r->debouncer, deadline, &out);
	forward(r, &out);
}

static struct rig *rig_new(const char *mode, bool pedal_down_at_start)
{
	struct rig *r = g_new0(struct rig, 1);
	g_autofree char *text = g_strdup_printf("[Pedal]\nMode=%s\nDebounceMs=20\n"
						"[Role home]\nMaxDepthMm=0.5\n"
						"[Area face]\nMaxDepthMm=1.5\n",
						mode);
	g_autoptr(GError) error = NULL;
	struct pedal_debouncer_output out;
	struct engine_event event = { .kind = ENGINE_EVENT_PEN_CONNECTED, .time_us = T0 };

	r->config = penctl_config_load_from_data(text, "test", &error);
	if (!r->config)
		fail_msg("config: %s", error->message);
	r->now = T0;
	r->engine = engine_new(r->config, T0);
	pedal_debouncer_init(&r->debouncer, r->config->pedal_debounce_ms);

	pedal_debouncer_start(&r->debouncer, pedal_down_at_start ? PEDAL_LEVEL_DOWN : PEDAL_LEVEL_UP,
			      T0, &out);
	forward(r, &out);

	event.pen_connected.address = "AA:BB:CC:DD:EE:01";
	event.pen_connected.compatible = true;
	event.pen_connected.cartridge.id = 0x1111;
	event.pen_connected.cartridge.needle_count = 12;
	event.pen_connected.cartridge.max_depth_um = 3000;
	step(r, &event);

	event = (struct engine_event){ .kind = ENGINE_EVENT_SESSION_START, .time_us = T0 };
	event.session_start.session_id = "s1";
	event.session_start.operator_name = "alice";
	event.session_start.role = "home";
	event.session_start.area = "face";
	event.session_start.contraindications_checked = true;
	step(r, &event);
	return r;
}

static void rig_free(struct rig *r)
{
	engine_free(r->engine);
	penctl_config_free(r->config);
	g_free(r);
}

static bool motor_on(struct rig *r)
{
	struct engine_snapshot snapshot;

	engine_get_snapshot(r->engine, r->now, &snapshot);
	return snapshot.motor_on;
}

static void test_latching_bouncy_presses_toggle_once_each(void **state)
{
	struct rig *r = rig_new("latching", false);
	const int64_t press1[][2] = {
		{ 1, T0 + MS(100) }, { 0, T0 + MS(101) }, { 1, T0 + MS(103) },
		{ 0, T0 + MS(104) }, { 1, T0 + MS(106) },
	};
	const int64_t release1[][2] = {
		{ 0, T0 + MS(400) }, { 1, T0 + MS(401) }, { 0, T0 + MS(403) },
		{ 1, T0 + MS(404) }, { 0, T0 + MS(407) },
	};
	const int64_t press2[][2] = { { 1, T0 + MS(900) }, { 0, T0 + MS(902) }, { 1, T0 + MS(903) } };
	struct pedal_debouncer_output out;
	const int64_t release2[][2] = { { 0, T0 + MS(1200) }, { 1, T0 + MS(1201) },
					{ 0, T0 + MS(1202) } };
	const int64_t press3[][2] = { { 1, T0 + MS(1500) }, { 0, T0 + MS(1501) },
				      { 1, T0 + MS(1502) } };

	(void)state;
	assert_int_equal(r->runs, 0);

	burst(r, press1, G_N_ELEMENTS(press1), T0 + MS(107));
	assert_int_equal(r->runs, 0); /* not before the debounce time */
	fire_timer(r);
	assert_int_equal(r->runs, 1);
	assert_int_equal(r->now, T0 + MS(126));

	burst(r, release1, G_N_ELEMENTS(release1), T0 + MS(408));
	fire_timer(r);
	assert_true(motor_on(r)); /* latched: the release and its bounces do nothing */
	assert_int_equal(r->stops, 0);

	/* The stop comes at the first edge of the press, before its debounce. */
	pedal_debouncer_feed(&r->debouncer, PEDAL_LEVEL_DOWN, press2[0][1], &out);
	forward(r, &out);
	assert_int_equal(r->stops, 1);
	assert_int_equal(r->last_stop, ENGINE_REASON_PEDAL_LATCHED_OFF);
	assert_int_equal(r->now, T0 + MS(900));
	assert_false(motor_on(r));
	/* The rest of that press (bounces, confirmation) toggles nothing more. */
	burst(r, &press2[1], G_N_ELEMENTS(press2) - 1, T0 + MS(904));
	fire_timer(r);
	assert_int_equal(r->runs, 1);
	assert_int_equal(r->stops, 1);

	burst(r, release2, G_N_ELEMENTS(release2), T0 + MS(1203));
	fire_timer(r);
	assert_int_equal(r->runs, 1);
	assert_int_equal(r->stops, 1);

	/* The next press starts it again, after its debounce. */
	burst(r, press3, G_N_ELEMENTS(press3), T0 + MS(1503));
	assert_int_equal(r->runs, 1);
	fire_timer(r);
	assert_int_equal(r->runs, 2);
	assert_true(motor_on(r));
	rig_free(r);
}

static void test_latching_short_tap_does_not_toggle(void **state)
{
	struct rig *r = rig_new("latching", false);
	const int64_t tap[][2] = { { 1, T0 + MS(100) }, { 0, T0 + MS(115) } };

	(void)state;
	burst(r, tap, G_N_ELEMENTS(tap), T0 + MS(116));
	fire_timer(r);
	assert_int_equal(r->runs, 0);
	assert_false(motor_on(r));
	rig_free(r);
}

static void test_latching_held_at_start_never_starts(void **state)
{
	struct rig *r = rig_new("latching", true);
	const int64_t release[][2] = { { 0, T0 + MS(500) } };
	const int64_t press[][2] = { { 1, T0 + MS(800) } };

	(void)state;
	fire_timer(r);
	assert_int_equal(r->runs, 0);
	assert_false(motor_on(r));

	/* Released, then a real press: now it starts. */
	burst(r, release, 1, T0 + MS(501));
	burst(r, press, 1, T0 + MS(801));
	fire_timer(r);
	assert_int_equal(r->runs, 1);
	rig_free(r);
}

static void test_momentary_lost_release_stops_on_resync(void **state)
{
	struct rig *r = rig_new("momentary", false);
	const int64_t press[][2] = { { 1, T0 + MS(100) } };
	/* The up edge was lost: a coalesced down edge, then the level reads up. */
	struct pedal_debouncer_output out;

	(void)state;
	burst(r, press, 1, T0 + MS(101));
	fire_timer(r);
	assert_true(motor_on(r));

	pedal_debouncer_feed(&r->debouncer, PEDAL_LEVEL_DOWN, T0 + MS(300), &out);
	forward(r, &out);
	assert_true(motor_on(r));
	pedal_debouncer_resync(&r->debouncer, PEDAL_LEVEL_UP, T0 + MS(301), &out);
	forward(r, &out);
	assert_false(motor_on(r));
	assert_int_equal(r->last_stop, ENGINE_REASON_PEDAL_RELEASED);
	rig_free(r);
}

/* Press (confirmed at +120 ms) and release at +300 ms: latched on. */
static void latch_on(struct rig *r)
{
	const int64_t press[][2] = { { 1, T0 + MS(100) } };
	const int64_t release[][2] = { { 0, T0 + MS(300) } };

	burst(r, press, 1, T0 + MS(101));
	fire_timer(r);
	burst(r, release, 1, T0 + MS(301));
	assert_true(motor_on(r));
}

/* A glitch (a knock, interference) on a latched pedal stops the motor: the
 * safe side.  It is no press, so the next real press (after the second in
 * which it would count as the same press) starts it again. */
static void test_latching_glitch_stops_and_next_press_restarts(void **state)
{
	struct rig *r = rig_new("latching", false);
	const int64_t glitch[][2] = { { 1, T0 + MS(600) }, { 0, T0 + MS(602) } };
	const int64_t press2[][2] = { { 1, T0 + MS(2000) } };

	(void)state;
	latch_on(r);

	burst(r, glitch, G_N_ELEMENTS(glitch), T0 + MS(603));
	fire_timer(r);
	assert_false(motor_on(r));
	assert_int_equal(r->stops, 1);
	assert_int_equal(r->last_stop, ENGINE_REASON_PEDAL_LATCHED_OFF);

	burst(r, press2, 1, T0 + MS(2001));
	fire_timer(r);
	assert_int_equal(r->runs, 2);
	assert_true(motor_on(r));
	rig_free(r);
}

/* The review's sequence: a stopping press whose first contact (5 ms) is too
 * short to count, the line up 21 ms, then held.  One press: it stops the
 * motor at its first edge and does not start it again. */
static void test_latching_hesitant_stop_press_toggles_once(void **state)
{
	struct rig *r = rig_new("latching", false);
	const int64_t stop_press[][2] = { { 1, T0 + MS(600) }, { 0, T0 + MS(605) },
					  { 1, T0 + MS(626) } };

	(void)state;
	latch_on(r);

	burst(r, stop_press, G_N_ELEMENTS(stop_press), T0 + MS(627));
	fire_timer(r);
	assert_int_equal(r->stops, 1);
	assert_int_equal(r->runs, 1);
	assert_false(motor_on(r));
	rig_free(r);
}

/* In momentary mode the first edge starts nothing: the press must last. */
static void test_momentary_press_starts_only_after_debounce(void **state)
{
	struct rig *r = rig_new("momentary", false);
	const int64_t press[][2] = { { 1, T0 + MS(100) } };

	(void)state;
	burst(r, press, 1, T0 + MS(101));
	assert_int_equal(r->runs, 0);
	fire_timer(r);
	assert_int_equal(r->runs, 1);
	assert_int_equal(r->now, T0 + MS(120));
	rig_free(r);
}

#define PEDAL_TEST(name, fn) { (name), (fn), NULL, NULL, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		PEDAL_TEST("/pedal/engine/latching-bouncy-presses-toggle-once-each",
			   test_latching_bouncy_presses_toggle_once_each),
		PEDAL_TEST("/pedal/engine/latching-short-tap-does-not-toggle",
			   test_latching_short_tap_does_not_toggle),
		PEDAL_TEST("/pedal/engine/latching-held-at-start-never-starts",
			   test_latching_held_at_start_never_starts),
		PEDAL_TEST("/pedal/engine/momentary-lost-release-stops-on-resync",
			   test_momentary_lost_release_stops_on_resync),
		PEDAL_TEST("/pedal/engine/latching-glitch-stops-next-press-restarts",
			   test_latching_glitch_stops_and_next_press_restarts),
		PEDAL_TEST("/pedal/engine/latching-hesitant-stop-press-toggles-once",
			   test_latching_hesitant_stop_press_toggles_once),
		PEDAL_TEST("/pedal/engine/momentary-press-starts-only-after-debounce",
			   test_momentary_press_starts_only_after_debounce),
	};

	return cmocka_run_group_tests_name("pedal-engine", tests, NULL, NULL);
}
