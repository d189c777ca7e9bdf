/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the pen link and the pedal report, as engine events: the callbacks
 * of pen_link.h and pedal.h, each one step through the action executor.
 * Nothing here decides; the engine does.  What they report that is no
 * engine event (no adapter, a pedal that cannot be opened) goes to the
 * conditions (penctl/conditions.h).
 */
#pragma once

#include <stdint.h>

#include "action_executor.h"
#include "penctl/conditions.h"
#include "penctl/pedal.h"
#include "penctl/pen_link.h"

/* The watchdog value every connect writes first: the configured one. */
#define ENGINE_INPUTS_WATCHDOG_CONFIGURED (-1)

/* The user_data of both callback tables. */
struct engine_inputs {
	struct action_executor *executor;
	/* The pen has taken a watchdog value (ms, or
	 * ENGINE_INPUTS_WATCHDOG_CONFIGURED at a connect): a reload's longer
	 * heartbeat interval may apply from now on.  May be NULL. */
	void (*pen_watchdog_taken)(void *user_data, int watchdog_ms);
	struct penctl_conditions *conditions;
	/* A condition changed outside a step (a step's end shows it anyway). */
	void (*conditions_changed)(void *user_data);
	void *user_data;
};

extern const struct pen_link_callbacks engine_inputs_pen_callbacks;
extern const struct pedal_callbacks engine_inputs_pedal_callbacks;

/* Journals why the pedal cannot be opened (the daemon runs on without it;
 * the motor never does) and sets the pedal-missing condition. */
void engine_inputs_pedal_unavailable(struct engine_inputs *in, const GError *error);
