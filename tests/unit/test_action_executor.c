// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The action executor carries out a step's actions in the engine's order,
 * returns the step's reply, steps a cartridge record's answer after (never
 * inside) the step, and aborts when a step would nest.  A twin engine fed
 * the same events gives the order the executor must follow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "action_executor.h"
#include "penctl/config.h"

struct fixture {
	struct penctl_config *config;
	struct engine *engine; /* the executor's */
	struct engine *twin;   /* the same events, stepped directly */
	struct action_executor *executor;
	int64_t t0;
	int64_t now;           /* the executor's clock */
	GPtrArray *calls;      /* what the sinks saw, as text */
	bool save_fails;
	int heartbeat_err;     /* what the heartbeat sink returns */
	bool nest_on_record;   /* a record sink that steps again: a bug */
};

static void log_call(struct fixture *f, char *text)
{
	g_ptr_array_add(f->calls, text);
}

static int64_t s_now(void *ud)
{
	return ((struct fixture *)ud)->now;
}

static int s_control(void *ud, bool run, uint16_t seq)
{
	log_call(ud, g_strdup_printf("control %s %u", run ? "run" : "stop", seq));
	return 0;
}

static int s_depth(void *ud, uint16_t depth_um)
{
	log_call(ud, g_strdup_printf("depth %u", depth_um));
	return 0;
}

static int s_speed(void *ud, uint16_t speed)
{
	log_call(ud, g_strdup_printf("speed %u", speed));
	return 0;
}

static int s_heartbeat(void *ud, uint16_t heartbeat)
{
	log_call(ud, g_strdup_printf("heartbeat %u", heartbeat));
	return ((struct fixture *)ud)->heartbeat_err;
}

/* What the executor logged (warnings and messages), as "W text" / "M text",
 * while a test captures it (else the default writer has it). */
static GPtrArray *logged;

static GLogWriterOutput capture_log(GLogLevelFlags level, const GLogField *fields,
				    gsize n_fields, gpointer user_data)
{
	if (!logged)
		return g_log_writer_default(level, fields, n_fields, user_data);
	for (gsize i = 0; i < n_fields; i++)
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			g_ptr_array_add(logged, g_strdup_printf("%c %s",
				level & G_LOG_LEVEL_WARNING ? 'W' : 'M',
				(const char *)fields[i].value));
	return G_LOG_WRITER_HANDLED;
}

static int s_read_cartridge(void *ud)
{
	log_call(ud, g_strdup("read-cartridge"));
	return 0;
}

static void s_drop(void *ud)
{
	log_call(ud, g_strdup("drop-link"));
}

static void s_timer(void *ud, int64_t deadline)
{
	log_call(ud, g_strdup_printf("timer %" G_GINT64_FORMAT, deadline));
}

static void s_record(void *ud, const struct engine_record *record,
		     const struct control_caller *caller)
{
	struct fixture *f = ud;

	(void)caller;
	log_call(f, g_strdup_printf("record %d %d", record->kind, record->reason));
	if (f->nest_on_record) {
		struct engine_event ev = { .kind = ENGINE_EVENT_TICK };

		action_executor_step(f->executor, &ev, NULL, NULL);
	}
}

static bool s_cartridge(void *ud, uint64_t cartridge, GError **error)
{
	struct fixture *f = ud;

	log_call(f, g_strdup_printf("cartridge %" G_GUINT64_FORMAT, cartridge));
	if (f->save_fails) {
		g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "disk full");
		return false;
	}
	return true;
}

static void s_done(void *ud)
{
	log_call(ud, g_strdup("done"));
}

static const struct action_sinks sinks = {
	.now = s_now,
	.write_control = s_control,
	.write_depth = s_depth,
	.write_speed = s_speed,
	.write_heartbeat = s_heartbeat,
	.read_cartridge = s_read_cartridge,
	.drop_link = s_drop,
	.arm_timer = s_timer,
	.record = s_record,
	.record_cartridge = s_cartridge,
	.step_done = s_done,
};

