/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status display (see panel_view.h).  Every label is plain text, so
 * that a screen reader - and the tests, through AT-SPI - read what a
 * person sees.
 */
#include <inttypes.h>

#include "penctl_format.h"

#include "panel_view.h"

struct view {
	PanelModel *model;
	GtkWidget *box;
	GtkWidget *banner;     /* the daemon's condition, or the state */
	GtkWidget *depth;
	GtkWidget *limit;
	GtkWidget *needling;
	GtkWidget *wall;
	GtkWidget *motor;
	GtkWidget *pedal;
	GtkWidget *pen;
	GtkWidget *battery;
	GtkWidget *cartridge;
	GtkWidget *warning;
	GtkWidget *conditions; /* what stands in the way, with the fix */
	GtkWidget *why;
	GtkWidget *faults;
};

static void set_text(GtkWidget *label, const char *text)
{
	if (g_strcmp0(gtk_label_get_text(GTK_LABEL(label)), text) != 0)
		gtk_label_set_text(GTK_LABEL(label), text);
}

static void set_class(GtkWidget *widget, const char *css_class, bool on)
{
	if (on)
		gtk_widget_add_css_class(widget, css_class);
	else
		gtk_widget_remove_css_class(widget, css_class);
}

static void time_left(GtkWidget *label, const char *what, uint64_t left_ms)
{
	char left[PENCTL_MMSS_STRLEN];
	g_autofree char *text = NULL;

	penctl_format_mmss(left_ms, left);
	text = g_strdup_printf("%s left %s", what, left);
	set_text(label, text);
}

/* The daemon's Conditions (a(sss): name, meaning, fix), a line each. */
static void set_conditions(struct view *v)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GVariant) conditions = NULL;

	if (panel_model_running(v->model))
		conditions = panel_model_value(v->model, "Conditions", G_VARIANT_TYPE("a(sss)"));
	if (conditions) {
		GVariantIter iter;
		const char *meaning, *fix;

		g_variant_iter_init(&iter, conditions);
		while (g_variant_iter_next(&iter, "(&s&s&s)", NULL, &meaning, &fix))
			g_string_append_printf(text, "%s%s: %s", text->len ? "\n" : "", meaning,
					       fix);
	}
	set_text(v->conditions, text->str);
	gtk_widget_set_visible(v->conditions, text->len > 0);
}

static const char *state_words(const char *state)
{
	if (g_str_equal(state, "idle"))
		return "No session";
	if (g_str_equal(state, "ready"))
		return "Ready";
	if (g_str_equal(state, "running"))
		return "Needling";
	if (g_str_equal(state, "locked"))
		return "Locked: a time budget is spent";
	return state;
}

static void redraw(struct view *v)
{
	PanelModel *m = v->model;
	bool running = panel_model_running(m);
	bool session = running && panel_model_string(m, "SessionId")[0];
	bool connected = panel_model_bool(m, "PenConnected");
	uint64_t battery = panel_model_uint(m, "Battery");
	const char *cartridge = panel_model_string(m, "Cartridge");
	g_auto(GStrv) faults = panel_model_strv(m, "Faults");
	g_autofree char *text = NULL;

	set_text(v->banner, running ? state_words(panel_model_string(m, "State"))
				    : panel_model_away(m));
	set_class(v->banner, "alert", !running);
	gtk_widget_set_visible(v->depth, session);
	gtk_widget_set_visible(v->limit, session);
	gtk_widget_set_visible(v->needling, session);
	gtk_widget_set_visible(v->wall, session);
	if (session) {
		g_autofree char *depth =
			penctl_format_depth((uint32_t)panel_model_uint(m, "DepthUm"));
		g_autofree char *limit =
			penctl_format_depth((uint32_t)panel_model_uint(m, "LimitUm"));
		g_autofree char *limit_text = g_strdup_printf("limit %s", limit);

		set_text(v->depth, depth);
		set_text(v->limit, limit_text);
		time_left(v->needling, "Needling", panel_model_uint(m, "NeedlingRemainingMs"));
		time_left(v->wall, "Session", panel_model_uint(m, "WallRemainingMs"));
	}
	set_class(v->needling, "warning", panel_model_warning(m));
	set_class(v->wall, "warning", panel_model_warning(m));
	set_text(v->warning, panel_model_warning_text(m));
	gtk_widget_set_visible(v->warning, session && panel_model_warning(m));

	set_text(v->motor, !running ? "Motor: unknown"
			   : panel_model_bool(m, "MotorOn") ? "Motor ON" : "Motor off");
	set_class(v->motor, "on", running && panel_model_bool(m, "MotorOn"));
	text = g_strdup_printf("Pedal: %s", running ? panel_model_string(m, "Pedal") : "unknown");
	set_text(v->pedal, text);
	g_clear_pointer(&text, g_free);

	if (!running)
		text = g_strdup("Pen: unknown");
	else if (!panel_model_string(m, "PenAddress")[0])
		text = g_strdup("Pen: none paired");
	else if (!connected)
		text = g_strdup("Pen: NOT connected");
	else if (!panel_model_bool(m, "PenCompatible"))
		text = g_strdup("Pen: connected, NOT compatible");
	else
		text = g_strdup("Pen: connected");
	set_text(v->pen, text);
	set_class(v->pen, "alert", running && !connected);
	g_clear_pointer(&text, g_free);

	text = running && connected && battery <= 100
		       ? g_strdup_printf("Battery %" PRIu64 " %%", battery)
		       : g_strdup("Battery: unknown");
	set_text(v->battery, text);
	set_class(v->battery, "warning", running && connected && battery < 20);
	g_clear_pointer(&text, g_free);

	text = !running || !connected ? g_strdup("Cartridge: unknown")
	       : cartridge[0]        ? g_strdup_printf("Cartridge %s", cartridge)
				     : g_strdup("No cartridge");
	set_text(v->cartridge, text);
	g_clear_pointer(&text, g_free);

	set_conditions(v);
	set_text(v->why, panel_model_why(m));
	gtk_widget_set_visible(v->why, panel_model_why(m)[0] != '\0');
	if (running && faults[0]) {
		g_autofree char *joined = g_strjoinv(", ", faults);

		text = g_strdup_printf("Faults: %s", joined);
	} else if (running && panel_model_string(m, "ConfigProblem")[0]) {
		text = g_strdup_printf("Configuration rejected: %s",
				       panel_model_string(m, "ConfigProblem"));
	} else if (running && panel_model_bool(m, "UsedListUntrusted")) {
		text = g_strdup("The list of used cartridges is damaged: put every opened "
				"cartridge aside, then acknowledge (penctl state acknowledge)");
	}
	set_text(v->faults, text ? text : "");
	gtk_widget_set_visible(v->faults, text != NULL);
}

