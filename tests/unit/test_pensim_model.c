// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated pen behaves like a pen implementing docs/pen-protocol.md:
 * every test drives tools/pensim_model.c through time it is given and checks
 * what the pen did (Status, motor events, ATT answers).
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "penctl/pen_protocol.h"
#include "pensim_model.h"

#define T0 1000000000ll /* an arbitrary monotonic start time */
#define MS 1000ll
#define S  1000000ll

static int setup_model(void **state)
{
	static struct pensim_model model;
	struct pensim_model_config config;

	pensim_model_config_defaults(&config);
	assert_int_equal(pensim_model_init(&model, &config, T0), 0);
	*state = &model;
	return 0;
}

static uint8_t send_control(struct pensim_model *m, enum pen_control_op op,
			    uint16_t seq, int64_t t)
{
	struct pen_control c = { .op = op, .seq = seq };
	uint8_t buf[PEN_CONTROL_SIZE];

	assert_int_equal(pen_codec_encode_control(&c, buf, sizeof(buf)), PEN_CONTROL_SIZE);
	return pensim_model_write_control(m, buf, sizeof(buf), t);
}

static uint8_t send_depth(struct pensim_model *m, uint16_t depth_um, int64_t t)
{
	uint8_t buf[2] = { (uint8_t)(depth_um & 0xff), (uint8_t)(depth_um >> 8) };

	/* Raw bytes, not the encoder: the pen must judge values the daemon's
	 * encoder would never produce. */
	return pensim_model_write_depth(m, buf, sizeof(buf), t);
}

static void send_heartbeat(struct pensim_model *m, uint16_t counter, int64_t t)
{
	uint8_t buf[PEN_HEARTBEAT_SIZE];

	assert_int_equal(pen_codec_encode_heartbeat(counter, buf, sizeof(buf)),
			 PEN_HEARTBEAT_SIZE);
	assert_int_equal(pensim_model_write_heartbeat(m, buf, sizeof(buf), t), PENSIM_ATT_OK);
}

/* What the daemon does: the watchdog is armed by a heartbeat, then RUN. */
static uint8_t run_armed(struct pensim_model *m, uint16_t seq, int64_t t)
{
	send_heartbeat(m, seq, t);
	return send_control(m, PEN_CONTROL_RUN, seq, t);
}

static void send_watchdog(struct pensim_model *m, uint16_t ms, int64_t t)
{
	uint8_t buf[PEN_WATCHDOG_SIZE];

	assert_int_equal(pen_codec_encode_watchdog(ms, buf, sizeof(buf)), PEN_WATCHDOG_SIZE);
	assert_int_equal(pensim_model_write_watchdog(m, buf, sizeof(buf), t), PENSIM_ATT_OK);
}

static struct pen_status status_of(const struct pensim_model *m)
{
	struct pen_status s;

	pensim_model_get_status(m, &s);
	return s;
}

static void expect_motor_event(struct pensim_model *m, bool started,
			       enum pen_stop_cause cause, int64_t t, uint16_t seq)
{
	struct pensim_motor_event ev;

	assert_true(pensim_model_take_motor_event(m, &ev));
	assert_int_equal(ev.started, started);
	assert_int_equal(ev.cause, cause);
	assert_int_equal(ev.t_us, t);
	assert_int_equal(ev.seq, seq);
}

static void expect_no_motor_event(struct pensim_model *m)
{
	struct pensim_motor_event ev;

	assert_false(pensim_model_take_motor_event(m, &ev));
}

static void test_run_and_stop_echo_control_seq(void **state)
{
	struct pensim_model *m = *state;

	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_NONE);

	assert_int_equal(run_armed(m, 41, T0 + 10 * MS), PENSIM_ATT_OK);
	assert_true(status_of(m).motor_running);
	assert_int_equal(status_of(m).control_seq, 41);
	assert_int_equal(status_of(m).speed, 100);
	expect_motor_event(m, true, PEN_STOP_NONE, T0 + 10 * MS, 41);

	assert_int_equal(send_control(m, PEN_CONTROL_STOP, 42, T0 + 20 * MS), PENSIM_ATT_OK);
	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_COMMAND);
	assert_int_equal(status_of(m).control_seq, 42);
	assert_int_equal(status_of(m).speed, 0);
	expect_motor_event(m, false, PEN_STOP_COMMAND, T0 + 20 * MS, 42);
	expect_no_motor_event(m);
}

