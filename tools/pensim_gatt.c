// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated pen's GATT application objects (pensim_gatt.h).
 *
 * ATT errors (docs/pen-protocol.md §9.1): bluetoothd turns a D-Bus error
 * from WriteValue into an ATT error code.  org.bluez.Error.InvalidValueLength
 * gives 0x0D, and org.bluez.Error.Failed whose message is exactly
 * "0x80".."0x9f" gives that application code (BlueZ >= 5.66); Failed with
 * any other message gives 0x80, which a daemon reads as Depth Above
 * Cartridge, so it is never sent.  No D-Bus error maps to 0x13 Value Not
 * Allowed, so for it (and anything unforeseen) we send
 * org.bluez.Error.InvalidArguments, which bluetoothd answers as 0x0E
 * Unlikely Error, as §9.1 tells a pen on BlueZ to; the log says 0x13.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "penctl/pen_protocol.h"
#include "pensim_gatt.h"

#define GATT_SERVICE_IFACE "org.bluez.GattService1"
#define GATT_CHRC_IFACE    "org.bluez.GattCharacteristic1"
#define OBJECT_MANAGER_IFACE "org.freedesktop.DBus.ObjectManager"
#define MAX_VALUE 32

enum service_id {
	SERVICE_PEN,
	SERVICE_BATTERY,
	SERVICE_DEVICE_INFO,
	N_SERVICES,
};

enum chrc_id {
	CHRC_CONTROL,
	CHRC_DEPTH,
	CHRC_SPEED,
	CHRC_STATUS,
	CHRC_HEARTBEAT,
	CHRC_CARTRIDGE,
	CHRC_WATCHDOG,
	CHRC_PROTOCOL_INFO,
	CHRC_BATTERY_LEVEL,
	CHRC_MANUFACTURER,
	CHRC_MODEL_NUMBER,
	CHRC_SERIAL_NUMBER,
	CHRC_FIRMWARE,
	N_CHRCS,
};

#define PROP_READ      (1u << 0)
#define PROP_WRITE     (1u << 1)
#define PROP_WRITE_CMD (1u << 2)
#define PROP_NOTIFY    (1u << 3)

static const char *const service_uuids[N_SERVICES] = {
	[SERVICE_PEN] = PEN_SERVICE_UUID,
	[SERVICE_BATTERY] = PEN_BATTERY_SERVICE_UUID,
	[SERVICE_DEVICE_INFO] = PEN_DEVICE_INFO_SERVICE_UUID,
};

static const struct chrc_def {
	const char *name;
	const char *uuid;
	enum service_id service;
	unsigned int props;
} chrc_defs[N_CHRCS] = {
	[CHRC_CONTROL] = { "Control", PEN_CONTROL_UUID, SERVICE_PEN, PROP_WRITE },
	[CHRC_DEPTH] = { "Depth", PEN_DEPTH_UUID, SERVICE_PEN,
			 PROP_READ | PROP_WRITE | PROP_NOTIFY },
	[CHRC_SPEED] = { "Speed", PEN_SPEED_UUID, SERVICE_PEN,
			 PROP_READ | PROP_WRITE | PROP_NOTIFY },
	[CHRC_STATUS] = { "Status", PEN_STATUS_UUID, SERVICE_PEN, PROP_READ | PROP_NOTIFY },
	[CHRC_HEARTBEAT] = { "Heartbeat", PEN_HEARTBEAT_UUID, SERVICE_PEN, PROP_WRITE_CMD },
	[CHRC_CARTRIDGE] = { "Cartridge", PEN_CARTRIDGE_UUID, SERVICE_PEN, PROP_READ },
	[CHRC_WATCHDOG] = { "Watchdog", PEN_WATCHDOG_UUID, SERVICE_PEN,
			    PROP_READ | PROP_WRITE },
	[CHRC_PROTOCOL_INFO] = { "ProtocolInfo", PEN_PROTOCOL_INFO_UUID, SERVICE_PEN,
				 PROP_READ },
	[CHRC_BATTERY_LEVEL] = { "Battery Level", PEN_BATTERY_LEVEL_UUID, SERVICE_BATTERY,
				 PROP_READ | PROP_NOTIFY },
	[CHRC_MANUFACTURER] = { "Manufacturer Name", "00002a29-0000-1000-8000-00805f9b34fb",
				SERVICE_DEVICE_INFO, PROP_READ },
	[CHRC_MODEL_NUMBER] = { "Model Number", "00002a24-0000-1000-8000-00805f9b34fb",
				SERVICE_DEVICE_INFO, PROP_READ },
	[CHRC_SERIAL_NUMBER] = { "Serial Number", "00002a25-0000-1000-8000-00805f9b34fb",
				 SERVICE_DEVICE_INFO, PROP_READ },
	[CHRC_FIRMWARE] = { "Firmware Revision", "00002a26-0000-1000-8000-00805f9b34fb",
			    SERVICE_DEVICE_INFO, PROP_READ },
};

