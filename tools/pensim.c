// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pensim: a simulated penctl pen (docs/pensim.md).
 *
 * A BLE peripheral made of bluetoothd's own pieces: the GATT application of
 * pensim_gatt.c registered through GattManager1.RegisterApplication, an
 * LEAdvertisement1 through LEAdvertisingManager1, an Agent1 so that a
 * central can pair, and the pen's behaviour in pensim_model.c.  Around
 * them: the adapter choice, the central's connection (Device1.Connected)
 * for the model's link-loss stop, the record file of motor starts/stops, the
 * control input for tests, and the timer that runs the pen's watchdog.
 *
 * Every call to bluetoothd is asynchronous: bluetoothd calls back into us
 * (GetManagedObjects, ReadValue, ...) while serving our calls, and a
 * blocking call would deadlock it until its ATT timeout.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include "penctl/pen_protocol.h"
#include "pensim_command.h"
#include "pensim_gatt.h"
#include "pensim_model.h"

#define BLUEZ                   "org.bluez"
#define ADAPTER_IFACE           "org.bluez.Adapter1"
#define DEVICE_IFACE            "org.bluez.Device1"
#define GATT_MANAGER_IFACE      "org.bluez.GattManager1"
#define ADV_MANAGER_IFACE       "org.bluez.LEAdvertisingManager1"
#define AGENT_MANAGER_IFACE     "org.bluez.AgentManager1"
#define PROPERTIES_IFACE        "org.freedesktop.DBus.Properties"
#define OBJECT_MANAGER_IFACE    "org.freedesktop.DBus.ObjectManager"
#define ADV_PATH                "/org/penctl/pensim/advertisement0"
#define AGENT_PATH              "/org/penctl/pensim/agent"
#define SHUTDOWN_GRACE_MS       2000

struct options {
	char *adapter;
	char *cartridge;
	int needles;
	char *cartridge_max_mm;
	char *depth_mm;
	int speed;
	char *record;
	char *manual_depth_mm;
	char *fault;
	int battery;
	double battery_drain;
	int readvertise_ms;
	char *control;
	char *name;
	gboolean no_encryption;
	gboolean no_agent;
	gboolean verbose;
};

struct pensim {
	struct options opt;
	GMainLoop *loop;
	GDBusConnection *bus;
	struct pensim_model model;
	struct pensim_gatt *gatt;
	GDBusNodeInfo *introspection;
	guint adv_object_id;
	guint agent_object_id;
	guint name_watch;
	bool bluez_seen;
	bool bluez_present;
	bool waiting_for_adapter; /* lost one; wait instead of failing */
	bool listing;           /* GetManagedObjects on its way */
	bool list_again;        /* and bluetoothd changed meanwhile */
	char *adapter_path;
	bool app_registered;
	bool adv_registered;
	bool adv_busy;          /* a (un)register call is on its way */
	bool adv_with_name;
	bool adv_announced;     /* "advertising" was logged */
	guint readvertise_id;
	guint tick_id;
	char *central_path;
	guint sub_props, sub_added, sub_removed;
	FILE *record;
	GInputStream *control_stream;
	GDataInputStream *control_in;
	GCancellable *cancel;
	bool shutting_down;
	int pending_shutdown;
	int exit_code;
};