static void test_stop_while_stopped_echoes_seq_without_motor_event(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(send_control(m, PEN_CONTROL_STOP, 9, T0 + MS), PENSIM_ATT_OK);
	assert_int_equal(status_of(m).control_seq, 9);
	assert_false(status_of(m).motor_running);
	expect_no_motor_event(m);
}

static void test_malformed_control_refused_and_not_applied(void **state)
{
	struct pensim_model *m = *state;
	const uint8_t unknown_op[PEN_CONTROL_SIZE] = { 0x07, 0x00, 0x05, 0x00 };
	const uint8_t reserved_set[PEN_CONTROL_SIZE] = { 0x01, 0x01, 0x05, 0x00 };
	const uint8_t short_run[3] = { 0x01, 0x00, 0x05 };

	assert_int_equal(pensim_model_write_control(m, unknown_op, sizeof(unknown_op), T0 + MS),
			 PENSIM_ATT_VALUE_NOT_ALLOWED);
	assert_int_equal(pensim_model_write_control(m, reserved_set, sizeof(reserved_set), T0 + MS),
			 PENSIM_ATT_VALUE_NOT_ALLOWED);
	assert_int_equal(pensim_model_write_control(m, short_run, sizeof(short_run), T0 + MS),
			 PENSIM_ATT_INVALID_LENGTH);
	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).control_seq, 0);
	expect_no_motor_event(m);
}

static void test_watchdog_expiry_stops_motor_at_watchdog_time(void **state)
{
	struct pensim_model *m = *state;
	int64_t run_at = T0 + 100 * MS;

	send_watchdog(m, 500, T0 + 50 * MS);
	assert_int_equal(pensim_model_get_watchdog_ms(m), 500);
	assert_int_equal(run_armed(m, 1, run_at), PENSIM_ATT_OK);
	expect_motor_event(m, true, PEN_STOP_NONE, run_at, 1);

	/* The caller's timer must fire exactly when the window closes. */
	assert_int_equal(pensim_model_next_deadline_us(m), run_at + 500 * MS);

	pensim_model_advance(m, run_at + 500 * MS - 1);
	assert_true(status_of(m).motor_running);
	expect_no_motor_event(m);

	pensim_model_advance(m, run_at + 500 * MS);
	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_WATCHDOG);
	expect_motor_event(m, false, PEN_STOP_WATCHDOG, run_at + 500 * MS, 1);
	assert_int_equal(pensim_model_next_deadline_us(m), INT64_MAX);
}

static void test_watchdog_stop_time_is_window_end_even_if_noticed_late(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(run_armed(m, 3, T0), PENSIM_ATT_OK);
	expect_motor_event(m, true, PEN_STOP_NONE, T0, 3);

	/* The main loop was busy; the pen's watchdog was not. */
	pensim_model_advance(m, T0 + 1700 * MS);
	expect_motor_event(m, false, PEN_STOP_WATCHDOG, T0 + PENSIM_DEFAULT_WATCHDOG_MS * MS, 3);
	/* Strokes stop counting when the motor stops: 100/s for 1 s. */
	assert_int_equal(status_of(m).strokes, 100);
}

static void test_heartbeat_keeps_motor_running(void **state)
{
	struct pensim_model *m = *state;
	int64_t t = T0;
	uint16_t counter = 0;

	send_watchdog(m, 500, t);
	assert_int_equal(run_armed(m, 1, t), PENSIM_ATT_OK);
	for (int i = 0; i < 25; i++) {
		t += 400 * MS;
		pensim_model_advance(m, t - 1);
		send_heartbeat(m, counter++, t);
		assert_true(status_of(m).motor_running);
	}
	expect_motor_event(m, true, PEN_STOP_NONE, T0, 1);
	expect_no_motor_event(m);

	/* Heartbeats stop: the last one opened the last window. */
	pensim_model_advance(m, t + 2 * S);
	expect_motor_event(m, false, PEN_STOP_WATCHDOG, t + 500 * MS, 1);
}

static void test_heartbeat_after_window_closed_does_not_rescue_motor(void **state)
{
	struct pensim_model *m = *state;

	send_watchdog(m, 200, T0);
	assert_int_equal(run_armed(m, 1, T0), PENSIM_ATT_OK);
	send_heartbeat(m, 1, T0 + 200 * MS + 1);
	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_WATCHDOG);
}

