// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pedalmon: print the foot pedal's debounced presses and releases.
 *
 * For the technician wiring a pedal (does the configured line react, is it
 * the right polarity, does it bounce?) and for the VM test bed (gpio-sim).
 * Uses the same code as penctld (penctl-pedal: the driver [Pedal] Source=
 * names, the same debouncer), with [Pedal] from penctld.conf unless
 * overridden on the command line (the options are the gpio driver's).
 * Stop penctld first: the line can have only one consumer.
 *
 * Output, one line per event on stdout (CLOCK_MONOTONIC microseconds):
 *   <time_us> pressed [held-at-start]
 *   <time_us> released
 *   <time_us> press-began   (the first down edge of a press, before debouncing)
 *   lost: <reason>
 *   unavailable: <reason>
 */

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "penctl/config.h"
#include "penctl/pedal.h"
#include "penctl/pedal_driver.h"

struct monitor {
	GMainLoop *loop;
	int remaining;  /* events before exiting; < 0 = run until a signal */
};

static void count_event(struct monitor *m)
{
	if (m->remaining > 0 && --m->remaining == 0)
		g_main_loop_quit(m->loop);
}

static void on_pressed(int64_t time_us, bool held_at_start, void *user_data)
{
	printf("%" G_GINT64_FORMAT " pressed%s\n", time_us, held_at_start ? " held-at-start" : "");
	count_event(user_data);
}

static void on_released(int64_t time_us, void *user_data)
{
	printf("%" G_GINT64_FORMAT " released\n", time_us);
	count_event(user_data);
}

/* Printed, not counted: --count counts presses and releases. */
static void on_press_began(int64_t time_us, void *user_data)
{
	printf("%" G_GINT64_FORMAT " press-began\n", time_us);
	(void)user_data;
}

static void on_lost(const char *reason, void *user_data)
{
	printf("lost: %s\n", reason);
	count_event(user_data);
}

static void on_unavailable(const GError *error, void *user_data)
{
	printf("unavailable: %s\n", error->message);
	(void)user_data;
}

static gboolean on_signal(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_CONTINUE;
}

static bool parse_bias(const char *text, enum penctl_pedal_bias *bias)
{
	static const struct {
		const char *name;
		enum penctl_pedal_bias bias;
	} names[] = {
		{ "as-is", PENCTL_PEDAL_BIAS_AS_IS },
		{ "disabled", PENCTL_PEDAL_BIAS_DISABLED },
		{ "pull-up", PENCTL_PEDAL_BIAS_PULL_UP },
		{ "pull-down", PENCTL_PEDAL_BIAS_PULL_DOWN },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_str_equal(text, names[i].name)) {
			*bias = names[i].bias;
			return true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	g_autofree char *config_path = NULL, *chip = NULL, *line = NULL, *bias = NULL;
	gboolean active_high = FALSE, active_low = FALSE, retry = FALSE;
	int debounce_ms = -1, count = -1;
	const GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		  "penctld.conf to read [Pedal] from (default: the system's)", "FILE" },
		{ "chip", 0, 0, G_OPTION_ARG_STRING, &chip, "GPIO chip: name, path or label", "CHIP" },
		{ "line", 0, 0, G_OPTION_ARG_STRING, &line, "line: offset or name", "LINE" },
		{ "active-low", 0, 0, G_OPTION_ARG_NONE, &active_low, "pressed reads low", NULL },
		{ "active-high", 0, 0, G_OPTION_ARG_NONE, &active_high, "pressed reads high", NULL },
		{ "bias", 0, 0, G_OPTION_ARG_STRING, &bias, "pull-up, pull-down, disabled or as-is",
		  "BIAS" },
		{ "debounce-ms", 0, 0, G_OPTION_ARG_INT, &debounce_ms, "press debounce time", "MS" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &count, "exit after N events", "N" },
		{ "retry", 0, 0, G_OPTION_ARG_NONE, &retry,
		  "keep retrying when the line cannot be opened (as penctld does)", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- print the foot pedal's "
								  "debounced presses and releases");
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) config = NULL;
	g_autoptr(PenctlPedal) pedal = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	const struct pedal_callbacks callbacks = {
		.on_pressed = on_pressed,
		.on_released = on_released,
		.on_press_began = on_press_began,
		.on_lost = on_lost,
		.on_unavailable = on_unavailable,
	};
	struct monitor monitor;

	setlocale(LC_ALL, "");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		fprintf(stderr, "pedalmon: %s\n", error->message);
		return 2;
	}
	config = penctl_config_load(config_path, NULL, &error);
	if (!config) {
		fprintf(stderr, "pedalmon: %s\n", error->message);
		return 78;
	}
	if (chip) {
		g_free(config->pedal_chip);
		config->pedal_chip = g_steal_pointer(&chip);
	}
	if (line) {
		g_free(config->pedal_line);
		config->pedal_line = g_steal_pointer(&line);
	}
	if (active_low || active_high)
		config->pedal_active_low = active_low;
	if (bias && !parse_bias(bias, &config->pedal_bias)) {
		fprintf(stderr, "pedalmon: --bias=%s: pull-up, pull-down, disabled or as-is\n", bias);
		return 2;
	}
	if (debounce_ms >= 0)
		config->pedal_debounce_ms = (uint32_t)debounce_ms;

	setvbuf(stdout, NULL, _IOLBF, 0);
	loop = g_main_loop_new(NULL, FALSE);
	monitor = (struct monitor){ .loop = loop, .remaining = count };
	pedal = pedal_new(config, &callbacks, &monitor);
	if (!pedal_start(pedal, &error)) {
		fprintf(stderr, "pedalmon: %s\n", error->message);
		if (!retry)
			return 1;
	}
	fprintf(stderr, "pedalmon: %s, %s, active-%s, debounce %u ms (driver %s, %s)\n",
		pedal_describe(pedal), pedal_is_available(pedal) ? "open" : "retrying",
		config->pedal_active_low ? "low" : "high", config->pedal_debounce_ms,
		penctl_pedal_source_to_string(config->pedal_source), pedal_gpiod_api());
	g_unix_signal_add(SIGINT, on_signal, loop);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_main_loop_run(loop);
	return 0;
}
