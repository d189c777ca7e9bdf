// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Everything pensim says to bluetoothd (pensim_app.h): the adapter choice,
 * GattManager1.RegisterApplication, the advertisement and its periodic
 * re-registration, the pairing agent, and the central's connection
 * (Device1.Connected) that drives the model's link-loss stop.
 *
 * Every call to bluetoothd is asynchronous: bluetoothd calls back into us
 * (GetManagedObjects, ReadValue, ...) while serving our calls, and a
 * blocking call would deadlock it until its ATT timeout.  bluetoothd
 * leaving the bus, or our adapter going away, is a normal event: the link
 * is lost and we register again when an adapter is back.
 */

#include <string.h>

#include <gio/gio.h>

#include "penctl/pen_protocol.h"
#include "pensim_app.h"

#define BLUEZ                   "org.bluez"
#define ADAPTER_IFACE           "org.bluez.Adapter1"
#define DEVICE_IFACE            "org.bluez.Device1"
#define GATT_MANAGER_IFACE      "org.bluez.GattManager1"
#define ADV_MANAGER_IFACE       "org.bluez.LEAdvertisingManager1"
#define AGENT_MANAGER_IFACE     "org.bluez.AgentManager1"
#define PROPERTIES_IFACE        "org.freedesktop.DBus.Properties"
#define OBJECT_MANAGER_IFACE    "org.freedesktop.DBus.ObjectManager"
#define AGENT_PATH              "/org/penctl/pensim/agent"
#define PENSIM_RELIST_MS        500u

/* The advertisement objects: see "advertisement" below. */
static const char *const adv_paths[2] = {
	"/org/penctl/pensim/advertisement0",
	"/org/penctl/pensim/advertisement1",
};

/* This file's own advertisement state (pensim_app.h is pensim.c's; a
 * process runs one pensim). */
static struct {
	unsigned current;         /* the object app->adv_registered is about */
	bool previous_registered; /* adv_paths[!current]: the renewal's old one */
	unsigned call_object;     /* the object of the call on its way */
	guint renewal_object_id; /* adv_paths[1]'s; app->adv_object_id is [0]'s */
} adv;

/* ---- the central's connection ---- */

static void central_gone(struct pensim *app, const char *why);
static void advertise(struct pensim *app);
static void stop_advertising(struct pensim *app);

static void list_bluez_objects(struct pensim *app);
static bool has_interface(GVariant *ifaces, const char *iface);

/* bluetoothd left, or took our adapter away: what was registered on it is
 * gone with it.  A central on it is gone too (the motor stops), and we wait
 * for an adapter to come back rather than exit: a bluetoothd restart is a
 * normal event. */
static void adapter_lost(struct pensim *app, const char *why)
{
	pensim_log("%s; waiting for an adapter", why);
	g_clear_pointer(&app->adapter_path, g_free);
	app->app_registered = false;
	app->adv_registered = false;
	adv.previous_registered = false;
	app->adv_busy = false;
	app->adv_announced = false;
	app->waiting_for_adapter = true;
	central_gone(app, "lost with the adapter");
}

static bool path_on_adapter(struct pensim *app, const char *path)
{
	size_t n;

	if (!app->adapter_path || !path)
		return false;
	n = strlen(app->adapter_path);
	return strncmp(path, app->adapter_path, n) == 0 && path[n] == '/';
}

static void central_connected(struct pensim *app, const char *path)
{
	if (app->central_path) {
		if (g_strcmp0(app->central_path, path) != 0)
			pensim_log("second central %s ignored (the pen serves one)", path);
		return;
	}
	app->central_path = g_strdup(path);
	pensim_log("central connected: %s", path);
	pensim_model_link_up(&app->model, g_get_monotonic_time());
	pensim_model_changed(app);
	/* docs/pen-protocol.md §8: no advertising while connected. */
	stop_advertising(app);
}

static void central_gone(struct pensim *app, const char *why)
{
	if (!app->central_path)
		return;
	pensim_log("central %s: %s", why, app->central_path);
	g_clear_pointer(&app->central_path, g_free);
	pensim_model_link_lost(&app->model, g_get_monotonic_time());
	pensim_model_changed(app);
	advertise(app);
}

