// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The USB foot switch's input events -> pedal edges and depth-key presses
 * (input/evdev_translate.c), fed with scripted reads as libevdev would
 * give them.  Each test compares every event reported (kind and time) with
 * the expected list, so an extra, missing or misdated edge fails.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <linux/input.h>

#include "penctl/pedal_evdev.h"

#define PEDAL KEY_B
#define DEPTH_DOWN KEY_A
#define DEPTH_UP KEY_C

struct step {
	enum pedal_evdev_read read;
	uint16_t type, code;
	int32_t value;
	uint64_t time_us;
};

#define KEY(code, value, t)  { PEDAL_EVDEV_READ_EVENT, EV_KEY, (code), (value), (t) }
#define SYNKEY(code, value, t) { PEDAL_EVDEV_READ_SYNC, EV_KEY, (code), (value), (t) }
#define REPORT(t)            { PEDAL_EVDEV_READ_EVENT, EV_SYN, SYN_REPORT, 0, (t) }
#define DROPPED(t)           { PEDAL_EVDEV_READ_SYNC, EV_SYN, SYN_DROPPED, 0, (t) }
#define MSC(t)               { PEDAL_EVDEV_READ_EVENT, EV_MSC, MSC_SCAN, 0x70005, (t) }
#define AGAIN                { PEDAL_EVDEV_READ_AGAIN, 0, 0, 0, 0 }
#define UNPLUGGED            { PEDAL_EVDEV_READ_ERROR, 0, 0, 0, 0 }
#define END                  { PEDAL_EVDEV_READ_AGAIN, 0xffff, 0, 0, 0 }

struct expected {
	enum pedal_evdev_event_kind kind;
	uint64_t time_us;
};

#define EXPECT_END { PEDAL_EVDEV_PEDAL_DOWN, UINT64_MAX }

/* Every step's time is T0_US later than written: the scripts read as
 * "µs since a moment" and the open can be before it. */
#define T0_US 10000000ull

/* OPEN_US: when the device was opened, relative to T0_US; DEBOUNCE_MS the
 * depth keys' debounce time. */
static void run_debounced(int level_at_open, int64_t open_us, uint32_t debounce_ms,
			  const struct step *steps, const struct expected *expected)
{
	static const struct pedal_evdev_keys keys = {
		.pedal = PEDAL, .depth_down = DEPTH_DOWN, .depth_up = DEPTH_UP,
	};
	struct pedal_evdev_translator t;
	size_t n = 0;

	pedal_evdev_translator_init(&t, &keys, level_at_open,
				    (uint64_t)((int64_t)T0_US + open_us) * 1000u, debounce_ms);
	for (const struct step *s = steps; s->type != 0xffff; s++) {
		uint64_t time_us = s->time_us + T0_US;
		struct input_event ev = {
			.input_event_sec = (time_t)(time_us / 1000000u),
			.input_event_usec = (suseconds_t)(time_us % 1000000u),
			.type = s->type,
			.code = s->code,
			.value = s->value,
		};
		struct pedal_evdev_event out;

		if (!pedal_evdev_translate(&t, s->read, &ev, &out))
			continue;
		assert_int_not_equal(expected[n].time_us, UINT64_MAX); /* an extra event */
		assert_int_equal(out.kind, expected[n].kind);
		assert_int_equal(out.timestamp_ns, (expected[n].time_us + T0_US) * 1000u);
		n++;
	}
	assert_int_equal(expected[n].time_us, UINT64_MAX); /* a missing event */
}

static void run_opened(int level_at_open, int64_t open_us, const struct step *steps,
		       const struct expected *expected)
{
	run_debounced(level_at_open, open_us, 0, steps, expected);
}

/* Opened long before the script: no press falls in the plug's settling. */
static void run(int level_at_open, const struct step *steps, const struct expected *expected)
{
	run_opened(level_at_open, -(int64_t)T0_US, steps, expected);
}

/* A USB switch held while plugged in reports the down only once opened:
 * a down within the settling after the open is the key held at the plug,
 * ignored with its release; the next press is one.  A press after the
 * settling is a press. */
static void test_down_right_after_open_is_held_at_plug(void **state)
{
	const struct step steps[] = {
		KEY(PEDAL, 1, 20000), KEY(PEDAL, 2, 270000), KEY(PEDAL, 0, 900000),
		KEY(PEDAL, 1, 1200000), KEY(PEDAL, 0, 1300000), END,
	};
	const struct expected expected[] = {
		{ PEDAL_EVDEV_PEDAL_DOWN, 1200000 }, { PEDAL_EVDEV_PEDAL_UP, 1300000 }, EXPECT_END,
	};
	const struct step later[] = { KEY(PEDAL, 1, 600000), END };
	const struct expected later_expected[] = { { PEDAL_EVDEV_PEDAL_DOWN, 600000 }, EXPECT_END };

	(void)state;
	run_opened(0, 0, steps, expected);
	run_opened(0, 0, later, later_expected);
}