struct pensim_gatt;

/* Per-object user data for the vtables: which object a call is for. */
struct object_ref {
	struct pensim_gatt *gatt;
	int index;
};

struct sent_value {
	uint8_t bytes[MAX_VALUE];
	size_t len;
	bool valid;
};

struct pensim_gatt {
	GDBusConnection *bus;
	struct pensim_model *model;
	struct pensim_gatt_info info;
	pensim_gatt_changed_fn changed;
	void *user_data;
	GDBusNodeInfo *introspection;
	guint root_id;
	guint service_ids[N_SERVICES];
	guint chrc_ids[N_CHRCS];
	char *service_paths[N_SERVICES];
	char *chrc_paths[N_CHRCS];
	struct object_ref service_refs[N_SERVICES];
	struct object_ref chrc_refs[N_CHRCS];
	bool notifying[N_CHRCS];
	struct sent_value sent[N_CHRCS];
	uint32_t heartbeats;
};


static const char introspection_xml[] =
	"<node>"
	" <interface name='" OBJECT_MANAGER_IFACE "'>"
	"  <method name='GetManagedObjects'>"
	"   <arg name='objects' type='a{oa{sa{sv}}}' direction='out'/>"
	"  </method>"
	" </interface>"
	" <interface name='" GATT_SERVICE_IFACE "'>"
	"  <property name='UUID' type='s' access='read'/>"
	"  <property name='Primary' type='b' access='read'/>"
	" </interface>"
	" <interface name='" GATT_CHRC_IFACE "'>"
	"  <method name='ReadValue'>"
	"   <arg name='options' type='a{sv}' direction='in'/>"
	"   <arg name='value' type='ay' direction='out'/>"
	"  </method>"
	"  <method name='WriteValue'>"
	"   <arg name='value' type='ay' direction='in'/>"
	"   <arg name='options' type='a{sv}' direction='in'/>"
	"  </method>"
	"  <method name='StartNotify'/>"
	"  <method name='StopNotify'/>"
	"  <property name='UUID' type='s' access='read'/>"
	"  <property name='Service' type='o' access='read'/>"
	"  <property name='Value' type='ay' access='read'/>"
	"  <property name='Notifying' type='b' access='read'/>"
	"  <property name='Flags' type='as' access='read'/>"
	" </interface>"
	"</node>";