/* Connected is a boolean on the central's Device1; check the type. */
static void device_props_seen(struct pensim *app, const char *path, GVariant *props)
{
	g_autoptr(GVariant) connected = g_variant_lookup_value(props, "Connected",
							       G_VARIANT_TYPE_BOOLEAN);

	if (!connected || !path_on_adapter(app, path))
		return;
	if (g_variant_get_boolean(connected))
		central_connected(app, path);
	else if (g_strcmp0(path, app->central_path) == 0)
		central_gone(app, "disconnected");
}

static void on_properties_changed(GDBusConnection *bus, const char *sender, const char *path,
				  const char *iface, const char *signal, GVariant *params,
				  gpointer user_data)
{
	struct pensim *app = user_data;
	const char *changed_iface;
	g_autoptr(GVariant) changed = NULL;

	(void)bus;
	(void)sender;
	(void)iface;
	(void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(params, "(&s@a{sv}as)", &changed_iface, &changed, NULL);
	if (g_strcmp0(changed_iface, DEVICE_IFACE) == 0)
		device_props_seen(app, path, changed);
	/* An adapter powered on while we wait for one (bluetoothd restores
	 * the power state a moment after it starts). */
	else if (g_strcmp0(changed_iface, ADAPTER_IFACE) == 0 && app->waiting_for_adapter &&
		 !app->adapter_path)
		list_bluez_objects(app);
}

static void on_interfaces_added(GDBusConnection *bus, const char *sender, const char *path,
				const char *iface, const char *signal, GVariant *params,
				gpointer user_data)
{
	struct pensim *app = user_data;
	const char *object;
	g_autoptr(GVariant) ifaces = NULL;
	g_autoptr(GVariant) device = NULL;

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	(void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sa{sv}})")))
		return;
	g_variant_get(params, "(&o@a{sa{sv}})", &object, &ifaces);
	if (app->waiting_for_adapter && !app->adapter_path &&
	    (has_interface(ifaces, ADAPTER_IFACE) || has_interface(ifaces, GATT_MANAGER_IFACE))) {
		list_bluez_objects(app);
		return;
	}
	device = g_variant_lookup_value(ifaces, DEVICE_IFACE, G_VARIANT_TYPE("a{sv}"));
	if (device)
		device_props_seen(app, object, device);
}

static void on_interfaces_removed(GDBusConnection *bus, const char *sender, const char *path,
				  const char *iface, const char *signal, GVariant *params,
				  gpointer user_data)
{
	struct pensim *app = user_data;
	const char *object;

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	(void)signal;
	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(oas)")))
		return;
	g_variant_get(params, "(&oas)", &object, NULL);
	if (g_strcmp0(object, app->central_path) == 0)
		central_gone(app, "removed");
	else if (g_strcmp0(object, app->adapter_path) == 0)
		adapter_lost(app, "the adapter was removed");
}

static void subscribe_signals(struct pensim *app)
{
	if (app->sub_props)
		return;
	app->sub_props = g_dbus_connection_signal_subscribe(
		app->bus, BLUEZ, PROPERTIES_IFACE, "PropertiesChanged", NULL, NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, app, NULL);
	app->sub_added = g_dbus_connection_signal_subscribe(
		app->bus, BLUEZ, OBJECT_MANAGER_IFACE, "InterfacesAdded", "/", NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_interfaces_added, app, NULL);
	app->sub_removed = g_dbus_connection_signal_subscribe(
		app->bus, BLUEZ, OBJECT_MANAGER_IFACE, "InterfacesRemoved", "/", NULL,
		G_DBUS_SIGNAL_FLAGS_NONE, on_interfaces_removed, app, NULL);
}

static void disconnect_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	(void)user_data;
	if (!reply)
		pensim_log("Device1.Disconnect failed: %s", error->message);
}

