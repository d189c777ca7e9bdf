// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Finding and adopting a pen: scan with a discovery filter for our service,
 * pair (with our agent accepting for that device only), trust, adopt;
 * forget (RemoveDevice).  Each is a GTask; D-Bus calls are tied to the
 * link's life cancellable so nothing touches a freed link.
 */
#include <errno.h>
#include <string.h>

#include "pen_link_internal.h"

#define PEN_SCAN_MAX_SECONDS 120u

struct scan_data {
	struct pen_link *link;
	char *adapter;
	unsigned seconds;
};

static void scan_data_free(gpointer p)
{
	struct scan_data *data = p;

	g_free(data->adapter);
	g_free(data);
}

static bool device_is_pen(const struct pen_link *link, const char *adapter, const char *path)
{
	const char *owner = bluez_objects_get_object_path(link->objects, path,
							  BLUEZ_DEVICE_INTERFACE, "Adapter");

	return owner && adapter && strcmp(owner, adapter) == 0 &&
	       bluez_objects_strv_contains(link->objects, path, BLUEZ_DEVICE_INTERFACE,
					   "UUIDs", PEN_SERVICE_UUID);
}

/* Address, name (Alias, else Name, else ""), RSSI (0 = not seen now). */
static bool device_facts(const struct pen_link *link, const char *path, const char **address,
			 const char **name, int16_t *rssi)
{
	*address = bluez_objects_get_string(link->objects, path, BLUEZ_DEVICE_INTERFACE,
					    "Address");
	if (!bt_address_is_valid(*address))
		return false;
	*name = bluez_objects_get_string(link->objects, path, BLUEZ_DEVICE_INTERFACE, "Alias");
	if (!*name)
		*name = bluez_objects_get_string(link->objects, path, BLUEZ_DEVICE_INTERFACE,
						 "Name");
	if (!*name)
		*name = "";
	*rssi = 0;
	bluez_objects_get_int16(link->objects, path, BLUEZ_DEVICE_INTERFACE, "RSSI", rssi);
	return true;
}

void pen_scan_device_changed(struct pen_link *link, const char *path)
{
	struct scan_data *data;
	const char *address, *name;
	int16_t rssi;

	if (!link->scan_task || !link->cb.on_discovered)
		return;
	data = g_task_get_task_data(link->scan_task);
	if (!device_is_pen(link, data->adapter, path) ||
	    !device_facts(link, path, &address, &name, &rssi))
		return;
	link->cb.on_discovered(link->user_data, address, name, rssi);
}

static GVariant *scan_result(struct pen_link *link, const char *adapter)
{
	g_autoptr(GPtrArray) devices = bluez_objects_list_devices(link->objects, adapter);
	GVariantBuilder found;

	g_variant_builder_init(&found, G_VARIANT_TYPE("a(ssn)"));
	for (guint i = 0; i < devices->len; i++) {
		const char *address, *name;
		int16_t rssi;

		if (device_is_pen(link, adapter, devices->pdata[i]) &&
		    device_facts(link, devices->pdata[i], &address, &name, &rssi))
			g_variant_builder_add(&found, "(ssn)", address, name, rssi);
	}
	return g_variant_ref_sink(g_variant_builder_end(&found));
}

/* Ends the scan (if any) with its result, or with error when given. */
static void scan_finish(struct pen_link *link, GError *error)
{
	g_autoptr(GTask) task = g_steal_pointer(&link->scan_task);
	struct scan_data *data;

	if (!task)
		return;
	if (link->scan_timer)
		g_source_remove(link->scan_timer);
	link->scan_timer = 0;
	data = g_task_get_task_data(task);
	if (error)
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, scan_result(link, data->adapter),
				      (GDestroyNotify)g_variant_unref);
}

void pen_scan_abort(struct pen_link *link)
{
	if (link->scan_task)
		scan_finish(link, g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
					      "scan aborted: bluetoothd stopped or link closed"));
}

/* The task of a reply, or NULL when the scan already ended (the reply is
 * then the caller's to drop). */
static struct pen_link *scan_reply_link(GTask *task, const GError *error)
{
	struct scan_data *data;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return NULL; /* the link is gone; its scan was ended before */
	data = g_task_get_task_data(task);
	return data->link->scan_task == task ? data->link : NULL;
}

static void stop_discovery_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_link *link = scan_reply_link(task, error);

	if (!link)
		return;
	if (!reply)
		g_info("StopDiscovery: %s", error->message);
	scan_finish(link, NULL);
}

static gboolean scan_time_up(gpointer user_data)
{
	struct pen_link *link = user_data;
	struct scan_data *data = g_task_get_task_data(link->scan_task);

	link->scan_timer = 0;
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, data->adapter, BLUEZ_ADAPTER_INTERFACE,
			       "StopDiscovery", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
			       PEN_LINK_CALL_TIMEOUT_MS, link->life, stop_discovery_done,
			       g_object_ref(link->scan_task));
	return G_SOURCE_REMOVE;
}

