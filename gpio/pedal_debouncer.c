// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The foot pedal debouncer (include/penctl/pedal_debouncer.h says the rules
 * and why).  Pure: state in, events out.
 */

#include <stddef.h>

#include "penctl/pedal_debouncer.h"

static void output_clear(struct pedal_debouncer_output *out)
{
	out->n_events = 0;
}

static void emit(struct pedal_debouncer_output *out, enum pedal_debounce_kind kind,
		 int64_t time_us, bool held_at_start)
{
	/* Every path emits at most PEDAL_DEBOUNCER_MAX_EVENTS; the check
	 * keeps a mistake here from writing past the array. */
	if (out->n_events >= PEDAL_DEBOUNCER_MAX_EVENTS)
		return;
	out->events[out->n_events++] = (struct pedal_debounce_event){
		.kind = kind,
		.time_us = time_us,
		.held_at_start = held_at_start,
	};
}

/* Times only move forward: a timestamp from before the latest one seen (an
 * edge read after a resync that used a later clock reading) counts as the
 * latest one. */
static int64_t advance_time(struct pedal_debouncer *d, int64_t time_us)
{
	if (d->seen_time && time_us < d->last_us)
		return d->last_us;
	d->last_us = time_us;
	d->seen_time = true;
	return time_us;
}

static void report_pressed(struct pedal_debouncer *d, int64_t time_us, bool held_at_start,
			   struct pedal_debouncer_output *out)
{
	d->pending = false;
	d->reported = PEDAL_REPORTED_PRESSED;
	emit(out, PEDAL_DEBOUNCE_PRESSED, time_us, held_at_start);
}

static void line_is_up(struct pedal_debouncer *d, int64_t time_us)
{
	if (d->line_up)
		return;
	d->line_up = true;
	d->up_since_us = time_us;
}

static void report_released(struct pedal_debouncer *d, int64_t time_us,
			    struct pedal_debouncer_output *out)
{
	line_is_up(d, time_us);
	d->pending = false;
	if (d->reported == PEDAL_REPORTED_RELEASED)
		return; /* a bounce after the release: swallowed */
	d->reported = PEDAL_REPORTED_RELEASED;
	emit(out, PEDAL_DEBOUNCE_RELEASED, time_us, false);
}

/* The line went (or was found) down at TIME_US while not reported pressed:
 * the debounce window starts, or starts again (a second down edge means the
 * line went up in between, even if that edge was lost or coalesced). */
static void line_went_down(struct pedal_debouncer *d, int64_t time_us,
			   struct pedal_debouncer_output *out)
{
	bool was_up = d->line_up;

	d->line_up = false;
	if (d->reported == PEDAL_REPORTED_PRESSED)
		return; /* a missed up edge shows up in the next resync */
	/* Up long enough before: not a bounce, a new press. */
	if (was_up && time_us - d->up_since_us >= d->debounce_us)
		emit(out, PEDAL_DEBOUNCE_PRESS_BEGAN, time_us, false);
	if (d->debounce_us == 0) {
		report_pressed(d, time_us, false, out);
		return;
	}
	d->pending = true;
	d->down_since_us = time_us;
}

/* The pending press is confirmed once its deadline has passed by NOW_US,
 * as if the timer had fired in time: the result must not depend on whether
 * the timer or the next edge is handled first. */
static void confirm_if_due(struct pedal_debouncer *d, int64_t now_us,
			   struct pedal_debouncer_output *out)
{
	int64_t deadline = pedal_debouncer_next_deadline(d);

	if (deadline >= 0 && now_us >= deadline)
		report_pressed(d, deadline, false, out);
}

void pedal_debouncer_init(struct pedal_debouncer *d, uint32_t debounce_ms)
{
	*d = (struct pedal_debouncer){
		.debounce_us = (int64_t)debounce_ms * 1000,
		.reported = PEDAL_REPORTED_UNKNOWN,
	};
}

void pedal_debouncer_reset(struct pedal_debouncer *d)
{
	d->reported = PEDAL_REPORTED_UNKNOWN;
	d->pending = false;
	d->line_up = false;
}

void pedal_debouncer_start(struct pedal_debouncer *d, enum pedal_level level, int64_t now_us,
			   struct pedal_debouncer_output *out)
{
	output_clear(out);
	now_us = advance_time(d, now_us);
	d->pending = false;
	d->reported = PEDAL_REPORTED_UNKNOWN;
	d->line_up = false;

	switch (level) {
	case PEDAL_LEVEL_DOWN:
		/* Not debounced: the engine refuses a pedal held at start
		 * until it has seen it up, so reporting it at once is safe,
		 * and saying so explicitly beats a silent start. */
		report_pressed(d, now_us, true, out);
		break;
	case PEDAL_LEVEL_UP:
		report_released(d, now_us, out);
		break;
	}
}

void pedal_debouncer_feed(struct pedal_debouncer *d, enum pedal_level level, int64_t time_us,
			  struct pedal_debouncer_output *out)
{
	output_clear(out);
	time_us = advance_time(d, time_us);

	/* An edge never confirms a pending press, even an overdue one (the
	 * main loop ran late): an up edge says the pedal is up now, a second
	 * down edge says it went up in between.  Reporting the press then
	 * would start the motor for a pedal that is no longer held. */
	switch (level) {
	case PEDAL_LEVEL_DOWN:
		line_went_down(d, time_us, out);
		break;
	case PEDAL_LEVEL_UP:
		report_released(d, time_us, out);
		break;
	}
}

void pedal_debouncer_resync(struct pedal_debouncer *d, enum pedal_level level, int64_t now_us,
			    struct pedal_debouncer_output *out)
{
	output_clear(out);
	now_us = advance_time(d, now_us);

	switch (level) {
	case PEDAL_LEVEL_DOWN:
		/* Still down: a press whose deadline passed is confirmed;
		 * a down edge we never saw starts the window now (we cannot
		 * know when the line really went down). */
		confirm_if_due(d, now_us, out);
		if (!d->pending)
			line_went_down(d, now_us, out);
		break;
	case PEDAL_LEVEL_UP:
		/* The up edge was lost: release now.  A pending press is
		 * dropped, not confirmed: its length is unknown and not
		 * starting the motor is the safe side. */
		report_released(d, now_us, out);
		break;
	}
}

int64_t pedal_debouncer_next_deadline(const struct pedal_debouncer *d)
{
	if (!d->pending)
		return -1;
	return d->down_since_us + d->debounce_us;
}

void pedal_debouncer_on_deadline(struct pedal_debouncer *d, int64_t now_us,
				 struct pedal_debouncer_output *out)
{
	output_clear(out);
	now_us = advance_time(d, now_us);
	confirm_if_due(d, now_us, out);
}

enum pedal_reported pedal_debouncer_reported(const struct pedal_debouncer *d)
{
	return d->reported;
}

const char *pedal_debounce_kind_to_string(enum pedal_debounce_kind kind)
{
	switch (kind) {
	case PEDAL_DEBOUNCE_PRESSED:
		return "pressed";
	case PEDAL_DEBOUNCE_RELEASED:
		return "released";
	case PEDAL_DEBOUNCE_PRESS_BEGAN:
		return "press-began";
	}
	return "unknown";
}
