// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The foot pedal debouncer, fed with timestamped edge sequences.
 *
 * Each test drives the debouncer through a script of steps and compares
 * every event it emitted (kind, time, held-at-start) with the expected list,
 * so an extra, missing or late press or release fails the test.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "penctl/pedal_debouncer.h"

#define MS(x) ((int64_t)(x) * 1000)

enum step_op {
	STEP_START,    /* pedal_debouncer_start(level, t) */
	STEP_EDGE,     /* pedal_debouncer_feed(level, t) */
	STEP_RESYNC,   /* pedal_debouncer_resync(level, t) */
	STEP_DEADLINE, /* pedal_debouncer_on_deadline(t) */
	STEP_END,
};

struct step {
	enum step_op op;
	enum pedal_level level;
	int64_t time_us;
};

#define START(lvl, t)  { STEP_START, PEDAL_LEVEL_##lvl, (t) }
#define EDGE(lvl, t)   { STEP_EDGE, PEDAL_LEVEL_##lvl, (t) }
#define RESYNC(lvl, t) { STEP_RESYNC, PEDAL_LEVEL_##lvl, (t) }
#define TIMER(t)       { STEP_DEADLINE, PEDAL_LEVEL_UP, (t) }
#define END            { STEP_END, PEDAL_LEVEL_UP, 0 }

#define PRESSED(t)     { PEDAL_DEBOUNCE_PRESSED, (t), false }
#define HELD(t)        { PEDAL_DEBOUNCE_PRESSED, (t), true }
#define RELEASED(t)    { PEDAL_DEBOUNCE_RELEASED, (t), false }
#define BEGAN(t)       { PEDAL_DEBOUNCE_PRESS_BEGAN, (t), false }

#define MAX_LOG 64

struct event_log {
	unsigned n;
	struct pedal_debounce_event events[MAX_LOG];
};

static void log_output(struct event_log *log, const struct pedal_debouncer_output *out)
{
	assert_true(out->n_events <= PEDAL_DEBOUNCER_MAX_EVENTS);
	for (unsigned i = 0; i < out->n_events; i++) {
		assert_true(log->n < MAX_LOG);
		log->events[log->n++] = out->events[i];
	}
}

static void run_step(struct pedal_debouncer *d, const struct step *s, struct event_log *log)
{
	struct pedal_debouncer_output out = { .n_events = 99 };

	switch (s->op) {
	case STEP_START:
		pedal_debouncer_start(d, s->level, s->time_us, &out);
		break;
	case STEP_EDGE:
		pedal_debouncer_feed(d, s->level, s->time_us, &out);
		break;
	case STEP_RESYNC:
		pedal_debouncer_resync(d, s->level, s->time_us, &out);
		break;
	case STEP_DEADLINE:
		pedal_debouncer_on_deadline(d, s->time_us, &out);
		break;
	case STEP_END:
		fail_msg("STEP_END is not a step");
		break;
	}
	log_output(log, &out);
}

static void run_script(struct pedal_debouncer *d, const struct step *steps, struct event_log *log)
{
	for (const struct step *s = steps; s->op != STEP_END; s++)
		run_step(d, s, log);
}

static void assert_events(const struct event_log *log, const struct pedal_debounce_event *expected,
			  unsigned n_expected)
{
	for (unsigned i = 0; i < log->n || i < n_expected; i++) {
		if (i >= log->n)
			fail_msg("event %u missing: expected %s at %lld us", i,
				 pedal_debounce_kind_to_string(expected[i].kind),
				 (long long)expected[i].time_us);
		if (i >= n_expected)
			fail_msg("unexpected event %u: %s at %lld us", i,
				 pedal_debounce_kind_to_string(log->events[i].kind),
				 (long long)log->events[i].time_us);
		assert_string_equal(pedal_debounce_kind_to_string(log->events[i].kind),
				    pedal_debounce_kind_to_string(expected[i].kind));
		assert_int_equal(log->events[i].time_us, expected[i].time_us);
		assert_int_equal(log->events[i].held_at_start, expected[i].held_at_start);
	}
}

#define ASSERT_EVENTS(log, ...)                                                              \
	do {                                                                                 \
		const struct pedal_debounce_event expected_[] = { __VA_ARGS__ };             \
		assert_events((log), expected_, sizeof(expected_) / sizeof(expected_[0]));   \
	} while (0)
#define ASSERT_NO_EVENTS(log) assert_events((log), NULL, 0)

/* Run a script with DEBOUNCE_MS, firing the timer at every deadline that
 * falls before the next step, as the main loop would. */
static void run_script_with_timer(struct pedal_debouncer *d, const struct step *steps,
				  struct event_log *log)
{
	for (const struct step *s = steps; s->op != STEP_END; s++) {
		int64_t deadline = pedal_debouncer_next_deadline(d);

		if (deadline >= 0 && deadline <= s->time_us) {
			struct step timer = TIMER(deadline);

			run_step(d, &timer, log);
		}
		run_step(d, s, log);
	}
}

