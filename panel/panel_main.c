/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl-panel: the chair-side touch panel of penctld (docs/panel.md).
 * Talks to penctld over D-Bus only (the system bus; DBUS_SYSTEM_BUS_ADDRESS
 * is honoured), never starts it, and waits for it when it is not there.
 *
 *   --kiosk            fullscreen, no decorations (under cage on a Pi)
 *   --screenshot FILE  on SIGUSR1, save the window as a PNG to FILE
 */
#include <glib-unix.h>
#include <signal.h>
#include <stdlib.h>

#include "panel_controls.h"
#include "panel_model.h"
#include "panel_screenshot.h"
#include "panel_style.h"
#include "panel_view.h"

struct panel {
	GtkApplication *app;
	PanelModel *model;
	GtkWidget *window;
	gboolean kiosk;
	char *screenshot;
	int exit_code;
};

static gboolean on_screenshot_signal(gpointer user_data)
{
	struct panel *p = user_data;
	g_autoptr(GError) error = NULL;

	if (!p->screenshot)
		g_printerr("penctl-panel: SIGUSR1 saves a screenshot only with --screenshot FILE\n");
	else if (p->window && !panel_screenshot_save(p->window, p->screenshot, &error))
		g_printerr("penctl-panel: no screenshot: %s\n", error->message);
	return G_SOURCE_CONTINUE;
}

/* SIGTERM (systemd, cage) and SIGINT end the panel cleanly. */
static gboolean on_quit_signal(gpointer user_data)
{
	struct panel *p = user_data;

	g_application_quit(G_APPLICATION(p->app));
	return G_SOURCE_CONTINUE;
}

/* The optional sound: the display's bell as the warning comes on. */
static void on_warning(GObject *model, GParamSpec *pspec, gpointer user_data)
{
	struct panel *p = user_data;

	(void)pspec;
	if (panel_model_warning(PANEL_MODEL(model)) && p->window)
		gtk_widget_error_bell(p->window);
}

static void on_activate(GApplication *app, gpointer user_data)
{
	struct panel *p = user_data;
	GtkWidget *box, *view, *scroller;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) bus = NULL;

	if (p->window) {
		gtk_window_present(GTK_WINDOW(p->window));
		return;
	}
	bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (!bus) {
		g_printerr("penctl-panel: no system bus: %s\n", error->message);
		p->exit_code = EXIT_FAILURE;
		return;
	}
	p->model = panel_model_new(bus);
	g_signal_connect(p->model, "notify::warning", G_CALLBACK(on_warning), p);
	panel_style_apply(gdk_display_get_default());

	p->window = gtk_application_window_new(GTK_APPLICATION(app));
	gtk_window_set_title(GTK_WINDOW(p->window), "penctl panel");
	gtk_window_set_default_size(GTK_WINDOW(p->window), 1024, 600);
	/* What to read on the left, where to touch on the right; the controls
	 * scroll when the form is taller than a 7" screen. */
	box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	view = panel_view_new(p->model);
	gtk_widget_set_hexpand(view, TRUE);
	gtk_box_append(GTK_BOX(box), view);
	scroller = gtk_scrolled_window_new();
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroller), GTK_POLICY_NEVER,
				       GTK_POLICY_AUTOMATIC);
	gtk_scrolled_window_set_propagate_natural_width(GTK_SCROLLED_WINDOW(scroller), TRUE);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroller),
				      panel_controls_new(p->model));
	gtk_box_append(GTK_BOX(box), scroller);
	gtk_window_set_child(GTK_WINDOW(p->window), box);
	if (p->kiosk) {
		gtk_window_set_decorated(GTK_WINDOW(p->window), FALSE);
		gtk_window_fullscreen(GTK_WINDOW(p->window));
	}
	gtk_window_present(GTK_WINDOW(p->window));
}

int main(int argc, char **argv)
{
	struct panel p = { 0 };
	const GOptionEntry entries[] = {
		{ "kiosk", 0, 0, G_OPTION_ARG_NONE, &p.kiosk,
		  "Fullscreen without decorations (a kiosk compositor such as cage)", NULL },
		{ "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &p.screenshot,
		  "On SIGUSR1, save the window as a PNG to FILE", "FILE" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	int status;
	guint usr1, term, intr;

	/* Non-unique: a kiosk has no session bus to register a name on. */
	p.app = gtk_application_new("io.penctld.Panel", G_APPLICATION_NON_UNIQUE);
	g_application_add_main_option_entries(G_APPLICATION(p.app), entries);
	g_signal_connect(p.app, "activate", G_CALLBACK(on_activate), &p);
	/* Before the options are read (in g_application_run): a SIGUSR1
	 * before the handler is in place would end the program. */
	usr1 = g_unix_signal_add(SIGUSR1, on_screenshot_signal, &p);
	term = g_unix_signal_add(SIGTERM, on_quit_signal, &p);
	intr = g_unix_signal_add(SIGINT, on_quit_signal, &p);
	status = g_application_run(G_APPLICATION(p.app), argc, argv);
	g_source_remove(usr1);
	g_source_remove(term);
	g_source_remove(intr);
	g_clear_object(&p.model);
	g_object_unref(p.app);
	g_free(p.screenshot);
	return status ? status : p.exit_code;
}
