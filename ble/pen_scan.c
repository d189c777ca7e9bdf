// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Finding and adopting a pen: scan with a discovery filter for the pen
 * profiles' services, pair (with our agent accepting for that device only),
 * trust, adopt; forget (RemoveDevice).  Each is a GTask; D-Bus calls are
 * tied to the link's life cancellable so nothing touches a freed link.
 */
#include <errno.h>
#include <string.h>

#include "bluez_agent.h"
#include "bluez_client.h"
#include "pen_profile.h"
#include "pen_scan.h"

struct pen_scan {
	struct bluez_client *client;
	struct bluez_agent *agent;
	char *adapter_name;               /* "" = first powered */
	GCancellable *life;
	const struct pen_link_callbacks *cb;
	void *user_data;
	pen_scan_adopt adopt;
	void *owner;

	GTask *task;                      /* the scan under way */
	guint timer;
};

struct scan_data {
	struct pen_scan *scan;
	char *adapter;
	unsigned seconds;
};

struct pen_scan *pen_scan_new(struct bluez_client *client, struct bluez_agent *agent,
			      const char *adapter_name, GCancellable *life,
			      const struct pen_link_callbacks *cb, void *user_data,
			      pen_scan_adopt adopt, void *owner)
{
	struct pen_scan *scan = g_new0(struct pen_scan, 1);

	scan->client = client;
	scan->agent = agent;
	scan->adapter_name = g_strdup(adapter_name ? adapter_name : "");
	scan->life = g_object_ref(life);
	scan->cb = cb;
	scan->user_data = user_data;
	scan->adopt = adopt;
	scan->owner = owner;
	return scan;
}

void pen_scan_free(struct pen_scan *scan)
{
	if (!scan)
		return;
	pen_scan_abort(scan, g_error_new(G_IO_ERROR, G_IO_ERROR_CANCELLED,
					 "scan aborted: link closed"));
	g_object_unref(scan->life);
	g_free(scan->adapter_name);
	g_free(scan);
}

GError *pen_scan_error_from_bluez(const GError *error, enum pen_link_error_code otherwise)
{
	enum pen_link_error_code code = otherwise;

	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
		code = PEN_LINK_ERROR_BLUEZ_NOT_RUNNING;
	else if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
		 bluez_error_is(error, "DoesNotExist"))
		code = PEN_LINK_ERROR_DEVICE_UNKNOWN;
	else if (bluez_error_is(error, "NotReady"))
		code = PEN_LINK_ERROR_ADAPTER_OFF;
	else if (bluez_error_is(error, "InProgress") || bluez_error_is(error, "Busy"))
		code = PEN_LINK_ERROR_BUSY;
	else if (bluez_error_is(error, "AuthenticationRejected") ||
		 bluez_error_is(error, "AuthenticationCanceled") ||
		 bluez_error_is(error, "Rejected") || bluez_error_is(error, "Canceled"))
		code = otherwise == PEN_LINK_ERROR_PAIRING_FAILED ? PEN_LINK_ERROR_PAIRING_REFUSED
								   : otherwise;
	else if (bluez_error_is(error, "AuthenticationTimeout") ||
		 g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
		 g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
		 g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
		 g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT))
		code = otherwise == PEN_LINK_ERROR_PAIRING_FAILED ? PEN_LINK_ERROR_PAIRING_TIMEOUT
								   : otherwise;
	return g_error_new(PEN_LINK_ERROR, code, "%s", error->message);
}

static void scan_data_free(gpointer p)
{
	struct scan_data *data = p;

	g_free(data->adapter);
	g_free(data);
}

static const struct bluez_objects *objects_of(const struct pen_scan *scan)
{
	return bluez_client_objects(scan->client);
}

static bool device_is_pen(const struct pen_scan *scan, const char *adapter, const char *path)
{
	const char *owner = bluez_objects_get_object_path(objects_of(scan), path,
							  BLUEZ_DEVICE_INTERFACE, "Adapter");

	return owner && adapter && strcmp(owner, adapter) == 0 &&
	       pen_profile_device_is_pen(objects_of(scan), path);
}

