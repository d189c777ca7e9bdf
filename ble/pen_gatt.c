// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GATT I/O through bluetoothd: ReadValue, WriteValue, StartNotify on
 * characteristic objects, the public write functions, and turning Value
 * changes (notifications) into callbacks.
 *
 * Every call is tied to the link's conn_cancellable, so a reply that comes
 * after the link was lost (or freed) is dropped without touching it.  The
 * message itself is on its way when g_dbus_connection_call() returns: a
 * STOP is never queued behind anything of ours.
 */
#include <errno.h>
#include <string.h>

#include "pen_link_internal.h"

struct gatt_call {
	struct pen_link *link;
	pen_gatt_read_done read_done;
	pen_gatt_call_done call_done;
	const char *what;       /* static */
	bool with_response;
};

static struct gatt_call *gatt_call_new(struct pen_link *link, const char *what)
{
	struct gatt_call *call = g_new0(struct gatt_call, 1);

	call->link = link;
	call->what = what;
	return call;
}

static void read_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct gatt_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	g_autoptr(GVariant) bytes = NULL;
	const uint8_t *data;
	gsize len = 0;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!reply) {
		call->read_done(call->link, NULL, 0, error);
		return;
	}
	bytes = g_variant_get_child_value(reply, 0);
	data = g_variant_get_fixed_array(bytes, &len, sizeof(uint8_t));
	call->read_done(call->link, data ? data : (const uint8_t *)"", len, NULL);
}

void pen_gatt_read(struct pen_link *link, const char *path, pen_gatt_read_done done)
{
	struct gatt_call *call = gatt_call_new(link, "read");

	call->read_done = done;
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, path, BLUEZ_GATT_CHAR_INTERFACE,
			       "ReadValue", g_variant_new("(@a{sv})",
							  g_variant_new_array(G_VARIANT_TYPE("{sv}"),
									      NULL, 0)),
			       G_VARIANT_TYPE("(ay)"), G_DBUS_CALL_FLAGS_NONE,
			       PEN_LINK_CALL_TIMEOUT_MS, link->conn_cancellable, read_reply, call);
}

static void call_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct gatt_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_link *link = call->link;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (call->call_done) {
		call->call_done(link, reply ? NULL : error);
		return;
	}
	if (reply)
		return;
	g_warning("pen %s: writing %s failed: %s", link->address_text, call->what,
		  error->message);
	if (call->with_response && link->cb.on_write_failed)
		link->cb.on_write_failed(link->user_data, call->what, error);
}

void pen_gatt_write(struct pen_link *link, const char *path, const uint8_t *value, size_t len,
		    bool with_response, const char *what, pen_gatt_call_done done)
{
	struct gatt_call *call = gatt_call_new(link, what);
	GVariantBuilder options;

	call->call_done = done;
	call->with_response = with_response;
	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", "type",
			      g_variant_new_string(with_response ? "request" : "command"));
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, path, BLUEZ_GATT_CHAR_INTERFACE,
			       "WriteValue",
			       g_variant_new("(@aya{sv})",
					     g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, value,
								       len, sizeof(uint8_t)),
					     &options),
			       NULL, G_DBUS_CALL_FLAGS_NONE, PEN_LINK_CALL_TIMEOUT_MS,
			       link->conn_cancellable, call_reply, call);
}

static void notify_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct gatt_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	g_autofree char *remote = NULL;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	/* Already notifying for us (bluetoothd kept it over a quick
	 * reconnect) is what we wanted. */
	if (error)
		remote = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(remote, "org.bluez.Error.InProgress") == 0)
		g_clear_error(&error);
	call->call_done(call->link, error);
}

void pen_gatt_start_notify(struct pen_link *link, const char *path, pen_gatt_call_done done)
{
	struct gatt_call *call = gatt_call_new(link, "notify");

	call->call_done = done;
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, path, BLUEZ_GATT_CHAR_INTERFACE,
			       "StartNotify", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
			       PEN_LINK_CALL_TIMEOUT_MS, link->conn_cancellable, notify_reply,
			       call);
}

static bool is_char(const struct pen_link *link, enum pen_char c, const char *path)
{
	return link->char_paths[c] && strcmp(link->char_paths[c], path) == 0;
}

static void report_malformed(struct pen_link *link, const char *what, int err, size_t len)
{
	g_autoptr(GError) error = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					      "%s value of %zu bytes rejected: %s", what, len,
					      g_strerror(-err));

	g_warning("pen %s: %s", link->address_text, error->message);
	if (link->cb.on_malformed)
		link->cb.on_malformed(link->user_data, what, error);
}