/* The twin's actions as the sinks would have logged them. */
static void expect_actions(GPtrArray *out, const struct engine_output *o, struct fixture *f,
			   uint64_t *cartridge_asked)
{
	for (unsigned i = 0; i < o->n_actions; i++) {
		const struct engine_action *a = &o->actions[i];

		switch (a->kind) {
		case ENGINE_ACTION_MOTOR_RUN:
		case ENGINE_ACTION_MOTOR_STOP:
			g_ptr_array_add(out, g_strdup_printf("control %s %u",
				a->kind == ENGINE_ACTION_MOTOR_RUN ? "run" : "stop", a->motor.seq));
			break;
		case ENGINE_ACTION_SET_DEPTH:
			g_ptr_array_add(out, g_strdup_printf("depth %u", a->depth_um));
			break;
		case ENGINE_ACTION_SET_SPEED:
			g_ptr_array_add(out, g_strdup_printf("speed %u", a->speed));
			break;
		case ENGINE_ACTION_HEARTBEAT:
			g_ptr_array_add(out, g_strdup_printf("heartbeat %u", a->heartbeat));
			break;
		case ENGINE_ACTION_READ_CARTRIDGE:
			g_ptr_array_add(out, g_strdup("read-cartridge"));
			break;
		case ENGINE_ACTION_DROP_LINK:
			g_ptr_array_add(out, g_strdup("drop-link"));
			break;
		case ENGINE_ACTION_ARM_TIMER:
			g_ptr_array_add(out, g_strdup_printf("timer %" G_GINT64_FORMAT,
							     a->deadline_us));
			break;
		case ENGINE_ACTION_RECORD:
			g_ptr_array_add(out, g_strdup_printf("record %d %d", a->record.kind,
							     a->record.reason));
			break;
		case ENGINE_ACTION_CARTRIDGE_USED:
			g_ptr_array_add(out, g_strdup_printf("cartridge %" G_GUINT64_FORMAT,
							     a->cartridge));
			*cartridge_asked = a->cartridge;
			break;
		case ENGINE_ACTION_REPLY:
			break;
		}
	}
	(void)f;
}

/* Steps EV through the executor and the twin (with the same answers) and
 * checks that the sinks saw the twin's actions, in its order. */
static bool step_both(struct fixture *f, struct engine_event ev, int64_t at_ms,
		      struct engine_reply *reply)
{
	g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
	struct engine_event twin_ev = ev;
	struct engine_output o;
	uint64_t asked = 0;
	bool replied, quiet;

	ev.time_us = twin_ev.time_us = f->now = f->t0 + at_ms * 1000;
	engine_step(f->twin, &twin_ev, &o);
	quiet = engine_step_was_quiet(&twin_ev, &o);
	expect_actions(expected, &o, f, &asked);
	if (asked) {
		struct engine_event answer = { .kind = ENGINE_EVENT_CARTRIDGE_RECORDED,
					       .time_us = twin_ev.time_us };

		answer.cartridge_recorded.cartridge = asked;
		answer.cartridge_recorded.saved = !f->save_fails;
		answer.cartridge_recorded.error = f->save_fails ? "disk full" : NULL;
		engine_step(f->twin, &answer, &o);
		quiet = quiet && engine_step_was_quiet(&answer, &o);
		expect_actions(expected, &o, f, &asked);
	}
	if (!quiet)
		g_ptr_array_add(expected, g_strdup("done"));

	g_ptr_array_set_size(f->calls, 0);
	replied = action_executor_step(f->executor, &ev, NULL, reply);
	if (f->calls->len != expected->len) {
		for (guint i = 0; i < f->calls->len; i++)
			print_message("executor: %s\n", (char *)g_ptr_array_index(f->calls, i));
		for (guint i = 0; i < expected->len; i++)
			print_message("engine:   %s\n", (char *)g_ptr_array_index(expected, i));
	}
	assert_int_equal(f->calls->len, expected->len);
	for (guint i = 0; i < expected->len; i++)
		assert_string_equal(g_ptr_array_index(f->calls, i), g_ptr_array_index(expected, i));
	return replied;
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);

	f->config = penctl_config_new_default();
	f->t0 = 1000000;
	f->engine = engine_new(f->config, f->t0);
	f->twin = engine_new(f->config, f->t0);
	f->executor = action_executor_new(f->engine, &sinks, f);
	f->calls = g_ptr_array_new_with_free_func(g_free);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	action_executor_free(f->executor);
	engine_free(f->engine);
	engine_free(f->twin);
	penctl_config_free(f->config);
	g_ptr_array_unref(f->calls);
	g_free(f);
	return 0;
}