/* Address, name (Alias, else Name, else ""), RSSI (0 = not seen now). */
static bool device_facts(const struct pen_scan *scan, const char *path, const char **address,
			 const char **name, int16_t *rssi)
{
	const struct bluez_objects *objects = objects_of(scan);

	*address = bluez_objects_get_string(objects, path, BLUEZ_DEVICE_INTERFACE, "Address");
	if (!bt_address_is_valid(*address))
		return false;
	*name = bluez_objects_get_string(objects, path, BLUEZ_DEVICE_INTERFACE, "Alias");
	if (!*name)
		*name = bluez_objects_get_string(objects, path, BLUEZ_DEVICE_INTERFACE, "Name");
	if (!*name)
		*name = "";
	*rssi = 0;
	bluez_objects_get_int16(objects, path, BLUEZ_DEVICE_INTERFACE, "RSSI", rssi);
	return true;
}

static void device_changed(struct pen_scan *scan, const char *adapter, const char *path)
{
	const char *address, *name;
	int16_t rssi;

	if (!device_is_pen(scan, adapter, path) || !device_facts(scan, path, &address, &name, &rssi))
		return;
	scan->cb->on_discovered(scan->user_data, address, name, rssi);
}

void pen_scan_device_changed(struct pen_scan *scan, const char *path)
{
	struct scan_data *data;
	g_autoptr(GPtrArray) devices = NULL;

	if (!scan->task || !scan->cb->on_discovered)
		return;
	data = g_task_get_task_data(scan->task);
	if (path) {
		device_changed(scan, data->adapter, path);
		return;
	}
	devices = bluez_objects_list_devices(objects_of(scan), data->adapter);
	for (guint i = 0; i < devices->len && scan->task; i++)
		device_changed(scan, data->adapter, devices->pdata[i]);
}

static GVariant *scan_result(struct pen_scan *scan, const char *adapter)
{
	g_autoptr(GPtrArray) devices = bluez_objects_list_devices(objects_of(scan), adapter);
	GVariantBuilder found;

	g_variant_builder_init(&found, G_VARIANT_TYPE("a(ssn)"));
	for (guint i = 0; i < devices->len; i++) {
		const char *address, *name;
		int16_t rssi;

		if (device_is_pen(scan, adapter, devices->pdata[i]) &&
		    device_facts(scan, devices->pdata[i], &address, &name, &rssi))
			g_variant_builder_add(&found, "(ssn)", address, name, rssi);
	}
	return g_variant_ref_sink(g_variant_builder_end(&found));
}

/* Ends the scan (if any) with its result, or with error when given. */
static void scan_finish(struct pen_scan *scan, GError *error)
{
	g_autoptr(GTask) task = g_steal_pointer(&scan->task);
	struct scan_data *data;

	if (!task) {
		if (error)
			g_error_free(error);
		return;
	}
	if (scan->timer)
		g_source_remove(scan->timer);
	scan->timer = 0;
	data = g_task_get_task_data(task);
	if (error)
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, scan_result(scan, data->adapter),
				      (GDestroyNotify)g_variant_unref);
}

void pen_scan_abort(struct pen_scan *scan, GError *error)
{
	scan_finish(scan, error);
}

/* The scanner of a reply, or NULL when the scan already ended (the reply
 * is then the caller's to drop). */
static struct pen_scan *scan_of_reply(GTask *task, const GError *error)
{
	struct scan_data *data;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return NULL; /* the link is gone; its scan was ended before */
	data = g_task_get_task_data(task);
	return data->scan->task == task ? data->scan : NULL;
}

static void stop_discovery_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_scan *scan = scan_of_reply(task, error);

	if (!scan)
		return;
	if (!reply)
		g_info("StopDiscovery: %s", error->message);
	scan_finish(scan, NULL);
}

static gboolean scan_time_up(gpointer user_data)
{
	struct pen_scan *scan = user_data;
	struct scan_data *data = g_task_get_task_data(scan->task);

	scan->timer = 0;
	bluez_client_call(scan->client, data->adapter, BLUEZ_ADAPTER_INTERFACE, "StopDiscovery",
			  NULL, NULL, BLUEZ_CALL_TIMEOUT_MS, scan->life, stop_discovery_done,
			  g_object_ref(scan->task));
	return G_SOURCE_REMOVE;
}

