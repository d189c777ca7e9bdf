// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Carries out the engine's actions in the engine's order (action_executor.h).
 */
#include <errno.h>

#include "action_executor.h"

struct action_executor {
	struct engine *engine;
	const struct action_sinks *sinks;
	void *user_data;
	bool stepping;
	bool shown_changed;     /* this step changed what the engine shows */
	/* The step asked for a cartridge record: its answer is stepped next. */
	bool cartridge_answer_due;
	uint64_t cartridge;
	bool cartridge_saved;
	char *cartridge_error;
	unsigned heartbeats_lost; /* in a row, since the first one's warning */
};

struct action_executor *action_executor_new(struct engine *engine, const struct action_sinks *sinks,
					    void *user_data)
{
	struct action_executor *x = g_new0(struct action_executor, 1);

	x->engine = engine;
	x->sinks = sinks;
	x->user_data = user_data;
	return x;
}

void action_executor_free(struct action_executor *x)
{
	if (!x)
		return;
	g_free(x->cartridge_error);
	g_free(x);
}

static void write_failed(const char *what, int err)
{
	/* No pen to write to is normal (the engine was told, or is about to be). */
	if (err && err != -ENOTCONN)
		g_warning("Could not write %s to the pen: %s", what, g_strerror(-err));
}

/* A stalled link refuses every heartbeat (5 a second) until it recovers or
 * the pen's watchdog stops the pen: the first refusal is a warning, the
 * rest are counted and said once, when a heartbeat goes again or the link
 * ends (a new link's stall is warned of afresh). */
static void heartbeats_lost_end(struct action_executor *x, const char *how)
{
	if (x->heartbeats_lost)
		g_message("%u heartbeat%s not sent; %s", x->heartbeats_lost,
			  x->heartbeats_lost == 1 ? " was" : "s were", how);
	x->heartbeats_lost = 0;
}

static void heartbeat_written(struct action_executor *x, int err)
{
	if (err == 0 || err == -ENOTCONN) {
		heartbeats_lost_end(x, err ? "the link is gone" : "they go through again");
		return;
	}
	if (x->heartbeats_lost++ == 0)
		g_warning("Could not write a heartbeat to the pen: %s (the next ones that fail "
			  "are counted, not logged)", g_strerror(-err));
}

static void record_cartridge(struct action_executor *x, uint64_t cartridge)
{
	g_autoptr(GError) error = NULL;

	x->cartridge_answer_due = true;
	x->cartridge = cartridge;
	x->cartridge_saved = x->sinks->record_cartridge(x->user_data, cartridge, &error);
	g_clear_pointer(&x->cartridge_error, g_free);
	if (!x->cartridge_saved)
		x->cartridge_error = g_strdup(error ? error->message : "not saved");
}

static void carry_out(struct action_executor *x, const struct engine_action *a,
		      const struct control_caller *caller, struct engine_reply *reply_out,
		      bool *replied)
{
	const struct action_sinks *s = x->sinks;
	void *ud = x->user_data;

	switch (a->kind) {
	case ENGINE_ACTION_MOTOR_RUN:
		write_failed("RUN", s->write_control(ud, true, a->motor.seq));
		break;
	case ENGINE_ACTION_MOTOR_STOP:
		write_failed("STOP", s->write_control(ud, false, a->motor.seq));
		break;
	case ENGINE_ACTION_SET_DEPTH:
		write_failed("the depth", s->write_depth(ud, a->depth_um));
		break;
	case ENGINE_ACTION_SET_SPEED:
		write_failed("the speed", s->write_speed(ud, a->speed));
		break;
	case ENGINE_ACTION_HEARTBEAT:
		heartbeat_written(x, s->write_heartbeat(ud, a->heartbeat));
		break;
	case ENGINE_ACTION_READ_CARTRIDGE:
		write_failed("(read) the cartridge", s->read_cartridge(ud));
		break;
	case ENGINE_ACTION_ARM_TIMER:
		s->arm_timer(ud, a->deadline_us);
		break;
	case ENGINE_ACTION_RECORD:
		s->record(ud, &a->record, caller);
		break;
	case ENGINE_ACTION_REPLY:
		if (reply_out)
			*reply_out = a->reply;
		*replied = true;
		break;
	case ENGINE_ACTION_CARTRIDGE_USED:
		record_cartridge(x, a->cartridge);
		break;
	case ENGINE_ACTION_DROP_LINK:
		s->drop_link(ud);
		break;
	}
}

static bool run_step(struct action_executor *x, struct engine_event *ev,
		     const struct control_caller *caller, struct engine_reply *reply_out)
{
	struct engine_output out;
	int64_t now = x->sinks->now(x->user_data);
	bool replied = false;

	ev->time_us = ev->time_us ? MIN(ev->time_us, now) : now;
	engine_step(x->engine, ev, &out);
	if (!engine_step_was_quiet(ev, &out))
		x->shown_changed = true;
	for (unsigned i = 0; i < out.n_actions; i++)
		carry_out(x, &out.actions[i], caller, reply_out, &replied);
	return replied;
}

bool action_executor_step(struct action_executor *x, struct engine_event *ev,
			  const struct control_caller *caller, struct engine_reply *reply_out)
{
	bool replied;

	g_assert(!x->stepping);
	/* Nothing to carry out, save or announce: a press's first edge in
	 * momentary mode costs no step, so its RUN is the press's one step. */
	if (engine_event_changes_nothing(x->engine, ev))
		return false;
	if (ev->kind == ENGINE_EVENT_PEN_DISCONNECTED || ev->kind == ENGINE_EVENT_PEN_CONNECTED)
		heartbeats_lost_end(x, "the link is gone");
	x->stepping = true;
	x->shown_changed = false;
	replied = run_step(x, ev, caller, reply_out);
	/* The answer to a cartridge record, after the step that asked for it.
	 * Its own reply, if any, is not the caller's: the request was answered
	 * by the step above. */
	while (x->cartridge_answer_due) {
		struct engine_event answer = { .kind = ENGINE_EVENT_CARTRIDGE_RECORDED,
					       .caller = ev->caller };

		x->cartridge_answer_due = false;
		answer.cartridge_recorded.cartridge = x->cartridge;
		answer.cartridge_recorded.saved = x->cartridge_saved;
		answer.cartridge_recorded.error = x->cartridge_error;
		run_step(x, &answer, caller, NULL);
	}
	x->stepping = false;
	/* A heartbeat's tick, five a second: nothing to save or announce. */
	if (x->shown_changed)
		x->sinks->step_done(x->user_data);
	return replied;
}

void action_executor_snapshot(const struct action_executor *x, struct engine_snapshot *snapshot)
{
	engine_get_snapshot(x->engine, x->sinks->now(x->user_data), snapshot);
}

bool action_executor_stepping(const struct action_executor *x)
{
	return x->stepping;
}
