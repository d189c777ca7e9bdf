// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The GLib pedal adapter (gpio/pedal.c) in a real main loop, over the
 * scripted back end of fake_pedal_backend.c: the debounce deadline fires
 * from the loop, a hang-up reports the pedal lost and the line is reopened
 * with backoff, start failures are retried and reported once per reason.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_pedal_backend.h"
#include "penctl/pedal.h"

#define DEBOUNCE_MS 20

struct record {
	char kind;        /* 'P'ressed, 'R'eleased, 'B'egan, 'L'ost, 'U'navailable */
	int64_t time_us;  /* as reported (P, R) */
	bool held_at_start;
	int64_t seen_us;  /* when the callback ran */
	char text[512];
};

struct recorder {
	bool with_began;  /* record press-began too (the other tests count without it) */
	unsigned n;
	struct record records[32];
};

static struct record *add_record(struct recorder *r, char kind)
{
	struct record *rec;

	assert_true(r->n < G_N_ELEMENTS(r->records));
	rec = &r->records[r->n++];
	*rec = (struct record){ .kind = kind, .seen_us = g_get_monotonic_time() };
	return rec;
}

static void on_pressed(int64_t time_us, bool held_at_start, void *user_data)
{
	struct record *rec = add_record(user_data, 'P');

	rec->time_us = time_us;
	rec->held_at_start = held_at_start;
}

static void on_released(int64_t time_us, void *user_data)
{
	add_record(user_data, 'R')->time_us = time_us;
}

static void on_press_began(int64_t time_us, void *user_data)
{
	struct recorder *r = user_data;

	if (r->with_began)
		add_record(r, 'B')->time_us = time_us;
}

static void on_lost(const char *reason, void *user_data)
{
	g_strlcpy(add_record(user_data, 'L')->text, reason, sizeof(((struct record *)0)->text));
}

static void on_unavailable(const GError *error, void *user_data)
{
	g_strlcpy(add_record(user_data, 'U')->text, error->message,
		  sizeof(((struct record *)0)->text));
}

static const struct pedal_callbacks callbacks = {
	.on_pressed = on_pressed,
	.on_released = on_released,
	.on_press_began = on_press_began,
	.on_lost = on_lost,
	.on_unavailable = on_unavailable,
};

static gboolean on_timeout(gpointer user_data)
{
	*(bool *)user_data = true;
	return G_SOURCE_REMOVE;
}

/* Run the main loop until the recorder holds N records or TIMEOUT_MS pass. */
static void run_until(struct recorder *r, unsigned n, unsigned timeout_ms)
{
	bool timed_out = false;
	guint id = g_timeout_add(timeout_ms, on_timeout, &timed_out);

	while (r->n < n && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!timed_out)
		g_source_remove(id);
	if (r->n < n)
		fail_msg("%u callbacks after %u ms, expected %u", r->n, timeout_ms, n);
}

/* Run the main loop for MS milliseconds, whatever happens. */
static void run_for(unsigned ms)
{
	bool timed_out = false;

	g_timeout_add(ms, on_timeout, &timed_out);
	while (!timed_out)
		g_main_context_iteration(NULL, TRUE);
}

static struct pedal *new_pedal(struct recorder *r)
{
	struct penctl_config config = {
		.pedal_chip = "fakechip0",
		.pedal_line = "17",
		.pedal_active_low = true,
		.pedal_bias = PENCTL_PEDAL_BIAS_PULL_UP,
		.pedal_debounce_ms = DEBOUNCE_MS,
		.pedal_mode = PENCTL_PEDAL_MOMENTARY,
	};

	fake_pedal_reset();
	return pedal_new(&config, &callbacks, r);
}

static uint64_t now_ns(void)
{
	return (uint64_t)g_get_monotonic_time() * 1000u;
}

static void test_held_at_start_reported_from_loop(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) pedal = new_pedal(&r);
	g_autoptr(GError) error = NULL;

	(void)state;
	fake_pedal_set_level(1);
	assert_true(pedal_start(pedal, &error));
	assert_null(error);
	assert_true(pedal_is_available(pedal));
	assert_int_equal(r.n, 0); /* never from inside pedal_start() */
	run_until(&r, 1, 1000);
	assert_int_equal(r.records[0].kind, 'P');
	assert_true(r.records[0].held_at_start);
}

static void test_press_confirmed_by_deadline_release_at_once(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) pedal = new_pedal(&r);
	uint64_t down_ns, up_ns;

	(void)state;
	assert_true(pedal_start(pedal, NULL));
	run_until(&r, 1, 1000);
	assert_int_equal(r.records[0].kind, 'R');

	down_ns = now_ns();
	fake_pedal_set_level(1);
	fake_pedal_push_edge(PEDAL_BACKEND_EDGE_RISING, down_ns);
	run_until(&r, 2, 1000);
	assert_int_equal(r.records[1].kind, 'P');
	assert_false(r.records[1].held_at_start);
	assert_int_equal(r.records[1].time_us, (int64_t)(down_ns / 1000) + DEBOUNCE_MS * 1000);
	/* Not before the debounce time: the deadline timer fired. */
	assert_true(r.records[1].seen_us >= r.records[1].time_us);

	up_ns = now_ns();
	fake_pedal_set_level(0);
	fake_pedal_push_edge(PEDAL_BACKEND_EDGE_FALLING, up_ns);
	run_until(&r, 3, 1000);
	assert_int_equal(r.records[2].kind, 'R');
	assert_int_equal(r.records[2].time_us, (int64_t)(up_ns / 1000));
}

/* The first edge of a press reaches the callback, stamped with the edge's
 * time, ahead of the debounced press. */