static void test_watchdog_write_restarts_running_timer(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(run_armed(m, 1, T0), PENSIM_ATT_OK);
	send_watchdog(m, 300, T0 + 400 * MS);
	assert_int_equal(pensim_model_next_deadline_us(m), T0 + 700 * MS);
	pensim_model_advance(m, T0 + 700 * MS - 1);
	assert_true(status_of(m).motor_running);
	pensim_model_advance(m, T0 + 700 * MS);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_WATCHDOG);
}

static void test_run_refused_without_recent_heartbeat(void **state)
{
	struct pensim_model *m = *state;
	const uint8_t short_beat[1] = { 0 };

	/* Never a heartbeat. */
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 1, T0), PENSIM_ATT_NO_HEARTBEAT);
	/* A malformed heartbeat does not arm the watchdog. */
	pensim_model_write_heartbeat(m, short_beat, sizeof(short_beat), T0 + MS);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 2, T0 + MS), PENSIM_ATT_NO_HEARTBEAT);
	/* A heartbeat older than the watchdog time no longer counts. */
	send_heartbeat(m, 1, T0 + 10 * MS);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 3, T0 + 1010 * MS),
			 PENSIM_ATT_NO_HEARTBEAT);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 4, T0 + 1010 * MS - 1),
			 PENSIM_ATT_NO_HEARTBEAT); /* time never goes back */
	send_heartbeat(m, 2, T0 + 1020 * MS);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 5, T0 + 2019 * MS), PENSIM_ATT_OK);
	assert_int_equal(status_of(m).control_seq, 5);
}

static void test_new_connection_resets_watchdog(void **state)
{
	struct pensim_model *m = *state;

	send_heartbeat(m, 1, T0);
	send_watchdog(m, 5000, T0);
	pensim_model_link_lost(m, T0 + MS);
	pensim_model_link_up(m, T0 + 2 * MS);
	assert_int_equal(pensim_model_get_watchdog_ms(m), PENSIM_DEFAULT_WATCHDOG_MS);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 1, T0 + 3 * MS), PENSIM_ATT_NO_HEARTBEAT);
}

static void test_refused_control_write_stops_running_motor(void **state)
{
	struct pensim_model *m = *state;
	const uint8_t garbage[PEN_CONTROL_SIZE] = { 0x05, 0x00, 0x09, 0x00 };

	assert_int_equal(run_armed(m, 8, T0), PENSIM_ATT_OK);
	assert_int_equal(pensim_model_write_control(m, garbage, sizeof(garbage), T0 + MS),
			 PENSIM_ATT_VALUE_NOT_ALLOWED);
	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_COMMAND);
	assert_int_equal(status_of(m).control_seq, 8);
	expect_motor_event(m, true, PEN_STOP_NONE, T0, 8);
	expect_motor_event(m, false, PEN_STOP_COMMAND, T0 + MS, 8);
}

/* docs/pen-protocol.md §3.1: the first refusal that applies, in order. */
static void test_run_refusals_in_documented_order(void **state)
{
	struct pensim_model *m = *state;
	struct pen_cartridge none = { 0 };
	struct pen_cartridge shallow = { .id = 0x42, .needle_count = 9, .max_depth_um = 300 };

	/* No cartridge (cartridge-missing set too), overtemp, no heartbeat. */
	assert_int_equal(pensim_model_set_cartridge(m, &none, T0), 0);
	assert_int_equal(pensim_model_set_faults(m, PEN_FAULT_OVERTEMP, T0), 0);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 1, T0), PEN_ATT_NO_CARTRIDGE);
	/* A cartridge shallower than the set 500 um: the fault still wins. */
	assert_int_equal(pensim_model_set_cartridge(m, &shallow, T0 + MS), 0);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 2, T0 + MS), PEN_ATT_FAULT_ACTIVE);
	assert_int_equal(pensim_model_set_faults(m, 0, T0 + 2 * MS), 0);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 3, T0 + 2 * MS),
			 PEN_ATT_DEPTH_ABOVE_CARTRIDGE);
	assert_int_equal(send_depth(m, 300, T0 + 3 * MS), PENSIM_ATT_OK);
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 4, T0 + 3 * MS), PEN_ATT_NO_HEARTBEAT);
	assert_int_equal(run_armed(m, 5, T0 + 4 * MS), PENSIM_ATT_OK);
}

