// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated pen's behaviour (see pensim_model.h): pure, time passed in.
 *
 * The pen's own rules, as docs/pen-protocol.md asks a pen to behave:
 *  - the motor runs only after an accepted RUN: a cartridge in, no fault
 *    bit, the set depth within the cartridge's max, the watchdog armed by a
 *    heartbeat within the last watchdog_ms (§3.1, §5);
 *  - a fault, the button, a lost link, a STOP, a refused Control write or a
 *    missed heartbeat stops it, and Status says which;
 *  - a refused write changes nothing else (not even the echoed seq: the
 *    seq reports the last write the pen applied, §3.1, §4);
 *  - only a heartbeat arms the watchdog; a Watchdog write restarts an armed
 *    one with the new time (§3.7);
 *  - Status.depth_um is the needle stop's position while stopped (§3.4).
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pensim_model.h"

static bool cartridge_valid(const struct pen_cartridge *cartridge)
{
	uint8_t buf[PEN_CARTRIDGE_SIZE];

	/* The codec's encoder knows what a pen may announce. */
	return pen_codec_encode_cartridge(cartridge, buf, sizeof(buf)) == PEN_CARTRIDGE_SIZE;
}

static uint16_t effective_faults(const struct pensim_model *model)
{
	uint16_t bits = model->fault_bits;

	if (model->cartridge.id == 0)
		bits |= PEN_FAULT_CARTRIDGE_MISSING;
	if (model->battery_percent == 0)
		bits |= PEN_FAULT_BATTERY_CRITICAL;
	return bits;
}

static int64_t watchdog_deadline_us(const struct pensim_model *model)
{
	return model->last_heartbeat_us + (int64_t)model->watchdog_ms * 1000;
}

static bool watchdog_armed(const struct pensim_model *model)
{
	return model->heartbeat_seen && model->now_us < watchdog_deadline_us(model);
}

/* When the battery loses its next percent, if the motor keeps running. */
static int64_t battery_deadline_us(const struct pensim_model *model)
{
	if (model->battery_drain_us <= 0 || model->battery_percent == 0)
		return INT64_MAX;
	return model->now_us + (model->battery_drain_us - model->battery_run_us);
}

static void queue_motor_event(struct pensim_model *model, bool started,
			      enum pen_stop_cause cause)
{
	struct pensim_motor_event *ev;

	/* The caller drains the queue after every call; if it did not, the
	 * oldest events are the ones kept (the first stop matters most). */
	if (model->n_events >= PENSIM_MOTOR_EVENT_QUEUE)
		return;
	ev = &model->events[model->n_events++];
	ev->t_us = model->now_us;
	ev->started = started;
	ev->cause = started ? PEN_STOP_NONE : cause;
	ev->seq = model->control_seq;
	ev->depth_um = model->dial_um ? model->dial_um : model->depth_um;
}

static void motor_stop(struct pensim_model *model, enum pen_stop_cause cause)
{
	if (!model->running)
		return;
	model->running = false;
	model->stop_cause = cause;
	queue_motor_event(model, false, cause);
}

static void motor_start(struct pensim_model *model)
{
	if (model->running)
		return;
	model->running = true;
	/* A fresh periodic Status cycle starts with the start notification. */
	model->last_status_us = model->now_us;
	queue_motor_event(model, true, PEN_STOP_NONE);
}

/* Running time dt_us passes: strokes and battery drain. */
static void accumulate_running(struct pensim_model *model, int64_t dt_us)
{
	model->stroke_us_accum += (uint64_t)model->speed * (uint64_t)dt_us;
	/* Unsigned arithmetic: the counter wraps, as the protocol says. */
	model->strokes += (uint32_t)(model->stroke_us_accum / 1000000u);
	model->stroke_us_accum %= 1000000u;

	if (model->battery_drain_us > 0 && model->battery_percent > 0)
		model->battery_run_us += dt_us;
}

/* Whatever is due at model->now_us. */
static void apply_due(struct pensim_model *model)
{
	if (!model->running)
		return;

	if (model->battery_drain_us > 0 && model->battery_percent > 0 &&
	    model->battery_run_us >= model->battery_drain_us) {
		model->battery_run_us -= model->battery_drain_us;
		model->battery_percent--;
		if (model->battery_percent == 0)
			model->battery_run_us = 0;
	}
	if (effective_faults(model))
		motor_stop(model, PEN_STOP_FAULT);
	else if (!watchdog_armed(model))
		motor_stop(model, PEN_STOP_WATCHDOG);
}