void pen_gatt_value_changed(struct pen_link *link, const char *path, GVariant *value)
{
	const uint8_t *data;
	gsize len = 0;
	int err;

	/* Before on_connected the engine does not know the pen yet; the
	 * setup sequence reads what it needs itself. */
	if (link->state != PEN_LINK_READY)
		return;
	data = g_variant_get_fixed_array(value, &len, sizeof(uint8_t));
	if (!data)
		data = (const uint8_t *)"";

	if (is_char(link, PEN_CHAR_STATUS, path)) {
		struct pen_status status;

		err = pen_codec_parse_status(data, len, &status);
		if (err < 0)
			report_malformed(link, "status", err, len);
		else if (link->cb.on_status)
			link->cb.on_status(link->user_data, &status);
	} else if (is_char(link, PEN_CHAR_DEPTH, path)) {
		uint16_t depth;

		err = pen_codec_parse_depth(data, len, &depth);
		if (err < 0)
			report_malformed(link, "depth", err, len);
		else if (link->cb.on_depth)
			link->cb.on_depth(link->user_data, depth);
	} else if (is_char(link, PEN_CHAR_CARTRIDGE, path)) {
		struct pen_cartridge cartridge;

		err = pen_codec_parse_cartridge(data, len, &cartridge);
		if (err < 0) {
			report_malformed(link, "cartridge", err, len);
		} else if (memcmp(&cartridge, &link->cartridge, sizeof(cartridge)) != 0) {
			/* bluetoothd also announces the value after our own
			 * reads: only a change is news. */
			link->cartridge = cartridge;
			if (link->cb.on_cartridge)
				link->cb.on_cartridge(link->user_data, &cartridge);
		}
	} else if (link->battery_path && strcmp(link->battery_path, path) == 0) {
		uint8_t percent;

		err = pen_codec_parse_battery_level(data, len, &percent);
		if (err < 0)
			report_malformed(link, "battery", err, len);
		else if (link->cb.on_battery)
			link->cb.on_battery(link->user_data, percent);
	}
}

static int write_encoded(struct pen_link *link, enum pen_char c, const uint8_t *buf, int n,
			 bool with_response, const char *what)
{
	if (n < 0)
		return n;
	pen_gatt_write(link, link->char_paths[c], buf, (size_t)n, with_response, what, NULL);
	return 0;
}

int pen_link_write_control(struct pen_link *link, bool run, uint16_t seq)
{
	struct pen_control control = {
		.op = run ? PEN_CONTROL_RUN : PEN_CONTROL_STOP,
		.seq = seq,
	};
	uint8_t buf[PEN_CONTROL_SIZE];

	/* A STOP goes to whatever Control we know, even on a pen we
	 * refused: stopping is never the wrong thing to do. */
	if (!link->char_paths[PEN_CHAR_CONTROL] || (run && link->state != PEN_LINK_READY))
		return -ENOTCONN;
	return write_encoded(link, PEN_CHAR_CONTROL, buf,
			     pen_codec_encode_control(&control, buf, sizeof(buf)), true,
			     "control");
}

int pen_link_write_depth(struct pen_link *link, uint16_t depth_um)
{
	uint8_t buf[PEN_DEPTH_SIZE];

	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return write_encoded(link, PEN_CHAR_DEPTH, buf,
			     pen_codec_encode_depth(depth_um, buf, sizeof(buf)), true, "depth");
}

int pen_link_write_speed(struct pen_link *link, uint16_t speed)
{
	uint8_t buf[PEN_SPEED_SIZE];

	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return write_encoded(link, PEN_CHAR_SPEED, buf,
			     pen_codec_encode_speed(speed, buf, sizeof(buf)), true, "speed");
}

int pen_link_write_heartbeat(struct pen_link *link, uint16_t counter)
{
	uint8_t buf[PEN_HEARTBEAT_SIZE];

	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return write_encoded(link, PEN_CHAR_HEARTBEAT, buf,
			     pen_codec_encode_heartbeat(counter, buf, sizeof(buf)), false,
			     "heartbeat");
}

static void cartridge_reread(struct pen_link *link, const uint8_t *value, size_t len,
			     const GError *error)
{
	struct pen_cartridge cartridge;
	int err;

	if (error) {
		g_warning("pen %s: reading Cartridge failed: %s", link->address_text,
			  error->message);
		return;
	}
	err = pen_codec_parse_cartridge(value, len, &cartridge);
	if (err < 0) {
		report_malformed(link, "cartridge", err, len);
		return;
	}
	/* Reported even when unchanged: the engine waits for this answer. */
	link->cartridge = cartridge;
	if (link->cb.on_cartridge)
		link->cb.on_cartridge(link->user_data, &cartridge);
}

int pen_link_read_cartridge(struct pen_link *link)
{
	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	pen_gatt_read(link, link->char_paths[PEN_CHAR_CARTRIDGE], cartridge_reread);
	return 0;
}
