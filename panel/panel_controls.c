/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The panel's controls (see panel_controls.h).  Every call is
 * asynchronous: the screen never freezes on a slow daemon.
 */
#include "penctl/dbus_names.h"

#include "penctl_client.h"
#include "penctl_format.h"

#include "panel_access.h"
#include "panel_controls.h"

#define PANEL_DEPTH_STEP_UM 100u
#define PANEL_CALL_TIMEOUT_MS 25000

struct controls {
	PanelModel *model;
	bool may_control;
	bool denied;             /* the bus policy said no to a call */
	GtkWidget *box;
	GtkWidget *notice;       /* why the controls are insensitive */
	GtkWidget *session_box;  /* depth -/+ and stop, while a session is open */
	GtkWidget *start_box;    /* the form, while none is */
	GtkWidget *operator;
	GtkWidget *role;
	GtkStringList *roles;
	GtkWidget *area;
	GtkStringList *areas;
	GtkWidget *client;
	GtkWidget *contraindications;
	GtkWidget *summary;      /* the last session's summary and after-care */
	GPtrArray *inputs;       /* every control a person can touch */
};

/* ---- calls ---- */

struct call {
	struct controls *c;
	const char *what;        /* "Depth refused", for the sentence */
	void (*done)(struct controls *c, GVariant *reply);
};

static void call_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	struct call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
		g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	struct controls *c = call->c;

	if (reply) {
		if (call->done)
			call->done(c, reply);
	} else {
		g_autofree char *message = penctl_error_message(error);
		g_autofree char *why = NULL;

		if (penctl_exit_code_for_error(error) == PENCTL_EXIT_NOPERM) {
			c->denied = true;
			why = g_strdup_printf("%s: permission denied - this account may look "
					      "but not change anything", call->what);
		} else {
			why = g_strdup_printf("%s: %s", call->what, message);
		}
		panel_model_set_why(c->model, why);
	}
	g_object_unref(c->model);
	g_free(call);
}

static void call(struct controls *c, const char *method, GVariant *parameters,
		 const char *reply_type, const char *what,
		 void (*done)(struct controls *c, GVariant *reply))
{
	struct call *data = g_new0(struct call, 1);

	data->c = c;
	data->what = what;
	data->done = done;
	/* The model outlives the call; the controls live as long as it. */
	g_object_ref(c->model);
	g_dbus_connection_call(panel_model_get_bus(c->model), PENCTL_DBUS_NAME, PENCTL_DBUS_PATH,
			       PENCTL_DBUS_INTERFACE, method, parameters,
			       G_VARIANT_TYPE(reply_type), G_DBUS_CALL_FLAGS_NO_AUTO_START,
			       PANEL_CALL_TIMEOUT_MS, NULL, call_done, data);
}

/* ---- depth ---- */

static void depth_set(struct controls *c, GVariant *reply)
{
	const char *message;

	g_variant_get(reply, "(&s)", &message);
	panel_model_set_why(c->model, message);
}

static void change_depth(struct controls *c, int step_um)
{
	int64_t depth = (int64_t)panel_model_uint(c->model, "DepthUm") + step_um;

	if (depth < 0)
		depth = 0;
	call(c, "SetDepth", g_variant_new("(u)", (guint32)depth), "(s)", "Depth refused",
	     depth_set);
}

static void on_deeper(GtkButton *button, gpointer user_data)
{
	(void)button;
	change_depth(user_data, (int)PANEL_DEPTH_STEP_UM);
}

static void on_shallower(GtkButton *button, gpointer user_data)
{
	(void)button;
	change_depth(user_data, -(int)PANEL_DEPTH_STEP_UM);
}

/* ---- session ---- */

static const char *selected(GtkWidget *dropdown, GtkStringList *list)
{
	guint position = gtk_drop_down_get_selected(GTK_DROP_DOWN(dropdown));

	if (position == GTK_INVALID_LIST_POSITION)
		return "";
	return gtk_string_list_get_string(list, position);
}

static void on_start(GtkButton *button, gpointer user_data)
{
	struct controls *c = user_data;
	GVariantBuilder options;

	(void)button;
	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", PENCTL_OPTION_CONTRAINDICATIONS_CHECKED,
			      g_variant_new_boolean(gtk_check_button_get_active(
				      GTK_CHECK_BUTTON(c->contraindications))));
	call(c, "StartSession",
	     g_variant_new("(ssssa{sv})", gtk_editable_get_text(GTK_EDITABLE(c->operator)),
			   selected(c->role, c->roles), selected(c->area, c->areas),
			   gtk_editable_get_text(GTK_EDITABLE(c->client)), &options),
	     "(s)", "Session refused", NULL);
}