void pensim_model_advance(struct pensim_model *model, int64_t now_us)
{
	apply_due(model);
	while (model->now_us < now_us) {
		int64_t t = now_us;

		if (model->running) {
			int64_t wd = watchdog_deadline_us(model);
			int64_t bat = battery_deadline_us(model);

			if (wd < t)
				t = wd;
			if (bat < t)
				t = bat;
			/* apply_due() has handled what was due at now_us;
			 * whatever happens, time must move on. */
			if (t <= model->now_us)
				t = now_us;
			accumulate_running(model, t - model->now_us);
		}
		model->now_us = t;
		apply_due(model);
	}
}

int64_t pensim_model_next_deadline_us(const struct pensim_model *model)
{
	int64_t t, next;

	if (!model->running)
		return INT64_MAX;
	next = watchdog_deadline_us(model);
	t = model->last_status_us + PENSIM_STATUS_PERIOD_US;
	if (t < next)
		next = t;
	t = battery_deadline_us(model);
	if (t < next)
		next = t;
	return next;
}

void pensim_model_config_defaults(struct pensim_model_config *config)
{
	memset(config, 0, sizeof(*config));
	config->cartridge.id = 0x00c0ffee00000001ull;
	config->cartridge.needle_count = 12;
	config->cartridge.max_depth_um = 2500;
	config->depth_um = 500;
	config->speed = 100;
	config->fault_bits = 0;
	config->battery_percent = 100;
	config->battery_drain_us = PENSIM_DEFAULT_BATTERY_DRAIN_US;
}

int pensim_model_init(struct pensim_model *model, const struct pensim_model_config *config,
		      int64_t now_us)
{
	if (!model || !config)
		return -EINVAL;
	if (config->depth_um < PEN_DEPTH_MIN_UM || config->depth_um > PEN_DEPTH_MAX_UM ||
	    config->speed < PEN_SPEED_MIN || config->speed > PEN_SPEED_MAX ||
	    config->battery_percent > 100 || config->battery_drain_us < 0 ||
	    (config->fault_bits & ~PEN_FAULT_KNOWN_MASK) ||
	    !cartridge_valid(&config->cartridge))
		return -EINVAL;
	if (config->cartridge.id != 0 && config->depth_um > config->cartridge.max_depth_um)
		return -EINVAL;

	memset(model, 0, sizeof(*model));
	model->now_us = now_us;
	model->stop_cause = PEN_STOP_NONE;
	model->depth_um = config->depth_um;
	model->speed = config->speed;
	model->fault_bits = config->fault_bits;
	model->battery_percent = config->battery_percent;
	model->battery_drain_us = config->battery_drain_us;
	model->cartridge = config->cartridge;
	model->watchdog_ms = PENSIM_DEFAULT_WATCHDOG_MS;
	model->heartbeat_seen = false;
	model->last_heartbeat_us = now_us;
	model->last_status_us = now_us;
	pensim_model_get_status(model, &model->last_sent);
	return 0;
}

static uint8_t att_error_from_parse(int err)
{
	switch (err) {
	case -EBADMSG:
		return PENSIM_ATT_INVALID_LENGTH;
	default:
		/* -ERANGE out of range, -EPROTO unknown op or reserved != 0 */
		return PENSIM_ATT_VALUE_NOT_ALLOWED;
	}
}

/* Why a RUN cannot be applied now: the first that applies, in the order of
 * docs/pen-protocol.md §3.1 (no cartridge before the cartridge-missing
 * fault bit it also raises). */
static uint8_t run_refusal(const struct pensim_model *model)
{
	if (model->cartridge.id == 0)
		return PENSIM_ATT_NO_CARTRIDGE;
	if (effective_faults(model))
		return PENSIM_ATT_FAULT_ACTIVE;
	if (model->depth_um > model->cartridge.max_depth_um)
		return PENSIM_ATT_DEPTH_ABOVE_CARTRIDGE;
	if (!watchdog_armed(model))
		return PENSIM_ATT_NO_HEARTBEAT;
	return PENSIM_ATT_OK;
}