static void log_line(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void log_line(const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_printerr("pensim: [%.6f] gatt: %s\n", g_get_monotonic_time() / 1e6, msg);
}

static size_t put_string(const char *s, uint8_t *buf)
{
	size_t len = s ? strlen(s) : 0;

	if (len > MAX_VALUE)
		len = MAX_VALUE;
	memcpy(buf, s ? s : "", len);
	return len;
}

/* The characteristic's current value, encoded by the codec. */
static size_t chrc_value(const struct pensim_gatt *gatt, enum chrc_id id,
			 uint8_t buf[MAX_VALUE])
{
	const struct pensim_model *m = gatt->model;
	struct pen_status status;
	struct pen_cartridge cartridge;
	struct pen_protocol_info info = {
		.major = PEN_PROTOCOL_VERSION_MAJOR,
		.minor = PEN_PROTOCOL_VERSION_MINOR,
		.features = 0,
	};
	int n = 0;

	switch (id) {
	case CHRC_CONTROL:
	case CHRC_HEARTBEAT:
		return 0; /* write-only */
	case CHRC_DEPTH:
		n = pen_codec_encode_depth(pensim_model_get_depth(m), buf, MAX_VALUE);
		break;
	case CHRC_SPEED:
		n = pen_codec_encode_speed(pensim_model_get_speed(m), buf, MAX_VALUE);
		break;
	case CHRC_STATUS:
		pensim_model_get_status(m, &status);
		n = pen_codec_encode_status(&status, buf, MAX_VALUE);
		break;
	case CHRC_CARTRIDGE:
		pensim_model_get_cartridge(m, &cartridge);
		n = pen_codec_encode_cartridge(&cartridge, buf, MAX_VALUE);
		break;
	case CHRC_WATCHDOG:
		n = pen_codec_encode_watchdog(pensim_model_get_watchdog_ms(m), buf, MAX_VALUE);
		break;
	case CHRC_PROTOCOL_INFO:
		n = pen_codec_encode_protocol_info(&info, buf, MAX_VALUE);
		break;
	case CHRC_BATTERY_LEVEL:
		buf[0] = pensim_model_get_battery(m);
		n = 1;
		break;
	case CHRC_MANUFACTURER:
		return put_string(gatt->info.manufacturer, buf);
	case CHRC_MODEL_NUMBER:
		return put_string(gatt->info.model_number, buf);
	case CHRC_SERIAL_NUMBER:
		return put_string(gatt->info.serial_number, buf);
	case CHRC_FIRMWARE:
		return put_string(gatt->info.firmware_revision, buf);
	case N_CHRCS:
		break;
	}
	if (n < 0) {
		/* The model only holds values the codec accepts; if that ever
		 * breaks, say so rather than send garbage. */
		log_line("cannot encode %s: %s", chrc_defs[id].name, g_strerror(-n));
		return 0;
	}
	return (size_t)n;
}

static GVariant *bytes_variant(const uint8_t *buf, size_t len)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, buf, len, 1);
}

static GVariant *chrc_flags(const struct pensim_gatt *gatt, enum chrc_id id)
{
	unsigned int props = chrc_defs[id].props;
	bool secure = gatt->info.require_encryption;
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
	if (props & PROP_READ)
		g_variant_builder_add(&b, "s", "read");
	if (props & PROP_WRITE)
		g_variant_builder_add(&b, "s", secure ? "encrypt-write" : "write");
	if (props & PROP_WRITE_CMD) {
		g_variant_builder_add(&b, "s", "write-without-response");
		/* BlueZ has no encrypted write-without-response flag; this
		 * one makes both kinds of write need encryption (and adds
		 * "write" to the properties, which §2.1 allows). */
		if (secure)
			g_variant_builder_add(&b, "s", "encrypt-write");
	}
	if (props & PROP_NOTIFY)
		g_variant_builder_add(&b, "s", "notify");
	return g_variant_builder_end(&b);
}

static GVariant *chrc_property(struct pensim_gatt *gatt, enum chrc_id id, const char *name)
{
	uint8_t buf[MAX_VALUE];

	if (g_strcmp0(name, "UUID") == 0)
		return g_variant_new_string(chrc_defs[id].uuid);
	if (g_strcmp0(name, "Service") == 0)
		return g_variant_new_object_path(gatt->service_paths[chrc_defs[id].service]);
	if (g_strcmp0(name, "Value") == 0)
		return bytes_variant(buf, chrc_value(gatt, id, buf));
	if (g_strcmp0(name, "Notifying") == 0)
		return g_variant_new_boolean(gatt->notifying[id]);
	if (g_strcmp0(name, "Flags") == 0)
		return chrc_flags(gatt, id);
	return NULL;
}

static GVariant *chrc_all_properties(struct pensim_gatt *gatt, enum chrc_id id)
{
	static const char *const names[] = { "UUID", "Service", "Value", "Notifying", "Flags" };
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_strcmp0(names[i], "Notifying") == 0 &&
		    !(chrc_defs[id].props & PROP_NOTIFY))
			continue;
		g_variant_builder_add(&b, "{sv}", names[i], chrc_property(gatt, id, names[i]));
	}
	return g_variant_builder_end(&b);
}

static GVariant *service_property(enum service_id id, const char *name)
{
	if (g_strcmp0(name, "UUID") == 0)
		return g_variant_new_string(service_uuids[id]);
	if (g_strcmp0(name, "Primary") == 0)
		return g_variant_new_boolean(TRUE);
	return NULL;
}