static void start_discovery_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_link *link = scan_reply_link(task, error);
	struct scan_data *data;
	g_autoptr(GPtrArray) devices = NULL;

	if (!link)
		return;
	if (!reply) {
		g_prefix_error(&error, "StartDiscovery: ");
		scan_finish(link, g_steal_pointer(&error));
		return;
	}
	data = g_task_get_task_data(task);
	/* Pens bluetoothd already knows count as found too. */
	devices = bluez_objects_list_devices(link->objects, data->adapter);
	for (guint i = 0; i < devices->len; i++)
		pen_scan_device_changed(link, devices->pdata[i]);
	link->scan_timer = g_timeout_add_seconds(data->seconds, scan_time_up, link);
}

static void filter_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_link *link = scan_reply_link(task, error);
	struct scan_data *data;

	if (!link)
		return;
	if (!reply) {
		g_prefix_error(&error, "SetDiscoveryFilter: ");
		scan_finish(link, g_steal_pointer(&error));
		return;
	}
	data = g_task_get_task_data(task);
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, data->adapter, BLUEZ_ADAPTER_INTERFACE,
			       "StartDiscovery", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
			       PEN_LINK_CALL_TIMEOUT_MS, link->life, start_discovery_done,
			       g_object_ref(task));
}

static GVariant *discovery_filter(void)
{
	static const char *const uuids[] = { PEN_SERVICE_UUID, NULL };
	GVariantBuilder filter;

	g_variant_builder_init(&filter, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&filter, "{sv}", "Transport", g_variant_new_string("le"));
	g_variant_builder_add(&filter, "{sv}", "UUIDs", g_variant_new_strv(uuids, -1));
	g_variant_builder_add(&filter, "{sv}", "DuplicateData", g_variant_new_boolean(FALSE));
	return g_variant_new("(a{sv})", &filter);
}

/* The adapter to use, or NULL with error. */
static const char *usable_adapter(struct pen_link *link, GError **error)
{
	const char *adapter = bluez_objects_find_adapter(link->objects, link->adapter_name);
	bool powered = false;

	if (!link->bluez_up) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "bluetoothd is not running");
		return NULL;
	}
	if (!adapter) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no Bluetooth adapter%s%s",
			    *link->adapter_name ? " called " : "", link->adapter_name);
		return NULL;
	}
	bluez_objects_get_bool(link->objects, adapter, BLUEZ_ADAPTER_INTERFACE, "Powered",
			       &powered);
	if (!powered) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
			    "Bluetooth adapter %s is powered off", adapter);
		return NULL;
	}
	return adapter;
}

void pen_link_scan(struct pen_link *link, unsigned seconds, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	struct scan_data *data;
	const char *adapter;

	g_task_set_source_tag(task, pen_link_scan);
	if (seconds < 1 || seconds > PEN_SCAN_MAX_SECONDS) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					"scan time %u s outside 1..%u", seconds,
					PEN_SCAN_MAX_SECONDS);
		return;
	}
	if (link->scan_task) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_BUSY,
					"a scan is already running");
		return;
	}
	adapter = usable_adapter(link, &error);
	if (!adapter) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	data = g_new0(struct scan_data, 1);
	data->link = link;
	data->adapter = g_strdup(adapter);
	data->seconds = seconds;
	g_task_set_task_data(task, data, scan_data_free);
	link->scan_task = g_object_ref(task);
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, adapter, BLUEZ_ADAPTER_INTERFACE,
			       "SetDiscoveryFilter", discovery_filter(), NULL,
			       G_DBUS_CALL_FLAGS_NONE, PEN_LINK_CALL_TIMEOUT_MS, link->life,
			       filter_done, g_object_ref(task));
}

GVariant *pen_link_scan_finish(struct pen_link *link, GAsyncResult *result, GError **error)
{
	(void)link;
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- pairing ---- */

struct pair_data {
	struct pen_link *link;
	char *address;
	char *device;
};

static void pair_data_free(gpointer p)
{
	struct pair_data *data = p;

	g_free(data->address);
	g_free(data->device);
	g_free(data);
}

static void pair_end(GTask *task, struct pen_link *link, GError *error)
{
	struct pair_data *data = g_task_get_task_data(task);

	if (link && g_strcmp0(link->pairing_path, data->device) == 0)
		g_clear_pointer(&link->pairing_path, g_free);
	if (error)
		g_task_return_error(task, error);
	else
		g_task_return_boolean(task, TRUE);
}

static void trusted_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pair_data *data = g_task_get_task_data(task);
	struct pen_link *link;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		pair_end(task, NULL, g_steal_pointer(&error));
		return;
	}
	link = data->link;
	if (!reply) {
		g_prefix_error(&error, "setting Trusted: ");
		pair_end(task, link, g_steal_pointer(&error));
		return;
	}
	g_info("pen %s paired and trusted", data->address);
	g_clear_pointer(&link->pairing_path, g_free);
	if (!pen_link_set_address(link, data->address, &error)) {
		pair_end(task, link, g_steal_pointer(&error));
		return;
	}
	pair_end(task, link, NULL);
}

