// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pedalmon-evdev: watch a USB foot switch's key as penctld would.
 *
 * For the technician (is it the right device and key, does it bounce?)
 * and for the tests (a uinput foot switch).  Uses the same code as the
 * daemon's evdev pedal (penctl-evdev): the device is grabbed, so stop
 * penctld first.  Raw edges, not debounced: the gap to the previous edge
 * shows bounce.
 *
 * Output, one line per event on stdout (CLOCK_MONOTONIC microseconds):
 *   opened: <device> level down|up [held-at-start]
 *   <time_us> down|up (+<gap> ms)
 *   <time_us> depth-down|depth-up
 *   lost: <reason>
 *   unavailable: <reason>
 */

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "penctl/pedal_evdev.h"

struct monitor {
	GMainLoop *loop;
	int remaining;         /* lines before exiting; < 0 = until a signal */
	uint64_t last_edge_ns;
};

static void count_line(struct monitor *m)
{
	if (m->remaining > 0 && --m->remaining == 0)
		g_main_loop_quit(m->loop);
}

static void on_opened(const char *description, int level, uint64_t time_ns, void *user_data)
{
	struct monitor *m = user_data;

	(void)time_ns;
	m->last_edge_ns = 0;
	printf("opened: %s level %s%s\n", description, level ? "down" : "up",
	       level ? " held-at-start" : "");
	count_line(m);
}

static void on_event(const struct pedal_evdev_event *e, void *user_data)
{
	struct monitor *m = user_data;
	uint64_t us = e->timestamp_ns / 1000u;

	switch (e->kind) {
	case PEDAL_EVDEV_PEDAL_DOWN:
	case PEDAL_EVDEV_PEDAL_UP:
		printf("%" G_GUINT64_FORMAT " %s", us,
		       e->kind == PEDAL_EVDEV_PEDAL_DOWN ? "down" : "up");
		if (m->last_edge_ns && e->timestamp_ns >= m->last_edge_ns)
			printf(" (+%.1f ms)", (double)(e->timestamp_ns - m->last_edge_ns) / 1e6);
		printf("\n");
		m->last_edge_ns = e->timestamp_ns;
		break;
	case PEDAL_EVDEV_DEPTH_DOWN:
		printf("%" G_GUINT64_FORMAT " depth-down\n", us);
		break;
	case PEDAL_EVDEV_DEPTH_UP:
		printf("%" G_GUINT64_FORMAT " depth-up\n", us);
		break;
	}
	count_line(m);
}

static void on_lost(const char *reason, void *user_data)
{
	printf("lost: %s\n", reason);
	count_line(user_data);
}

static void on_unavailable(const GError *error, void *user_data)
{
	printf("unavailable: %s\n", error->message);
	count_line(user_data);
}

static gboolean on_signal(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_CONTINUE;
}

static bool parse_optional_key(const char *name, unsigned *code)
{
	g_autoptr(GError) error = NULL;

	if (!name)
		return true;
	if (pedal_evdev_parse_key(name, code, &error))
		return true;
	fprintf(stderr, "pedalmon-evdev: %s\n", error->message);
	return false;
}

int main(int argc, char **argv)
{
	static const struct pedal_evdev_watch_callbacks callbacks = {
		.on_opened = on_opened,
		.on_event = on_event,
		.on_lost = on_lost,
		.on_unavailable = on_unavailable,
	};
	g_autofree char *key = NULL, *depth_down = NULL, *depth_up = NULL;
	gboolean list = FALSE, udev_rule = FALSE;
	int count = -1;
	GOptionEntry entries[] = {
		{ "key", 'k', 0, G_OPTION_ARG_STRING, &key, "The pedal's key (KEY_B)", "KEY" },
		{ "depth-down-key", 0, 0, G_OPTION_ARG_STRING, &depth_down, "Depth-down key",
		  "KEY" },
		{ "depth-up-key", 0, 0, G_OPTION_ARG_STRING, &depth_up, "Depth-up key", "KEY" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &count, "Exit after N lines", "N" },
		{ "list", 'l', 0, G_OPTION_ARG_NONE, &list,
		  "List the input devices that look like foot switches, with their keys", NULL },
		{ "udev-rule", 0, 0, G_OPTION_ARG_NONE, &udev_rule,
		  "Print the udev rule that gives penctld the device usb:VVVV:PPPP", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new(
		"DEVICE  - watch a USB foot switch (DEVICE: /dev/input/by-id/... or usb:VVVV:PPPP)");
	g_autoptr(GError) error = NULL;
	struct pedal_evdev_device_spec spec = { 0 };
	struct pedal_evdev_params params = { .device = &spec };
	struct pedal_evdev_watch *watch;
	struct monitor m = { 0 };

	setlocale(LC_ALL, "");
	setvbuf(stdout, NULL, _IOLBF, 0);
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		fprintf(stderr, "pedalmon-evdev: %s\n", error->message);
		return 2;
	}
	if (list) {
		g_autofree char *switches = pedal_evdev_list_switches();

		fputs(switches, stdout);
		return 0;
	}
	if (udev_rule && argc == 2) {
		g_autofree char *rule = NULL;

		if (!pedal_evdev_parse_device(argv[1], &spec, &error) || spec.path) {
			fprintf(stderr, "pedalmon-evdev: --udev-rule takes usb:VVVV:PPPP%s%s\n",
				error ? ": " : "", error ? error->message : "");
			pedal_evdev_device_spec_clear(&spec);
			return 2;
		}
		rule = pedal_evdev_udev_rule(spec.vendor, spec.product);
		fputs(rule, stdout);
		return 0;
	}
	if (argc != 2 || !key) {
		fprintf(stderr, "usage: pedalmon-evdev --key KEY_B [--depth-down-key K] "
				"[--depth-up-key K] [--count N] DEVICE\n"
				"       pedalmon-evdev --list   (which device? which keys? "
				"evtest shows each key pressed)\n"
				"       pedalmon-evdev --udev-rule usb:VVVV:PPPP\n");
		return 2;
	}
	if (!pedal_evdev_parse_device(argv[1], &spec, &error)) {
		fprintf(stderr, "pedalmon-evdev: %s\n", error->message);
		return 2;
	}
	if (!parse_optional_key(key, &params.keys.pedal) ||
	    !parse_optional_key(depth_down, &params.keys.depth_down) ||
	    !parse_optional_key(depth_up, &params.keys.depth_up)) {
		pedal_evdev_device_spec_clear(&spec);
		return 2;
	}

	m.loop = g_main_loop_new(NULL, FALSE);
	m.remaining = count;
	watch = pedal_evdev_watch_new(&params, &callbacks, &m, &error);
	if (!watch) {
		fprintf(stderr, "pedalmon-evdev: %s\n", error->message);
		g_main_loop_unref(m.loop);
		pedal_evdev_device_spec_clear(&spec);
		return 1;
	}
	g_unix_signal_add(SIGINT, on_signal, m.loop);
	g_unix_signal_add(SIGTERM, on_signal, m.loop);
	g_main_loop_run(m.loop);
	pedal_evdev_watch_free(watch);
	g_main_loop_unref(m.loop);
	pedal_evdev_device_spec_clear(&spec);
	return 0;
}