void pensim_bluez_disconnect_central(struct pensim *app)
{
	if (!app->central_path) {
		pensim_log("disconnect: no central is connected");
		return;
	}
	pensim_log("disconnecting %s", app->central_path);
	g_dbus_connection_call(app->bus, BLUEZ, app->central_path, DEVICE_IFACE, "Disconnect",
			       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, disconnect_done, app);
}

/* ---- advertisement ----
 *
 * The pen is on the air whenever no central is connected (docs/
 * pen-protocol.md §8).  btvirt sends an advertisement to a scanner once,
 * when scanning starts (VM-TESTBED.md), so pensim renews it every
 * --readvertise-ms, make-before-break: a second advertisement object is
 * registered before the first one is unregistered.
 *
 * Break-before-make (unregister, then register) left the pen off the air
 * whenever bluetoothd could not add the new advertisement at once, and it
 * sends its mgmt commands one at a time for all adapters: a central's
 * Pair() on the same bluetoothd keeps mgmt Pair Device pending until the
 * link is up and paired, so Add Advertising waited behind it, the central
 * could not find the pen to connect to, Pair() hung until a timeout, and
 * RegisterAdvertisement timed out on our side while bluetoothd still
 * carried it out (then every later attempt said AlreadyExists).
 *
 * app->adv_registered and app->adv_busy (pensim_app.h) are about
 * adv_paths[adv.current] (declared at the top); one call is on its way at a
 * time, and every reply calls adv_reconcile() again.
 */
static const char adv_agent_xml[] =
	"<node>"
	" <interface name='org.bluez.LEAdvertisement1'>"
	"  <method name='Release'/>"
	"  <property name='Type' type='s' access='read'/>"
	"  <property name='ServiceUUIDs' type='as' access='read'/>"
	"  <property name='LocalName' type='s' access='read'/>"
	"  <property name='Discoverable' type='b' access='read'/>"
	" </interface>"
	" <interface name='org.bluez.Agent1'>"
	"  <method name='Release'/>"
	"  <method name='RequestPinCode'><arg type='o' direction='in'/>"
	"   <arg type='s' direction='out'/></method>"
	"  <method name='DisplayPinCode'><arg type='o' direction='in'/>"
	"   <arg type='s' direction='in'/></method>"
	"  <method name='RequestPasskey'><arg type='o' direction='in'/>"
	"   <arg type='u' direction='out'/></method>"
	"  <method name='DisplayPasskey'><arg type='o' direction='in'/>"
	"   <arg type='u' direction='in'/><arg type='q' direction='in'/></method>"
	"  <method name='RequestConfirmation'><arg type='o' direction='in'/>"
	"   <arg type='u' direction='in'/></method>"
	"  <method name='RequestAuthorization'><arg type='o' direction='in'/></method>"
	"  <method name='AuthorizeService'><arg type='o' direction='in'/>"
	"   <arg type='s' direction='in'/></method>"
	"  <method name='Cancel'/>"
	" </interface>"
	"</node>";

static GVariant *adv_get_property(GDBusConnection *bus, const char *sender, const char *path,
				  const char *iface, const char *name, GError **error,
				  gpointer user_data)
{
	struct pensim *app = user_data;
	static const char *const uuids[] = { PEN_SERVICE_UUID, NULL };

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	if (g_strcmp0(name, "Type") == 0)
		return g_variant_new_string("peripheral");
	if (g_strcmp0(name, "ServiceUUIDs") == 0)
		return g_variant_new_strv(uuids, -1);
	if (g_strcmp0(name, "LocalName") == 0 && app->adv_with_name)
		return g_variant_new_string(app->opt.name);
	/* Without the discoverable flag bluetoothd's discovery on the
	 * central's side drops the advertisement. */
	if (g_strcmp0(name, "Discoverable") == 0)
		return g_variant_new_boolean(TRUE);
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, "no property %s", name);
	return NULL;
}

static void adv_set_registered(struct pensim *app, unsigned object, bool registered)
{
	if (object == adv.current)
		app->adv_registered = registered;
	else
		adv.previous_registered = registered;
}

