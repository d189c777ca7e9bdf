// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Following bluetoothd: watch the org.bluez name, load its objects when it
 * appears, keep the model current from ObjectManager and Properties
 * signals, and tell the owner what changed.
 */
#include <string.h>

#include "bluez_client.h"

struct bluez_client {
	GDBusConnection *bus;
	struct bluez_client_events events;
	void *owner;

	guint name_watch;
	guint sub_added, sub_removed, sub_props;
	bool up;
	char *owner_name;                 /* bluetoothd's unique name while up */
	GCancellable *instance;           /* per bluetoothd instance */
	struct bluez_objects *objects;
};

struct bluez_client *bluez_client_new(GDBusConnection *bus, const struct bluez_client_events *events,
				      void *owner)
{
	struct bluez_client *client = g_new0(struct bluez_client, 1);

	client->bus = g_object_ref(bus);
	client->events = *events;
	client->owner = owner;
	client->objects = bluez_objects_new();
	return client;
}

void bluez_client_free(struct bluez_client *client)
{
	if (!client)
		return;
	bluez_client_stop(client);
	g_clear_object(&client->instance);
	g_free(client->owner_name);
	bluez_objects_free(client->objects);
	g_object_unref(client->bus);
	g_free(client);
}

GDBusConnection *bluez_client_bus(const struct bluez_client *client)
{
	return client->bus;
}

const struct bluez_objects *bluez_client_objects(const struct bluez_client *client)
{
	return client->objects;
}

bool bluez_client_is_up(const struct bluez_client *client)
{
	return client->up;
}

const char *bluez_client_owner(const struct bluez_client *client)
{
	return client->up ? client->owner_name : NULL;
}

GCancellable *bluez_client_instance_cancellable(const struct bluez_client *client)
{
	return client->instance;
}

bool bluez_client_is_started(const struct bluez_client *client)
{
	return client->name_watch != 0;
}

void bluez_client_call(struct bluez_client *client, const char *path, const char *interface,
		       const char *method, GVariant *params, const GVariantType *reply_type,
		       int timeout_ms, GCancellable *cancellable, GAsyncReadyCallback callback,
		       gpointer user_data)
{
	g_dbus_connection_call(client->bus, BLUEZ_BUS_NAME, path, interface, method, params,
			       reply_type, G_DBUS_CALL_FLAGS_NONE, timeout_ms, cancellable,
			       callback, user_data);
}

void bluez_client_set_property(struct bluez_client *client, const char *path,
			       const char *interface, const char *name, GVariant *value,
			       GCancellable *cancellable, GAsyncReadyCallback callback,
			       gpointer user_data)
{
	bluez_client_call(client, path, "org.freedesktop.DBus.Properties", "Set",
			  g_variant_new("(ssv)", interface, name, value), NULL,
			  BLUEZ_CALL_TIMEOUT_MS, cancellable, callback, user_data);
}

bool bluez_error_is(const GError *error, const char *name)
{
	g_autofree char *remote = NULL;

	if (!error)
		return false;
	remote = g_dbus_error_get_remote_error(error);
	return remote && g_str_has_prefix(remote, "org.bluez.Error.") &&
	       strcmp(remote + strlen("org.bluez.Error."), name) == 0;
}

bool bluez_error_is_connect_in_progress(const GError *error)
{
	/* strerror(EALREADY) in bluetoothd, whose messages are not localised. */
	return bluez_error_is(error, "Failed") &&
	       strstr(error->message, "Operation already in progress") != NULL;
}

static void managed_objects_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct bluez_client *client;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* client freed or bluetoothd gone: do not touch it */
	client = user_data;
	if (!reply) {
		g_warning("bluetoothd: GetManagedObjects failed: %s", error->message);
		return;
	}
	if (!bluez_objects_load(client->objects, reply))
		g_warning("bluetoothd: GetManagedObjects reply of type %s ignored",
			  g_variant_get_type_string(reply));
	client->events.loaded(client->owner);
}

static void on_interfaces_added(GDBusConnection *bus, const char *sender, const char *path,
				const char *interface, const char *signal, GVariant *params,
				gpointer user_data)
{
	struct bluez_client *client = user_data;
	const char *object;
	g_autoptr(GVariant) interfaces = NULL;

	(void)bus, (void)sender, (void)path, (void)interface, (void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sa{sv}})")))
		return;
	g_variant_get(params, "(&o@a{sa{sv}})", &object, &interfaces);
	bluez_objects_interfaces_added(client->objects, object, interfaces);
	client->events.interfaces_added(client->owner, object);
}