uint8_t pensim_model_write_control(struct pensim_model *model, const uint8_t *value,
				   size_t len, int64_t now_us)
{
	struct pen_control control;
	uint8_t refusal;
	int err;

	pensim_model_advance(model, now_us);
	err = pen_codec_parse_control(value, len, &control);
	if (err < 0) {
		refusal = att_error_from_parse(err);
		goto refused;
	}

	switch (control.op) {
	case PEN_CONTROL_RUN:
		refusal = run_refusal(model);
		if (refusal != PENSIM_ATT_OK)
			goto refused;
		model->control_seq = control.seq;
		motor_start(model);
		break;
	case PEN_CONTROL_STOP:
		model->control_seq = control.seq;
		motor_stop(model, PEN_STOP_COMMAND);
		break;
	}
	model->status_forced = true;
	return PENSIM_ATT_OK;

refused:
	/* A confused client must not leave the motor running (§3.1). */
	motor_stop(model, PEN_STOP_COMMAND);
	return refusal;
}

uint8_t pensim_model_write_depth(struct pensim_model *model, const uint8_t *value,
				 size_t len, int64_t now_us)
{
	uint16_t depth_um;
	int err;

	pensim_model_advance(model, now_us);
	err = pen_codec_parse_depth(value, len, &depth_um);
	if (err < 0)
		return att_error_from_parse(err);
	if (model->cartridge.id != 0 && depth_um > model->cartridge.max_depth_um)
		return PENSIM_ATT_DEPTH_ABOVE_CARTRIDGE;
	model->depth_um = depth_um;
	return PENSIM_ATT_OK;
}

uint8_t pensim_model_write_speed(struct pensim_model *model, const uint8_t *value,
				 size_t len, int64_t now_us)
{
	uint16_t speed;
	int err;

	pensim_model_advance(model, now_us);
	err = pen_codec_parse_speed(value, len, &speed);
	if (err < 0)
		return att_error_from_parse(err);
	model->speed = speed;
	return PENSIM_ATT_OK;
}

uint8_t pensim_model_write_heartbeat(struct pensim_model *model, const uint8_t *value,
				     size_t len, int64_t now_us)
{
	uint16_t counter;
	int err;

	/* Advance first: a heartbeat after the window closed is too late. */
	pensim_model_advance(model, now_us);
	err = pen_codec_parse_heartbeat(value, len, &counter);
	if (err < 0)
		return att_error_from_parse(err); /* ignored: does not re-arm */
	model->heartbeat_seen = true;
	model->last_heartbeat_us = model->now_us;
	return PENSIM_ATT_OK;
}

uint8_t pensim_model_write_watchdog(struct pensim_model *model, const uint8_t *value,
				    size_t len, int64_t now_us)
{
	uint16_t watchdog_ms;
	int err;

	pensim_model_advance(model, now_us);
	err = pen_codec_parse_watchdog(value, len, &watchdog_ms);
	if (err < 0)
		return att_error_from_parse(err);
	/* "The running timer is restarted with the new time" (§3.7); a
	 * watchdog that is not armed stays disarmed: only heartbeats arm it. */
	if (watchdog_armed(model))
		model->last_heartbeat_us = model->now_us;
	model->watchdog_ms = watchdog_ms;
	return PENSIM_ATT_OK;
}

void pensim_model_link_up(struct pensim_model *model, int64_t now_us)
{
	pensim_model_advance(model, now_us);
	/* A new central must not inherit a window it never opened (§3.7). */
	model->watchdog_ms = PENSIM_DEFAULT_WATCHDOG_MS;
	model->heartbeat_seen = false;
	apply_due(model);
}

void pensim_model_link_lost(struct pensim_model *model, int64_t now_us)
{
	pensim_model_advance(model, now_us);
	motor_stop(model, PEN_STOP_DISCONNECT);
	model->heartbeat_seen = false;
}

void pensim_model_press_button(struct pensim_model *model, int64_t now_us)
{
	pensim_model_advance(model, now_us);
	motor_stop(model, PEN_STOP_BUTTON);
}