static void adv_method_call(GDBusConnection *bus, const char *sender, const char *path,
			    const char *iface, const char *method, GVariant *params,
			    GDBusMethodInvocation *invocation, gpointer user_data)
{
	struct pensim *app = user_data;

	(void)bus;
	(void)sender;
	(void)iface;
	(void)params;
	if (g_strcmp0(method, "Release") == 0) {
		pensim_log("advertisement %s released by bluetoothd", path);
		adv_set_registered(app, g_strcmp0(path, adv_paths[1]) == 0, false);
	}
	g_dbus_method_invocation_return_value(invocation, NULL);
}

static const GDBusInterfaceVTable adv_vtable = {
	.method_call = adv_method_call,
	.get_property = adv_get_property,
};

static bool adv_wanted(const struct pensim *app)
{
	return app->adapter_path && app->app_registered && !app->central_path &&
	       !app->shutting_down;
}

static void adv_register_done(GObject *source, GAsyncResult *res, gpointer user_data);
static void adv_unregister_done(GObject *source, GAsyncResult *res, gpointer user_data);

static void adv_call(struct pensim *app, unsigned object, bool do_register)
{
	app->adv_busy = true;
	adv.call_object = object;
	if (do_register) {
		g_dbus_connection_call(app->bus, BLUEZ, app->adapter_path, ADV_MANAGER_IFACE,
				       "RegisterAdvertisement",
				       g_variant_new("(oa{sv})", adv_paths[object], NULL), NULL,
				       G_DBUS_CALL_FLAGS_NONE, -1, NULL, adv_register_done, app);
		return;
	}
	if (app->shutting_down)
		app->pending_shutdown++;
	g_dbus_connection_call(app->bus, BLUEZ, app->adapter_path, ADV_MANAGER_IFACE,
			       "UnregisterAdvertisement", g_variant_new("(o)", adv_paths[object]),
			       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, adv_unregister_done, app);
}

/* The next call towards what is wanted: the renewal's old object goes
 * first, then the current one is registered or (connected, leaving)
 * unregistered. */
static void adv_reconcile(struct pensim *app)
{
	if (app->adv_busy || !app->adapter_path)
		return;
	if (adv.previous_registered)
		adv_call(app, !adv.current, false);
	else if (adv_wanted(app) && !app->adv_registered)
		adv_call(app, adv.current, true);
	else if (!adv_wanted(app) && app->adv_registered)
		adv_call(app, adv.current, false);
}

static void adv_register_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);
	g_autofree char *remote = NULL;
	unsigned object = adv.call_object;
	bool held = reply != NULL;

	app->adv_busy = false;
	if (!reply) {
		remote = g_dbus_error_get_remote_error(error);
		if (app->adv_with_name &&
		    g_strcmp0(remote, "org.bluez.Error.InvalidLength") == 0) {
			/* 128-bit UUID + flags + name can exceed 31 bytes when
			 * a bluetoothd puts the name into the advertising data. */
			pensim_log("advertisement too long with the name; retrying without it");
			app->adv_with_name = false;
		} else if (g_strcmp0(remote, "org.bluez.Error.AlreadyExists") == 0) {
			/* An earlier call whose answer we stopped waiting for. */
			pensim_log("bluetoothd already holds %s: counted as registered",
				   adv_paths[object]);
			held = true;
		} else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
			/* bluetoothd may still carry it out: count it as held,
			 * so that it is unregistered like any other. */
			pensim_log("RegisterAdvertisement %s got no answer in time: counted as "
				   "registered", adv_paths[object]);
			held = true;
		} else {
			pensim_log("RegisterAdvertisement %s failed: %s (retrying at the next "
				   "renewal)", adv_paths[object], error->message);
			app->adv_announced = false;
		}
	}
	if (held) {
		if (object != adv.current) {
			/* A renewal: the old one is unregistered next. */
			adv.previous_registered = app->adv_registered;
			adv.current = object;
		}
		app->adv_registered = true;
		/* Once, not at every renewal. */
		if (!app->adv_announced)
			pensim_log("advertising %s as \"%s\"", PEN_SERVICE_UUID,
				   app->adv_with_name ? app->opt.name : "(no name)");
		app->adv_announced = true;
	}
	/* Also takes it back when a central connected meanwhile. */
	adv_reconcile(app);
}