static void test_down_then_up(void **state)
{
	const struct step steps[] = {
		MSC(1000), KEY(PEDAL, 1, 1000), REPORT(1000), AGAIN,
		MSC(250000), KEY(PEDAL, 0, 250000), REPORT(250000), AGAIN, END,
	};
	const struct expected expected[] = {
		{ PEDAL_EVDEV_PEDAL_DOWN, 1000 }, { PEDAL_EVDEV_PEDAL_UP, 250000 }, EXPECT_END,
	};

	(void)state;
	run(0, steps, expected);
}

/* The kernel repeats a held key (value 2) after 250 ms, every 33 ms: a
 * held pedal must stay one press. */
static void test_autorepeat_is_no_edge(void **state)
{
	const struct step steps[] = {
		KEY(PEDAL, 1, 1000), REPORT(1000),
		KEY(PEDAL, 2, 251000), REPORT(251000),
		KEY(PEDAL, 2, 284000), REPORT(284000),
		KEY(PEDAL, 0, 300000), REPORT(300000), END,
	};
	const struct expected expected[] = {
		{ PEDAL_EVDEV_PEDAL_DOWN, 1000 }, { PEDAL_EVDEV_PEDAL_UP, 300000 }, EXPECT_END,
	};

	(void)state;
	run(0, steps, expected);
}

/* Other keys of the device (a PCsensor sends KEY_A/B/C from its three
 * pedals) and other event types are not the pedal. */
static void test_other_keys_and_types_ignored(void **state)
{
	const struct step steps[] = {
		KEY(KEY_LEFTSHIFT, 1, 1000), KEY(KEY_LEFTSHIFT, 0, 2000),
		{ PEDAL_EVDEV_READ_EVENT, EV_REL, REL_X, 1, 3000 },
		{ PEDAL_EVDEV_READ_EVENT, EV_LED, LED_CAPSL, 1, 4000 },
		KEY(KEY_RESERVED, 1, 5000), END,
	};
	const struct expected expected[] = { EXPECT_END };

	(void)state;
	run(0, steps, expected);
}

/* Held at open: the level at open is the translator's start, so the
 * release is the first edge, and a repeated "down" is none. */
static void test_held_at_open_first_edge_is_release(void **state)
{
	const struct step steps[] = {
		KEY(PEDAL, 2, 1000), KEY(PEDAL, 1, 2000), KEY(PEDAL, 0, 3000), END,
	};
	const struct expected expected[] = { { PEDAL_EVDEV_PEDAL_UP, 3000 }, EXPECT_END };

	(void)state;
	run(1, steps, expected);
}

/* SYN_DROPPED: the release was lost in the overflow; libevdev's resync
 * says the key is up now, and that is the edge, dated by the resync. */
static void test_syn_dropped_resync_finds_release(void **state)
{
	const struct step steps[] = {
		KEY(PEDAL, 1, 1000), REPORT(1000),
		DROPPED(50000), SYNKEY(PEDAL, 0, 50000), { PEDAL_EVDEV_READ_SYNC, EV_SYN,
							   SYN_REPORT, 0, 50000 },
		AGAIN, KEY(PEDAL, 1, 90000), END,
	};
	const struct expected expected[] = {
		{ PEDAL_EVDEV_PEDAL_DOWN, 1000 }, { PEDAL_EVDEV_PEDAL_UP, 50000 },
		{ PEDAL_EVDEV_PEDAL_DOWN, 90000 }, EXPECT_END,
	};

	(void)state;
	run(0, steps, expected);
}

/* A resync that finds the key as last reported gives no edge. */
static void test_syn_dropped_same_state_no_edge(void **state)
{
	const struct step steps[] = {
		KEY(PEDAL, 1, 1000), DROPPED(50000), AGAIN, KEY(PEDAL, 0, 90000), END,
	};
	const struct expected expected[] = {
		{ PEDAL_EVDEV_PEDAL_DOWN, 1000 }, { PEDAL_EVDEV_PEDAL_UP, 90000 }, EXPECT_END,
	};

	(void)state;
	run(0, steps, expected);
}

/* Depth keys: a step per press (value 1); repeats and releases are none;
 * a press found only by a resync is not replayed (a missed step is
 * harmless, a phantom one is not). */
static void test_depth_keys_press_only(void **state)
{
	const struct step steps[] = {
		KEY(DEPTH_DOWN, 1, 1000), KEY(DEPTH_DOWN, 2, 251000), KEY(DEPTH_DOWN, 0, 300000),
		KEY(DEPTH_UP, 1, 400000), KEY(DEPTH_UP, 0, 450000),
		DROPPED(500000), SYNKEY(DEPTH_UP, 1, 500000), AGAIN,
		KEY(DEPTH_UP, 0, 600000), END,
	};
	const struct expected expected[] = {
		{ PEDAL_EVDEV_DEPTH_DOWN, 1000 }, { PEDAL_EVDEV_DEPTH_UP, 400000 }, EXPECT_END,
	};

	(void)state;
	run(0, steps, expected);
}

/* A depth key's contact bouncing (DebounceMs 15): down again within 15 ms
 * of going up is the same press, on the press (down, up, down) and on the
 * release (up, down, up); up for 15 ms or longer, a new press is one. */
