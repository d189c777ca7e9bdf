// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Following bluetoothd: watch the org.bluez name, load its objects when it
 * appears, keep the model current from ObjectManager and Properties
 * signals, and tell the link when something it cares about changed.
 */
#include <string.h>

#include "pen_link_internal.h"


static void managed_objects_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_link *link;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* link freed or bluetoothd gone: do not touch it */
	link = user_data;
	if (!reply) {
		g_warning("bluetoothd: GetManagedObjects failed: %s", error->message);
		return;
	}
	if (!bluez_objects_load(link->objects, reply))
		g_warning("bluetoothd: GetManagedObjects reply of type %s ignored",
			  g_variant_get_type_string(reply));
	pen_link_update(link);
	if (link->scan_task) {
		g_autoptr(GPtrArray) devices = NULL;
		const char *adapter = bluez_objects_find_adapter(link->objects, link->adapter_name);

		devices = bluez_objects_list_devices(link->objects, adapter);
		for (guint i = 0; i < devices->len; i++)
			pen_scan_device_changed(link, devices->pdata[i]);
	}
}

static void on_interfaces_added(GDBusConnection *bus, const char *sender, const char *path,
				const char *interface, const char *signal, GVariant *params,
				gpointer user_data)
{
	struct pen_link *link = user_data;
	const char *object;
	g_autoptr(GVariant) interfaces = NULL;

	(void)bus, (void)sender, (void)path, (void)interface, (void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sa{sv}})")))
		return;
	g_variant_get(params, "(&o@a{sa{sv}})", &object, &interfaces);
	bluez_objects_interfaces_added(link->objects, object, interfaces);
	pen_link_update(link);
	if (bluez_objects_has_interface(link->objects, object, BLUEZ_DEVICE_INTERFACE))
		pen_scan_device_changed(link, object);
}

static void on_interfaces_removed(GDBusConnection *bus, const char *sender, const char *path,
				  const char *interface, const char *signal, GVariant *params,
				  gpointer user_data)
{
	struct pen_link *link = user_data;
	const char *object;
	g_autoptr(GVariant) interfaces = NULL;

	(void)bus, (void)sender, (void)path, (void)interface, (void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oas)")))
		return;
	g_variant_get(params, "(&o@as)", &object, &interfaces);
	bluez_objects_interfaces_removed(link->objects, object, interfaces);
	pen_link_update(link);
}

static void on_properties_changed(GDBusConnection *bus, const char *sender, const char *path,
				  const char *interface, const char *signal, GVariant *params,
				  gpointer user_data)
{
	struct pen_link *link = user_data;
	const char *iface;
	g_autoptr(GVariant) changed = NULL;
	g_autoptr(GVariant) invalidated = NULL;
	g_autoptr(GVariant) value = NULL;

	(void)bus, (void)sender, (void)interface, (void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(params, "(&s@a{sv}@as)", &iface, &changed, &invalidated);
	if (!bluez_objects_properties_changed(link->objects, path, iface, changed, invalidated))
		return;

	if (strcmp(iface, BLUEZ_GATT_CHAR_INTERFACE) == 0) {
		value = g_variant_lookup_value(changed, "Value", G_VARIANT_TYPE_BYTESTRING);
		if (value)
			pen_gatt_value_changed(link, path, value);
		return;
	}
	pen_link_update(link);
	if (strcmp(iface, BLUEZ_DEVICE_INTERFACE) == 0)
		pen_scan_device_changed(link, path);
}

static void on_bluez_appeared(GDBusConnection *bus, const char *name, const char *owner,
			      gpointer user_data)
{
	struct pen_link *link = user_data;

	(void)name;
	g_info("bluetoothd appeared as %s", owner);
	link->bluez_up = true;
	g_free(link->bluez_owner);
	link->bluez_owner = g_strdup(owner);
	g_clear_object(&link->bluez_cancellable);
	link->bluez_cancellable = g_cancellable_new();
	bluez_objects_clear(link->objects);
	bluez_agent_register(link);
	g_dbus_connection_call(bus, BLUEZ_BUS_NAME, "/", "org.freedesktop.DBus.ObjectManager",
			       "GetManagedObjects", NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
			       G_DBUS_CALL_FLAGS_NONE, PEN_LINK_CALL_TIMEOUT_MS,
			       link->bluez_cancellable, managed_objects_done, link);
}

static void on_bluez_vanished(GDBusConnection *bus, const char *name, gpointer user_data)
{
	struct pen_link *link = user_data;

	(void)bus, (void)name;
	if (link->bluez_up)
		g_warning("bluetoothd left the bus");
	link->bluez_up = false;
	g_clear_pointer(&link->bluez_owner, g_free);
	if (link->bluez_cancellable)
		g_cancellable_cancel(link->bluez_cancellable);
	bluez_objects_clear(link->objects);
	pen_link_bluez_gone(link);
}

void bluez_client_start(struct pen_link *link)
{
	/* Subscribe before loading, so nothing falls between the two. */
	link->sub_added = g_dbus_connection_signal_subscribe(
		link->bus, BLUEZ_BUS_NAME, "org.freedesktop.DBus.ObjectManager",
		"InterfacesAdded", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_interfaces_added, link, NULL);
	link->sub_removed = g_dbus_connection_signal_subscribe(
		link->bus, BLUEZ_BUS_NAME, "org.freedesktop.DBus.ObjectManager",
		"InterfacesRemoved", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_interfaces_removed, link, NULL);
	link->sub_props = g_dbus_connection_signal_subscribe(
		link->bus, BLUEZ_BUS_NAME, "org.freedesktop.DBus.Properties",
		"PropertiesChanged", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
		on_properties_changed, link, NULL);
	link->name_watch = g_bus_watch_name_on_connection(
		link->bus, BLUEZ_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
		on_bluez_appeared, on_bluez_vanished, link, NULL);
}

void bluez_client_stop(struct pen_link *link)
{
	if (link->name_watch)
		g_bus_unwatch_name(link->name_watch);
	link->name_watch = 0;
	if (link->sub_added)
		g_dbus_connection_signal_unsubscribe(link->bus, link->sub_added);
	if (link->sub_removed)
		g_dbus_connection_signal_unsubscribe(link->bus, link->sub_removed);
	if (link->sub_props)
		g_dbus_connection_signal_unsubscribe(link->bus, link->sub_props);
	link->sub_added = link->sub_removed = link->sub_props = 0;
	if (link->bluez_cancellable)
		g_cancellable_cancel(link->bluez_cancellable);
}
