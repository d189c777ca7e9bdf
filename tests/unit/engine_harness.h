/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the engine tests: drive an engine with events, inspect actions. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "penctl/engine.h"

struct harness {
	struct penctl_config *config;
	struct engine *engine;
	int64_t now;
	/* This step's actions, and those of the answers the harness gave. */
	struct engine_output out;
	/* False (the default): like the daemon and a willing pen, every step's
	 * CARTRIDGE_USED is answered saved and every RUN confirmed, within the
	 * step.  True: the test answers itself. */
	bool manual_answers;
};

struct harness *harness_new(const char *config_text);
void harness_free(struct harness *h);

void harness_step(struct harness *h, struct engine_event *ev);
/* Only this event, no answers, whatever manual_answers says. */
void harness_step_only(struct harness *h, struct engine_event *ev);
void harness_advance(struct harness *h, int64_t us); /* moves time, delivers a TICK */
void harness_pedal(struct harness *h, bool down);
void harness_connect(struct harness *h, uint64_t cartridge, uint32_t cartridge_max_um);
void harness_disconnect(struct harness *h);
void harness_status(struct harness *h, const struct pen_status *st);
const struct engine_reply *harness_start_session(struct harness *h, const char *role,
						 const char *area);
const struct engine_reply *harness_stop_session(struct harness *h);
const struct engine_reply *harness_depth(struct harness *h, uint32_t depth_um);
/* Up, connected, session open (home, face): ready for a press. */
void harness_ready(struct harness *h, const char *role, const char *area);

const struct engine_action *harness_find(const struct harness *h, enum engine_action_kind kind);
const struct engine_record *harness_find_record(const struct harness *h,
						enum engine_record_kind kind);
const struct engine_reply *harness_reply(const struct harness *h);
bool harness_motor_ran(const struct harness *h);
/* The reason of this step's MOTOR_STOP, or -1 without one. */
int harness_stop_reason(const struct harness *h);
bool harness_motor_on(const struct harness *h);
uint16_t harness_last_seq(const struct harness *h);