/* §3.1, §4: a refused Control write is not applied; control_seq keeps the
 * last applied one and no Status is owed while the motor stays stopped. */
static void test_refused_run_keeps_control_seq_and_owes_no_status(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(send_control(m, PEN_CONTROL_STOP, 8, T0), PENSIM_ATT_OK);
	assert_true(pensim_model_take_status_notify(m));
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 9, T0 + MS), PEN_ATT_NO_HEARTBEAT);
	assert_int_equal(status_of(m).control_seq, 8);
	assert_false(pensim_model_take_status_notify(m));
	expect_no_motor_event(m);
}

/* §3.7, §5: only a Heartbeat arms the watchdog. */
static void test_watchdog_write_does_not_arm(void **state)
{
	struct pensim_model *m = *state;

	send_watchdog(m, 2000, T0);
	assert_false(pensim_model_watchdog_armed(m));
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 1, T0 + MS), PEN_ATT_NO_HEARTBEAT);
	send_heartbeat(m, 1, T0 + 2 * MS);
	assert_true(pensim_model_watchdog_armed(m));
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 2, T0 + 1900 * MS), PENSIM_ATT_OK);
}

/* §3.4: stopped, Status.depth_um is where the needle stop is (the set
 * depth), before the first run as after a stop; speed is 0. */
static void test_measured_depth_while_stopped_is_the_set_depth(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(status_of(m).depth_um, 500);
	assert_int_equal(send_depth(m, 800, T0), PENSIM_ATT_OK);
	assert_int_equal(status_of(m).depth_um, 800);
	assert_int_equal(run_armed(m, 1, T0 + MS), PENSIM_ATT_OK);
	assert_int_equal(send_control(m, PEN_CONTROL_STOP, 2, T0 + 2 * MS), PENSIM_ATT_OK);
	assert_int_equal(status_of(m).depth_um, 800);
	assert_int_equal(status_of(m).speed, 0);
}

static void test_watchdog_out_of_range_refused(void **state)
{
	struct pensim_model *m = *state;
	const uint8_t too_short[2] = { 50, 0 };             /* 50 ms < 100 */
	const uint8_t too_long[2] = { 0x11, 0x27 };         /* 10001 ms */

	assert_int_equal(pensim_model_write_watchdog(m, too_short, 2, T0), PENSIM_ATT_VALUE_NOT_ALLOWED);
	assert_int_equal(pensim_model_write_watchdog(m, too_long, 2, T0), PENSIM_ATT_VALUE_NOT_ALLOWED);
	assert_int_equal(pensim_model_write_watchdog(m, too_short, 1, T0), PENSIM_ATT_INVALID_LENGTH);
	assert_int_equal(pensim_model_get_watchdog_ms(m), PENSIM_DEFAULT_WATCHDOG_MS);
}

static void test_disconnect_stops_motor(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(run_armed(m, 5, T0), PENSIM_ATT_OK);
	pensim_model_link_lost(m, T0 + 300 * MS);
	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_DISCONNECT);
	expect_motor_event(m, true, PEN_STOP_NONE, T0, 5);
	expect_motor_event(m, false, PEN_STOP_DISCONNECT, T0 + 300 * MS, 5);
}

static void test_button_stops_motor(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(run_armed(m, 5, T0), PENSIM_ATT_OK);
	pensim_model_press_button(m, T0 + 10 * MS);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_BUTTON);
	expect_motor_event(m, true, PEN_STOP_NONE, T0, 5);
	expect_motor_event(m, false, PEN_STOP_BUTTON, T0 + 10 * MS, 5);
}

static void test_depth_above_cartridge_max_refused(void **state)
{
	struct pensim_model *m = *state;
	struct pen_cartridge c = { .id = 0x1a2b, .needle_count = 36, .max_depth_um = 1500 };

	assert_int_equal(pensim_model_set_cartridge(m, &c, T0), 0);
	assert_int_equal(send_depth(m, 1200, T0), PENSIM_ATT_OK);
	assert_int_equal(send_depth(m, 1501, T0), PENSIM_ATT_DEPTH_ABOVE_CARTRIDGE);
	assert_int_equal(pensim_model_get_depth(m), 1200);
	assert_int_equal(send_depth(m, 1500, T0), PENSIM_ATT_OK);
	assert_int_equal(pensim_model_get_depth(m), 1500);
	assert_int_equal(status_of(m).depth_um, 1500);
}

