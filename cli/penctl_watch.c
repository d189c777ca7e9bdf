/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl watch (see penctl_watch.h): penctl_live keeps the state, this file
 * draws it - a screen for a person, or a JSON line per change.
 */
#include <glib-unix.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "json_out.h"
#include "penctl_client.h"
#include "penctl_format.h"
#include "penctl_live.h"
#include "penctl_watch.h"

#define WATCH_EVENTS_KEPT 5
#define WATCH_BAR_WIDTH 20

struct watch {
	bool json;
	bool tty;
	int exit_code;
	GMainLoop *loop;
	struct penctl_live *live;
	GQueue events;   /* char *, newest last: "21:02:55  motor-stop: pedal released" */
	char *away;      /* why the daemon cannot be seen, NULL when it can */
};

/* ---- the screen ---- */

static void append_bar(GString *out, const char *label, uint64_t used_ms, uint64_t left_ms)
{
	uint64_t total = used_ms + left_ms;
	unsigned filled = total ? (unsigned)(used_ms * WATCH_BAR_WIDTH / total) : 0;
	char used[PENCTL_MMSS_STRLEN], left[PENCTL_MMSS_STRLEN];

	penctl_format_mmss(used_ms, used);
	penctl_format_mmss(left_ms, left);
	g_string_append_printf(out, "%-10s [", label);
	for (unsigned i = 0; i < WATCH_BAR_WIDTH; i++)
		g_string_append_c(out, i < filled ? '#' : '-');
	g_string_append_printf(out, "] %s used, %s left\n", used, left);
}

/* What stands in the way (Conditions, a(sss): name, meaning, fix). */
static void append_conditions(GString *out, GVariant *all)
{
	g_autoptr(GVariant) conditions = g_variant_lookup_value(all, "Conditions",
								G_VARIANT_TYPE("a(sss)"));
	GVariantIter iter;
	const char *meaning, *fix;

	if (!conditions)
		return;
	g_variant_iter_init(&iter, conditions);
	while (g_variant_iter_next(&iter, "(&s&s&s)", NULL, &meaning, &fix))
		g_string_append_printf(out, "Condition: %s - %s\n", meaning, fix);
}

static void append_state(GString *out, const struct penctl_live *l)
{
	uint64_t battery = penctl_live_uint(l, "Battery");
	const char *address = penctl_live_string(l, "PenAddress");
	g_autoptr(GVariant) all = penctl_live_properties(l);
	g_autoptr(GVariant) faults = g_variant_lookup_value(all, "Faults",
							    G_VARIANT_TYPE_STRING_ARRAY);
	g_autofree const char **fault_names = faults ? g_variant_get_strv(faults, NULL) : NULL;

	g_string_append_printf(out, "State:     %s, motor %s\n", penctl_live_string(l, "State"),
			       penctl_live_bool(l, "MotorOn") ? "ON" : "off");
	if (!address[0])
		g_string_append(out, "Pen:       none paired\n");
	else
		g_string_append_printf(out, "Pen:       %s, %s\n", address,
				       penctl_live_bool(l, "PenConnected") ? "connected"
									   : "NOT connected");
	if (battery <= 100)
		g_string_append_printf(out, "Battery:   %" PRIu64 " %%\n", battery);
	else
		g_string_append(out, "Battery:   unknown\n");
	g_string_append_printf(out, "Cartridge: %s\n",
			       penctl_live_string(l, "Cartridge")[0]
				       ? penctl_live_string(l, "Cartridge") : "none");
	g_string_append_printf(out, "Pedal:     %s\n", penctl_live_string(l, "Pedal"));
	if (!penctl_live_string(l, "SessionId")[0]) {
		g_string_append(out, "Session:   none\n");
	} else {
		g_autofree char *depth = penctl_format_depth((uint32_t)penctl_live_uint(l, "DepthUm"));
		g_autofree char *limit = penctl_format_depth((uint32_t)penctl_live_uint(l, "LimitUm"));

		g_string_append_printf(out, "Session:   %s, %s, role %s, area %s\n",
				       penctl_live_string(l, "SessionId"),
				       penctl_live_string(l, "Operator"),
				       penctl_live_string(l, "Role"), penctl_live_string(l, "Area"));
		g_string_append_printf(out, "Depth:     %s (limit %s)\n", depth, limit);
		append_bar(out, "Wall:", penctl_live_uint(l, "WallUsedMs"),
			   penctl_live_uint(l, "WallRemainingMs"));
		append_bar(out, "Needling:", penctl_live_uint(l, "NeedlingUsedMs"),
			   penctl_live_uint(l, "NeedlingRemainingMs"));
	}
	if (fault_names && fault_names[0]) {
		g_autofree char *joined = g_strjoinv(", ", (char **)fault_names);

		g_string_append_printf(out, "Faults:    %s\n", joined);
	} else {
		g_string_append(out, "Faults:    none\n");
	}
	append_conditions(out, all);
	if (penctl_live_string(l, "ConfigProblem")[0])
		g_string_append_printf(out, "Config:    REJECTED at the last reload: %s\n",
				       penctl_live_string(l, "ConfigProblem"));
	if (penctl_live_bool(l, "UsedListUntrusted"))
		g_string_append(out, "Used list: DAMAGED: new sessions are refused "
				     "(penctl state acknowledge)\n");
}