static void log_line(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void log_line(const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_printerr("pensim: [%.6f] %s\n", g_get_monotonic_time() / 1e6, msg);
}

static void fatal(struct pensim *app, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Something pensim cannot go on without: say what and exit 1. */
static void fatal(struct pensim *app, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_printerr("pensim: error: %s\n", msg);
	app->exit_code = 1;
	g_main_loop_quit(app->loop);
}

/* ---- record file and model housekeeping ---- */

static void record_motor_event(struct pensim *app, const struct pensim_motor_event *ev)
{
	const char *event = ev->started ? "motor-start" : "motor-stop";
	/* A start is always a RUN command; a stop says why. */
	const char *reason = ev->started ? "command" : pen_stop_cause_to_string(ev->cause);

	log_line("%s reason=%s seq=%u depth_um=%u", event, reason, ev->seq, ev->depth_um);
	if (!app->record)
		return;
	fprintf(app->record,
		"{\"t_us\": %" PRId64 ", \"event\": \"%s\", \"reason\": \"%s\", "
		"\"seq\": %u, \"depth_um\": %u}\n",
		ev->t_us, event, reason, ev->seq, ev->depth_um);
	/* A test reads the file while we run, and we may be killed. */
	if (fflush(app->record) != 0)
		log_line("cannot write the record file: %s", g_strerror(errno));
}

static gboolean on_tick(gpointer user_data);

static void schedule_tick(struct pensim *app)
{
	int64_t deadline = pensim_model_next_deadline_us(&app->model);
	int64_t delay_us;

	if (app->tick_id) {
		g_source_remove(app->tick_id);
		app->tick_id = 0;
	}
	if (deadline == INT64_MAX)
		return;
	delay_us = deadline - g_get_monotonic_time();
	if (delay_us < 0)
		delay_us = 0;
	/* Round up: waking early would find nothing due and re-arm. */
	app->tick_id = g_timeout_add((guint)((delay_us + 999) / 1000), on_tick, app);
}

/* After anything touched the model: record, notify, re-arm. */
static void model_changed(void *user_data)
{
	struct pensim *app = user_data;
	struct pensim_motor_event ev;

	while (pensim_model_take_motor_event(&app->model, &ev))
		record_motor_event(app, &ev);
	if (app->gatt)
		pensim_gatt_notify_changes(app->gatt);
	schedule_tick(app);
}

static gboolean on_tick(gpointer user_data)
{
	struct pensim *app = user_data;

	app->tick_id = 0;
	pensim_model_advance(&app->model, g_get_monotonic_time());
	model_changed(app);
	return G_SOURCE_REMOVE;
}

static bool motor_running(const struct pensim *app)
{
	struct pen_status s;

	pensim_model_get_status(&app->model, &s);
	return s.motor_running;
}

static void log_status(struct pensim *app)
{
	struct pen_status s;
	struct pen_cartridge c;
	char id[PEN_CARTRIDGE_ID_STRLEN];

	pensim_model_advance(&app->model, g_get_monotonic_time());
	pensim_model_get_status(&app->model, &s);
	pensim_model_get_cartridge(&app->model, &c);
	pen_cartridge_id_format(c.id, id);
	log_line("status: motor=%s stop_cause=%s seq=%u depth_um=%u (set %u) speed=%u "
		 "faults=0x%04x battery=%u%% strokes=%" PRIu32 " watchdog=%ums%s "
		 "cartridge=%s needles=%u max_um=%u central=%s",
		 s.motor_running ? "running" : "stopped",
		 pen_stop_cause_to_string(s.stop_cause), s.control_seq, s.depth_um,
		 pensim_model_get_depth(&app->model), pensim_model_get_speed(&app->model),
		 s.fault_bits, s.battery_percent, s.strokes,
		 pensim_model_get_watchdog_ms(&app->model),
		 pensim_model_watchdog_armed(&app->model) ? " (armed)" : "", id,
		 c.needle_count, c.max_depth_um, app->central_path ? app->central_path : "none");
}

/* ---- the central's connection ---- */

static void central_connected(struct pensim *app, const char *path);
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
	log_line("%s; waiting for an adapter", why);
	g_clear_pointer(&app->adapter_path, g_free);
	app->app_registered = false;
	app->adv_registered = false;
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
			log_line("second central %s ignored (the pen serves one)", path);
		return;
	}
	app->central_path = g_strdup(path);
	log_line("central connected: %s", path);
	pensim_model_link_up(&app->model, g_get_monotonic_time());
	model_changed(app);
	/* docs/pen-protocol.md §8: no advertising while connected. */
	stop_advertising(app);
}

static void central_gone(struct pensim *app, const char *why)
{
	if (!app->central_path)
		return;
	log_line("central %s: %s", why, app->central_path);
	g_clear_pointer(&app->central_path, g_free);
	pensim_model_link_lost(&app->model, g_get_monotonic_time());
	model_changed(app);
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
		app->bus, BLUEZ, PROPERTIES_IFACE, "PropertiesChanged", NULL, DEVICE_IFACE,
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
		log_line("Device1.Disconnect failed: %s", error->message);
}