static GVariant *managed_objects(struct pensim_gatt *gatt)
{
	GVariantBuilder objects;

	g_variant_builder_init(&objects, G_VARIANT_TYPE("a{oa{sa{sv}}}"));
	for (int s = 0; s < N_SERVICES; s++) {
		GVariantBuilder ifaces, props;

		g_variant_builder_init(&props, G_VARIANT_TYPE("a{sv}"));
		g_variant_builder_add(&props, "{sv}", "UUID", service_property(s, "UUID"));
		g_variant_builder_add(&props, "{sv}", "Primary", service_property(s, "Primary"));
		g_variant_builder_init(&ifaces, G_VARIANT_TYPE("a{sa{sv}}"));
		g_variant_builder_add(&ifaces, "{s@a{sv}}", GATT_SERVICE_IFACE,
				      g_variant_builder_end(&props));
		g_variant_builder_add(&objects, "{o@a{sa{sv}}}", gatt->service_paths[s],
				      g_variant_builder_end(&ifaces));
	}
	for (int c = 0; c < N_CHRCS; c++) {
		GVariantBuilder ifaces;

		g_variant_builder_init(&ifaces, G_VARIANT_TYPE("a{sa{sv}}"));
		g_variant_builder_add(&ifaces, "{s@a{sv}}", GATT_CHRC_IFACE,
				      chrc_all_properties(gatt, c));
		g_variant_builder_add(&objects, "{o@a{sa{sv}}}", gatt->chrc_paths[c],
				      g_variant_builder_end(&ifaces));
	}
	return g_variant_builder_end(&objects);
}

static void emit_property(struct pensim_gatt *gatt, enum chrc_id id, const char *name,
			  GVariant *value)
{
	GVariantBuilder changed;
	g_autoptr(GError) error = NULL;

	g_variant_builder_init(&changed, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&changed, "{sv}", name, value);
	if (!g_dbus_connection_emit_signal(gatt->bus, NULL, gatt->chrc_paths[id],
					   "org.freedesktop.DBus.Properties", "PropertiesChanged",
					   g_variant_new("(sa{sv}as)", GATT_CHRC_IFACE, &changed,
							 NULL),
					   &error))
		log_line("cannot notify %s: %s", chrc_defs[id].name, error->message);
}

/* Emit Value if it differs from the last one sent, or always when forced. */
static void notify_value(struct pensim_gatt *gatt, enum chrc_id id, bool force)
{
	struct sent_value *sent = &gatt->sent[id];
	uint8_t buf[MAX_VALUE];
	size_t len = chrc_value(gatt, id, buf);

	if (!force && sent->valid && sent->len == len && memcmp(sent->bytes, buf, len) == 0)
		return;
	memcpy(sent->bytes, buf, len);
	sent->len = len;
	sent->valid = true;
	emit_property(gatt, id, "Value", bytes_variant(buf, len));
}

void pensim_gatt_notify_changes(struct pensim_gatt *gatt)
{
	if (pensim_model_take_status_notify(gatt->model))
		notify_value(gatt, CHRC_STATUS, true);
	notify_value(gatt, CHRC_DEPTH, false);
	notify_value(gatt, CHRC_SPEED, false);
	notify_value(gatt, CHRC_BATTERY_LEVEL, false);
	/* Not notifiable on the air, but the D-Bus property stays true. */
	notify_value(gatt, CHRC_CARTRIDGE, false);
	notify_value(gatt, CHRC_WATCHDOG, false);
}

/* bluetoothd passes "offset" (q) for long reads/writes; our values all fit
 * one ATT PDU, but honour it as gatt-api asks. */
static guint16 option_offset(GVariant *options)
{
	guint16 offset = 0;

	if (options)
		g_variant_lookup(options, "offset", "q", &offset);
	return offset;
}

static const char *option_type(GVariant *options)
{
	const char *type = NULL;

	if (options && g_variant_lookup(options, "type", "&s", &type))
		return type;
	return "request";
}

