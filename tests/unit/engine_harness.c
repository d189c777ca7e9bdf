// SPDX-License-Identifier: GPL-2.0-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine_harness.h"

struct harness *harness_new(const char *config_text)
{
	struct harness *h = g_new0(struct harness, 1);
	g_autoptr(GError) error = NULL;

	h->config = config_text ? penctl_config_load_from_data(config_text, "test", &error)
				: penctl_config_new_default();
	if (!h->config)
		fail_msg("config: %s", error->message);
	h->now = 1000000;
	h->engine = engine_new(h->config, h->now);
	return h;
}

void harness_free(struct harness *h)
{
	engine_free(h->engine);
	penctl_config_free(h->config);
	g_free(h);
}

void harness_step_only(struct harness *h, struct engine_event *ev)
{
	ev->time_us = h->now;
	engine_step(h->engine, ev, &h->out);
}

/* The answer to A, the daemon's or the pen's, and its actions after the
 * step's own: the daemon saves the cartridge right after the step, the pen
 * takes the RUN. */
static void answer(struct harness *h, const struct engine_action *a)
{
	struct engine_event ev = { .time_us = h->now };
	struct engine_output more;

	if (a->kind == ENGINE_ACTION_CARTRIDGE_USED) {
		ev.kind = ENGINE_EVENT_CARTRIDGE_RECORDED;
		ev.cartridge_recorded.cartridge = a->cartridge;
		ev.cartridge_recorded.saved = true;
	} else if (a->kind == ENGINE_ACTION_MOTOR_RUN) {
		ev.kind = ENGINE_EVENT_PEN_RUN_CONFIRMED;
		ev.run_seq = a->motor.seq;
	} else {
		return;
	}
	engine_step(h->engine, &ev, &more);
	if (h->out.n_actions + more.n_actions > ENGINE_MAX_ACTIONS)
		fail_msg("a step and its answers gave more than %d actions", ENGINE_MAX_ACTIONS);
	memcpy(&h->out.actions[h->out.n_actions], more.actions,
	       more.n_actions * sizeof(more.actions[0]));
	h->out.n_actions += more.n_actions;
}

void harness_step(struct harness *h, struct engine_event *ev)
{
	harness_step_only(h, ev);
	/* The answers' own actions are answered too (a saved cartridge runs). */
	for (unsigned i = 0; !h->manual_answers && i < h->out.n_actions; i++)
		answer(h, &h->out.actions[i]);
}

void harness_advance(struct harness *h, int64_t us)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_TICK };

	h->now += us;
	harness_step(h, &ev);
}

void harness_pedal(struct harness *h, bool down)
{
	struct engine_event ev = { .kind = down ? ENGINE_EVENT_PEDAL_DOWN : ENGINE_EVENT_PEDAL_UP };

	harness_step(h, &ev);
}

void harness_connect(struct harness *h, uint64_t cartridge, uint32_t cartridge_max_um)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CONNECTED };

	ev.pen_connected.address = "AA:BB:CC:DD:EE:01";
	ev.pen_connected.compatible = true;
	ev.pen_connected.cartridge.id = cartridge;
	ev.pen_connected.cartridge.needle_count = cartridge ? 12 : 0;
	ev.pen_connected.cartridge.max_depth_um = (uint16_t)cartridge_max_um;
	harness_step(h, &ev);
}

void harness_disconnect(struct harness *h)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_DISCONNECTED };

	ev.lost.reason = "test";
	harness_step(h, &ev);
}

void harness_status(struct harness *h, const struct pen_status *st)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_STATUS };

	ev.pen_status = *st;
	harness_step(h, &ev);
}

const struct engine_reply *harness_start_session(struct harness *h, const char *role,
						 const char *area)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_START };

	ev.session_start.session_id = "s1";
	ev.session_start.operator_name = "alice";
	ev.session_start.role = role;
	ev.session_start.area = area;
	ev.session_start.contraindications_checked = true;
	harness_step(h, &ev);
	return harness_reply(h);
}

const struct engine_reply *harness_stop_session(struct harness *h)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_STOP };

	harness_step(h, &ev);
	return harness_reply(h);
}

const struct engine_reply *harness_depth(struct harness *h, uint32_t depth_um)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_DEPTH_REQUEST, .depth_um = depth_um };

	harness_step(h, &ev);
	return harness_reply(h);
}

void harness_ready(struct harness *h, const char *role, const char *area)
{
	harness_pedal(h, false);
	harness_connect(h, 0x1111, 3000);
	assert_int_equal(harness_start_session(h, role, area)->refusal, ENGINE_REASON_NONE);
}

const struct engine_action *harness_find(const struct harness *h, enum engine_action_kind kind)
{
	for (unsigned i = 0; i < h->out.n_actions; i++)
		if (h->out.actions[i].kind == kind)
			return &h->out.actions[i];
	return NULL;
}

const struct engine_record *harness_find_record(const struct harness *h,
						enum engine_record_kind kind)
{
	for (unsigned i = 0; i < h->out.n_actions; i++)
		if (h->out.actions[i].kind == ENGINE_ACTION_RECORD &&
		    h->out.actions[i].record.kind == kind)
			return &h->out.actions[i].record;
	return NULL;
}

const struct engine_reply *harness_reply(const struct harness *h)
{
	const struct engine_action *a = harness_find(h, ENGINE_ACTION_REPLY);

	assert_non_null(a);
	return &a->reply;
}

bool harness_motor_ran(const struct harness *h)
{
	return harness_find(h, ENGINE_ACTION_MOTOR_RUN) != NULL;
}

int harness_stop_reason(const struct harness *h)
{
	const struct engine_action *a = harness_find(h, ENGINE_ACTION_MOTOR_STOP);

	return a ? (int)a->motor.reason : -1;
}

bool harness_motor_on(const struct harness *h)
{
	struct engine_snapshot s;

	engine_get_snapshot(h->engine, h->now, &s);
	return s.motor_on;
}

uint16_t harness_last_seq(const struct harness *h)
{
	for (unsigned i = h->out.n_actions; i-- > 0;)
		if (h->out.actions[i].kind == ENGINE_ACTION_MOTOR_RUN ||
		    h->out.actions[i].kind == ENGINE_ACTION_MOTOR_STOP)
			return h->out.actions[i].motor.seq;
	fail_msg("no motor action in this step");
	return 0;
}