static void test_up_at_start_reports_released(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = { START(UP, MS(1000)), END };

	(void)state;
	pedal_debouncer_init(&d, 20);
	assert_int_equal(pedal_debouncer_reported(&d), PEDAL_REPORTED_UNKNOWN);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(MS(1000)));
	assert_int_equal(pedal_debouncer_reported(&d), PEDAL_REPORTED_RELEASED);
	assert_int_equal(pedal_debouncer_next_deadline(&d), -1);
}

static void test_stuck_down_at_start_reports_held(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	/* Held at start, later released, then a real press: only the last
	 * one is an ordinary (debounced) press. */
	const struct step steps[] = {
		START(DOWN, MS(1000)),
		TIMER(MS(1100)),
		EDGE(UP, MS(1500)),
		EDGE(DOWN, MS(2000)),
		TIMER(MS(2020)),
		END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, HELD(MS(1000)), RELEASED(MS(1500)), BEGAN(MS(2000)), PRESSED(MS(2020)));
}

static void test_bounce_on_press_gives_one_press_after_debounce(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0),
		EDGE(DOWN, MS(100)),
		EDGE(UP, MS(101)),
		EDGE(DOWN, MS(102)),
		EDGE(UP, MS(103)),
		EDGE(DOWN, MS(105)),
		RESYNC(DOWN, MS(106)),
		END,
	};
	struct pedal_debouncer_output out;

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	/* The press began at the first down edge; the bounces are part of it. */
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)));
	/* The window starts at the last down edge, not the first. */
	assert_int_equal(pedal_debouncer_next_deadline(&d), MS(125));

	pedal_debouncer_on_deadline(&d, MS(125) - 1, &out);
	assert_int_equal(out.n_events, 0);
	assert_int_equal(pedal_debouncer_next_deadline(&d), MS(125));

	pedal_debouncer_on_deadline(&d, MS(125), &out);
	log_output(&log, &out);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)), PRESSED(MS(125)));
	assert_int_equal(pedal_debouncer_next_deadline(&d), -1);
}

static void test_bounce_on_release_passes_release_at_once(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0),
		EDGE(DOWN, MS(100)),
		TIMER(MS(120)),
		EDGE(UP, MS(500)),
		EDGE(DOWN, MS(501)),
		EDGE(UP, MS(502)),
		EDGE(DOWN, MS(504)),
		EDGE(UP, MS(507)),
		RESYNC(UP, MS(508)),
		END,
	};
	struct pedal_debouncer_output out;

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	/* The bounces after the release begin no press. */
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)), PRESSED(MS(120)), RELEASED(MS(500)));
	assert_int_equal(pedal_debouncer_next_deadline(&d), -1);

	/* The release left the feed call that carried its edge. */
	pedal_debouncer_init(&d, 20);
	pedal_debouncer_start(&d, PEDAL_LEVEL_DOWN, 0, &out);
	pedal_debouncer_feed(&d, PEDAL_LEVEL_UP, MS(1), &out);
	assert_int_equal(out.n_events, 1);
	assert_int_equal(out.events[0].kind, PEDAL_DEBOUNCE_RELEASED);
	assert_int_equal(out.events[0].time_us, MS(1));
}

static void test_press_shorter_than_debounce_never_presses(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0),
		EDGE(DOWN, MS(100)),
		EDGE(UP, MS(120) - 1),
		TIMER(MS(120)),
		RESYNC(UP, MS(121)),
		TIMER(MS(200)),
		END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)));
	assert_int_equal(pedal_debouncer_next_deadline(&d), -1);
}

/* Down for exactly the debounce time counts as a press, whichever of the
 * timer and the up edge is handled first. */
static void test_release_right_at_deadline(void **state)
{
	struct pedal_debouncer d;
	struct event_log timer_first = { 0 }, edge_first = { 0 };
	const struct step timer_then_edge[] = {
		START(UP, 0), EDGE(DOWN, MS(100)), TIMER(MS(120)), EDGE(UP, MS(120)), END,
	};
	const struct step edge_only[] = {
		START(UP, 0), EDGE(DOWN, MS(100)), EDGE(UP, MS(120)), TIMER(MS(120)), END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, timer_then_edge, &timer_first);
	ASSERT_EVENTS(&timer_first, RELEASED(0), BEGAN(MS(100)), PRESSED(MS(120)), RELEASED(MS(120)));

	/* The up edge handled before the (due) timer: the pedal is up now, so
	 * the press is dropped rather than reported just before its release. */
	pedal_debouncer_init(&d, 20);
	run_script(&d, edge_only, &edge_first);
	ASSERT_EVENTS(&edge_first, RELEASED(0), BEGAN(MS(100)));
}