static void adv_unregister_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);
	g_autofree char *remote = reply ? NULL : g_dbus_error_get_remote_error(error);

	app->adv_busy = false;
	/* DoesNotExist: one counted as registered after a timeout was not. */
	if (!reply && !app->shutting_down &&
	    g_strcmp0(remote, "org.bluez.Error.DoesNotExist") != 0)
		pensim_log("UnregisterAdvertisement %s failed: %s", adv_paths[adv.call_object],
			   error->message);
	adv_set_registered(app, adv.call_object, false);
	adv_reconcile(app);
	if (app->shutting_down && --app->pending_shutdown == 0)
		g_main_loop_quit(app->loop);
}

static void advertise(struct pensim *app)
{
	adv_reconcile(app);
}

static void stop_advertising(struct pensim *app)
{
	adv_reconcile(app);
}

/* The renewal: a second object goes on the air, then the first comes off. */
static gboolean on_readvertise(gpointer user_data)
{
	struct pensim *app = user_data;

	if (!app->adv_busy && app->adv_registered && !adv.previous_registered &&
	    adv_wanted(app))
		adv_call(app, !adv.current, true);
	else
		adv_reconcile(app);
	return G_SOURCE_CONTINUE;
}

/* ---- agent: lets a central pair ("Just Works") ---- */

static void agent_method_call(GDBusConnection *bus, const char *sender, const char *path,
			      const char *iface, const char *method, GVariant *params,
			      GDBusMethodInvocation *invocation, gpointer user_data)
{
	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	(void)user_data;
	if (g_strcmp0(method, "RequestPinCode") == 0 ||
	    g_strcmp0(method, "RequestPasskey") == 0) {
		/* NoInputNoOutput has nothing to type in. */
		pensim_log("agent: %s refused", method);
		g_dbus_method_invocation_return_dbus_error(invocation, "org.bluez.Error.Rejected",
							   "no input");
		return;
	}
	if (g_strcmp0(method, "RequestConfirmation") == 0) {
		const char *device;
		guint32 passkey;

		g_variant_get(params, "(&ou)", &device, &passkey);
		pensim_log("agent: pairing with %s confirmed (passkey %06u)", device, passkey);
	} else {
		pensim_log("agent: %s", method);
	}
	g_dbus_method_invocation_return_value(invocation, NULL);
}

static const GDBusInterfaceVTable agent_vtable = { .method_call = agent_method_call };

static void default_agent_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	(void)user_data;
	if (!reply)
		pensim_log("RequestDefaultAgent failed: %s (pairing may fail)", error->message);
	else
		pensim_log("agent registered (NoInputNoOutput, default)");
}

static void agent_registered(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	if (!reply) {
		pensim_log("RegisterAgent failed: %s (pairing may fail)", error->message);
		return;
	}
	/* Incoming pairing requests go to the default agent (bluetoothd
	 * agent_get(NULL)), not to the one of the program that serves GATT. */
	g_dbus_connection_call(app->bus, BLUEZ, "/org/bluez", AGENT_MANAGER_IFACE,
			       "RequestDefaultAgent", g_variant_new("(o)", AGENT_PATH), NULL,
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, default_agent_done, app);
}

static void register_agent(struct pensim *app)
{
	if (app->opt.no_agent)
		return;
	g_dbus_connection_call(app->bus, BLUEZ, "/org/bluez", AGENT_MANAGER_IFACE,
			       "RegisterAgent", g_variant_new("(os)", AGENT_PATH, "NoInputNoOutput"),
			       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, agent_registered, app);
}

/* ---- adapter and GATT application ---- */