static void start_discovery_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_scan *scan = scan_of_reply(task, error);
	struct scan_data *data;

	if (!scan)
		return;
	if (!reply) {
		g_prefix_error(&error, "StartDiscovery: ");
		scan_finish(scan, pen_scan_error_from_bluez(error, PEN_LINK_ERROR_FAILED));
		return;
	}
	data = g_task_get_task_data(task);
	/* Pens bluetoothd already knows count as found too. */
	pen_scan_device_changed(scan, NULL);
	if (scan->task == task)
		scan->timer = g_timeout_add_seconds(data->seconds, scan_time_up, scan);
}

static void filter_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_scan *scan = scan_of_reply(task, error);
	struct scan_data *data;

	if (!scan)
		return;
	if (!reply) {
		g_prefix_error(&error, "SetDiscoveryFilter: ");
		scan_finish(scan, pen_scan_error_from_bluez(error, PEN_LINK_ERROR_FAILED));
		return;
	}
	data = g_task_get_task_data(task);
	bluez_client_call(scan->client, data->adapter, BLUEZ_ADAPTER_INTERFACE, "StartDiscovery",
			  NULL, NULL, BLUEZ_CALL_TIMEOUT_MS, scan->life, start_discovery_done,
			  g_object_ref(task));
}

static GVariant *discovery_filter(void)
{
	GVariantBuilder filter;

	g_variant_builder_init(&filter, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&filter, "{sv}", "Transport", g_variant_new_string("le"));
	g_variant_builder_add(&filter, "{sv}", "UUIDs",
			      g_variant_new_strv(pen_profile_service_uuids(), -1));
	g_variant_builder_add(&filter, "{sv}", "DuplicateData", g_variant_new_boolean(FALSE));
	return g_variant_new("(a{sv})", &filter);
}

const char *pen_scan_usable_adapter(const struct pen_scan *scan, GError **error)
{
	const char *adapter = bluez_objects_find_adapter(objects_of(scan), scan->adapter_name);
	bool powered = false;

	if (!bluez_client_is_up(scan->client)) {
		g_set_error(error, PEN_LINK_ERROR, PEN_LINK_ERROR_BLUEZ_NOT_RUNNING,
			    "bluetoothd is not running");
		return NULL;
	}
	if (!adapter) {
		g_set_error(error, PEN_LINK_ERROR, PEN_LINK_ERROR_NO_ADAPTER,
			    "no Bluetooth adapter%s%s", *scan->adapter_name ? " called " : "",
			    scan->adapter_name);
		return NULL;
	}
	bluez_objects_get_bool(objects_of(scan), adapter, BLUEZ_ADAPTER_INTERFACE, "Powered",
			       &powered);
	if (!powered) {
		g_set_error(error, PEN_LINK_ERROR, PEN_LINK_ERROR_ADAPTER_OFF,
			    "Bluetooth adapter %s is powered off", adapter);
		return NULL;
	}
	return adapter;
}

void pen_scan_start(struct pen_scan *scan, unsigned seconds, GCancellable *cancellable,
		    GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	struct scan_data *data;
	const char *adapter;

	g_task_set_source_tag(task, pen_scan_start);
	/* How long a caller may scan is the caller's rule (the D-Bus face:
	 * PENCTL_SCAN_SECONDS_MAX); the link refuses only what it cannot time. */
	if (seconds < 1 || seconds > G_MAXUINT / 1000) {
		g_task_return_new_error(task, PEN_LINK_ERROR, PEN_LINK_ERROR_INVALID_ARGUMENT,
					"scan time %u s outside 1..%u", seconds, G_MAXUINT / 1000);
		return;
	}
	if (scan->task) {
		g_task_return_new_error(task, PEN_LINK_ERROR, PEN_LINK_ERROR_BUSY,
					"a scan is already running");
		return;
	}
	adapter = pen_scan_usable_adapter(scan, &error);
	if (!adapter) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	data = g_new0(struct scan_data, 1);
	data->scan = scan;
	data->adapter = g_strdup(adapter);
	data->seconds = seconds;
	g_task_set_task_data(task, data, scan_data_free);
	scan->task = g_object_ref(task);
	bluez_client_call(scan->client, adapter, BLUEZ_ADAPTER_INTERFACE, "SetDiscoveryFilter",
			  discovery_filter(), NULL, BLUEZ_CALL_TIMEOUT_MS, scan->life, filter_done,
			  g_object_ref(task));
}