static void stopped(struct controls *c, GVariant *reply)
{
	g_autoptr(GVariant) summary = NULL;
	g_autofree char *text = NULL;
	g_autofree char *advisory = NULL;
	g_autofree char *all = NULL;

	g_variant_get(reply, "(@a{sv})", &summary);
	text = penctl_format_summary(summary);
	advisory = penctl_format_anesthetic_advisory(summary);
	all = g_strdup_printf("%s%s%s\n%s", text, advisory ? advisory : "", advisory ? "\n" : "",
			      penctl_aftercare_reminder());
	gtk_label_set_text(GTK_LABEL(c->summary), all);
	gtk_widget_set_visible(c->summary, TRUE);
}

static void on_stop(GtkButton *button, gpointer user_data)
{
	(void)button;
	call(user_data, "StopSession", NULL, "(a{sv})", "Stop refused", stopped);
}

/* ---- keeping up with the daemon ---- */

/* Replace LIST's strings by those of property NAME that KEEP accepts. */
static void fill(struct controls *c, GtkStringList *list, const char *name,
		 bool (*keep)(const char *item))
{
	g_auto(GStrv) items = panel_model_strv(c->model, name);
	g_autoptr(GPtrArray) kept = g_ptr_array_new();
	guint old = g_list_model_get_n_items(G_LIST_MODEL(list));

	for (char **item = items; *item; item++)
		if (!keep || keep(*item))
			g_ptr_array_add(kept, *item);
	g_ptr_array_add(kept, NULL);
	gtk_string_list_splice(list, 0, old, (const char *const *)kept->pdata);
}

static void update(struct controls *c)
{
	bool running = panel_model_running(c->model);
	bool session = running && panel_model_string(c->model, "SessionId")[0];
	bool allowed = c->may_control && !c->denied && running;

	gtk_widget_set_visible(c->session_box, session);
	gtk_widget_set_visible(c->start_box, running && !session);
	/* Each control itself, not their boxes: a screen reader (AT-SPI) reads
	 * a control's own sensitivity. */
	for (guint i = 0; i < c->inputs->len; i++)
		gtk_widget_set_sensitive(g_ptr_array_index(c->inputs, i), allowed);
	if (!c->may_control || c->denied) {
		gtk_label_set_text(GTK_LABEL(c->notice),
				   "View only: this account is not in group penctl, so it "
				   "may look but not change anything.");
		gtk_widget_set_visible(c->notice, TRUE);
	} else {
		gtk_widget_set_visible(c->notice, FALSE);
	}
}

static void on_changed(PanelModel *model, GStrv names, gpointer user_data)
{
	struct controls *c = user_data;

	(void)model;
	for (char **name = names; *name; name++) {
		if (g_str_equal(*name, "Roles"))
			fill(c, c->roles, "Roles", panel_access_may_take_role);
		else if (g_str_equal(*name, "Areas"))
			fill(c, c->areas, "Areas", NULL);
		else if (g_str_equal(*name, "SessionId") &&
			 panel_model_string(c->model, "SessionId")[0])
			gtk_widget_set_visible(c->summary, FALSE); /* a new session */
	}
	update(c);
}

static void on_daemon(PanelModel *model, gboolean running, const char *message,
		      gpointer user_data)
{
	(void)model, (void)running, (void)message;
	update(user_data);
}

/* ---- building ---- */

static GtkWidget *input(struct controls *c, GtkWidget *widget)
{
	g_ptr_array_add(c->inputs, widget);
	return widget;
}

static GtkWidget *big_button(struct controls *c, const char *text, const char *css_class)
{
	GtkWidget *button = input(c, gtk_button_new_with_label(text));

	gtk_widget_add_css_class(button, css_class);
	return button;
}

