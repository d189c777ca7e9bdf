/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctld's state, kept current from its signals (see penctl_live.h).
 */
#include <string.h>

#include "penctl/dbus_names.h"
#include "penctl/engine.h"

#include "penctl_format.h"
#include "penctl_live.h"

#define PROPERTIES_INTERFACE "org.freedesktop.DBus.Properties"

struct penctl_live {
	GDBusConnection *bus;
	struct penctl_live_ops ops;
	void *user_data;
	guint name_watch;
	guint properties_subscription;
	guint event_subscription;
	GCancellable *get_all;     /* the GetAll in flight, if any */
	GHashTable *properties;    /* name -> GVariant */
	bool running;
};

bool penctl_live_running(const struct penctl_live *live)
{
	return live->running;
}

GVariant *penctl_live_properties(const struct penctl_live *live)
{
	GVariantBuilder builder;
	GHashTableIter iter;
	gpointer name, value;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_hash_table_iter_init(&iter, live->properties);
	while (g_hash_table_iter_next(&iter, &name, &value))
		g_variant_builder_add(&builder, "{sv}", (const char *)name, (GVariant *)value);
	return g_variant_ref_sink(g_variant_builder_end(&builder));
}

const char *penctl_live_string(const struct penctl_live *live, const char *name)
{
	GVariant *value = g_hash_table_lookup(live->properties, name);

	return value && g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)
		       ? g_variant_get_string(value, NULL) : "";
}

uint64_t penctl_live_uint(const struct penctl_live *live, const char *name)
{
	return penctl_variant_uint(g_hash_table_lookup(live->properties, name));
}

bool penctl_live_bool(const struct penctl_live *live, const char *name)
{
	GVariant *value = g_hash_table_lookup(live->properties, name);

	return value && g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN) &&
	       g_variant_get_boolean(value);
}

const char *penctl_live_reason_words(const char *reason)
{
	for (unsigned r = 0; r < ENGINE_REASON_COUNT; r++)
		if (g_strcmp0(engine_reason_to_string((enum engine_reason)r), reason) == 0)
			return engine_reason_phrase((enum engine_reason)r);
	return reason;
}

/* Merge an a{sv} into the state; the names merged, NULL-terminated. */
static GPtrArray *merge(struct penctl_live *live, GVariant *dict)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GVariantIter iter;
	const char *name;
	GVariant *value;

	g_variant_iter_init(&iter, dict);
	while (g_variant_iter_next(&iter, "{&sv}", &name, &value)) {
		g_hash_table_replace(live->properties, g_strdup(name), value);
		g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_add(names, NULL);
	return names;
}