static void pair_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pair_data *data = g_task_get_task_data(task);
	g_autofree char *remote = NULL;
	struct pen_link *link;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		pair_end(task, NULL, g_steal_pointer(&error));
		return;
	}
	link = data->link;
	bluez_agent_unregister(link);
	if (error)
		remote = g_dbus_error_get_remote_error(error);
	if (!reply && g_strcmp0(remote, "org.bluez.Error.AlreadyExists") != 0) {
		g_prefix_error(&error, "Pair: ");
		pair_end(task, link, g_steal_pointer(&error));
		return;
	}
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, data->device,
			       "org.freedesktop.DBus.Properties", "Set",
			       g_variant_new("(ssv)", BLUEZ_DEVICE_INTERFACE, "Trusted",
					     g_variant_new_boolean(TRUE)),
			       NULL, G_DBUS_CALL_FLAGS_NONE, PEN_LINK_CALL_TIMEOUT_MS, link->life,
			       trusted_done, g_object_ref(task));
}

void pen_link_pair(struct pen_link *link, const char *address, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	struct bt_address parsed;
	struct pair_data *data;
	const char *adapter, *device;
	char canonical[BT_ADDRESS_STRLEN];

	g_task_set_source_tag(task, pen_link_pair);
	if (!bt_address_parse(address, &parsed)) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
					"'%s' is not a Bluetooth address", address ? address : "");
		return;
	}
	bt_address_format(&parsed, canonical);
	if (link->pairing_path) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_BUSY,
					"a pairing is already running");
		return;
	}
	adapter = usable_adapter(link, &error);
	if (!adapter) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	device = bluez_objects_find_device(link->objects, adapter, &parsed);
	if (!device) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
					"%s is not known to bluetoothd: scan first", canonical);
		return;
	}
	data = g_new0(struct pair_data, 1);
	data->link = link;
	data->address = g_strdup(canonical);
	data->device = g_strdup(device);
	g_task_set_task_data(task, data, pair_data_free);
	link->pairing_path = g_strdup(device);
	/* Our agent answers this Pair() only (bluez_agent.c). */
	bluez_agent_register(link);
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, device, BLUEZ_DEVICE_INTERFACE, "Pair",
			       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, PEN_LINK_PAIR_TIMEOUT_MS,
			       link->life, pair_done, g_object_ref(task));
}

bool pen_link_pair_finish(struct pen_link *link, GAsyncResult *result, GError **error)
{
	(void)link;
	g_return_val_if_fail(g_task_is_valid(result, NULL), false);
	return g_task_propagate_boolean(G_TASK(result), error);
}

/* ---- forgetting ---- */

static void remove_device_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	g_autofree char *remote = NULL;

	if (error)
		remote = g_dbus_error_get_remote_error(error);
	if (!reply && g_strcmp0(remote, "org.bluez.Error.DoesNotExist") != 0) {
		g_prefix_error(&error, "RemoveDevice: ");
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

void pen_link_forget(struct pen_link *link, GCancellable *cancellable,
		     GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	const char *adapter = bluez_objects_find_adapter(link->objects, link->adapter_name);
	g_autofree char *device = NULL;
	g_autofree char *adapter_path = g_strdup(adapter);

	g_task_set_source_tag(task, pen_link_forget);
	if (link->has_address && adapter)
		device = g_strdup(bluez_objects_find_device(link->objects, adapter,
							    &link->address));
	/* Drop the link first: the engine hears of it before anything else. */
	pen_link_set_address(link, NULL, NULL);
	if (!device || !link->bluez_up) {
		g_task_return_boolean(task, TRUE);
		return;
	}
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, adapter_path, BLUEZ_ADAPTER_INTERFACE,
			       "RemoveDevice", g_variant_new("(o)", device), NULL,
			       G_DBUS_CALL_FLAGS_NONE, PEN_LINK_CALL_TIMEOUT_MS, link->life,
			       remove_device_done, g_object_ref(task));
}

bool pen_link_forget_finish(struct pen_link *link, GAsyncResult *result, GError **error)
{
	(void)link;
	g_return_val_if_fail(g_task_is_valid(result, NULL), false);
	return g_task_propagate_boolean(G_TASK(result), error);
}