static struct engine_event connected(uint64_t cartridge)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CONNECTED };

	ev.pen_connected.address = "AA:BB:CC:DD:EE:01";
	ev.pen_connected.compatible = true;
	ev.pen_connected.cartridge.id = cartridge;
	ev.pen_connected.cartridge.needle_count = 12;
	ev.pen_connected.cartridge.max_depth_um = 2500;
	return ev;
}

static struct engine_event session_start(void)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_SESSION_START };

	ev.session_start.session_id = "s1";
	ev.session_start.operator_name = "alice";
	ev.session_start.role = "home";
	ev.session_start.area = "face";
	ev.session_start.contraindications_checked = true;
	return ev;
}

static struct engine_event simple(enum engine_event_kind kind)
{
	struct engine_event ev = { .kind = kind };

	return ev;
}

/* A whole treatment: every step's sink calls are the engine's actions in
 * the engine's order; requests get their reply back from the step. */
static void test_treatment_in_engine_order(void **state)
{
	struct fixture *f = *state;
	struct engine_reply reply;
	struct engine_event depth = { .kind = ENGINE_EVENT_DEPTH_REQUEST, .depth_um = 400 };
	struct engine_event run_ok = { .kind = ENGINE_EVENT_PEN_RUN_CONFIRMED };

	/* The pedal is seen up first: one held at start starts nothing. */
	assert_false(step_both(f, simple(ENGINE_EVENT_PEDAL_UP), 5, NULL));
	assert_false(step_both(f, connected(0x4d2), 10, NULL));
	assert_true(step_both(f, session_start(), 20, &reply));
	assert_int_equal(reply.refusal, ENGINE_REASON_NONE);
	assert_true(step_both(f, depth, 30, &reply));
	assert_int_equal(reply.refusal, ENGINE_REASON_NONE);
	/* The first press: the cartridge is recorded, then the RUN goes out
	 * in the answer's step, after the press's own actions. */
	assert_false(step_both(f, simple(ENGINE_EVENT_PEDAL_DOWN), 40, NULL));
	assert_true(g_ptr_array_find_with_equal_func(f->calls, "cartridge 1234", g_str_equal,
						     NULL));
	run_ok.run_seq = 1;
	step_both(f, run_ok, 45, NULL);
	step_both(f, simple(ENGINE_EVENT_TICK), 200, NULL);
	/* The release: the STOP is the first thing the sinks see. */
	assert_false(step_both(f, simple(ENGINE_EVENT_PEDAL_UP), 900, NULL));
	assert_true(g_str_has_prefix(g_ptr_array_index(f->calls, 0), "control stop"));
	/* A second press runs at once: the cartridge is on disk already. */
	step_both(f, simple(ENGINE_EVENT_PEDAL_DOWN), 1000, NULL);
	assert_false(g_ptr_array_find_with_equal_func(f->calls, "cartridge 1234", g_str_equal,
						      NULL));
	assert_true(step_both(f, simple(ENGINE_EVENT_SESSION_STOP), 1500, &reply));
	assert_int_equal(reply.refusal, ENGINE_REASON_NONE);
	assert_non_null(reply.summary);
	assert_true(g_str_has_prefix(g_ptr_array_index(f->calls, 0), "control stop"));
}

/* A cartridge that could not be saved is never run: the answer step says
 * so, and the sinks see no RUN. */
static void test_unsaved_cartridge_never_runs(void **state)
{
	struct fixture *f = *state;
	g_autofree char *refused = g_strdup_printf("record %d %d", ENGINE_RECORD_MOTOR_REFUSED,
						   ENGINE_REASON_CARTRIDGE_NOT_RECORDED);

	f->save_fails = true;
	step_both(f, simple(ENGINE_EVENT_PEDAL_UP), 5, NULL);
	step_both(f, connected(0x162e), 10, NULL);
	step_both(f, session_start(), 20, NULL);
	step_both(f, simple(ENGINE_EVENT_PEDAL_DOWN), 40, NULL);
	for (guint i = 0; i < f->calls->len; i++)
		assert_false(g_str_has_prefix(g_ptr_array_index(f->calls, i), "control run"));
	assert_true(g_ptr_array_find_with_equal_func(f->calls, refused, g_str_equal, NULL));
}

