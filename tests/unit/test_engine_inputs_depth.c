// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A depth pedal (pedal.h's on_depth_key, from a USB foot switch) through
 * daemon/engine_inputs.c into the real engine: it asks for the requested
 * depth plus or minus the step as ENGINE_EVENT_DEPTH_REQUEST, the path of
 * `penctl depth`, so it gets the same limits, refusals and records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "action_executor.h"
#include "engine_inputs.h"
#include "penctl/config.h"

struct fixture {
	struct penctl_config *config;
	struct engine *engine;
	struct action_executor *executor;
	struct penctl_conditions *conditions;
	struct engine_inputs inputs;
	int64_t now;
	uint32_t pen_depth_um;   /* the last depth written to the pen */
	unsigned depth_set, depth_refused;
	uint32_t refused_depth_um;
};

static int64_t s_now(void *ud)
{
	return ((struct fixture *)ud)->now;
}

static int s_control(void *ud, bool run, uint16_t seq)
{
	(void)ud, (void)run, (void)seq;
	return 0;
}

static int s_depth(void *ud, uint16_t depth_um)
{
	((struct fixture *)ud)->pen_depth_um = depth_um;
	return 0;
}

static int s_u16(void *ud, uint16_t value)
{
	(void)ud, (void)value;
	return 0;
}

static int s_none(void *ud)
{
	(void)ud;
	return 0;
}

static void s_void(void *ud)
{
	(void)ud;
}

static void s_timer(void *ud, int64_t deadline)
{
	(void)ud, (void)deadline;
}

static void s_record(void *ud, const struct engine_record *record,
		     const struct control_caller *caller)
{
	struct fixture *f = ud;

	assert_null(caller); /* a pedal, not a D-Bus caller */
	if (record->kind == ENGINE_RECORD_DEPTH_SET)
		f->depth_set++;
	if (record->kind == ENGINE_RECORD_DEPTH_REFUSED) {
		f->depth_refused++;
		f->refused_depth_um = record->depth_um;
	}
}

static bool s_cartridge(void *ud, uint64_t cartridge, GError **error)
{
	(void)ud, (void)cartridge, (void)error;
	return true;
}

static const struct action_sinks sinks = {
	.now = s_now,
	.write_control = s_control,
	.write_depth = s_depth,
	.write_speed = s_u16,
	.write_heartbeat = s_u16,
	.read_cartridge = s_none,
	.drop_link = s_void,
	.arm_timer = s_timer,
	.record = s_record,
	.record_cartridge = s_cartridge,
	.step_done = s_void,
};

static void step(struct fixture *f, struct engine_event ev)
{
	f->now += 1000;
	action_executor_step(f->executor, &ev, NULL, NULL);
}

/* A pen connected and a home/face session open (limit 0.50 mm). */
static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CONNECTED };

	f->config = penctl_config_new_default();
	f->now = 1000000;
	f->engine = engine_new(f->config, f->now);
	f->executor = action_executor_new(f->engine, &sinks, f);
	f->conditions = penctl_conditions_new();
	f->inputs = (struct engine_inputs){ .executor = f->executor,
					    .conditions = f->conditions };
	ev.pen_connected.address = "AA:BB:CC:DD:EE:01";
	ev.pen_connected.compatible = true;
	ev.pen_connected.cartridge.id = 7;
	ev.pen_connected.cartridge.needle_count = 12;
	ev.pen_connected.cartridge.max_depth_um = 2500;
	step(f, ev);
	ev = (struct engine_event){ .kind = ENGINE_EVENT_SESSION_START };
	ev.session_start.session_id = "s1";
	ev.session_start.operator_name = "alice";
	ev.session_start.role = "home";
	ev.session_start.area = "face";
	ev.session_start.contraindications_checked = true;
	step(f, ev);
	ev = (struct engine_event){ .kind = ENGINE_EVENT_DEPTH_REQUEST, .depth_um = 300 };
	step(f, ev);
	assert_int_equal(f->pen_depth_um, 300);
	f->depth_set = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	action_executor_free(f->executor);
	engine_free(f->engine);
	penctl_conditions_free(f->conditions);
	penctl_config_free(f->config);
	g_free(f);
	return 0;
}

static void depth_pedal(struct fixture *f, int32_t step_um)
{
	f->now += 1000;
	engine_inputs_pedal_callbacks.on_depth_key(step_um, f->now, &f->inputs);
}

/* /safety/depth-pedal-within-limit: steps from the requested depth, as
 * `penctl depth` would set it, up to the limit and no further. */
static void test_depth_pedal_steps_within_the_limit(void **state)
{
	struct fixture *f = *state;

	depth_pedal(f, 100);
	assert_int_equal(f->pen_depth_um, 400);
	depth_pedal(f, 100);
	assert_int_equal(f->pen_depth_um, 500);
	assert_int_equal(f->depth_set, 2);
	depth_pedal(f, 100);
	assert_int_equal(f->pen_depth_um, 500);
	assert_int_equal(f->depth_refused, 1);
	assert_int_equal(f->refused_depth_um, 600);
	depth_pedal(f, -100);
	assert_int_equal(f->pen_depth_um, 400);
	assert_int_equal(f->depth_set, 3);
}

/* Below the pen's range: refused as `penctl depth 0` is, never wrapped. */
static void test_depth_pedal_below_zero_is_refused(void **state)
{
	struct fixture *f = *state;

	depth_pedal(f, -1000);
	assert_int_equal(f->pen_depth_um, 300);
	assert_int_equal(f->depth_refused, 1);
	assert_int_equal(f->refused_depth_um, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_depth_pedal_steps_within_the_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_depth_pedal_below_zero_is_refused, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("engine-inputs-depth", tests, NULL, NULL);
}