static void draw_screen(struct watch *w)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *clock = g_date_time_format(now, "%H:%M:%S");

	/* A terminal is redrawn in place; a pipe gets one block per change. */
	if (w->tty)
		g_string_append(out, "\033[H\033[2J");
	g_string_append_printf(out, "penctl watch  %s  (Ctrl-C ends)\n\n", clock);
	if (w->away)
		g_string_append_printf(out, "%s\n", w->away);
	else
		append_state(out, w->live);
	g_string_append(out, "\nEvents:\n");
	if (g_queue_is_empty(&w->events))
		g_string_append(out, "  none yet\n");
	for (GList *e = w->events.head; e; e = e->next)
		g_string_append_printf(out, "  %s\n", (const char *)e->data);
	if (!w->tty)
		g_string_append_c(out, '\n');
	fputs(out->str, stdout);
	fflush(stdout);
}

/* ---- JSON lines ---- */

static void print_json_line(struct json_out *json)
{
	g_autofree char *text = json_out_finish(json);

	printf("%s\n", text);
	fflush(stdout);
}

/* ---- what the daemon says ---- */

static void on_daemon(bool running, const GError *error, void *user_data)
{
	struct watch *w = user_data;

	g_clear_pointer(&w->away, g_free);
	if (error && penctl_exit_code_for_error(error) == PENCTL_EXIT_NOPERM) {
		g_autofree char *message = penctl_error_message(error);

		w->exit_code = PENCTL_EXIT_NOPERM;
		if (w->json) {
			struct json_out json;

			json_out_init(&json);
			json_out_begin_object(&json);
			json_out_member_string(&json, "error", "AccessDenied");
			json_out_member_string(&json, "message", message);
			json_out_member_uint(&json, "exit", PENCTL_EXIT_NOPERM);
			json_out_end_object(&json);
			print_json_line(&json);
		} else {
			fprintf(stderr, "penctl: permission denied: only root and members of group "
					"penctl or penctl-view may watch penctld (%s)\n", message);
		}
		g_main_loop_quit(w->loop);
		return;
	}
	if (!running) {
		g_autofree char *message = error ? penctl_error_message(error) : NULL;

		w->away = message ? g_strdup_printf("penctld cannot be read: %s", message)
				  : g_strdup("penctld is not running (waiting for it to start)");
	}
	if (w->json) {
		struct json_out json;

		json_out_init(&json);
		json_out_begin_object(&json);
		json_out_member_string(&json, "change", "daemon");
		json_out_member_bool(&json, "running", running);
		if (w->away)
			json_out_member_string(&json, "message", w->away);
		json_out_end_object(&json);
		print_json_line(&json);
	} else if (!running) {
		draw_screen(w);
	}
	/* When it runs, on_properties draws next with every property. */
}

static void on_properties(const char *const *changed, void *user_data)
{
	struct watch *w = user_data;

	if (w->json) {
		struct json_out json;
		g_autoptr(GVariant) all = penctl_live_properties(w->live);

		json_out_init(&json);
		json_out_begin_object(&json);
		json_out_member_string(&json, "change", "properties");
		json_out_key(&json, "changed");
		json_out_begin_array(&json);
		for (const char *const *name = changed; *name; name++)
			json_out_string(&json, *name);
		json_out_end_array(&json);
		json_out_key(&json, "properties");
		json_out_variant(&json, all);
		json_out_end_object(&json);
		print_json_line(&json);
		return;
	}
	draw_screen(w);
}

static void on_event(const char *kind, const char *reason, GVariant *fields, void *user_data)
{
	struct watch *w = user_data;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *clock = g_date_time_format(now, "%H:%M:%S");
	const char *words = penctl_live_reason_words(reason);

	if (w->json) {
		struct json_out json;

		json_out_init(&json);
		json_out_begin_object(&json);
		json_out_member_string(&json, "change", "event");
		json_out_member_string(&json, "time", clock);
		json_out_member_string(&json, "kind", kind);
		json_out_member_string(&json, "reason", reason);
		json_out_member_string(&json, "words", g_str_equal(reason, "none") ? "" : words);
		json_out_key(&json, "fields");
		json_out_variant(&json, fields);
		json_out_end_object(&json);
		print_json_line(&json);
		return;
	}
	g_queue_push_tail(&w->events,
			  g_str_equal(reason, "none")
				  ? g_strdup_printf("%s  %s", clock, kind)
				  : g_strdup_printf("%s  %s: %s", clock, kind, words));
	while (g_queue_get_length(&w->events) > WATCH_EVENTS_KEPT)
		g_free(g_queue_pop_head(&w->events));
	draw_screen(w);
}

static gboolean on_quit_signal(gpointer user_data)
{
	struct watch *w = user_data;

	g_main_loop_quit(w->loop);
	return G_SOURCE_CONTINUE;
}

int penctl_watch_run(GDBusConnection *bus, bool json)
{
	static const struct penctl_live_ops ops = {
		.on_daemon = on_daemon,
		.on_properties = on_properties,
		.on_event = on_event,
	};
	struct watch w = { .json = json, .tty = isatty(STDOUT_FILENO) };
	guint sigint, sigterm;

	g_queue_init(&w.events);
	w.loop = g_main_loop_new(NULL, FALSE);
	sigint = g_unix_signal_add(SIGINT, on_quit_signal, &w);
	sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, &w);
	w.live = penctl_live_new(bus, &ops, &w);
	g_main_loop_run(w.loop);
	penctl_live_free(w.live);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	g_main_loop_unref(w.loop);
	g_queue_clear_full(&w.events, g_free);
	g_free(w.away);
	if (w.tty && !json)
		fputs("\n", stdout);
	return w.exit_code;
}