static void test_depth_outside_protocol_range_refused(void **state)
{
	struct pensim_model *m = *state;
	const uint8_t three[3] = { 0xf4, 0x01, 0x00 };

	assert_int_equal(send_depth(m, PEN_DEPTH_MIN_UM - 1, T0), PENSIM_ATT_VALUE_NOT_ALLOWED);
	assert_int_equal(send_depth(m, PEN_DEPTH_MAX_UM + 1, T0), PENSIM_ATT_VALUE_NOT_ALLOWED);
	assert_int_equal(pensim_model_write_depth(m, three, sizeof(three), T0),
			 PENSIM_ATT_INVALID_LENGTH);
	assert_int_equal(pensim_model_get_depth(m), 500);
}

static void test_run_refused_with_depth_above_new_cartridge(void **state)
{
	struct pensim_model *m = *state;
	struct pen_cartridge c = { .id = 7, .needle_count = 3, .max_depth_um = 300 };

	assert_int_equal(pensim_model_set_cartridge(m, &c, T0), 0);
	assert_int_equal(pensim_model_get_depth(m), 500);
	assert_int_equal(run_armed(m, 1, T0), PENSIM_ATT_DEPTH_ABOVE_CARTRIDGE);
	assert_int_equal(send_depth(m, 300, T0), PENSIM_ATT_OK);
	assert_int_equal(run_armed(m, 2, T0), PENSIM_ATT_OK);
	/* Another cartridge while running: the old one came out first. */
	c.id = 8;
	assert_int_equal(pensim_model_set_cartridge(m, &c, T0 + MS), 0);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_FAULT);
}

static void test_manual_dial_overrides_measured_depth(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(pensim_model_set_dial(m, 4200, T0), 0);
	assert_int_equal(status_of(m).depth_um, 4200);
	assert_int_equal(pensim_model_get_depth(m), 500);
	assert_int_equal(pensim_model_set_dial(m, PEN_STATUS_DEPTH_MAX_UM + 1, T0), -ERANGE);
	assert_int_equal(pensim_model_set_dial(m, 0, T0), 0);
	assert_int_equal(status_of(m).depth_um, 500);
}

static void test_fault_stops_motor_and_refuses_run(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(run_armed(m, 10, T0), PENSIM_ATT_OK);
	assert_int_equal(pensim_model_set_faults(m, PEN_FAULT_OVERTEMP, T0 + 100 * MS), 0);
	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_FAULT);
	assert_int_equal(status_of(m).fault_bits, PEN_FAULT_OVERTEMP);
	expect_motor_event(m, true, PEN_STOP_NONE, T0, 10);
	expect_motor_event(m, false, PEN_STOP_FAULT, T0 + 100 * MS, 10);

	assert_int_equal(run_armed(m, 11, T0 + 200 * MS),
			 PENSIM_ATT_FAULT_ACTIVE);
	assert_false(status_of(m).motor_running);
	assert_int_equal(status_of(m).control_seq, 10);
	expect_no_motor_event(m);

	/* Clearing the fault does not restart the motor by itself. */
	assert_int_equal(pensim_model_set_faults(m, 0, T0 + 300 * MS), 0);
	assert_false(status_of(m).motor_running);
	assert_int_equal(run_armed(m, 12, T0 + 400 * MS), PENSIM_ATT_OK);
	assert_true(status_of(m).motor_running);
	assert_int_equal(pensim_model_set_faults(m, 0x40, T0 + 400 * MS), -EINVAL);
}

static void test_removed_cartridge_is_a_fault(void **state)
{
	struct pensim_model *m = *state;
	struct pen_cartridge none = { 0 };

	assert_int_equal(run_armed(m, 1, T0), PENSIM_ATT_OK);
	assert_int_equal(pensim_model_set_cartridge(m, &none, T0 + MS), 0);
	assert_int_equal(status_of(m).stop_cause, PEN_STOP_FAULT);
	assert_int_equal(status_of(m).fault_bits, PEN_FAULT_CARTRIDGE_MISSING);
	assert_int_equal(run_armed(m, 2, T0 + 2 * MS), PENSIM_ATT_NO_CARTRIDGE);
}