static void return_att_error(GDBusMethodInvocation *invocation, uint8_t att)
{
	switch (att) {
	case PENSIM_ATT_INVALID_LENGTH:
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.bluez.Error.InvalidValueLength",
							   "invalid value length");
		return;
	case PENSIM_ATT_VALUE_NOT_ALLOWED:
		/* See the top of this file: BlueZ has no name for 0x13. */
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.bluez.Error.InvalidArguments",
							   "0x13 value not allowed");
		return;
	default:
		if (att >= 0x80 && att <= 0x9f) {
			g_autofree char *code = g_strdup_printf("0x%02x", att);

			/* The message must be the bare code for bluetoothd. */
			g_dbus_method_invocation_return_dbus_error(invocation,
								   "org.bluez.Error.Failed", code);
			return;
		}
		/* Not Failed: bluetoothd would make that 0x80. */
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.bluez.Error.InvalidArguments",
							   "refused");
		return;
	}
}

static const char *att_error_name(uint8_t att)
{
	switch (att) {
	case PENSIM_ATT_OK:
		return "ok";
	case PENSIM_ATT_INVALID_LENGTH:
		return "0x0d invalid length";
	case PENSIM_ATT_VALUE_NOT_ALLOWED:
		return "0x13 value not allowed (0x0e on the air)";
	case PENSIM_ATT_DEPTH_ABOVE_CARTRIDGE:
		return "0x80 depth above cartridge";
	case PENSIM_ATT_FAULT_ACTIVE:
		return "0x81 fault active";
	case PENSIM_ATT_NO_CARTRIDGE:
		return "0x82 no cartridge";
	case PENSIM_ATT_NO_HEARTBEAT:
		return "0x83 no heartbeat";
	default:
		return "refused";
	}
}

static void log_write(struct pensim_gatt *gatt, enum chrc_id id, const char *type,
		      const uint8_t *value, size_t len, uint8_t att)
{
	g_autofree char *hex = g_malloc0(len * 3 + 1);

	for (size_t i = 0; i < len; i++)
		sprintf(hex + i * 3, "%02x%s", value[i], i + 1 < len ? " " : "");

	if (id == CHRC_HEARTBEAT) {
		gatt->heartbeats++;
		/* Five a second: log the first, the refused and, if asked,
		 * every one. */
		if (!gatt->info.verbose && att == PENSIM_ATT_OK && gatt->heartbeats > 1)
			return;
	}
	log_line("write %s (%s) [%s] -> %s", chrc_defs[id].name, type, hex, att_error_name(att));
}

static uint8_t write_chrc(struct pensim_gatt *gatt, enum chrc_id id, const uint8_t *value,
			  size_t len)
{
	int64_t now = g_get_monotonic_time();

	switch (id) {
	case CHRC_CONTROL:
		return pensim_model_write_control(gatt->model, value, len, now);
	case CHRC_DEPTH:
		return pensim_model_write_depth(gatt->model, value, len, now);
	case CHRC_SPEED:
		return pensim_model_write_speed(gatt->model, value, len, now);
	case CHRC_HEARTBEAT: {
		bool was_armed = pensim_model_watchdog_armed(gatt->model);
		uint8_t att = pensim_model_write_heartbeat(gatt->model, value, len, now);

		if (!was_armed && pensim_model_watchdog_armed(gatt->model))
			log_line("watchdog armed (%u ms)",
				 pensim_model_get_watchdog_ms(gatt->model));
		return att;
	}
	case CHRC_WATCHDOG:
		return pensim_model_write_watchdog(gatt->model, value, len, now);
	case CHRC_STATUS:
	case CHRC_CARTRIDGE:
	case CHRC_PROTOCOL_INFO:
	case CHRC_BATTERY_LEVEL:
	case CHRC_MANUFACTURER:
	case CHRC_MODEL_NUMBER:
	case CHRC_SERIAL_NUMBER:
	case CHRC_FIRMWARE:
	case N_CHRCS:
		break;
	}
	return 0xff; /* not writable: bluetoothd never routes such a write */
}