static void test_press_began_reported_before_the_debounce(void **state)
{
	struct recorder r = { .with_began = true };
	g_autoptr(PenctlPedal) pedal = new_pedal(&r);
	uint64_t down_ns;

	(void)state;
	assert_true(pedal_start(pedal, NULL));
	run_until(&r, 1, 1000);
	assert_int_equal(r.records[0].kind, 'R');
	/* Up for longer than the debounce time: the next down edge begins a press. */
	g_usleep(2 * DEBOUNCE_MS * 1000);

	down_ns = now_ns();
	fake_pedal_set_level(1);
	fake_pedal_push_edge(PEDAL_BACKEND_EDGE_RISING, down_ns);
	run_until(&r, 2, 1000);
	assert_int_equal(r.records[1].kind, 'B');
	assert_int_equal(r.records[1].time_us, (int64_t)(down_ns / 1000));
	run_until(&r, 3, 1000);
	assert_int_equal(r.records[2].kind, 'P');
}

static void test_short_press_never_reported(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) pedal = new_pedal(&r);
	uint64_t t;

	(void)state;
	assert_true(pedal_start(pedal, NULL));
	run_until(&r, 1, 1000);
	t = now_ns();
	fake_pedal_push_edge(PEDAL_BACKEND_EDGE_RISING, t);
	fake_pedal_push_edge(PEDAL_BACKEND_EDGE_FALLING, t + 5u * 1000000u);
	run_for(3 * DEBOUNCE_MS);
	assert_int_equal(r.n, 1);
}

/* The up edge was lost: the level read after the next burst wins. */
static void test_lost_release_fixed_by_level_read(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) pedal = new_pedal(&r);

	(void)state;
	fake_pedal_set_level(1);
	assert_true(pedal_start(pedal, NULL));
	run_until(&r, 1, 1000);
	assert_int_equal(r.records[0].kind, 'P');

	fake_pedal_set_level(0);
	fake_pedal_push_edge(PEDAL_BACKEND_EDGE_RISING, now_ns()); /* coalesced */
	run_until(&r, 2, 1000);
	assert_int_equal(r.records[1].kind, 'R');
}

static void test_hang_up_reports_lost_and_reopens(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) pedal = new_pedal(&r);
	int64_t lost_at;

	(void)state;
	fake_pedal_set_level(1);
	assert_true(pedal_start(pedal, NULL));
	run_until(&r, 1, 1000);

	fake_pedal_hang_up();
	run_until(&r, 2, 1000);
	assert_int_equal(r.records[1].kind, 'L');
	assert_non_null(strstr(r.records[1].text, "GPIO17"));
	assert_false(pedal_is_available(pedal));
	lost_at = r.records[1].seen_us;

	/* The first reopen fails: reported once, with its reason. */
	fake_pedal_fail_open(PEDAL_ERROR_NO_CHIP, "chip unplugged");
	run_until(&r, 3, 2000);
	assert_int_equal(r.records[2].kind, 'U');
	assert_non_null(strstr(r.records[2].text, "chip unplugged"));
	assert_true(r.records[2].seen_us - lost_at >= 450 * 1000);

	/* The next one (1 s later) succeeds: the level is reported afresh. */
	fake_pedal_fail_open(0, NULL);
	fake_pedal_set_level(0);
	run_until(&r, 4, 3000);
	assert_int_equal(r.records[3].kind, 'R');
	assert_true(r.records[3].seen_us - r.records[2].seen_us >= 900 * 1000);
	assert_int_equal(fake_pedal_open_count(), 2);
	assert_true(pedal_is_available(pedal));
}

static void test_start_failure_retried_reporting_news_only(void **state)
{
	struct recorder r = { 0 };
	g_autoptr(PenctlPedal) pedal = new_pedal(&r);
	g_autoptr(GError) error = NULL;

	(void)state;
	fake_pedal_fail_open(PEDAL_ERROR_PERMISSION, "permission denied");
	assert_false(pedal_start(pedal, &error));
	assert_true(g_error_matches(error, PEDAL_ERROR, PEDAL_ERROR_PERMISSION));
	assert_non_null(strstr(error->message, "Chip=fakechip0 Line=17"));
	assert_false(pedal_is_available(pedal));

	/* The retry at 0.5 s fails the same way: not reported again. */
	run_for(700);
	assert_int_equal(r.n, 0);

	/* The retry at 1.5 s succeeds. */
	fake_pedal_fail_open(0, NULL);
	run_until(&r, 1, 2000);
	assert_int_equal(r.records[0].kind, 'R');
	assert_int_equal(fake_pedal_open_count(), 1);
}

#define PEDAL_TEST(name, fn) { (name), (fn), NULL, NULL, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		PEDAL_TEST("/pedal/mainloop/held-at-start-reported-from-loop",
			   test_held_at_start_reported_from_loop),
		PEDAL_TEST("/pedal/mainloop/press-after-debounce-release-at-once",
			   test_press_confirmed_by_deadline_release_at_once),
		PEDAL_TEST("/pedal/mainloop/press-began-before-the-debounce",
			   test_press_began_reported_before_the_debounce),
		PEDAL_TEST("/pedal/mainloop/short-press-never-reported",
			   test_short_press_never_reported),
		PEDAL_TEST("/pedal/mainloop/lost-release-fixed-by-level-read",
			   test_lost_release_fixed_by_level_read),
		PEDAL_TEST("/pedal/mainloop/chip-gone-reports-lost-and-reopens",
			   test_hang_up_reports_lost_and_reopens),
		PEDAL_TEST("/pedal/mainloop/start-failure-retried-reporting-news-only",
			   test_start_failure_retried_reporting_news_only),
	};

	return cmocka_run_group_tests_name("pedal-mainloop", tests, NULL, NULL);
}