static void test_depth_key_bounce_is_one_press(void **state)
{
	const struct step steps[] = {
		/* a press that bounces: one step */
		KEY(DEPTH_UP, 1, 1000), KEY(DEPTH_UP, 0, 3000), KEY(DEPTH_UP, 1, 5000),
		KEY(DEPTH_UP, 0, 9000), KEY(DEPTH_UP, 1, 12000),
		/* its release bounces: no step */
		KEY(DEPTH_UP, 0, 300000), KEY(DEPTH_UP, 1, 302000), KEY(DEPTH_UP, 0, 304000),
		/* the other key is its own: pressed 1 ms later, a step */
		KEY(DEPTH_DOWN, 1, 305000),
		/* up exactly 15 ms: a second press of the same key */
		KEY(DEPTH_UP, 1, 319000), KEY(DEPTH_DOWN, 0, 400000), KEY(DEPTH_UP, 0, 500000),
		/* up 14.999 ms: still the bounce of that release */
		KEY(DEPTH_UP, 1, 514999), END,
	};
	const struct expected expected[] = {
		{ PEDAL_EVDEV_DEPTH_UP, 1000 }, { PEDAL_EVDEV_DEPTH_DOWN, 305000 },
		{ PEDAL_EVDEV_DEPTH_UP, 319000 }, EXPECT_END,
	};

	(void)state;
	run_debounced(0, -(int64_t)T0_US, 15, steps, expected);
}

/* DebounceMs=0: every press of a depth key is a step, however close. */
static void test_depth_key_undebounced(void **state)
{
	const struct step steps[] = {
		KEY(DEPTH_UP, 1, 1000), KEY(DEPTH_UP, 0, 1500), KEY(DEPTH_UP, 1, 2000), END,
	};
	const struct expected expected[] = {
		{ PEDAL_EVDEV_DEPTH_UP, 1000 }, { PEDAL_EVDEV_DEPTH_UP, 2000 }, EXPECT_END,
	};

	(void)state;
	run_debounced(0, -(int64_t)T0_US, 0, steps, expected);
}

/* Unplugged (libevdev_next_event: -ENODEV): nothing to report here, the
 * device layer reports the pedal lost; the next device starts afresh. */
static void test_unplug_reports_nothing_and_keeps_state(void **state)
{
	const struct step steps[] = { KEY(PEDAL, 1, 1000), UNPLUGGED, KEY(PEDAL, 1, 2000), END };
	const struct expected expected[] = { { PEDAL_EVDEV_PEDAL_DOWN, 1000 }, EXPECT_END };

	(void)state;
	run(0, steps, expected);
}

/* No depth keys configured (0): KEY_RESERVED events never match them. */
static void test_no_depth_keys(void **state)
{
	static const struct pedal_evdev_keys keys = { .pedal = PEDAL };
	struct pedal_evdev_translator t;
	struct input_event ev = { .type = EV_KEY, .code = KEY_RESERVED, .value = 1 };
	struct pedal_evdev_event out;

	(void)state;
	pedal_evdev_translator_init(&t, &keys, 0, 0, 15);
	assert_false(pedal_evdev_translate(&t, PEDAL_EVDEV_READ_EVENT, &ev, &out));
	ev.code = KEY_A;
	assert_false(pedal_evdev_translate(&t, PEDAL_EVDEV_READ_EVENT, &ev, &out));
}

int main(void)
{
	const struct CMUnitTest all[] = {
		{ "/evdev/down-then-up", test_down_then_up, NULL, NULL, NULL },
		{ "/evdev/autorepeat-is-no-edge", test_autorepeat_is_no_edge, NULL, NULL, NULL },
		{ "/evdev/other-keys-ignored", test_other_keys_and_types_ignored, NULL, NULL, NULL },
		{ "/safety/pedal-held-at-start/evdev-held-at-plug",
		  test_down_right_after_open_is_held_at_plug, NULL, NULL, NULL },
		{ "/safety/pedal-held-at-start/evdev-first-edge-is-release",
		  test_held_at_open_first_edge_is_release, NULL, NULL, NULL },
		{ "/evdev/syn-dropped-resync-finds-release", test_syn_dropped_resync_finds_release,
		  NULL, NULL, NULL },
		{ "/evdev/syn-dropped-same-state", test_syn_dropped_same_state_no_edge, NULL, NULL,
		  NULL },
		{ "/evdev/depth-keys-press-only", test_depth_keys_press_only, NULL, NULL, NULL },
		{ "/evdev/depth-key-bounce-is-one-press", test_depth_key_bounce_is_one_press, NULL,
		  NULL, NULL },
		{ "/evdev/depth-key-undebounced", test_depth_key_undebounced, NULL, NULL, NULL },
		{ "/evdev/unplug", test_unplug_reports_nothing_and_keeps_state, NULL, NULL, NULL },
		{ "/evdev/no-depth-keys", test_no_depth_keys, NULL, NULL, NULL },
	};

	return cmocka_run_group_tests_name("evdev-translate", all, NULL, NULL);
}