static void handle_write(struct pensim_gatt *gatt, enum chrc_id id,
			 GDBusMethodInvocation *invocation, GVariant *params)
{
	g_autoptr(GVariant) value = NULL;
	g_autoptr(GVariant) options = NULL;
	const uint8_t *bytes;
	gsize len = 0;
	uint8_t att;

	g_variant_get(params, "(@ay@a{sv})", &value, &options);
	bytes = g_variant_get_fixed_array(value, &len, 1);
	if (!(chrc_defs[id].props & (PROP_WRITE | PROP_WRITE_CMD))) {
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.bluez.Error.NotPermitted",
							   "not writable");
		return;
	}
	if (option_offset(options) != 0) {
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.bluez.Error.InvalidOffset",
							   "values are written whole");
		return;
	}

	att = write_chrc(gatt, id, bytes, len);
	/* "command" (without response) or "request": the pen treats both
	 * alike; bluetoothd drops our reply to a command. */
	log_write(gatt, id, option_type(options), bytes, len, att);
	if (att == PENSIM_ATT_OK)
		g_dbus_method_invocation_return_value(invocation, NULL);
	else
		return_att_error(invocation, att);
	gatt->changed(gatt->user_data);
}

static void handle_read(struct pensim_gatt *gatt, enum chrc_id id,
			GDBusMethodInvocation *invocation, GVariant *params)
{
	g_autoptr(GVariant) options = NULL;
	uint8_t buf[MAX_VALUE];
	size_t len;
	guint16 offset;

	g_variant_get(params, "(@a{sv})", &options);
	if (!(chrc_defs[id].props & PROP_READ)) {
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.bluez.Error.NotPermitted",
							   "not readable");
		return;
	}
	/* Bring time-dependent values (strokes, battery) up to now first. */
	pensim_model_advance(gatt->model, g_get_monotonic_time());
	len = chrc_value(gatt, id, buf);
	offset = option_offset(options);
	if (offset > len) {
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.bluez.Error.InvalidOffset",
							   "offset beyond the value");
		return;
	}
	g_dbus_method_invocation_return_value(invocation,
					      g_variant_new("(@ay)",
							    bytes_variant(buf + offset,
									  len - offset)));
	gatt->changed(gatt->user_data);
}

static void handle_notify(struct pensim_gatt *gatt, enum chrc_id id,
			  GDBusMethodInvocation *invocation, bool start)
{
	if (!(chrc_defs[id].props & PROP_NOTIFY)) {
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.bluez.Error.NotSupported",
							   "no notifications");
		return;
	}
	log_line("%s notifications %s", chrc_defs[id].name, start ? "on" : "off");
	if (gatt->notifying[id] != start) {
		gatt->notifying[id] = start;
		emit_property(gatt, id, "Notifying", g_variant_new_boolean(start));
	}
	g_dbus_method_invocation_return_value(invocation, NULL);
}

static void chrc_method_call(GDBusConnection *bus, const char *sender, const char *path,
			     const char *iface, const char *method, GVariant *params,
			     GDBusMethodInvocation *invocation, gpointer user_data)
{
	struct object_ref *ref = user_data;
	enum chrc_id id = ref->index;

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	if (g_strcmp0(method, "ReadValue") == 0)
		handle_read(ref->gatt, id, invocation, params);
	else if (g_strcmp0(method, "WriteValue") == 0)
		handle_write(ref->gatt, id, invocation, params);
	else if (g_strcmp0(method, "StartNotify") == 0)
		handle_notify(ref->gatt, id, invocation, true);
	else if (g_strcmp0(method, "StopNotify") == 0)
		handle_notify(ref->gatt, id, invocation, false);
	else
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.freedesktop.DBus.Error.UnknownMethod",
							   method);
}

static GVariant *chrc_get_property(GDBusConnection *bus, const char *sender, const char *path,
				   const char *iface, const char *name, GError **error,
				   gpointer user_data)
{
	struct object_ref *ref = user_data;
	GVariant *v = chrc_property(ref->gatt, ref->index, name);

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	if (!v)
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, "no property %s", name);
	return v;
}

static GVariant *service_get_property(GDBusConnection *bus, const char *sender,
				      const char *path, const char *iface, const char *name,
				      GError **error, gpointer user_data)
{
	struct object_ref *ref = user_data;
	GVariant *v = service_property(ref->index, name);

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	if (!v)
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, "no property %s", name);
	return v;
}

