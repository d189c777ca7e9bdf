// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gpio/pedal.c over a scripted driver that has what the evdev driver has
 * beyond the gpio one: depth-pedal events and a hotplug fd (udev's news).
 * The driver table is this file's (pedal_driver_for_source below), so the
 * adapter is tested without libevdev or a device:
 *   - a depth pedal is reported once, as +/-DepthStepMm, and never reaches
 *     the debouncer;
 *   - an unplug is "pedal lost"; the adapter looks once at once, then waits
 *     for the hotplug fd instead of retrying on a timer;
 *   - a replug with the pedal held is "held at start" (nothing runs until
 *     released), as for GPIO.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include <cmocka.h>

#include "penctl/pedal.h"
#include "penctl/pedal_driver.h"

#define DEBOUNCE_MS 10
#define STEP_UM 100

/* ---- the scripted driver ---- */

static struct script {
	bool plugged;            /* open succeeds */
	int level;               /* the level now */
	struct pedal_driver_event queued[8];
	unsigned n_queued;
	int event_pipe[2];       /* readable while events are queued; closed = unplugged */
	int hotplug_pipe[2];     /* readable when "udev" has news */
	unsigned opens;          /* open attempts */
	bool open_now;
	const char *reported;    /* the recorder's kinds, to see at a close */
	bool lost_before_close;  /* the last close came after an 'L' */
} script;

static void *script_init(const struct penctl_config *config, const char *consumer)
{
	(void)config;
	(void)consumer;
	return &script;
}

static void script_close(void *instance)
{
	struct script *s = instance;

	if (s->open_now) {
		s->lost_before_close = s->reported && strchr(s->reported, 'L');
		close(s->event_pipe[0]);
		if (s->event_pipe[1] >= 0)
			close(s->event_pipe[1]);
	}
	s->open_now = false;
}

static void script_fini(void *instance)
{
	script_close(instance);
}

static int script_open(void *instance, GError **error)
{
	struct script *s = instance;

	s->opens++;
	if (!s->plugged) {
		g_set_error(error, PEDAL_ERROR, PEDAL_ERROR_NO_CHIP, "no such device");
		return -1;
	}
	assert_int_equal(pipe(s->event_pipe), 0);
	g_unix_set_fd_nonblocking(s->event_pipe[0], TRUE, NULL);
	s->open_now = true;
	return s->event_pipe[0];
}

static int script_read_events(void *instance, struct pedal_driver_event *events, unsigned max,
			      GError **error)
{
	struct script *s = instance;
	char buf[16];
	unsigned n = MIN(max, s->n_queued);

	(void)error;
	while (read(s->event_pipe[0], buf, sizeof(buf)) > 0)
		;
	memcpy(events, s->queued, n * sizeof(*events));
	memmove(s->queued, s->queued + n, (s->n_queued - n) * sizeof(*events));
	s->n_queued -= n;
	return (int)n;
}

static int script_read_level(void *instance, GError **error)
{
	(void)error;
	return ((struct script *)instance)->level;
}

static const char *script_describe(const void *instance)
{
	(void)instance;
	return "scripted foot switch";
}

static int script_hotplug_fd(void *instance)
{
	return ((struct script *)instance)->hotplug_pipe[0];
}

static bool script_hotplug_ready(void *instance)
{
	struct script *s = instance;
	char buf[16];
	bool added = false;

	while (read(s->hotplug_pipe[0], buf, sizeof(buf)) > 0)
		added = true;
	return added;
}

static const struct pedal_driver script_driver = {
	.name = "evdev",
	.init = script_init,
	.fini = script_fini,
	.open = script_open,
	.close = script_close,
	.read_events = script_read_events,
	.read_level = script_read_level,
	.describe = script_describe,
	.hotplug_fd = script_hotplug_fd,
	.hotplug_ready = script_hotplug_ready,
};

const struct pedal_driver *pedal_driver_for_source(enum penctl_pedal_source source)
{
	(void)source;
	return &script_driver;
}

static void queue(enum pedal_driver_event_kind kind, enum pedal_level level)
{
	script.queued[script.n_queued++] = (struct pedal_driver_event){
		.kind = kind,
		.level = level,
		.timestamp_ns = (uint64_t)g_get_monotonic_time() * 1000u,
	};
	if (kind == PEDAL_DRIVER_EDGE)
		script.level = level == PEDAL_LEVEL_DOWN;
	assert_int_equal(write(script.event_pipe[1], "e", 1), 1);
}

/* The device goes away: the fd hangs up, as an unplugged input device's. */
static void unplug(void)
{
	script.plugged = false;
	close(script.event_pipe[1]);
	script.event_pipe[1] = -1;
}

static void udev_says_added(void)
{
	script.plugged = true;
	assert_int_equal(write(script.hotplug_pipe[1], "a", 1), 1);
}

/* ---- what the adapter reports ---- */

struct recorder {
	char kinds[32];  /* 'P'ressed, 'H'eld at start, 'R'eleased, 'L'ost, 'U'navailable,
			  * '+'/'-' depth step */
	unsigned n;
	int32_t step_um;
};

static void note(struct recorder *r, char kind)
{
	assert_true(r->n + 1 < sizeof(r->kinds));
	r->kinds[r->n++] = kind;
}

static void on_pressed(int64_t time_us, bool held_at_start, void *user_data)
{
	(void)time_us;
	note(user_data, held_at_start ? 'H' : 'P');
}

static void on_released(int64_t time_us, void *user_data)
{
	(void)time_us;
	note(user_data, 'R');
}

static void on_lost(const char *reason, void *user_data)
{
	(void)reason;
	note(user_data, 'L');
}

static void on_unavailable(const GError *error, void *user_data)
{
	(void)error;
	note(user_data, 'U');
}

static void on_depth_key(int32_t step_um, int64_t time_us, void *user_data)
{
	struct recorder *r = user_data;

	(void)time_us;
	r->step_um = step_um;
	note(r, step_um > 0 ? '+' : '-');
}

static const struct pedal_callbacks callbacks = {
	.on_pressed = on_pressed,
	.on_released = on_released,
	.on_lost = on_lost,
	.on_unavailable = on_unavailable,
	.on_depth_key = on_depth_key,
};

static gboolean on_timeout(gpointer user_data)
{
	*(bool *)user_data = true;
	return G_SOURCE_REMOVE;
}

static void run_for(unsigned ms)
{
	bool timed_out = false;

	g_timeout_add(ms, on_timeout, &timed_out);
	while (!timed_out)
		g_main_context_iteration(NULL, TRUE);
}

static void expect(const struct recorder *r, const char *kinds)
{
	if (strcmp(r->kinds, kinds) != 0)
		fail_msg("reported \"%s\", expected \"%s\"", r->kinds, kinds);
}

static int setup(void **state)
{
	(void)state;
	script = (struct script){ .plugged = true, .event_pipe = { -1, -1 } };
	assert_int_equal(pipe(script.hotplug_pipe), 0);
	g_unix_set_fd_nonblocking(script.hotplug_pipe[0], TRUE, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(script.hotplug_pipe[0]);
	close(script.hotplug_pipe[1]);
	return 0;
}

static struct pedal *start(struct recorder *r)
{
	struct penctl_config config = {
		.pedal_source = PENCTL_PEDAL_SOURCE_EVDEV,
		.pedal_debounce_ms = DEBOUNCE_MS,
		.pedal_depth_step_um = STEP_UM,
	};
	struct pedal *p = pedal_new(&config, &callbacks, r);

	assert_true(pedal_start(p, NULL));
	run_for(30);
	expect(r, "R"); /* up at start */
	return p;
}

/* /safety/depth-pedal-once: a depth pedal is one step, by DepthStepMm, and
 * no press of the motor pedal. */
static void test_depth_key_is_one_step(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) p = start(&r);

	(void)state;
	queue(PEDAL_DRIVER_DEPTH_UP, PEDAL_LEVEL_UP);
	run_for(3 * DEBOUNCE_MS);
	expect(&r, "R+");
	assert_int_equal(r.step_um, STEP_UM);
	queue(PEDAL_DRIVER_DEPTH_DOWN, PEDAL_LEVEL_UP);
	run_for(3 * DEBOUNCE_MS);
	expect(&r, "R+-");
	assert_int_equal(r.step_um, -STEP_UM);
}

/* /safety/unplug-stops-replug-held-waits: an unplug while pressed is "lost";
 * the adapter then waits for udev, not a timer; the switch back with its
 * pedal held is held at start, and only a new press after the release
 * counts. */
static void test_unplug_lost_replug_held(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) p = start(&r);
	unsigned opens;

	(void)state;
	queue(PEDAL_DRIVER_EDGE, PEDAL_LEVEL_DOWN);
	run_for(3 * DEBOUNCE_MS);
	expect(&r, "RP");
	unplug();
	run_for(50);
	/* Lost, and the look at once found nothing. */
	expect(&r, "RPLU");
	opens = script.opens;
	/* The backoff timer (0.5 s) would have tried again by now. */
	run_for(800);
	assert_int_equal(script.opens, opens);
	assert_false(pedal_is_available(p));

	script.level = 1; /* held while plugged back */
	udev_says_added();
	run_for(3 * DEBOUNCE_MS);
	assert_int_equal(script.opens, opens + 1);
	expect(&r, "RPLUH");
	queue(PEDAL_DRIVER_EDGE, PEDAL_LEVEL_UP);
	run_for(3 * DEBOUNCE_MS);
	queue(PEDAL_DRIVER_EDGE, PEDAL_LEVEL_DOWN);
	run_for(3 * DEBOUNCE_MS);
	expect(&r, "RPLUHRP");
}

/* /safety/lost-before-close: the loss reaches the engine before the
 * device is closed: closing a grabbed evdev device waits on the kernel
 * (two RCU grace periods, ~100 ms in the VM), and the STOP must not. */
static void test_unplug_is_reported_before_the_close(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) p = start(&r);

	(void)state;
	script.reported = r.kinds;
	queue(PEDAL_DRIVER_EDGE, PEDAL_LEVEL_DOWN);
	run_for(3 * DEBOUNCE_MS);
	unplug();
	run_for(50);
	expect(&r, "RPLU");
	assert_false(script.open_now);
	assert_true(script.lost_before_close);
}

/* News from udev while the switch is open reopens nothing. */
static void test_hotplug_news_while_open_is_drained(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) p = start(&r);

	(void)state;
	udev_says_added();
	run_for(30);
	assert_int_equal(script.opens, 1);
	assert_true(pedal_is_available(p));
	expect(&r, "R");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_depth_key_is_one_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unplug_lost_replug_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unplug_is_reported_before_the_close, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hotplug_news_while_open_is_drained, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("pedal-hotplug", tests, NULL, NULL);
}