static void on_changed(PanelModel *model, GStrv names, gpointer user_data)
{
	(void)model, (void)names;
	redraw(user_data);
}

static void on_daemon(PanelModel *model, gboolean running, const char *message,
		      gpointer user_data)
{
	(void)model, (void)running, (void)message;
	redraw(user_data);
}

static void on_notify(GObject *model, GParamSpec *pspec, gpointer user_data)
{
	(void)model, (void)pspec;
	redraw(user_data);
}

static GtkWidget *label(const char *css_class)
{
	GtkWidget *widget = gtk_label_new("");
	/* Sentences wrap; numbers stay whole on one line. */
	bool sentence = g_str_equal(css_class, "banner") || g_str_equal(css_class, "why") ||
			g_str_equal(css_class, "time-warning") ||
			g_str_equal(css_class, "condition");

	gtk_label_set_wrap(GTK_LABEL(widget), sentence);
	if (sentence)
		gtk_label_set_max_width_chars(GTK_LABEL(widget),
					      g_str_equal(css_class, "condition") ? 48 : 32);
	gtk_widget_set_halign(widget, GTK_ALIGN_START);
	gtk_label_set_xalign(GTK_LABEL(widget), 0);
	gtk_widget_add_css_class(widget, css_class);
	return widget;
}

static void view_free(gpointer data)
{
	struct view *v = data;

	g_signal_handlers_disconnect_by_data(v->model, v);
	g_object_unref(v->model);
	g_free(v);
}

GtkWidget *panel_view_new(PanelModel *model)
{
	struct view *v = g_new0(struct view, 1);
	GtkWidget *depth_row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 24);
	GtkWidget *time_row = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	GtkWidget *state_row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 32);
	GtkWidget *pen_row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 32);

	v->model = g_object_ref(model);
	v->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_widget_add_css_class(v->box, "status");
	v->banner = label("banner");
	v->depth = label("depth");
	v->limit = label("limit");
	v->needling = label("time");
	v->wall = label("time");
	v->motor = label("state");
	v->pedal = label("state");
	v->pen = label("state");
	v->battery = label("state");
	v->cartridge = label("state");
	v->warning = label("time-warning");
	v->conditions = label("condition");
	v->why = label("why");
	v->faults = label("why");
	gtk_widget_set_valign(v->limit, GTK_ALIGN_BASELINE);
	gtk_widget_set_valign(v->depth, GTK_ALIGN_BASELINE);
	gtk_box_append(GTK_BOX(depth_row), v->depth);
	gtk_box_append(GTK_BOX(depth_row), v->limit);
	gtk_box_append(GTK_BOX(time_row), v->needling);
	gtk_box_append(GTK_BOX(time_row), v->wall);
	gtk_box_append(GTK_BOX(state_row), v->motor);
	gtk_box_append(GTK_BOX(state_row), v->pedal);
	gtk_box_append(GTK_BOX(pen_row), v->pen);
	gtk_box_append(GTK_BOX(pen_row), v->battery);
	gtk_box_append(GTK_BOX(v->box), v->banner);
	gtk_box_append(GTK_BOX(v->box), depth_row);
	gtk_box_append(GTK_BOX(v->box), time_row);
	gtk_box_append(GTK_BOX(v->box), v->warning);
	gtk_box_append(GTK_BOX(v->box), state_row);
	gtk_box_append(GTK_BOX(v->box), pen_row);
	gtk_box_append(GTK_BOX(v->box), v->cartridge);
	gtk_box_append(GTK_BOX(v->box), v->conditions);
	gtk_box_append(GTK_BOX(v->box), v->why);
	gtk_box_append(GTK_BOX(v->box), v->faults);
	g_signal_connect(model, "changed", G_CALLBACK(on_changed), v);
	g_signal_connect(model, "daemon", G_CALLBACK(on_daemon), v);
	g_signal_connect(model, "notify::warning", G_CALLBACK(on_notify), v);
	g_signal_connect(model, "notify::why", G_CALLBACK(on_notify), v);
	g_object_set_data_full(G_OBJECT(v->box), "panel-view", v, view_free);
	redraw(v);
	return v->box;
}
