/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one way into the engine: a step stamps the event with the monotonic
 * time, steps the engine and hands every action to its sink in the order
 * the engine gave (it puts a MOTOR_STOP first), within the call.  The
 * answer to a CARTRIDGE_USED (saved or not) is the next event, stepped
 * right after, never inside, the step that asked.  Steps never nest: an
 * adapter that steps from a sink would see the engine half-way, which is a
 * bug, not bad input, and aborts.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "penctl/engine.h"

struct control_caller;

/* Where the actions go.  A pen write returns 0 or a negative errno
 * (-ENOTCONN: no pen, which the engine knows or is about to know). */
struct action_sinks {
	/* The monotonic clock the engine runs on (g_get_monotonic_time()). */
	int64_t (*now)(void *user_data);
	int (*write_control)(void *user_data, bool run, uint16_t seq);
	int (*write_depth)(void *user_data, uint16_t depth_um);
	int (*write_speed)(void *user_data, uint16_t speed);
	int (*write_heartbeat)(void *user_data, uint16_t heartbeat);
	int (*read_cartridge)(void *user_data);
	/* After this step: dropping reports a loss, an event of its own. */
	void (*drop_link)(void *user_data);
	void (*arm_timer)(void *user_data, int64_t deadline_us);
	/* CALLER: the D-Bus caller of the step, NULL for the pen, pedal, timer. */
	void (*record)(void *user_data, const struct engine_record *record,
		       const struct control_caller *caller);
	/* Saves CARTRIDGE as used, on disk (fsync'd) before it returns; false
	 * with ERROR when it is not. */
	bool (*record_cartridge)(void *user_data, uint64_t cartridge, GError **error);
	/* After a step and the answers it called for, unless the step was
	 * quiet (engine_step_was_quiet(): a heartbeat's tick). */
	void (*step_done)(void *user_data);
};

struct action_executor;

struct action_executor *action_executor_new(struct engine *engine, const struct action_sinks *sinks,
					    void *user_data);
void action_executor_free(struct action_executor *executor);

/* Steps EV (time_us 0: now; a time later than now is taken as now) and
 * carries out its actions; an event that changes nothing in the engine
 * (engine_event_changes_nothing()) is not stepped and calls no sink.  True with *REPLY_OUT (may be NULL) when the
 * step answered a request; its pointers stay valid until the next step. */
bool action_executor_step(struct action_executor *executor, struct engine_event *ev,
			  const struct control_caller *caller, struct engine_reply *reply_out);

/* The engine's state now (sinks->now), for an adapter whose event is
 * relative to it (a depth pedal's step from the requested depth).  Only a
 * look: the engine still decides in the step that follows. */
void action_executor_snapshot(const struct action_executor *executor,
			      struct engine_snapshot *snapshot);

/* Whether a step is being carried out (for assertions in adapters). */
bool action_executor_stepping(const struct action_executor *executor);