static void got_all(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
		g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	g_autoptr(GVariant) dict = NULL;
	g_autoptr(GPtrArray) names = NULL;
	struct penctl_live *live;

	if (!reply && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* LIVE is gone or the daemon left meanwhile */
	live = user_data;
	g_clear_object(&live->get_all);
	if (!reply) {
		live->running = false;
		if (live->ops.on_daemon)
			live->ops.on_daemon(false, error, live->user_data);
		return;
	}
	g_variant_get(reply, "(@a{sv})", &dict);
	names = merge(live, dict);
	live->running = true;
	if (live->ops.on_daemon)
		live->ops.on_daemon(true, NULL, live->user_data);
	if (live->ops.on_properties)
		live->ops.on_properties((const char *const *)names->pdata, live->user_data);
}

static void name_appeared(GDBusConnection *bus, const char *name, const char *owner,
			  gpointer user_data)
{
	struct penctl_live *live = user_data;

	(void)name;
	if (live->get_all)
		g_cancellable_cancel(live->get_all);
	g_clear_object(&live->get_all);
	live->get_all = g_cancellable_new();
	/* To the owner, not the name: a reply from the daemon that appeared. */
	g_dbus_connection_call(bus, owner, PENCTL_DBUS_PATH, PROPERTIES_INTERFACE, "GetAll",
			       g_variant_new("(s)", PENCTL_DBUS_INTERFACE),
			       G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
			       live->get_all, got_all, live);
}

static void name_vanished(GDBusConnection *bus, const char *name, gpointer user_data)
{
	struct penctl_live *live = user_data;

	(void)bus;
	(void)name;
	if (live->get_all)
		g_cancellable_cancel(live->get_all);
	g_clear_object(&live->get_all);
	g_hash_table_remove_all(live->properties);
	live->running = false;
	if (live->ops.on_daemon)
		live->ops.on_daemon(false, NULL, live->user_data);
}

static void properties_changed(GDBusConnection *bus, const char *sender, const char *path,
			       const char *interface, const char *signal, GVariant *parameters,
			       gpointer user_data)
{
	struct penctl_live *live = user_data;
	const char *changed_interface;
	g_autoptr(GVariant) changed = NULL;
	g_autoptr(GPtrArray) names = NULL;

	(void)bus, (void)sender, (void)path, (void)interface, (void)signal;
	if (!live->running || !g_variant_is_of_type(parameters, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(parameters, "(&s@a{sv}as)", &changed_interface, &changed, NULL);
	if (!g_str_equal(changed_interface, PENCTL_DBUS_INTERFACE))
		return;
	names = merge(live, changed);
	if (live->ops.on_properties && names->len > 1)
		live->ops.on_properties((const char *const *)names->pdata, live->user_data);
}

static void event(GDBusConnection *bus, const char *sender, const char *path,
		  const char *interface, const char *signal, GVariant *parameters,
		  gpointer user_data)
{
	struct penctl_live *live = user_data;
	const char *strings[2] = { "", "none" };
	unsigned n_strings = 0;
	g_autoptr(GVariant) fields = NULL;
	gsize n = g_variant_n_children(parameters);

	(void)bus, (void)sender, (void)path, (void)interface, (void)signal;
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) child = g_variant_get_child_value(parameters, i);

		if (g_variant_is_of_type(child, G_VARIANT_TYPE_STRING) && n_strings < 2)
			strings[n_strings++] = g_variant_get_string(child, NULL);
		else if (g_variant_is_of_type(child, G_VARIANT_TYPE_VARDICT) && !fields)
			fields = g_variant_ref(child);
	}
	/* The strings point into PARAMETERS, which outlives this call. */
	if (!fields)
		fields = g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	if (live->ops.on_event && n_strings > 0)
		live->ops.on_event(strings[0], strings[1], fields, live->user_data);
}

struct penctl_live *penctl_live_new(GDBusConnection *bus, const struct penctl_live_ops *ops,
				    void *user_data)
{
	struct penctl_live *live = g_new0(struct penctl_live, 1);

	live->bus = g_object_ref(bus);
	live->ops = *ops;
	live->user_data = user_data;
	live->properties = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 (GDestroyNotify)g_variant_unref);
	/* Subscribed before the name is watched, so that no change falls
	 * between the GetAll and the first signal. */
	live->properties_subscription = g_dbus_connection_signal_subscribe(
		bus, PENCTL_DBUS_NAME, PROPERTIES_INTERFACE, "PropertiesChanged", PENCTL_DBUS_PATH,
		NULL, G_DBUS_SIGNAL_FLAGS_NONE, properties_changed, live, NULL);
	live->event_subscription = g_dbus_connection_signal_subscribe(
		bus, PENCTL_DBUS_NAME, PENCTL_DBUS_INTERFACE, "Event", PENCTL_DBUS_PATH, NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, event, live, NULL);
	live->name_watch = g_bus_watch_name_on_connection(bus, PENCTL_DBUS_NAME,
							  G_BUS_NAME_WATCHER_FLAGS_NONE,
							  name_appeared, name_vanished, live, NULL);
	return live;
}

void penctl_live_free(struct penctl_live *live)
{
	if (!live)
		return;
	g_bus_unwatch_name(live->name_watch);
	g_dbus_connection_signal_unsubscribe(live->bus, live->properties_subscription);
	g_dbus_connection_signal_unsubscribe(live->bus, live->event_subscription);
	if (live->get_all)
		g_cancellable_cancel(live->get_all);
	g_clear_object(&live->get_all);
	g_hash_table_unref(live->properties);
	g_object_unref(live->bus);
	g_free(live);
}