static void test_strokes_count_only_while_running(void **state)
{
	struct pensim_model *m = *state;
	const uint8_t speed_150[2] = { 150, 0 };

	assert_int_equal(run_armed(m, 1, T0), PENSIM_ATT_OK);
	/* 100 strokes/s for 0.75 s, heartbeats keep it going. */
	send_heartbeat(m, 1, T0 + 750 * MS);
	assert_int_equal(status_of(m).strokes, 75);
	/* 150 strokes/s for 0.5 s more. */
	assert_int_equal(pensim_model_write_speed(m, speed_150, 2, T0 + 750 * MS), PENSIM_ATT_OK);
	assert_int_equal(pensim_model_get_speed(m), 150);
	assert_int_equal(send_control(m, PEN_CONTROL_STOP, 2, T0 + 1250 * MS), PENSIM_ATT_OK);
	assert_int_equal(status_of(m).strokes, 150);
	/* Standing still adds nothing. */
	pensim_model_advance(m, T0 + 10 * S);
	assert_int_equal(status_of(m).strokes, 150);
}

static void test_status_notified_on_change_and_every_second_while_running(void **state)
{
	struct pensim_model *m = *state;

	assert_false(pensim_model_take_status_notify(m));
	assert_int_equal(run_armed(m, 1, T0), PENSIM_ATT_OK);
	assert_true(pensim_model_take_status_notify(m));
	assert_false(pensim_model_take_status_notify(m));
	/* Every applied Control write is notified, even one changing nothing. */
	assert_int_equal(send_control(m, PEN_CONTROL_RUN, 1, T0), PENSIM_ATT_OK);
	assert_true(pensim_model_take_status_notify(m));
	assert_false(pensim_model_take_status_notify(m));

	send_watchdog(m, 5000, T0 + 10 * MS);
	assert_int_equal(pensim_model_next_deadline_us(m), T0 + S);
	pensim_model_advance(m, T0 + S - 1);
	assert_false(pensim_model_take_status_notify(m));
	pensim_model_advance(m, T0 + S);
	assert_true(pensim_model_take_status_notify(m));
	assert_int_equal(pensim_model_next_deadline_us(m), T0 + 2 * S);

	assert_int_equal(send_control(m, PEN_CONTROL_STOP, 2, T0 + 1500 * MS), PENSIM_ATT_OK);
	assert_true(pensim_model_take_status_notify(m));
	pensim_model_advance(m, T0 + 5 * S);
	assert_false(pensim_model_take_status_notify(m));
}

static void test_battery_drains_while_running(void **state)
{
	struct pensim_model *m = *state;
	int64_t t = T0;

	assert_int_equal(run_armed(m, 1, t), PENSIM_ATT_OK);
	send_watchdog(m, 10000, t);
	for (int i = 0; i < 15; i++) {          /* 135 s of running */
		t += 9 * S;
		send_heartbeat(m, (uint16_t)i, t);
	}
	assert_int_equal(pensim_model_get_battery(m), 98);
	assert_int_equal(status_of(m).battery_percent, 98);
	assert_int_equal(send_control(m, PEN_CONTROL_STOP, 2, t), PENSIM_ATT_OK);
	pensim_model_advance(m, t + 600 * S);
	assert_int_equal(pensim_model_get_battery(m), 98);
}

static void test_empty_battery_stops_motor_with_fault(void **state)
{
	struct pensim_model *m = *state;

	assert_int_equal(pensim_model_set_battery(m, 1, T0), 0);
	assert_int_equal(run_armed(m, 1, T0), PENSIM_ATT_OK);
	send_watchdog(m, 10000, T0);
	for (int i = 1; i <= 7; i++)
		send_heartbeat(m, (uint16_t)i, T0 + i * 9 * S);
	expect_motor_event(m, true, PEN_STOP_NONE, T0, 1);
	expect_motor_event(m, false, PEN_STOP_FAULT, T0 + PENSIM_DEFAULT_BATTERY_DRAIN_US, 1);
	assert_int_equal(status_of(m).fault_bits, PEN_FAULT_BATTERY_CRITICAL);
	assert_int_equal(pensim_model_set_battery(m, 101, T0 + 70 * S), -ERANGE);
}

