/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The panel's model (see panel_model.h): penctl_live's callbacks turned
 * into GObject signals, plus the two things a view cannot read off one
 * property: whether the time warning is on, and why the motor last
 * stopped or was refused.
 */
#include <inttypes.h>

#include "penctl_client.h"
#include "penctl_live.h"

#include "panel_model.h"

struct _PanelModel {
	GObject parent;
	GDBusConnection *bus;
	struct penctl_live *live;
	char *away;
	char *why;
	bool warning;
	char *warning_text;
};

G_DEFINE_TYPE(PanelModel, panel_model, G_TYPE_OBJECT)

enum { PROP_0, PROP_WARNING, PROP_WHY, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_CHANGED, SIGNAL_DAEMON, SIGNAL_EVENT, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The records that say why the motor is not running, and how to say it.
 * The reason's words complete the sentence (the engine's one table). */
static const struct {
	const char *kind;
	const char *sentence;
} why_kinds[] = {
	{ "motor-stop", "Motor stopped: %s" },
	{ "motor-refused", "Motor refused: %s" },
	{ "session-refused", "Session refused: %s" },
	{ "depth-refused", "Depth refused: %s" },
	{ "limit-reached", "Time is up: %s" },
	{ "pen-disconnected", "Pen disconnected" },
	{ "pedal-lost", "Pedal lost: %s" },
	{ "fault", "Pen fault: %s" },
	{ "cartridge-refused", "Cartridge refused: %s" },
};

static void set_warning(PanelModel *model, bool warning, const char *text)
{
	if (model->warning == warning && (!text || g_strcmp0(text, model->warning_text) == 0))
		return;
	model->warning = warning;
	g_free(model->warning_text);
	model->warning_text = g_strdup(warning ? (text ? text : "Time warning") : "");
	g_object_notify_by_pspec(G_OBJECT(model), props[PROP_WARNING]);
}

/* "Time warning: 80 % of the session time used" from a limit-warning
 * record (reason wall-budget or needling-budget, percent). */
static char *warning_words(const char *kind, const char *reason, GVariant *fields)
{
	const char *budget = g_str_equal(reason, "needling-budget") ? "needling" : "session";
	guint32 percent = 0;

	if (g_str_equal(kind, "limit-reached"))
		return g_strdup_printf("Time is up: the %s time budget is spent", budget);
	if (g_variant_lookup(fields, "percent", "u", &percent))
		return g_strdup_printf("Time warning: %u %% of the %s time used", percent, budget);
	return g_strdup_printf("Time warning: the %s time is running out", budget);
}

void panel_model_set_why(PanelModel *model, const char *why)
{
	if (g_strcmp0(model->why, why) == 0)
		return;
	g_free(model->why);
	model->why = g_strdup(why);
	g_object_notify_by_pspec(G_OBJECT(model), props[PROP_WHY]);
}

/* The fault names of a fault record, or its detail, for its sentence. */
static char *fault_words(GVariant *fields, const char *words)
{
	g_autoptr(GVariant) faults = g_variant_lookup_value(fields, "faults",
							    G_VARIANT_TYPE_STRING_ARRAY);
	const char *detail = NULL;

	if (faults && g_variant_n_children(faults) > 0) {
		g_autofree const char **names = g_variant_get_strv(faults, NULL);

		return g_strjoinv(", ", (char **)names);
	}
	if (g_variant_lookup(fields, "detail", "&s", &detail) && detail[0])
		return g_strdup(detail);
	return g_strdup(words);
}

static void on_daemon(bool running, const GError *error, void *user_data)
{
	PanelModel *model = user_data;
	const char *away = "";
	g_autofree char *message = NULL;

	if (error && penctl_exit_code_for_error(error) == PENCTL_EXIT_NOPERM)
		away = "Permission denied: this account may not look at penctld "
		       "(add it to group penctl or penctl-view)";
	else if (error)
		away = message = g_strdup_printf("penctld cannot be read: %s",
						 error->message);
	else if (!running)
		away = "penctld is not running - waiting for it to start";
	g_free(model->away);
	model->away = g_strdup(away);
	g_signal_emit(model, signals[SIGNAL_DAEMON], 0, running, model->away);
}

/* Whether USED has reached PERCENT of USED + LEFT. */
static bool reached(uint64_t used, uint64_t left, uint64_t percent)
{
	return used + left > 0 && used * 100 >= (used + left) * percent;
}

static void on_properties(const char *const *changed, void *user_data)
{
	PanelModel *model = user_data;
	uint64_t percent = panel_model_uint(model, "WarnPercent");

	if (!panel_model_string(model, "SessionId")[0])
		set_warning(model, false, NULL);
	/* The limit-warning record says it as it happens; a daemon that also
	 * publishes WarnPercent lets a panel started later see it too. */
	else if (percent > 0 &&
		 (reached(panel_model_uint(model, "WallUsedMs"),
			  panel_model_uint(model, "WallRemainingMs"), percent) ||
		  reached(panel_model_uint(model, "NeedlingUsedMs"),
			  panel_model_uint(model, "NeedlingRemainingMs"), percent)))
		set_warning(model, true, model->warning ? model->warning_text : NULL);
	g_signal_emit(model, signals[SIGNAL_CHANGED], 0, changed);
}