/* ---- pairing ---- */

struct pair_data {
	struct pen_scan *scan;
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

/* scan is NULL when the link is gone. */
static void pair_end(GTask *task, struct pen_scan *scan, GError *error)
{
	struct pair_data *data = g_task_get_task_data(task);

	if (scan)
		bluez_agent_pairing_done(scan->agent, data->device);
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
	struct pen_scan *scan;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		pair_end(task, NULL, g_steal_pointer(&error));
		return;
	}
	scan = data->scan;
	if (!reply) {
		g_prefix_error(&error, "setting Trusted: ");
		pair_end(task, scan, pen_scan_error_from_bluez(error, PEN_LINK_ERROR_PAIRING_FAILED));
		return;
	}
	g_info("pen %s paired and trusted", data->address);
	bluez_agent_pairing_done(scan->agent, data->device);
	if (!scan->adopt(scan->owner, data->address, &error)) {
		pair_end(task, scan, g_steal_pointer(&error));
		return;
	}
	pair_end(task, scan, NULL);
}

static void pair_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pair_data *data = g_task_get_task_data(task);
	struct pen_scan *scan;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		pair_end(task, NULL, g_steal_pointer(&error));
		return;
	}
	scan = data->scan;
	bluez_agent_pair_end(scan->agent);
	if (!reply && !bluez_error_is(error, "AlreadyExists")) {
		g_prefix_error(&error, "Pair: ");
		pair_end(task, scan, pen_scan_error_from_bluez(error, PEN_LINK_ERROR_PAIRING_FAILED));
		return;
	}
	bluez_client_set_property(scan->client, data->device, BLUEZ_DEVICE_INTERFACE, "Trusted",
				  g_variant_new_boolean(TRUE), scan->life, trusted_done,
				  g_object_ref(task));
}

void pen_scan_pair(struct pen_scan *scan, const char *address, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	struct bt_address parsed;
	struct pair_data *data;
	const char *adapter, *device;
	char canonical[BT_ADDRESS_STRLEN];

	g_task_set_source_tag(task, pen_scan_pair);
	if (!bt_address_parse(address, &parsed)) {
		g_task_return_new_error(task, PEN_LINK_ERROR, PEN_LINK_ERROR_INVALID_ARGUMENT,
					"'%s' is not a Bluetooth address", address ? address : "");
		return;
	}
	bt_address_format(&parsed, canonical);
	if (bluez_agent_pairing(scan->agent)) {
		g_task_return_new_error(task, PEN_LINK_ERROR, PEN_LINK_ERROR_BUSY,
					"a pairing is already running");
		return;
	}
	adapter = pen_scan_usable_adapter(scan, &error);
	if (!adapter) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	device = bluez_objects_find_device(objects_of(scan), adapter, &parsed);
	if (!device) {
		g_task_return_new_error(task, PEN_LINK_ERROR, PEN_LINK_ERROR_DEVICE_UNKNOWN,
					"%s is not known to bluetoothd: scan first", canonical);
		return;
	}
	data = g_new0(struct pair_data, 1);
	data->scan = scan;
	data->address = g_strdup(canonical);
	data->device = g_strdup(device);
	g_task_set_task_data(task, data, pair_data_free);
	/* Our agent answers this Pair() only (bluez_agent.c). */
	bluez_agent_pair_begin(scan->agent, device);
	bluez_client_call(scan->client, device, BLUEZ_DEVICE_INTERFACE, "Pair", NULL, NULL,
			  PEN_SCAN_PAIR_TIMEOUT_MS, scan->life, pair_done, g_object_ref(task));
}

/* ---- forgetting ---- */

static void remove_device_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (!reply && !bluez_error_is(error, "DoesNotExist")) {
		g_prefix_error(&error, "RemoveDevice: ");
		g_task_return_error(task, pen_scan_error_from_bluez(error, PEN_LINK_ERROR_FAILED));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

void pen_scan_remove_device(struct pen_scan *scan, const char *adapter, const char *device,
			    GTask *task)
{
	bluez_client_call(scan->client, adapter, BLUEZ_ADAPTER_INTERFACE, "RemoveDevice",
			  g_variant_new("(o)", device), NULL, BLUEZ_CALL_TIMEOUT_MS, scan->life,
			  remove_device_done, g_object_ref(task));
}