static void disconnect_central(struct pensim *app)
{
	if (!app->central_path) {
		log_line("disconnect: no central is connected");
		return;
	}
	log_line("disconnecting %s", app->central_path);
	g_dbus_connection_call(app->bus, BLUEZ, app->central_path, DEVICE_IFACE, "Disconnect",
			       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, disconnect_done, app);
}

/* ---- advertisement ---- */

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

static void adv_method_call(GDBusConnection *bus, const char *sender, const char *path,
			    const char *iface, const char *method, GVariant *params,
			    GDBusMethodInvocation *invocation, gpointer user_data)
{
	struct pensim *app = user_data;

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	(void)params;
	if (g_strcmp0(method, "Release") == 0) {
		log_line("advertisement released by bluetoothd");
		app->adv_registered = false;
	}
	g_dbus_method_invocation_return_value(invocation, NULL);
}

static const GDBusInterfaceVTable adv_vtable = {
	.method_call = adv_method_call,
	.get_property = adv_get_property,
};

static void adv_register_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	app->adv_busy = false;
	if (reply) {
		/* Once, not at every periodic re-registration. */
		if (!app->adv_announced)
			log_line("advertising %s as \"%s\"", PEN_SERVICE_UUID,
				 app->adv_with_name ? app->opt.name : "(no name)");
		app->adv_announced = true;
		app->adv_registered = true;
		/* Connected while the call was on its way: take it back. */
		if (app->central_path || app->shutting_down)
			stop_advertising(app);
		return;
	}
	g_autofree char *remote = g_dbus_error_get_remote_error(error);

	if (app->adv_with_name && g_strcmp0(remote, "org.bluez.Error.InvalidLength") == 0) {
		/* 128-bit UUID + flags + name can exceed 31 bytes when a
		 * bluetoothd puts the name into the advertising data. */
		log_line("advertisement too long with the name; retrying without it");
		app->adv_with_name = false;
		advertise(app);
		return;
	}
	log_line("RegisterAdvertisement failed: %s (retrying)", error->message);
	app->adv_announced = false;
}

static void advertise(struct pensim *app)
{
	if (app->adv_busy || app->adv_registered || !app->adapter_path || app->central_path ||
	    app->shutting_down)
		return;
	app->adv_busy = true;
	g_dbus_connection_call(app->bus, BLUEZ, app->adapter_path, ADV_MANAGER_IFACE,
			       "RegisterAdvertisement",
			       g_variant_new("(oa{sv})", ADV_PATH, NULL), NULL,
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, adv_register_done, app);
}

static void adv_unregister_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	app->adv_busy = false;
	app->adv_registered = false;
	if (!reply && !app->shutting_down)
		log_line("UnregisterAdvertisement failed: %s", error->message);
	if (app->shutting_down) {
		if (--app->pending_shutdown == 0)
			g_main_loop_quit(app->loop);
		return;
	}
	/* The periodic re-registration: straight back on the air. */
	advertise(app);
}

static void stop_advertising(struct pensim *app)
{
	if (app->adv_busy || !app->adv_registered)
		return;
	app->adv_busy = true;
	if (app->shutting_down)
		app->pending_shutdown++;
	g_dbus_connection_call(app->bus, BLUEZ, app->adapter_path, ADV_MANAGER_IFACE,
			       "UnregisterAdvertisement", g_variant_new("(o)", ADV_PATH), NULL,
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, adv_unregister_done, app);
}

/* btvirt sends a peripheral's advertisement once, when scanning starts
 * (VM-TESTBED.md): registering it again and again makes a scan that missed
 * it see it soon. */
static gboolean on_readvertise(gpointer user_data)
{
	struct pensim *app = user_data;

	if (app->adv_registered)
		stop_advertising(app); /* its reply registers again */
	else
		advertise(app);
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
		log_line("agent: %s refused", method);
		g_dbus_method_invocation_return_dbus_error(invocation, "org.bluez.Error.Rejected",
							   "no input");
		return;
	}
	if (g_strcmp0(method, "RequestConfirmation") == 0) {
		const char *device;
		guint32 passkey;

		g_variant_get(params, "(&ou)", &device, &passkey);
		log_line("agent: pairing with %s confirmed (passkey %06u)", device, passkey);
	} else {
		log_line("agent: %s", method);
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
		log_line("RequestDefaultAgent failed: %s (pairing may fail)", error->message);
	else
		log_line("agent registered (NoInputNoOutput, default)");
}