static void app_register_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	if (!reply) {
		pensim_fatal(app, "GattManager1.RegisterApplication on %s failed: %s",
		      app->adapter_path, error->message);
		return;
	}
	app->app_registered = true;
	pensim_log("GATT application registered on %s (pen service %s)", app->adapter_path,
		 PEN_SERVICE_UUID);
	advertise(app);
	if (app->opt.readvertise_ms > 0 && !app->readvertise_id)
		app->readvertise_id = g_timeout_add((guint)app->opt.readvertise_ms,
						    on_readvertise, app);
}

static void use_adapter(struct pensim *app)
{
	pensim_log("using adapter %s", app->adapter_path);
	app->had_adapter = true;
	g_dbus_connection_call(app->bus, BLUEZ, app->adapter_path, GATT_MANAGER_IFACE,
			       "RegisterApplication",
			       g_variant_new("(oa{sv})", PENSIM_GATT_APP_PATH, NULL), NULL,
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, app_register_done, app);
	register_agent(app);
}

static gboolean relist_fired(gpointer user_data)
{
	struct pensim *app = user_data;

	app->relist_id = 0;
	if (app->bluez_present && !app->adapter_path)
		list_bluez_objects(app);
	return G_SOURCE_REMOVE;
}

static void power_on_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);
	g_autofree char *remote = NULL;
	bool busy;

	if (reply) {
		use_adapter(app);
		return;
	}
	remote = g_dbus_error_get_remote_error(error);
	busy = g_strcmp0(remote, "org.bluez.Error.Busy") == 0 ||
	       g_strcmp0(remote, "org.bluez.Error.InProgress") == 0;
	if (!busy && !app->had_adapter) {
		pensim_fatal(app, "cannot power on %s: %s", app->adapter_path, error->message);
		return;
	}
	/* A bluetoothd that has just started powers its adapters on itself
	 * and answers Busy meanwhile: look again in a moment. */
	pensim_log("cannot power on %s yet: %s; trying again in %u ms", app->adapter_path,
		   error->message, PENSIM_RELIST_MS);
	g_clear_pointer(&app->adapter_path, g_free);
	app->waiting_for_adapter = true;
	if (!app->relist_id)
		app->relist_id = g_timeout_add(PENSIM_RELIST_MS, relist_fired, app);
}

static bool adapter_matches(const char *path, const char *wanted)
{
	const char *base = strrchr(path, '/');

	return base && g_strcmp0(base + 1, wanted) == 0;
}

static bool bool_property(GVariant *props, const char *name)
{
	g_autoptr(GVariant) v = g_variant_lookup_value(props, name, G_VARIANT_TYPE_BOOLEAN);

	return v && g_variant_get_boolean(v);
}

static bool has_interface(GVariant *ifaces, const char *iface)
{
	g_autoptr(GVariant) props = g_variant_lookup_value(ifaces, iface,
							   G_VARIANT_TYPE("a{sv}"));

	return props != NULL;
}