static void on_event(const char *kind, const char *reason, GVariant *fields, void *user_data)
{
	PanelModel *model = user_data;
	const char *words = penctl_live_reason_words(reason);

	if (g_str_equal(kind, "session-start")) {
		set_warning(model, false, NULL);
		panel_model_set_why(model, "");
	} else if (g_str_equal(kind, "limit-warning") || g_str_equal(kind, "limit-reached")) {
		g_autofree char *text = warning_words(kind, reason, fields);

		set_warning(model, true, text);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(why_kinds); i++) {
		if (g_str_equal(kind, why_kinds[i].kind)) {
			g_autofree char *what = g_str_equal(kind, "fault")
							? fault_words(fields, words)
							: g_strdup(words);
			g_autofree char *why = NULL;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			why = g_strdup_printf(why_kinds[i].sentence, what);
#pragma GCC diagnostic pop
			panel_model_set_why(model, why);
		}
	}
	g_signal_emit(model, signals[SIGNAL_EVENT], 0, kind, reason, words, fields);
}

static void panel_model_dispose(GObject *object)
{
	PanelModel *model = PANEL_MODEL(object);

	g_clear_pointer(&model->live, penctl_live_free);
	g_clear_object(&model->bus);
	G_OBJECT_CLASS(panel_model_parent_class)->dispose(object);
}

static void panel_model_finalize(GObject *object)
{
	PanelModel *model = PANEL_MODEL(object);

	g_free(model->away);
	g_free(model->why);
	g_free(model->warning_text);
	G_OBJECT_CLASS(panel_model_parent_class)->finalize(object);
}

static void panel_model_get_property(GObject *object, guint id, GValue *value,
				     GParamSpec *pspec)
{
	PanelModel *model = PANEL_MODEL(object);

	switch (id) {
	case PROP_WARNING:
		g_value_set_boolean(value, model->warning);
		break;
	case PROP_WHY:
		g_value_set_string(value, model->why);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void panel_model_class_init(PanelModelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = panel_model_dispose;
	object_class->finalize = panel_model_finalize;
	object_class->get_property = panel_model_get_property;
	props[PROP_WARNING] = g_param_spec_boolean("warning", NULL, NULL, FALSE,
						   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_WHY] = g_param_spec_string("why", NULL, NULL, "",
					      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
	signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
					       G_TYPE_NONE, 1, G_TYPE_STRV);
	signals[SIGNAL_DAEMON] = g_signal_new("daemon", G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
					      2, G_TYPE_BOOLEAN, G_TYPE_STRING);
	signals[SIGNAL_EVENT] = g_signal_new("event", G_TYPE_FROM_CLASS(klass),
					     G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
					     G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
					     G_TYPE_VARIANT);
}

static void panel_model_init(PanelModel *model)
{
	model->away = g_strdup("Looking for penctld...");
	model->why = g_strdup("");
	model->warning_text = g_strdup("");
}

PanelModel *panel_model_new(GDBusConnection *bus)
{
	static const struct penctl_live_ops ops = {
		.on_daemon = on_daemon,
		.on_properties = on_properties,
		.on_event = on_event,
	};
	PanelModel *model = g_object_new(PANEL_TYPE_MODEL, NULL);

	model->bus = g_object_ref(bus);
	model->live = penctl_live_new(bus, &ops, model);
	return model;
}

GDBusConnection *panel_model_get_bus(PanelModel *model)
{
	return model->bus;
}

bool panel_model_running(PanelModel *model)
{
	return penctl_live_running(model->live);
}

const char *panel_model_away(PanelModel *model)
{
	return model->away;
}

bool panel_model_warning(PanelModel *model)
{
	return model->warning;
}

const char *panel_model_warning_text(PanelModel *model)
{
	return model->warning_text;
}

const char *panel_model_why(PanelModel *model)
{
	return model->why;
}

const char *panel_model_string(PanelModel *model, const char *name)
{
	return penctl_live_string(model->live, name);
}

uint64_t panel_model_uint(PanelModel *model, const char *name)
{
	return penctl_live_uint(model->live, name);
}

bool panel_model_bool(PanelModel *model, const char *name)
{
	return penctl_live_bool(model->live, name);
}

GVariant *panel_model_value(PanelModel *model, const char *name, const GVariantType *type)
{
	g_autoptr(GVariant) all = penctl_live_properties(model->live);

	return g_variant_lookup_value(all, name, type);
}

char **panel_model_strv(PanelModel *model, const char *name)
{
	g_autoptr(GVariant) value = panel_model_value(model, name, G_VARIANT_TYPE_STRING_ARRAY);

	return value ? g_variant_dup_strv(value, NULL) : g_new0(char *, 1);
}