int pensim_model_set_faults(struct pensim_model *model, uint16_t fault_bits, int64_t now_us)
{
	if (fault_bits & ~PEN_FAULT_KNOWN_MASK)
		return -EINVAL;
	pensim_model_advance(model, now_us);
	model->fault_bits = fault_bits;
	apply_due(model);
	return 0;
}

int pensim_model_set_dial(struct pensim_model *model, uint16_t dial_um, int64_t now_us)
{
	if (dial_um > PEN_STATUS_DEPTH_MAX_UM)
		return -ERANGE;
	pensim_model_advance(model, now_us);
	model->dial_um = dial_um;
	return 0;
}

int pensim_model_set_cartridge(struct pensim_model *model, const struct pen_cartridge *cartridge,
			       int64_t now_us)
{
	if (!cartridge || !cartridge_valid(cartridge))
		return -EINVAL;
	pensim_model_advance(model, now_us);
	/* A swap takes the old cartridge out first: cartridge-missing, if
	 * only for a moment, which stops a running motor. */
	if (model->cartridge.id != cartridge->id ||
	    model->cartridge.needle_count != cartridge->needle_count ||
	    model->cartridge.max_depth_um != cartridge->max_depth_um)
		motor_stop(model, PEN_STOP_FAULT);
	model->cartridge = *cartridge;
	return 0;
}

int pensim_model_set_battery(struct pensim_model *model, uint8_t percent, int64_t now_us)
{
	if (percent > 100)
		return -ERANGE;
	pensim_model_advance(model, now_us);
	model->battery_percent = percent;
	model->battery_run_us = 0;
	apply_due(model);
	return 0;
}

/* Strokes tick on continuously; they go out with the periodic Status and
 * with any other change, not as a change of their own. */
static bool status_changed(const struct pen_status *a, const struct pen_status *b)
{
	return a->motor_running != b->motor_running || a->stop_cause != b->stop_cause ||
	       a->control_seq != b->control_seq || a->depth_um != b->depth_um ||
	       a->speed != b->speed || a->fault_bits != b->fault_bits ||
	       a->battery_percent != b->battery_percent;
}

bool pensim_model_take_status_notify(struct pensim_model *model)
{
	struct pen_status now;
	bool periodic;

	pensim_model_get_status(model, &now);
	periodic = model->running &&
		   model->now_us >= model->last_status_us + PENSIM_STATUS_PERIOD_US;
	if (!periodic && !model->status_forced && !status_changed(&now, &model->last_sent))
		return false;
	model->status_forced = false;
	model->last_sent = now;
	model->last_status_us = model->now_us;
	return true;
}

bool pensim_model_take_motor_event(struct pensim_model *model, struct pensim_motor_event *out)
{
	if (model->n_events == 0)
		return false;
	*out = model->events[0];
	model->n_events--;
	memmove(&model->events[0], &model->events[1], model->n_events * sizeof(model->events[0]));
	return true;
}

void pensim_model_get_status(const struct pensim_model *model, struct pen_status *out)
{
	uint16_t depth = model->dial_um ? model->dial_um : model->depth_um;

	memset(out, 0, sizeof(*out));
	out->motor_running = model->running;
	out->stop_cause = model->stop_cause;
	out->control_seq = model->control_seq;
	out->depth_um = depth;
	out->speed = model->running ? model->speed : 0;
	out->fault_bits = effective_faults(model);
	out->battery_percent = model->battery_percent;
	out->strokes = model->strokes;
}

uint16_t pensim_model_get_depth(const struct pensim_model *model)
{
	return model->depth_um;
}

uint16_t pensim_model_get_speed(const struct pensim_model *model)
{
	return model->speed;
}

uint16_t pensim_model_get_watchdog_ms(const struct pensim_model *model)
{
	return model->watchdog_ms;
}

bool pensim_model_watchdog_armed(const struct pensim_model *model)
{
	return watchdog_armed(model);
}

uint8_t pensim_model_get_battery(const struct pensim_model *model)
{
	return model->battery_percent;
}

void pensim_model_get_cartridge(const struct pensim_model *model, struct pen_cartridge *out)
{
	*out = model->cartridge;
}

uint16_t pensim_model_get_faults(const struct pensim_model *model)
{
	return effective_faults(model);
}