static GtkWidget *build_session_box(struct controls *c)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 16);
	GtkWidget *shallower = big_button(c, "Depth \xe2\x88\x92 0.1 mm", "depth-button");
	GtkWidget *deeper = big_button(c, "Depth + 0.1 mm", "depth-button");
	GtkWidget *stop = big_button(c, "Stop session", "stop-button");

	g_signal_connect(shallower, "clicked", G_CALLBACK(on_shallower), c);
	g_signal_connect(deeper, "clicked", G_CALLBACK(on_deeper), c);
	g_signal_connect(stop, "clicked", G_CALLBACK(on_stop), c);
	gtk_box_append(GTK_BOX(box), shallower);
	gtk_box_append(GTK_BOX(box), deeper);
	gtk_box_append(GTK_BOX(box), stop);
	return box;
}

static GtkWidget *field(GtkWidget *grid, int row, const char *name, GtkWidget *widget)
{
	GtkWidget *label = gtk_label_new(name);

	gtk_widget_set_halign(label, GTK_ALIGN_END);
	gtk_grid_attach(GTK_GRID(grid), label, 0, row, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), widget, 1, row, 1, 1);
	gtk_accessible_update_relation(GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
				       label, NULL, -1);
	return widget;
}

static GtkWidget *build_start_box(struct controls *c)
{
	GtkWidget *grid = gtk_grid_new();
	GtkWidget *start = big_button(c, "Start session", "start-button");
	GtkWidget *confirm;

	gtk_grid_set_row_spacing(GTK_GRID(grid), 8);
	gtk_grid_set_column_spacing(GTK_GRID(grid), 16);
	gtk_widget_add_css_class(grid, "form");
	c->roles = gtk_string_list_new(NULL);
	c->areas = gtk_string_list_new(NULL);
	c->operator = field(grid, 0, "Operator", input(c, gtk_entry_new()));
	c->role = field(grid, 1, "Role",
			input(c, gtk_drop_down_new(G_LIST_MODEL(g_object_ref(c->roles)), NULL)));
	c->area = field(grid, 2, "Area",
			input(c, gtk_drop_down_new(G_LIST_MODEL(g_object_ref(c->areas)), NULL)));
	c->client = field(grid, 3, "Client reference", input(c, gtk_entry_new()));
	c->contraindications = input(c, gtk_check_button_new());
	confirm = gtk_label_new("The client was asked about contraindications");
	gtk_label_set_wrap(GTK_LABEL(confirm), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(confirm), 30);
	gtk_check_button_set_child(GTK_CHECK_BUTTON(c->contraindications), confirm);
	gtk_grid_attach(GTK_GRID(grid), c->contraindications, 0, 4, 2, 1);
	gtk_grid_attach(GTK_GRID(grid), start, 0, 5, 2, 1);
	g_signal_connect(start, "clicked", G_CALLBACK(on_start), c);
	return grid;
}

static void controls_free(gpointer data)
{
	struct controls *c = data;

	g_signal_handlers_disconnect_by_data(c->model, c);
	g_object_unref(c->roles);
	g_object_unref(c->areas);
	g_object_unref(c->model);
	g_ptr_array_unref(c->inputs);
	g_free(c);
}

GtkWidget *panel_controls_new(PanelModel *model)
{
	struct controls *c = g_new0(struct controls, 1);

	c->model = g_object_ref(model);
	c->may_control = panel_access_may_control();
	c->inputs = g_ptr_array_new();
	c->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 16);
	gtk_widget_add_css_class(c->box, "controls");
	c->notice = gtk_label_new("");
	gtk_widget_add_css_class(c->notice, "notice");
	gtk_label_set_wrap(GTK_LABEL(c->notice), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(c->notice), 30);
	c->session_box = build_session_box(c);
	c->start_box = build_start_box(c);
	c->summary = gtk_label_new("");
	gtk_label_set_wrap(GTK_LABEL(c->summary), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(c->summary), 36);
	gtk_label_set_selectable(GTK_LABEL(c->summary), FALSE);
	gtk_widget_set_halign(c->summary, GTK_ALIGN_START);
	gtk_widget_add_css_class(c->summary, "summary");
	gtk_widget_set_visible(c->summary, FALSE);
	gtk_box_append(GTK_BOX(c->box), c->notice);
	gtk_box_append(GTK_BOX(c->box), c->session_box);
	gtk_box_append(GTK_BOX(c->box), c->start_box);
	gtk_box_append(GTK_BOX(c->box), c->summary);
	g_signal_connect(model, "changed", G_CALLBACK(on_changed), c);
	g_signal_connect(model, "daemon", G_CALLBACK(on_daemon), c);
	g_object_set_data_full(G_OBJECT(c->box), "panel-controls", c, controls_free);
	update(c);
	return c->box;
}