static void agent_registered(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	if (!reply) {
		log_line("RegisterAgent failed: %s (pairing may fail)", error->message);
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
		fatal(app, "GattManager1.RegisterApplication on %s failed: %s",
		      app->adapter_path, error->message);
		return;
	}
	app->app_registered = true;
	log_line("GATT application registered on %s (pen service %s)", app->adapter_path,
		 PEN_SERVICE_UUID);
	advertise(app);
	if (app->opt.readvertise_ms > 0 && !app->readvertise_id)
		app->readvertise_id = g_timeout_add((guint)app->opt.readvertise_ms,
						    on_readvertise, app);
}

static void use_adapter(struct pensim *app)
{
	log_line("using adapter %s", app->adapter_path);
	g_dbus_connection_call(app->bus, BLUEZ, app->adapter_path, GATT_MANAGER_IFACE,
			       "RegisterApplication",
			       g_variant_new("(oa{sv})", PENSIM_GATT_APP_PATH, NULL), NULL,
			       G_DBUS_CALL_FLAGS_NONE, -1, NULL, app_register_done, app);
	register_agent(app);
}

static void power_on_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	if (!reply) {
		fatal(app, "cannot power on %s: %s", app->adapter_path, error->message);
		return;
	}
	use_adapter(app);
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
		fatal(app, "cannot list bluetoothd's objects: %s", error->message);
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
		log_line("no adapter yet");
		return;
	}
	if (adapters->len == 0) {
		fatal(app, "bluetoothd has no Bluetooth adapter");
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
		}
	}
	if (!chosen && app->waiting_for_adapter) {
		log_line("adapter not back yet");
		return;
	}
	if (!chosen) {
		if (app->opt.adapter)
			fatal(app, "adapter %s not found", app->opt.adapter);
		else
			fatal(app, "no powered Bluetooth adapter (power one on, or pick one "
			      "with --adapter)");
		return;
	}
	if (!chosen_has_gatt && app->waiting_for_adapter) {
		log_line("%s has no GattManager1 yet", chosen);
		return;
	}
	if (!chosen_has_gatt) {
		/* bluetoothd adds GattManager1 and LEAdvertisingManager1 only
		 * to an adapter that can do LE. */
		fatal(app, "adapter %s has no org.bluez.GattManager1 (no LE support, or "
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
	log_line("powering on %s", app->adapter_path);
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
	log_line("org.bluez is %s", owner);
	list_bluez_objects(app);
}

static void bluez_vanished(GDBusConnection *bus, const char *name, gpointer user_data)
{
	struct pensim *app = user_data;

	(void)bus;
	if (!app->bluez_seen) {
		fatal(app, "%s is not on the system bus: is bluetoothd running?", name);
		return;
	}
	if (!app->bluez_present)
		return;
	app->bluez_present = false;
	adapter_lost(app, "org.bluez left the bus");
	if (app->shutting_down)
		g_main_loop_quit(app->loop);
}

/* ---- control input ---- */

static void apply_command(struct pensim *app, const struct pensim_command *cmd)
{
	int64_t now = g_get_monotonic_time();
	struct pen_cartridge cartridge;
	int err = 0;

	switch (cmd->kind) {
	case PENSIM_COMMAND_NONE:
		return;
	case PENSIM_COMMAND_FAULT:
		err = pensim_model_set_faults(&app->model, cmd->fault_bits, now);
		break;
	case PENSIM_COMMAND_DIAL:
		err = pensim_model_set_dial(&app->model, cmd->dial_um, now);
		break;
	case PENSIM_COMMAND_CARTRIDGE:
		cartridge = cmd->cartridge;
		if (cmd->cartridge_keeps_geometry) {
			struct pen_cartridge current;

			pensim_model_get_cartridge(&app->model, &current);
			cartridge.needle_count = current.id ? current.needle_count
							    : (uint16_t)app->opt.needles;
			cartridge.max_depth_um = current.id ? current.max_depth_um : 0;
			if (!current.id &&
			    pensim_parse_mm(app->opt.cartridge_max_mm, PEN_DEPTH_MAX_UM,
					    &cartridge.max_depth_um) < 0)
				err = -EINVAL;
		}
		if (!err)
			err = pensim_model_set_cartridge(&app->model, &cartridge, now);
		break;
	case PENSIM_COMMAND_BATTERY:
		err = pensim_model_set_battery(&app->model, cmd->battery_percent, now);
		break;
	case PENSIM_COMMAND_BUTTON:
		pensim_model_press_button(&app->model, now);
		break;
	case PENSIM_COMMAND_DISCONNECT:
		disconnect_central(app);
		break;
	case PENSIM_COMMAND_STATUS:
		log_status(app);
		break;
	case PENSIM_COMMAND_QUIT:
		raise(SIGTERM);
		break;
	}
	if (err < 0)
		log_line("control: refused: %s", g_strerror(-err));
	model_changed(app);
}

static void read_next_line(struct pensim *app);

static void control_line_read(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_data_input_stream_read_line_finish_utf8(
		G_DATA_INPUT_STREAM(source), res, NULL, &error);
	struct pensim_command cmd;
	int err;

	if (!line) {
		if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		if (error)
			log_line("control: %s; no more commands", error->message);
		else
			log_line("control: end of input; no more commands");
		return;
	}
	err = pensim_command_parse(line, &cmd);
	if (err < 0) {
		log_line("control: \"%s\": %s", line,
			 err == -ERANGE ? "value out of range" : "not a command");
	} else if (cmd.kind != PENSIM_COMMAND_NONE) {
		log_line("control: %s", line);
		apply_command(app, &cmd);
	}
	read_next_line(app);
}

static void read_next_line(struct pensim *app)
{
	g_data_input_stream_read_line_async(app->control_in, G_PRIORITY_DEFAULT, app->cancel,
					    control_line_read, app);
}

static bool open_control(struct pensim *app, GError **error)
{
	int fd;

	if (!app->opt.control)
		return true;
	if (g_strcmp0(app->opt.control, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		if (mkfifo(app->opt.control, 0600) < 0 && errno != EEXIST) {
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
				    "cannot create FIFO %s: %s", app->opt.control,
				    g_strerror(errno));
			return false;
		}
		/* Read-write: the FIFO never reports end of file when a
		 * writer (echo cmd > fifo) closes, so it serves many. */
		fd = open(app->opt.control, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
				    "cannot open %s: %s", app->opt.control, g_strerror(errno));
			return false;
		}
	}
	app->control_stream = g_unix_input_stream_new(fd, fd != STDIN_FILENO);
	app->control_in = g_data_input_stream_new(app->control_stream);
	read_next_line(app);
	return true;
}