static void managed_objects_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);
	g_autoptr(GVariant) objects = NULL;
	g_autoptr(GPtrArray) adapters = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *chosen = NULL;
	bool chosen_powered = false, chosen_has_gatt = false;
	GVariantIter iter;
	const char *path;
	GVariant *ifaces;

	app->listing = false;
	if (!reply) {
		if (!app->bluez_present)
			return; /* it left meanwhile; its return lists again */
		pensim_fatal(app, "cannot list bluetoothd's objects: %s", error->message);
		return;
	}
	if (app->adapter_path)
		return; /* an earlier listing found one */
	if (app->list_again) {
		list_bluez_objects(app);
		return;
	}
	objects = g_variant_get_child_value(reply, 0);

	/* Adapters in path order, so "the first powered one" is stable. */
	g_variant_iter_init(&iter, objects);
	while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) props = g_variant_lookup_value(ifaces, ADAPTER_IFACE,
								   G_VARIANT_TYPE("a{sv}"));

		if (props)
			g_ptr_array_add(adapters, g_strdup(path));
		g_variant_unref(ifaces);
	}
	g_ptr_array_sort(adapters, (GCompareFunc)g_strcmp0);
	if (adapters->len == 0 && app->waiting_for_adapter) {
		pensim_log("no adapter yet");
		return;
	}
	if (adapters->len == 0) {
		pensim_fatal(app, "bluetoothd has no Bluetooth adapter");
		return;
	}

	for (guint i = 0; i < adapters->len && !chosen; i++) {
		const char *a = g_ptr_array_index(adapters, i);
		g_autoptr(GVariant) props = NULL;
		g_autoptr(GVariant) a_ifaces = NULL;

		a_ifaces = g_variant_lookup_value(objects, a, G_VARIANT_TYPE("a{sa{sv}}"));
		props = a_ifaces ? g_variant_lookup_value(a_ifaces, ADAPTER_IFACE,
							  G_VARIANT_TYPE("a{sv}")) : NULL;
		if (app->opt.adapter ? adapter_matches(a, app->opt.adapter)
				     : props && bool_property(props, "Powered")) {
			chosen = g_strdup(a);
			chosen_powered = props && bool_property(props, "Powered");
			chosen_has_gatt = a_ifaces && has_interface(a_ifaces, GATT_MANAGER_IFACE);
			if (props) {
				g_autoptr(GVariant) address = g_variant_lookup_value(
					props, "Address", G_VARIANT_TYPE_STRING);

				/* The pen's address, for whoever pairs with it. */
				if (address)
					pensim_log("adapter %s has address %s", a,
						   g_variant_get_string(address, NULL));
			}
		}
	}
	if (!chosen && app->waiting_for_adapter) {
		pensim_log("adapter not back yet");
		return;
	}
	if (!chosen) {
		if (app->opt.adapter)
			pensim_fatal(app, "adapter %s not found", app->opt.adapter);
		else
			pensim_fatal(app, "no powered Bluetooth adapter (power one on, or pick one "
			      "with --adapter)");
		return;
	}
	if (!chosen_has_gatt && app->waiting_for_adapter) {
		pensim_log("%s has no GattManager1 yet", chosen);
		return;
	}
	if (!chosen_has_gatt) {
		/* bluetoothd adds GattManager1 and LEAdvertisingManager1 only
		 * to an adapter that can do LE. */
		pensim_fatal(app, "adapter %s has no org.bluez.GattManager1 (no LE support, or "
		      "bluetoothd too old)", chosen);
		return;
	}
	app->adapter_path = g_steal_pointer(&chosen);
	app->waiting_for_adapter = false;

	/* A central may already be connected (pensim restarted). */
	g_variant_iter_init(&iter, objects);
	while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		g_autoptr(GVariant) device = g_variant_lookup_value(ifaces, DEVICE_IFACE,
								    G_VARIANT_TYPE("a{sv}"));

		if (device)
			device_props_seen(app, path, device);
		g_variant_unref(ifaces);
	}

	if (chosen_powered) {
		use_adapter(app);
		return;
	}
	pensim_log("powering on %s", app->adapter_path);
	g_dbus_connection_call(app->bus, BLUEZ, app->adapter_path, PROPERTIES_IFACE, "Set",
			       g_variant_new("(ssv)", ADAPTER_IFACE, "Powered",
					     g_variant_new_boolean(TRUE)),
			       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, power_on_done, app);
}

static void list_bluez_objects(struct pensim *app)
{
	/* One listing at a time; a change seen meanwhile asks for another. */
	if (app->listing) {
		app->list_again = true;
		return;
	}
	app->listing = true;
	app->list_again = false;
	/* Signals first, so nothing between the list and them is missed. */
	subscribe_signals(app);
	g_dbus_connection_call(app->bus, BLUEZ, "/", OBJECT_MANAGER_IFACE, "GetManagedObjects",
			       NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"), G_DBUS_CALL_FLAGS_NONE, -1,
			       NULL, managed_objects_done, app);
}

static void bluez_appeared(GDBusConnection *bus, const char *name, const char *owner,
			   gpointer user_data)
{
	struct pensim *app = user_data;

	(void)name;
	app->bluez_seen = true;
	app->bluez_present = true;
	(void)bus;
	pensim_log("org.bluez is %s", owner);
	list_bluez_objects(app);
}