static void test_impossible_configuration_refused(void **state)
{
	struct pensim_model model;
	struct pensim_model_config config;

	(void)state;
	pensim_model_config_defaults(&config);
	config.depth_um = 2600; /* above the default cartridge's 2500 */
	assert_int_equal(pensim_model_init(&model, &config, 0), -EINVAL);

	pensim_model_config_defaults(&config);
	config.cartridge.needle_count = 0;
	assert_int_equal(pensim_model_init(&model, &config, 0), -EINVAL);

	pensim_model_config_defaults(&config);
	config.speed = PEN_SPEED_MAX + 1;
	assert_int_equal(pensim_model_init(&model, &config, 0), -EINVAL);

	pensim_model_config_defaults(&config);
	config.fault_bits = 0x8000;
	assert_int_equal(pensim_model_init(&model, &config, 0), -EINVAL);
}

/* Named after the rule each one checks, so a failure says which broke. */
#define PEN_TEST(name, fn) { name, fn, setup_model, NULL, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		PEN_TEST("/pensim/control/run-stop-echo-seq", test_run_and_stop_echo_control_seq),
		PEN_TEST("/pensim/control/stop-while-stopped",
			 test_stop_while_stopped_echoes_seq_without_motor_event),
		PEN_TEST("/pensim/control/malformed-refused",
			 test_malformed_control_refused_and_not_applied),
		PEN_TEST("/pensim/watchdog/expiry-stops-at-time",
			 test_watchdog_expiry_stops_motor_at_watchdog_time),
		PEN_TEST("/pensim/watchdog/late-notice",
			 test_watchdog_stop_time_is_window_end_even_if_noticed_late),
		PEN_TEST("/pensim/watchdog/heartbeat-keeps-running",
			 test_heartbeat_keeps_motor_running),
		PEN_TEST("/pensim/watchdog/late-heartbeat",
			 test_heartbeat_after_window_closed_does_not_rescue_motor),
		PEN_TEST("/pensim/watchdog/write-restarts-timer",
			 test_watchdog_write_restarts_running_timer),
		PEN_TEST("/pensim/watchdog/run-needs-heartbeat",
			 test_run_refused_without_recent_heartbeat),
		PEN_TEST("/pensim/watchdog/write-does-not-arm", test_watchdog_write_does_not_arm),
		PEN_TEST("/pensim/control/refusal-order", test_run_refusals_in_documented_order),
		PEN_TEST("/pensim/control/refused-run-keeps-seq",
			 test_refused_run_keeps_control_seq_and_owes_no_status),
		PEN_TEST("/pensim/status/depth-while-stopped",
			 test_measured_depth_while_stopped_is_the_set_depth),
		PEN_TEST("/pensim/watchdog/reset-per-connection",
			 test_new_connection_resets_watchdog),
		PEN_TEST("/pensim/control/refused-write-stops-motor",
			 test_refused_control_write_stops_running_motor),
		PEN_TEST("/pensim/watchdog/out-of-range", test_watchdog_out_of_range_refused),
		PEN_TEST("/pensim/link/disconnect-stops", test_disconnect_stops_motor),
		PEN_TEST("/pensim/button/stops", test_button_stops_motor),
		PEN_TEST("/pensim/depth/above-cartridge-max", test_depth_above_cartridge_max_refused),
		PEN_TEST("/pensim/depth/out-of-range", test_depth_outside_protocol_range_refused),
		PEN_TEST("/pensim/depth/above-new-cartridge",
			 test_run_refused_with_depth_above_new_cartridge),
		PEN_TEST("/pensim/depth/manual-dial", test_manual_dial_overrides_measured_depth),
		PEN_TEST("/pensim/fault/stops-and-refuses-run", test_fault_stops_motor_and_refuses_run),
		PEN_TEST("/pensim/fault/cartridge-removed", test_removed_cartridge_is_a_fault),
		PEN_TEST("/pensim/strokes/count-while-running", test_strokes_count_only_while_running),
		PEN_TEST("/pensim/status/change-and-periodic",
			 test_status_notified_on_change_and_every_second_while_running),
		PEN_TEST("/pensim/battery/drains-while-running", test_battery_drains_while_running),
		PEN_TEST("/pensim/battery/empty-is-fault", test_empty_battery_stops_motor_with_fault),
		{ "/pensim/config/impossible-refused", test_impossible_configuration_refused,
		  NULL, NULL, NULL },
	};

	return cmocka_run_group_tests_name("pensim-model", tests, NULL, NULL);
}