/* ---- shutdown ---- */

static void app_unregister_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  res, &error);

	if (!reply)
		log_line("UnregisterApplication failed: %s", error->message);
	else
		log_line("GATT application unregistered");
	if (--app->pending_shutdown == 0)
		g_main_loop_quit(app->loop);
}

static gboolean on_shutdown_grace(gpointer user_data)
{
	struct pensim *app = user_data;

	log_line("bluetoothd did not answer in time; exiting anyway");
	g_main_loop_quit(app->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer user_data)
{
	struct pensim *app = user_data;

	if (app->shutting_down)
		return G_SOURCE_CONTINUE;
	app->shutting_down = true;
	log_line("shutting down");
	if (motor_running(app))
		log_line("note: exiting with the motor running (no motor-stop recorded)");
	if (app->readvertise_id) {
		g_source_remove(app->readvertise_id);
		app->readvertise_id = 0;
	}
	if (app->bluez_present && app->adapter_path) {
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
	if (app->pending_shutdown == 0 && !app->adv_busy) {
		g_main_loop_quit(app->loop);
		return G_SOURCE_CONTINUE;
	}
	g_timeout_add(SHUTDOWN_GRACE_MS, on_shutdown_grace, app);
	return G_SOURCE_CONTINUE;
}

/* ---- options and main ---- */

static bool build_model_config(const struct options *opt, struct pensim_model_config *config,
			       GError **error)
{
	uint64_t id;
	uint16_t um;
	char *end = NULL;

	pensim_model_config_defaults(config);
	if (opt->cartridge) {
		const char *hex = opt->cartridge;

		if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
			hex += 2;
		errno = 0;
		id = g_ascii_strtoull(hex, &end, 16);
		if (!hex[0] || errno || *end || strlen(hex) > 16) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--cartridge: not a hexadecimal id of up to 16 digits: %s",
				    opt->cartridge);
			return false;
		}
		config->cartridge.id = id;
	}
	if (opt->needles < 1 || opt->needles > UINT16_MAX) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--needles: must be 1..65535");
		return false;
	}
	config->cartridge.needle_count = (uint16_t)opt->needles;
	if (pensim_parse_mm(opt->cartridge_max_mm, PEN_DEPTH_MAX_UM, &um) < 0 ||
	    um < PEN_DEPTH_MIN_UM) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--cartridge-max-mm: must be 0.1..3.0");
		return false;
	}
	config->cartridge.max_depth_um = um;
	if (config->cartridge.id == 0) {
		/* --cartridge 0: start with none inserted. */
		config->cartridge.needle_count = 0;
		config->cartridge.max_depth_um = 0;
	}
	if (pensim_parse_mm(opt->depth_mm, PEN_DEPTH_MAX_UM, &um) < 0 || um < PEN_DEPTH_MIN_UM) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--depth-mm: must be 0.1..3.0");
		return false;
	}
	config->depth_um = um;
	if (opt->speed < (int)PEN_SPEED_MIN || opt->speed > (int)PEN_SPEED_MAX) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--speed: must be %u..%u", PEN_SPEED_MIN, PEN_SPEED_MAX);
		return false;
	}
	config->speed = (uint16_t)opt->speed;
	if (opt->fault) {
		errno = 0;
		id = g_ascii_strtoull(opt->fault, &end, 0);
		if (!opt->fault[0] || errno || *end || (id & ~(uint64_t)PEN_FAULT_KNOWN_MASK)) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--fault: bits within 0x%04x", PEN_FAULT_KNOWN_MASK);
			return false;
		}
		config->fault_bits = (uint16_t)id;
	}
	if (opt->battery < 0 || opt->battery > 100) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--battery: must be 0..100");
		return false;
	}
	config->battery_percent = (uint8_t)opt->battery;
	if (!(opt->battery_drain >= 0 && opt->battery_drain <= 100)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--battery-drain: must be 0..100 %% per minute");
		return false;
	}
	config->battery_drain_us = opt->battery_drain > 0 ?
		(int64_t)(60e6 / opt->battery_drain) : 0;
	if (opt->readvertise_ms < 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--readvertise-ms: must be >= 0");
		return false;
	}
	if (config->cartridge.id != 0 && config->depth_um > config->cartridge.max_depth_um) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--depth-mm is above --cartridge-max-mm");
		return false;
	}
	return true;
}