/* The executor's calls of one step, through it alone (no twin). */
static void step_event_alone(struct fixture *f, struct engine_event ev, int64_t at_ms)
{
	ev.time_us = f->now = f->t0 + at_ms * 1000;
	g_ptr_array_set_size(f->calls, 0);
	action_executor_step(f->executor, &ev, NULL, NULL);
}

static void step_alone(struct fixture *f, enum engine_event_kind kind, int64_t at_ms)
{
	step_event_alone(f, simple(kind), at_ms);
}

/* From a fresh fixture: pedal seen up, pen connected, session open, one
 * press and release (the cartridge is saved), at 5..900 ms. */
static void treatment_under_way(struct fixture *f)
{
	step_both(f, simple(ENGINE_EVENT_PEDAL_UP), 5, NULL);
	step_both(f, connected(0x4d2), 10, NULL);
	step_both(f, session_start(), 20, NULL);
	step_both(f, simple(ENGINE_EVENT_PEDAL_DOWN), 40, NULL);
	step_both(f, simple(ENGINE_EVENT_PEDAL_UP), 900, NULL);
}

/* /latency/momentary-press-one-step: in momentary mode a press's first
 * edge changes nothing, so it is not stepped at all (no sink, no save, no
 * property update); the press itself is one step whose first call is the
 * RUN. */
static void test_momentary_press_is_one_step(void **state)
{
	struct fixture *f = *state;

	treatment_under_way(f);
	step_alone(f, ENGINE_EVENT_PEDAL_PRESS_BEGAN, 1000);
	assert_int_equal(f->calls->len, 0);
	step_alone(f, ENGINE_EVENT_PEDAL_DOWN, 1000);
	assert_true(f->calls->len >= 2);
	assert_true(g_str_has_prefix(g_ptr_array_index(f->calls, 0), "control run"));
	assert_string_equal(g_ptr_array_index(f->calls, f->calls->len - 1), "done");
}

/* /safety/latched-stop-on-first-edge: in latching mode the first edge of
 * the press that stops a latched motor is still stepped, its STOP first. */
static void test_latched_stop_on_first_edge(void **state)
{
	struct fixture *f = *state;

	f->config->pedal_mode = PENCTL_PEDAL_LATCHING;
	treatment_under_way(f);
	step_alone(f, ENGINE_EVENT_PEDAL_PRESS_BEGAN, 1000);
	assert_true(f->calls->len >= 2);
	assert_true(g_str_has_prefix(g_ptr_array_index(f->calls, 0), "control stop"));
	/* Unlatched now: the next press's first edge changes nothing. */
	step_alone(f, ENGINE_EVENT_PEDAL_UP, 1100);
	step_alone(f, ENGINE_EVENT_PEDAL_PRESS_BEGAN, 1200);
	assert_int_equal(f->calls->len, 0);
}

/* /footprint/heartbeat-tick-quiet: a tick that only sends a heartbeat and
 * re-arms the timer calls those two sinks and nothing after (no save, no
 * property update); a tick that records something is not quiet. */
static void test_heartbeat_tick_is_quiet(void **state)
{
	struct fixture *f = *state;

	step_both(f, simple(ENGINE_EVENT_PEDAL_UP), 5, NULL);
	step_both(f, connected(0x4d2), 10, NULL);
	step_alone(f, ENGINE_EVENT_TICK, 1000);
	assert_int_equal(f->calls->len, 2);
	assert_true(g_str_has_prefix(g_ptr_array_index(f->calls, 0), "heartbeat"));
	assert_true(g_str_has_prefix(g_ptr_array_index(f->calls, 1), "timer"));
	/* Any other step still ends with step_done. */
	step_alone(f, ENGINE_EVENT_PEDAL_DOWN, 1100);
	assert_string_equal(g_ptr_array_index(f->calls, f->calls->len - 1), "done");
}

