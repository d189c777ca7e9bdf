// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GATT characteristic calls through bluetoothd: ReadValue, WriteValue,
 * StartNotify, and the meaning of a WriteValue's answer.
 *
 * Every call takes the caller's cancellable, so a reply that comes after
 * the caller's link was lost (or freed) is dropped without touching it.
 * The message itself is on its way when g_dbus_connection_call() returns.
 */
#include <stdio.h>
#include <string.h>

#include "bluez_client.h"
#include "bluez_gatt.h"

struct gatt_call {
	void *owner;
	bluez_gatt_read_done read_done;
	bluez_gatt_call_done call_done;
	bool in_progress_is_success;
};

static struct gatt_call *gatt_call_new(void *owner)
{
	struct gatt_call *call = g_new0(struct gatt_call, 1);

	call->owner = owner;
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
		call->read_done(call->owner, NULL, 0, error);
		return;
	}
	bytes = g_variant_get_child_value(reply, 0);
	data = g_variant_get_fixed_array(bytes, &len, sizeof(uint8_t));
	call->read_done(call->owner, data ? data : (const uint8_t *)"", len, NULL);
}

void bluez_gatt_read(struct bluez_client *client, const char *path, GCancellable *cancellable,
		     bluez_gatt_read_done done, void *owner)
{
	struct gatt_call *call = gatt_call_new(owner);

	call->read_done = done;
	bluez_client_call(client, path, BLUEZ_GATT_CHAR_INTERFACE, "ReadValue",
			  g_variant_new("(@a{sv})",
					g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0)),
			  G_VARIANT_TYPE("(ay)"), BLUEZ_CALL_TIMEOUT_MS, cancellable, read_reply,
			  call);
}

static void call_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct gatt_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	/* StartNotify: already notifying for us (bluetoothd kept it over a
	 * quick reconnect) is what we wanted. */
	if (!reply && call->in_progress_is_success && bluez_error_is(error, "InProgress"))
		g_clear_error(&error);
	call->call_done(call->owner, error);
}

GVariant *bluez_gatt_write_params(const uint8_t *value, size_t len, bool with_response)
{
	GVariantBuilder options;

	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", "type",
			      g_variant_new_string(with_response ? "request" : "command"));
	return g_variant_new("(@aya{sv})",
			     g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, value, len,
						       sizeof(uint8_t)),
			     &options);
}

void bluez_gatt_write(struct bluez_client *client, const char *path, const uint8_t *value,
		      size_t len, bool with_response, GCancellable *cancellable,
		      bluez_gatt_call_done done, void *owner)
{
	struct gatt_call *call = gatt_call_new(owner);

	call->call_done = done;
	bluez_client_call(client, path, BLUEZ_GATT_CHAR_INTERFACE, "WriteValue",
			  bluez_gatt_write_params(value, len, with_response), NULL,
			  BLUEZ_CALL_TIMEOUT_MS, cancellable, call_reply, call);
}

void bluez_gatt_start_notify(struct bluez_client *client, const char *path,
			     GCancellable *cancellable, bluez_gatt_call_done done, void *owner)
{
	struct gatt_call *call = gatt_call_new(owner);

	call->call_done = done;
	call->in_progress_is_success = true;
	bluez_client_call(client, path, BLUEZ_GATT_CHAR_INTERFACE, "StartNotify", NULL, NULL,
			  BLUEZ_CALL_TIMEOUT_MS, cancellable, call_reply, call);
}

/*
 * bluetoothd 5.66 (src/gatt-client.c, create_gatt_dbus_error) words the
 * remote's ATT Error Response as org.bluez.Error.Failed "Operation failed
 * with ATT error: 0x83" (0x0d as InvalidArguments "Invalid Length").
 * Everything else is the link's: Failed "Operation failed" or an errno text
 * (timeout, disconnection), "Not connected", NotConnected, NotPermitted
 * "Not paired" (the link's security), our own D-Bus timeout or NoReply.
 */
enum bluez_write_outcome bluez_gatt_write_outcome(const GError *error, uint8_t *att)
{
	g_autofree char *remote = NULL;
	g_autoptr(GError) stripped = NULL;
	unsigned int code = 0;
	int end = 0;

	*att = 0;
	if (!error)
		return BLUEZ_WRITE_OK;
	remote = g_dbus_error_get_remote_error(error);
	if (!remote)
		return BLUEZ_WRITE_LINK_FAILED;
	if (strcmp(remote, "org.bluez.Error.InProgress") == 0)
		return BLUEZ_WRITE_IN_PROGRESS;
	stripped = g_error_copy(error);
	g_dbus_error_strip_remote_error(stripped);
	if (strcmp(remote, "org.bluez.Error.Failed") == 0 &&
	    sscanf(stripped->message, "Operation failed with ATT error: 0x%2x%n", &code, &end) == 1 &&
	    end > 0 && stripped->message[end] == '\0' && code != 0) {
		*att = (uint8_t)code;
		return BLUEZ_WRITE_ATT_ERROR;
	}
	if (strcmp(remote, "org.bluez.Error.InvalidArguments") == 0 &&
	    strcmp(stripped->message, "Invalid Length") == 0) {
		*att = 0x0d;
		return BLUEZ_WRITE_ATT_ERROR;
	}
	return BLUEZ_WRITE_LINK_FAILED;
}