static void on_interfaces_removed(GDBusConnection *bus, const char *sender, const char *path,
				  const char *interface, const char *signal, GVariant *params,
				  gpointer user_data)
{
	struct bluez_client *client = user_data;
	const char *object;
	g_autoptr(GVariant) interfaces = NULL;

	(void)bus, (void)sender, (void)path, (void)interface, (void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oas)")))
		return;
	g_variant_get(params, "(&o@as)", &object, &interfaces);
	bluez_objects_interfaces_removed(client->objects, object, interfaces);
	client->events.interfaces_removed(client->owner, object);
}

static void on_properties_changed(GDBusConnection *bus, const char *sender, const char *path,
				  const char *interface, const char *signal, GVariant *params,
				  gpointer user_data)
{
	struct bluez_client *client = user_data;
	const char *iface;
	g_autoptr(GVariant) changed = NULL;
	g_autoptr(GVariant) invalidated = NULL;

	(void)bus, (void)sender, (void)interface, (void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(params, "(&s@a{sv}@as)", &iface, &changed, &invalidated);
	if (!bluez_objects_properties_changed(client->objects, path, iface, changed, invalidated))
		return;
	client->events.properties_changed(client->owner, path, iface, changed);
}

static void on_bluez_appeared(GDBusConnection *bus, const char *name, const char *owner,
			      gpointer user_data)
{
	struct bluez_client *client = user_data;

	(void)name;
	g_info("bluetoothd appeared as %s", owner);
	client->up = true;
	g_free(client->owner_name);
	client->owner_name = g_strdup(owner);
	g_clear_object(&client->instance);
	client->instance = g_cancellable_new();
	bluez_objects_clear(client->objects);
	client->events.appeared(client->owner);
	g_dbus_connection_call(bus, BLUEZ_BUS_NAME, "/", "org.freedesktop.DBus.ObjectManager",
			       "GetManagedObjects", NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
			       G_DBUS_CALL_FLAGS_NONE, BLUEZ_CALL_TIMEOUT_MS, client->instance,
			       managed_objects_done, client);
}

static void on_bluez_vanished(GDBusConnection *bus, const char *name, gpointer user_data)
{
	struct bluez_client *client = user_data;

	(void)bus, (void)name;
	if (client->up)
		g_warning("bluetoothd left the bus");
	client->up = false;
	g_clear_pointer(&client->owner_name, g_free);
	if (client->instance)
		g_cancellable_cancel(client->instance);
	bluez_objects_clear(client->objects);
	client->events.vanished(client->owner);
}

void bluez_client_start(struct bluez_client *client)
{
	if (client->name_watch)
		return;
	/* Subscribe before loading, so nothing falls between the two. */
	client->sub_added = g_dbus_connection_signal_subscribe(
		client->bus, BLUEZ_BUS_NAME, "org.freedesktop.DBus.ObjectManager",
		"InterfacesAdded", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_interfaces_added, client, NULL);
	client->sub_removed = g_dbus_connection_signal_subscribe(
		client->bus, BLUEZ_BUS_NAME, "org.freedesktop.DBus.ObjectManager",
		"InterfacesRemoved", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_interfaces_removed, client, NULL);
	client->sub_props = g_dbus_connection_signal_subscribe(
		client->bus, BLUEZ_BUS_NAME, "org.freedesktop.DBus.Properties",
		"PropertiesChanged", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_properties_changed, client, NULL);
	client->name_watch = g_bus_watch_name_on_connection(
		client->bus, BLUEZ_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
		on_bluez_appeared, on_bluez_vanished, client, NULL);
}

void bluez_client_stop(struct bluez_client *client)
{
	if (client->name_watch)
		g_bus_unwatch_name(client->name_watch);
	client->name_watch = 0;
	if (client->sub_added)
		g_dbus_connection_signal_unsubscribe(client->bus, client->sub_added);
	if (client->sub_removed)
		g_dbus_connection_signal_unsubscribe(client->bus, client->sub_removed);
	if (client->sub_props)
		g_dbus_connection_signal_unsubscribe(client->bus, client->sub_props);
	client->sub_added = client->sub_removed = client->sub_props = 0;
	if (client->instance)
		g_cancellable_cancel(client->instance);
}