static bool parse_options(struct options *opt, int *argc, char ***argv, GError **error)
{
	const GOptionEntry entries[] = {
		{ "adapter", 'a', 0, G_OPTION_ARG_STRING, &opt->adapter,
		  "Adapter to use (default: the first powered one)", "hciN" },
		{ "cartridge", 0, 0, G_OPTION_ARG_STRING, &opt->cartridge,
		  "Inserted cartridge id, hexadecimal; 0 = none (default 00c0ffee00000001)", "ID" },
		{ "needles", 0, 0, G_OPTION_ARG_INT, &opt->needles,
		  "Cartridge needle count (default 12)", "N" },
		{ "cartridge-max-mm", 0, 0, G_OPTION_ARG_STRING, &opt->cartridge_max_mm,
		  "Cartridge max depth in mm (default 2.5)", "MM" },
		{ "depth-mm", 0, 0, G_OPTION_ARG_STRING, &opt->depth_mm,
		  "Set depth at power-up in mm (default 0.5)", "MM" },
		{ "speed", 0, 0, G_OPTION_ARG_INT, &opt->speed,
		  "Stroke rate at power-up, strokes/s (default 100)", "N" },
		{ "manual-depth-mm", 0, 0, G_OPTION_ARG_STRING, &opt->manual_depth_mm,
		  "Simulate a manual dial: Status reports this measured depth (0..6)", "MM" },
		{ "fault", 0, 0, G_OPTION_ARG_STRING, &opt->fault,
		  "Fault bits raised at power-up (e.g. 0x2 = overtemp)", "BITS" },
		{ "battery", 0, 0, G_OPTION_ARG_INT, &opt->battery,
		  "Battery charge at power-up, % (default 100)", "PCT" },
		{ "battery-drain", 0, 0, G_OPTION_ARG_DOUBLE, &opt->battery_drain,
		  "Battery drain while the motor runs, % per minute (default 1; 0 = none)",
		  "PCT" },
		{ "record", 'r', 0, G_OPTION_ARG_FILENAME, &opt->record,
		  "Append a JSON line per motor start/stop to FILE", "FILE" },
		{ "control", 'c', 0, G_OPTION_ARG_FILENAME, &opt->control,
		  "Read control commands from a FIFO (created if missing) or - for stdin",
		  "FIFO|-" },
		{ "readvertise-ms", 0, 0, G_OPTION_ARG_INT, &opt->readvertise_ms,
		  "Re-register the advertisement this often (default 3000; 0 = once)", "MS" },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &opt->name,
		  "Advertised local name (default penctl-sim)", "NAME" },
		{ "no-encryption", 0, 0, G_OPTION_ARG_NONE, &opt->no_encryption,
		  "Allow writes on an unencrypted link (the protocol requires encryption)",
		  NULL },
		{ "no-agent", 0, 0, G_OPTION_ARG_NONE, &opt->no_agent,
		  "Do not register a pairing agent", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt->verbose,
		  "Log every heartbeat", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- simulated penctl pen");

	g_option_context_set_summary(
		context,
		"A Bluetooth LE peripheral that behaves like a pen implementing\n"
		"docs/pen-protocol.md, through bluetoothd on the system bus.\n"
		"Control commands (one per line): fault BITS | dial MM |\n"
		"cartridge ID [NEEDLES MAX_MM] | battery PCT | button | disconnect |\n"
		"status | quit.  See docs/pensim.md.");
	g_option_context_add_main_entries(context, entries, NULL);
	return g_option_context_parse(context, argc, argv, error);
}

static void set_default_options(struct options *opt)
{
	opt->needles = 12;
	opt->cartridge_max_mm = g_strdup("2.5");
	opt->depth_mm = g_strdup("0.5");
	opt->speed = 100;
	opt->battery = 100;
	opt->battery_drain = 1.0;
	opt->readvertise_ms = 3000;
	opt->name = g_strdup("penctl-sim");
}

static void free_options(struct options *opt)
{
	g_free(opt->adapter);
	g_free(opt->cartridge);
	g_free(opt->cartridge_max_mm);
	g_free(opt->depth_mm);
	g_free(opt->record);
	g_free(opt->manual_depth_mm);
	g_free(opt->fault);
	g_free(opt->control);
	g_free(opt->name);
}

static bool export_objects(struct pensim *app, GError **error)
{
	struct pensim_gatt_info info = {
		.require_encryption = !app->opt.no_encryption,
		.manufacturer = "penctl project",
		.model_number = "penctl-sim",
		.serial_number = "SIM-0001",
		.firmware_revision = "pensim " PENSIM_VERSION,
		.verbose = app->opt.verbose,
	};

	app->gatt = pensim_gatt_new(app->bus, &app->model, &info, model_changed, app, error);
	if (!app->gatt)
		return false;
	app->introspection = g_dbus_node_info_new_for_xml(adv_agent_xml, error);
	if (!app->introspection)
		return false;
	app->adv_object_id = g_dbus_connection_register_object(
		app->bus, ADV_PATH,
		g_dbus_node_info_lookup_interface(app->introspection, "org.bluez.LEAdvertisement1"),
		&adv_vtable, app, NULL, error);
	if (!app->adv_object_id)
		return false;
	if (app->opt.no_agent)
		return true;
	app->agent_object_id = g_dbus_connection_register_object(
		app->bus, AGENT_PATH,
		g_dbus_node_info_lookup_interface(app->introspection, "org.bluez.Agent1"),
		&agent_vtable, app, NULL, error);
	return app->agent_object_id != 0;
}

/* Exit codes: 0 after SIGINT/SIGTERM/quit, 1 when pensim cannot work
 * (no bus, no bluetoothd, no adapter, registration refused), 2 for bad
 * options. */
static int run(struct pensim *app, int *argc, char ***argv)
{
	struct pensim_model_config config;
	g_autoptr(GError) error = NULL;
	guint16 dial_um = 0;
	int rc;

	if (!parse_options(&app->opt, argc, argv, &error) ||
	    !build_model_config(&app->opt, &config, &error)) {
		g_printerr("pensim: %s (try --help)\n", error->message);
		return 2;
	}
	if (app->opt.manual_depth_mm &&
	    pensim_parse_mm(app->opt.manual_depth_mm, PEN_STATUS_DEPTH_MAX_UM, &dial_um) < 0) {
		g_printerr("pensim: --manual-depth-mm: must be 0..6 (try --help)\n");
		return 2;
	}
	if (*argc > 1) {
		g_printerr("pensim: unexpected argument %s (try --help)\n", (*argv)[1]);
		return 2;
	}
	rc = pensim_model_init(&app->model, &config, g_get_monotonic_time());
	if (rc < 0) {
		g_printerr("pensim: impossible pen configuration: %s\n", g_strerror(-rc));
		return 2;
	}
	if (dial_um)
		pensim_model_set_dial(&app->model, dial_um, g_get_monotonic_time());

	if (app->opt.record) {
		app->record = fopen(app->opt.record, "ae");
		if (!app->record) {
			g_printerr("pensim: error: cannot open record file %s: %s\n",
				   app->opt.record, g_strerror(errno));
			return 1;
		}
	}

	app->loop = g_main_loop_new(NULL, FALSE);
	app->cancel = g_cancellable_new();
	app->bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (!app->bus) {
		g_printerr("pensim: error: cannot connect to the system bus: %s\n",
			   error->message);
		return 1;
	}
	if (!export_objects(app, &error)) {
		g_printerr("pensim: error: cannot export the D-Bus objects: %s\n",
			   error->message);
		return 1;
	}
	if (!open_control(app, &error)) {
		g_printerr("pensim: error: %s\n", error->message);
		return 1;
	}

	g_unix_signal_add(SIGINT, on_signal, app);
	g_unix_signal_add(SIGTERM, on_signal, app);
	app->name_watch = g_bus_watch_name_on_connection(app->bus, BLUEZ,
							 G_BUS_NAME_WATCHER_FLAGS_NONE,
							 bluez_appeared, bluez_vanished, app,
							 NULL);
	log_status(app);
	g_main_loop_run(app->loop);
	log_line("exit %d", app->exit_code);
	return app->exit_code;
}

/* Everything run() may have set up, in reverse; safe on partial setup. */
static void teardown(struct pensim *app)
{
	if (app->cancel)
		g_cancellable_cancel(app->cancel);
	if (app->name_watch)
		g_bus_unwatch_name(app->name_watch);
	if (app->tick_id)
		g_source_remove(app->tick_id);
	if (app->readvertise_id)
		g_source_remove(app->readvertise_id);
	if (app->sub_props) {
		g_dbus_connection_signal_unsubscribe(app->bus, app->sub_props);
		g_dbus_connection_signal_unsubscribe(app->bus, app->sub_added);
		g_dbus_connection_signal_unsubscribe(app->bus, app->sub_removed);
	}
	if (app->agent_object_id)
		g_dbus_connection_unregister_object(app->bus, app->agent_object_id);
	if (app->adv_object_id)
		g_dbus_connection_unregister_object(app->bus, app->adv_object_id);
	pensim_gatt_free(app->gatt);
	if (app->introspection)
		g_dbus_node_info_unref(app->introspection);
	g_clear_object(&app->control_in);
	g_clear_object(&app->control_stream);
	g_clear_object(&app->cancel);
	if (app->bus) {
		g_dbus_connection_flush_sync(app->bus, NULL, NULL);
		g_object_unref(app->bus);
	}
	if (app->loop)
		g_main_loop_unref(app->loop);
	if (app->record)
		fclose(app->record);
	g_free(app->adapter_path);
	g_free(app->central_path);
	free_options(&app->opt);
}

int main(int argc, char **argv)
{
	struct pensim app = { 0 };
	int rc;

	setlocale(LC_ALL, "C"); /* "1.5" means one and a half */
	set_default_options(&app.opt);
	app.adv_with_name = true;
	rc = run(&app, &argc, &argv);
	teardown(&app);
	return rc;
}