/* Ticks at 200 ms from AT_MS on; the heartbeats they sent. */
static unsigned ticks(struct fixture *f, int64_t at_ms, unsigned n)
{
	unsigned sent = 0;

	for (unsigned i = 0; i < n; i++) {
		step_alone(f, ENGINE_EVENT_TICK, at_ms + 200 * (int64_t)i);
		for (guint c = 0; c < f->calls->len; c++)
			sent += g_str_has_prefix(g_ptr_array_index(f->calls, c), "heartbeat");
	}
	return sent;
}

/* A link that refuses heartbeats (a full socket, 5 a second): one warning
 * when they start to fail, one line with the count when they go again or
 * the link is gone; the next stall warns afresh. */
static void test_lost_heartbeats_warned_once_then_counted(void **state)
{
	struct fixture *f = *state;
	unsigned lost;
	g_autofree char *again = NULL, *gone = NULL, *ended = NULL;
	struct engine_event disconnected = { .kind = ENGINE_EVENT_PEN_DISCONNECTED };

	logged = g_ptr_array_new_with_free_func(g_free);
	step_both(f, simple(ENGINE_EVENT_PEDAL_UP), 5, NULL);
	step_both(f, connected(0x4d2), 10, NULL);
	f->heartbeat_err = -EAGAIN;
	lost = ticks(f, 1000, 5);
	assert_true(lost >= 4);
	assert_int_equal(logged->len, 1);
	assert_true(g_str_has_prefix(g_ptr_array_index(logged, 0),
				     "W Could not write a heartbeat to the pen: "));
	f->heartbeat_err = 0;
	assert_true(ticks(f, 2000, 2) >= 1);
	assert_int_equal(logged->len, 2);
	again = g_strdup_printf("M %u heartbeats were not sent; they go through again", lost);
	assert_string_equal(g_ptr_array_index(logged, 1), again);
	/* Going well: nothing more. */
	ticks(f, 2400, 3);
	assert_int_equal(logged->len, 2);
	/* A second stall warns again; the link lost ends its count. */
	f->heartbeat_err = -EAGAIN;
	lost = ticks(f, 3000, 3);
	assert_int_equal(logged->len, 3);
	assert_true(g_str_has_prefix(g_ptr_array_index(logged, 2), "W "));
	f->heartbeat_err = -ENOTCONN;
	ticks(f, 3600, 1);
	assert_int_equal(logged->len, 4);
	gone = g_strdup_printf("M %u heartbeats were not sent; the link is gone", lost);
	assert_string_equal(g_ptr_array_index(logged, 3), gone);
	/* A stall the engine ends (the pen disconnected, as the engine learns
	 * it; its heartbeats stop there): the count is said then, and the
	 * next link's first refusal is warned of. */
	f->heartbeat_err = -EAGAIN;
	lost = ticks(f, 4000, 3);
	step_event_alone(f, disconnected, 4700);
	ended = g_strdup_printf("M %u heartbeats were not sent; the link is gone", lost);
	assert_int_equal(logged->len, 6);
	assert_string_equal(g_ptr_array_index(logged, 5), ended);
	step_event_alone(f, connected(0x4d2), 5000);
	ticks(f, 5200, 2);
	assert_int_equal(logged->len, 7);
	assert_true(g_str_has_prefix(g_ptr_array_index(logged, 6), "W "));
	g_clear_pointer(&logged, g_ptr_array_unref);
}

/* A sink that steps again would see the engine half-way: it aborts. */
static void test_nested_step_aborts(void **state)
{
	struct fixture *f = *state;
	int status = 0;
	pid_t pid;

	f->nest_on_record = true;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct engine_event ev = connected(0x4d2);

		/* The connect writes a record, whose sink steps again. */
		action_executor_step(f->executor, &ev, NULL, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_false(action_executor_stepping(f->executor));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_treatment_in_engine_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsaved_cartridge_never_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_step_aborts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_momentary_press_is_one_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latched_stop_on_first_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_tick_is_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_heartbeats_warned_once_then_counted,
						setup, teardown),
	};

	g_log_set_writer_func(capture_log, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