static void bluez_vanished(GDBusConnection *bus, const char *name, gpointer user_data)
{
	struct pensim *app = user_data;

	(void)bus;
	if (!app->bluez_seen) {
		pensim_fatal(app, "%s is not on the system bus: is bluetoothd running?", name);
		return;
	}
	if (!app->bluez_present)
		return;
	app->bluez_present = false;
	adapter_lost(app, "org.bluez left the bus");
	if (app->shutting_down)
		g_main_loop_quit(app->loop);
}

static void app_unregister_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	if (!reply)
		pensim_log("UnregisterApplication failed: %s", error->message);
	else
		pensim_log("GATT application unregistered");
	if (--app->pending_shutdown == 0)
		g_main_loop_quit(app->loop);
}

void pensim_bluez_shutdown(struct pensim *app)
{
	if (app->readvertise_id) {
		g_source_remove(app->readvertise_id);
		app->readvertise_id = 0;
	}
	if (!app->bluez_present || !app->adapter_path)
		return;
	stop_advertising(app);
	if (app->app_registered) {
		app->pending_shutdown++;
		g_dbus_connection_call(app->bus, BLUEZ, app->adapter_path,
				       GATT_MANAGER_IFACE, "UnregisterApplication",
				       g_variant_new("(o)", PENSIM_GATT_APP_PATH), NULL,
				       G_DBUS_CALL_FLAGS_NONE, SHUTDOWN_GRACE_MS, NULL,
				       app_unregister_done, app);
	}
}

bool pensim_bluez_export(struct pensim *app, GError **error)
{
	GDBusInterfaceInfo *adv_iface;

	app->introspection = g_dbus_node_info_new_for_xml(adv_agent_xml, error);
	if (!app->introspection)
		return false;
	adv_iface = g_dbus_node_info_lookup_interface(app->introspection,
						      "org.bluez.LEAdvertisement1");
	app->adv_object_id = g_dbus_connection_register_object(app->bus, adv_paths[0], adv_iface,
							       &adv_vtable, app, NULL, error);
	if (!app->adv_object_id)
		return false;
	adv.renewal_object_id = g_dbus_connection_register_object(
		app->bus, adv_paths[1], adv_iface, &adv_vtable, app, NULL, error);
	if (!adv.renewal_object_id)
		return false;
	if (app->opt.no_agent)
		return true;
	app->agent_object_id = g_dbus_connection_register_object(
		app->bus, AGENT_PATH,
		g_dbus_node_info_lookup_interface(app->introspection, "org.bluez.Agent1"),
		&agent_vtable, app, NULL, error);
	return app->agent_object_id != 0;
}

void pensim_bluez_start(struct pensim *app)
{
	app->name_watch = g_bus_watch_name_on_connection(app->bus, BLUEZ,
							 G_BUS_NAME_WATCHER_FLAGS_NONE,
							 bluez_appeared, bluez_vanished, app,
							 NULL);
}

void pensim_bluez_teardown(struct pensim *app)
{
	if (app->name_watch)
		g_bus_unwatch_name(app->name_watch);
	if (app->readvertise_id)
		g_source_remove(app->readvertise_id);
	if (app->relist_id)
		g_source_remove(app->relist_id);
	if (app->sub_props) {
		g_dbus_connection_signal_unsubscribe(app->bus, app->sub_props);
		g_dbus_connection_signal_unsubscribe(app->bus, app->sub_added);
		g_dbus_connection_signal_unsubscribe(app->bus, app->sub_removed);
	}
	if (app->agent_object_id)
		g_dbus_connection_unregister_object(app->bus, app->agent_object_id);
	if (app->adv_object_id)
		g_dbus_connection_unregister_object(app->bus, app->adv_object_id);
	if (adv.renewal_object_id)
		g_dbus_connection_unregister_object(app->bus, adv.renewal_object_id);
	adv.renewal_object_id = 0;
	if (app->introspection)
		g_dbus_node_info_unref(app->introspection);
}
