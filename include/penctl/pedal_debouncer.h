/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The foot pedal debouncer: raw GPIO edges in, debounced presses and releases
 * out.
 *
 * Pure: no I/O, no clock reads, no allocation.  Every time is CLOCK_MONOTONIC
 * in microseconds, the clock of the kernel's GPIO event timestamps and of
 * g_get_monotonic_time(); a time earlier than the last one seen counts as the
 * last one.  Levels and edges are logical (the active-low flag already
 * applied by the kernel): DOWN = the pedal is pressed.
 *
 * The rules, and why:
 *  - A press counts only after the line has stayed down for the debounce
 *    time: a contact that bounces, or a short knock, must not start the
 *    motor (or toggle it in latching mode).  The caller arms a timer for
 *    pedal_debouncer_next_deadline() and calls pedal_debouncer_on_deadline().
 *    Only the timer (or a resync that reads the line down) confirms a
 *    press: an edge handled after an overdue deadline (a late main loop)
 *    drops the pending press, because an up edge, or a second down edge,
 *    says the pedal is not held now, and a press reported then would only
 *    start the motor for a pedal already released.
 *  - A release is passed on at once: the stop must never wait.  The bounces
 *    after it are swallowed because each down pulse is shorter than the
 *    debounce time and so never becomes a press.
 *  - The first down edge of a press is passed on at once as PRESS_BEGAN,
 *    before the press is confirmed (or dropped): in latching mode a press
 *    stops the motor, and that stop must not wait for the debounce either.
 *    A down edge begins a press only after the line has been up for at
 *    least the debounce time, so contact bounce (gaps shorter than that)
 *    never begins one; a hesitant foot that lifts for longer can begin a
 *    second one for what it meant as one press (the engine allows for it).
 *    A press that began is then confirmed or dropped as above; PRESS_BEGAN
 *    alone never starts anything.
 *  - Edges can be lost or coalesced (the kernel's FIFO overflows; libgpiod
 *    1.6 reports the level read when its IRQ thread runs, so two "down"
 *    edges may follow each other).  After each burst of edges the caller
 *    reads the level and calls pedal_debouncer_resync(): the level read now
 *    wins.  A pedal reported pressed whose line reads up is released at
 *    once; a pending press whose line reads up is dropped (we cannot know it
 *    lasted the debounce time, and not starting is the safe side).
 *  - Right after the line is requested the caller passes the level read to
 *    pedal_debouncer_start(): up gives RELEASED, so the engine knows the
 *    pedal's state; down gives PRESSED marked held_at_start, at once and
 *    explicitly, so the engine can refuse a pedal that was down before it
 *    was seen up (a stuck pedal or a foot resting on it).
 *  - A debounce time of 0 passes presses on at once.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum pedal_level {
	PEDAL_LEVEL_UP,
	PEDAL_LEVEL_DOWN,
};

enum pedal_debounce_kind {
	PEDAL_DEBOUNCE_PRESSED,
	PEDAL_DEBOUNCE_RELEASED,
	PEDAL_DEBOUNCE_PRESS_BEGAN, /* first down edge of a press, not yet confirmed */
};

struct pedal_debounce_event {
	enum pedal_debounce_kind kind;
	/* PRESSED: when the press was confirmed (the down edge plus the
	 * debounce time, or the start); RELEASED: the up edge's timestamp, or
	 * the resync/start time when no edge told; PRESS_BEGAN: the down
	 * edge's timestamp (or the resync time). */
	int64_t time_us;
	bool held_at_start; /* PRESSED reported by pedal_debouncer_start() */
};

/* The most one call emits is two events (PRESS_BEGAN and PRESSED at once
 * with a debounce time of 0); three leaves room for a mistake to be caught
 * by the tests rather than by a write past the array. */
#define PEDAL_DEBOUNCER_MAX_EVENTS 3

struct pedal_debouncer_output {
	unsigned n_events;
	struct pedal_debounce_event events[PEDAL_DEBOUNCER_MAX_EVENTS];
};

enum pedal_reported {
	PEDAL_REPORTED_UNKNOWN,  /* before start, or after reset (line lost) */
	PEDAL_REPORTED_PRESSED,
	PEDAL_REPORTED_RELEASED,
};

/* Plain data so it can live inside its owner; use the functions only. */
struct pedal_debouncer {
	int64_t debounce_us;
	enum pedal_reported reported;
	bool pending;           /* line down, press not yet confirmed */
	int64_t down_since_us;  /* valid while pending */
	bool line_up;           /* the line was last seen up ... */
	int64_t up_since_us;    /* ... since then */
	int64_t last_us;        /* the latest time seen */
	bool seen_time;
};

void pedal_debouncer_init(struct pedal_debouncer *debouncer, uint32_t debounce_ms);

/* Forget everything (the line was lost); the next start reports afresh. */
void pedal_debouncer_reset(struct pedal_debouncer *debouncer);

/* The level read right after the line was requested.  Emits exactly one
 * event: RELEASED, or PRESSED with held_at_start. */
void pedal_debouncer_start(struct pedal_debouncer *debouncer, enum pedal_level level,
			   int64_t now_us, struct pedal_debouncer_output *out);

/* One edge from the kernel: the level the line went to, and when. */
void pedal_debouncer_feed(struct pedal_debouncer *debouncer, enum pedal_level level,
			  int64_t time_us, struct pedal_debouncer_output *out);

/* After a burst of edges: the level read now. */
void pedal_debouncer_resync(struct pedal_debouncer *debouncer, enum pedal_level level,
			    int64_t now_us, struct pedal_debouncer_output *out);

/* When a pending press will be confirmed, or -1 when none is pending. */
int64_t pedal_debouncer_next_deadline(const struct pedal_debouncer *debouncer);

/* The timer fired: confirms the pending press if its deadline has passed
 * (a timer that fires early emits nothing; rearm from next_deadline). */
void pedal_debouncer_on_deadline(struct pedal_debouncer *debouncer, int64_t now_us,
				 struct pedal_debouncer_output *out);

/* What the debouncer has told its user last. */
enum pedal_reported pedal_debouncer_reported(const struct pedal_debouncer *debouncer);

const char *pedal_debounce_kind_to_string(enum pedal_debounce_kind kind);