static void root_method_call(GDBusConnection *bus, const char *sender, const char *path,
			     const char *iface, const char *method, GVariant *params,
			     GDBusMethodInvocation *invocation, gpointer user_data)
{
	struct pensim_gatt *gatt = user_data;

	(void)bus;
	(void)sender;
	(void)path;
	(void)iface;
	(void)params;
	if (g_strcmp0(method, "GetManagedObjects") == 0) {
		log_line("GetManagedObjects from %s", sender);
		g_dbus_method_invocation_return_value(invocation,
						      g_variant_new("(@a{oa{sa{sv}}})",
								    managed_objects(gatt)));
	} else {
		g_dbus_method_invocation_return_dbus_error(invocation,
							   "org.freedesktop.DBus.Error.UnknownMethod",
							   method);
	}
}

static const GDBusInterfaceVTable root_vtable = { .method_call = root_method_call };
static const GDBusInterfaceVTable service_vtable = { .get_property = service_get_property };
static const GDBusInterfaceVTable chrc_vtable = {
	.method_call = chrc_method_call,
	.get_property = chrc_get_property,
};

struct pensim_gatt *pensim_gatt_new(GDBusConnection *bus, struct pensim_model *model,
				    const struct pensim_gatt_info *info,
				    pensim_gatt_changed_fn changed, void *user_data,
				    GError **error)
{
	struct pensim_gatt *gatt = g_new0(struct pensim_gatt, 1);
	GDBusInterfaceInfo *root_iface, *service_iface, *chrc_iface;

	gatt->bus = g_object_ref(bus);
	gatt->model = model;
	gatt->info = *info;
	gatt->changed = changed;
	gatt->user_data = user_data;
	gatt->introspection = g_dbus_node_info_new_for_xml(introspection_xml, error);
	if (!gatt->introspection)
		goto fail;
	root_iface = g_dbus_node_info_lookup_interface(gatt->introspection,
						       OBJECT_MANAGER_IFACE);
	service_iface = g_dbus_node_info_lookup_interface(gatt->introspection,
							  GATT_SERVICE_IFACE);
	chrc_iface = g_dbus_node_info_lookup_interface(gatt->introspection, GATT_CHRC_IFACE);

	gatt->root_id = g_dbus_connection_register_object(bus, PENSIM_GATT_APP_PATH, root_iface,
							  &root_vtable, gatt, NULL, error);
	if (!gatt->root_id)
		goto fail;

	for (int s = 0; s < N_SERVICES; s++) {
		gatt->service_refs[s] = (struct object_ref){ gatt, s };
		gatt->service_paths[s] = g_strdup_printf(PENSIM_GATT_APP_PATH "/service%d", s);
		gatt->service_ids[s] = g_dbus_connection_register_object(
			bus, gatt->service_paths[s], service_iface, &service_vtable,
			&gatt->service_refs[s], NULL, error);
		if (!gatt->service_ids[s])
			goto fail;
	}
	for (int c = 0; c < N_CHRCS; c++) {
		gatt->chrc_refs[c] = (struct object_ref){ gatt, c };
		gatt->chrc_paths[c] = g_strdup_printf("%s/char%d",
						      gatt->service_paths[chrc_defs[c].service], c);
		gatt->chrc_ids[c] = g_dbus_connection_register_object(
			bus, gatt->chrc_paths[c], chrc_iface, &chrc_vtable, &gatt->chrc_refs[c], NULL,
			error);
		if (!gatt->chrc_ids[c])
			goto fail;
		/* What a central reads first is what it was "sent". */
		gatt->sent[c].len = chrc_value(gatt, c, gatt->sent[c].bytes);
		gatt->sent[c].valid = true;
	}
	return gatt;

fail:
	pensim_gatt_free(gatt);
	return NULL;
}

void pensim_gatt_free(struct pensim_gatt *gatt)
{
	if (!gatt)
		return;
	for (int c = 0; c < N_CHRCS; c++) {
		if (gatt->chrc_ids[c])
			g_dbus_connection_unregister_object(gatt->bus, gatt->chrc_ids[c]);
		g_free(gatt->chrc_paths[c]);
	}
	for (int s = 0; s < N_SERVICES; s++) {
		if (gatt->service_ids[s])
			g_dbus_connection_unregister_object(gatt->bus, gatt->service_ids[s]);
		g_free(gatt->service_paths[s]);
	}
	if (gatt->root_id)
		g_dbus_connection_unregister_object(gatt->bus, gatt->root_id);
	if (gatt->introspection)
		g_dbus_node_info_unref(gatt->introspection);
	g_object_unref(gatt->bus);
	g_free(gatt);
}