/* The timer ran late (a busy main loop) and the up edge is read first: the
 * pedal is already up, so the overdue press is never reported (no RUN for
 * a pedal that is no longer held). */
static void test_late_timer_up_edge_drops_press(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0), EDGE(DOWN, MS(100)), EDGE(UP, MS(180)), TIMER(MS(190)), END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)));
}

static void test_chatter_never_presses_until_quiet(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	struct step steps[2 + 400 + 2];
	unsigned n = 0;
	int64_t t = MS(100);

	(void)state;
	steps[n++] = (struct step)START(UP, 0);
	/* One second of chatter: down 15 ms, up 4 ms, never down 20 ms. */
	for (unsigned i = 0; i < 200; i++) {
		steps[n++] = (struct step)EDGE(DOWN, t);
		t += MS(15);
		steps[n++] = (struct step)EDGE(UP, t);
		t += MS(4);
	}
	/* Then it settles down for good. */
	steps[n++] = (struct step)EDGE(DOWN, t);
	steps[n++] = (struct step)RESYNC(DOWN, t + MS(60));
	steps[n++] = (struct step)END;
	assert_true(n <= sizeof(steps) / sizeof(steps[0]));

	pedal_debouncer_init(&d, 20);
	run_script_with_timer(&d, steps, &log);
	/* One press began, at the first edge: a 4 ms gap is no release. */
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)), PRESSED(t + MS(20)));
}

/* libgpiod 1.6 reports the level its IRQ thread reads, so a bounce can show
 * as two down edges: the second restarts the window. */
static void test_coalesced_down_edges_restart_window(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0), EDGE(DOWN, MS(100)), EDGE(DOWN, MS(115)), TIMER(MS(120)), END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)));
	assert_int_equal(pedal_debouncer_next_deadline(&d), MS(135));
}

/* Events lost (FIFO overflow): the pedal was reported pressed, the up edge
 * never came, the level read after the burst says up: released at once. */
static void test_lost_release_fixed_by_resync(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0),
		EDGE(DOWN, MS(100)),
		TIMER(MS(120)),
		EDGE(DOWN, MS(300)), /* coalesced: the up before it was lost */
		RESYNC(UP, MS(301)),
		END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)), PRESSED(MS(120)), RELEASED(MS(301)));
	assert_int_equal(pedal_debouncer_reported(&d), PEDAL_REPORTED_RELEASED);
}

/* The up edge of a long press was lost: the line reads up before anyone
 * confirmed the press.  Its length is unknown, so no press. */
static void test_resync_up_drops_pending_press(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0), EDGE(DOWN, MS(100)), RESYNC(UP, MS(150)), TIMER(MS(160)), END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)));
	assert_int_equal(pedal_debouncer_next_deadline(&d), -1);
}

/* The down edge was lost: the level read says down, the window starts at
 * the read, and the press comes a debounce time later. */
static void test_lost_press_found_by_resync(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0), RESYNC(DOWN, MS(50)), RESYNC(DOWN, MS(60)), TIMER(MS(70)), END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(50)), PRESSED(MS(70)));
}

/* A resync that finds the line still down after the deadline confirms, as
 * the timer would have. */
static void test_resync_down_after_deadline_confirms(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0), EDGE(DOWN, MS(100)), RESYNC(DOWN, MS(130)), END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)), PRESSED(MS(120)));
}

static void test_debounce_zero_passes_press_at_once(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0),
		EDGE(DOWN, MS(100)),
		EDGE(UP, MS(101)),
		EDGE(UP, MS(102)),
		RESYNC(DOWN, MS(110)),
		END,
	};

	(void)state;
	pedal_debouncer_init(&d, 0);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)), PRESSED(MS(100)), RELEASED(MS(101)),
		      BEGAN(MS(110)), PRESSED(MS(110)));
	assert_int_equal(pedal_debouncer_next_deadline(&d), -1);
}

/* A resync reads the clock after the edges; an edge read later may carry
 * an earlier kernel timestamp.  Time never runs backwards. */
static void test_earlier_timestamp_counts_as_latest(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0), RESYNC(UP, MS(200)), EDGE(DOWN, MS(190)), END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(200)));
	assert_int_equal(pedal_debouncer_next_deadline(&d), MS(220));
}

/* After the line was lost and reopened, the state is reported afresh. */
static void test_reset_then_start_reports_afresh(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step before[] = { START(UP, 0), EDGE(DOWN, MS(100)), END };
	const struct step after[] = { START(UP, MS(900)), END };

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, before, &log);
	pedal_debouncer_reset(&d);
	assert_int_equal(pedal_debouncer_reported(&d), PEDAL_REPORTED_UNKNOWN);
	assert_int_equal(pedal_debouncer_next_deadline(&d), -1);
	run_script(&d, after, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)), RELEASED(MS(900)));
}

/* The first down edge is passed on in the call that carries it, before
 * any debouncing: a latching pedal's stop must not wait. */
static void test_press_began_passed_on_at_the_edge(void **state)
{
	struct pedal_debouncer d;
	struct pedal_debouncer_output out;

	(void)state;
	pedal_debouncer_init(&d, 20);
	pedal_debouncer_start(&d, PEDAL_LEVEL_UP, 0, &out);
	pedal_debouncer_feed(&d, PEDAL_LEVEL_DOWN, MS(100), &out);
	assert_int_equal(out.n_events, 1);
	assert_int_equal(out.events[0].kind, PEDAL_DEBOUNCE_PRESS_BEGAN);
	assert_int_equal(out.events[0].time_us, MS(100));
	assert_int_equal(pedal_debouncer_next_deadline(&d), MS(120));
}

/* A press begins only after the line was up for the debounce time: a down
 * edge sooner after a release is a bounce of it (or a quick re-press, which
 * is then an ordinary debounced press), never a begin. */
static void test_press_begins_only_after_the_line_was_up_long_enough(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(UP, 0),
		EDGE(DOWN, MS(100)),
		TIMER(MS(120)),
		EDGE(UP, MS(500)),
		EDGE(DOWN, MS(519)), /* up 19 ms */
		TIMER(MS(539)),
		EDGE(UP, MS(600)),
		EDGE(DOWN, MS(620)), /* up 20 ms */
		TIMER(MS(640)),
		END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, RELEASED(0), BEGAN(MS(100)), PRESSED(MS(120)), RELEASED(MS(500)),
		      PRESSED(MS(539)), RELEASED(MS(600)), BEGAN(MS(620)), PRESSED(MS(640)));
}

/* Held at start: the press did not begin while we watched, so no begin
 * until it was released and pressed again. */
static void test_held_at_start_begins_nothing(void **state)
{
	struct pedal_debouncer d;
	struct event_log log = { 0 };
	const struct step steps[] = {
		START(DOWN, 0), EDGE(DOWN, MS(50)), RESYNC(DOWN, MS(60)), END,
	};

	(void)state;
	pedal_debouncer_init(&d, 20);
	run_script(&d, steps, &log);
	ASSERT_EVENTS(&log, HELD(0));
}

/* cmocka names a test after its function; these name the requirement. */
#define PEDAL_TEST(name, fn) { (name), (fn), NULL, NULL, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		PEDAL_TEST("/pedal/up-at-start", test_up_at_start_reports_released),
		PEDAL_TEST("/pedal/stuck-down-at-start", test_stuck_down_at_start_reports_held),
		PEDAL_TEST("/pedal/bounce-on-press", test_bounce_on_press_gives_one_press_after_debounce),
		PEDAL_TEST("/pedal/bounce-on-release", test_bounce_on_release_passes_release_at_once),
		PEDAL_TEST("/pedal/press-shorter-than-debounce", test_press_shorter_than_debounce_never_presses),
		PEDAL_TEST("/pedal/release-right-at-deadline", test_release_right_at_deadline),
		PEDAL_TEST("/pedal/late-timer-up-edge-drops-press", test_late_timer_up_edge_drops_press),
		PEDAL_TEST("/pedal/chatter", test_chatter_never_presses_until_quiet),
		PEDAL_TEST("/pedal/coalesced-down-edges-restart-window", test_coalesced_down_edges_restart_window),
		PEDAL_TEST("/pedal/lost-release-fixed-by-resync", test_lost_release_fixed_by_resync),
		PEDAL_TEST("/pedal/resync-up-drops-pending-press", test_resync_up_drops_pending_press),
		PEDAL_TEST("/pedal/lost-press-found-by-resync", test_lost_press_found_by_resync),
		PEDAL_TEST("/pedal/resync-down-after-deadline-confirms", test_resync_down_after_deadline_confirms),
		PEDAL_TEST("/pedal/debounce-zero", test_debounce_zero_passes_press_at_once),
		PEDAL_TEST("/pedal/time-never-runs-backwards", test_earlier_timestamp_counts_as_latest),
		PEDAL_TEST("/pedal/reset-then-start-reports-afresh", test_reset_then_start_reports_afresh),
		PEDAL_TEST("/pedal/press-began-at-the-edge", test_press_began_passed_on_at_the_edge),
		PEDAL_TEST("/pedal/press-begins-after-up-for-debounce",
			   test_press_begins_only_after_the_line_was_up_long_enough),
		PEDAL_TEST("/pedal/held-at-start-begins-nothing", test_held_at_start_begins_nothing),
	};

	return cmocka_run_group_tests_name("pedal-debouncer", tests, NULL, NULL);
}
