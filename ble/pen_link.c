// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The connection state machine: after every change of bluetoothd's objects
 * pen_link_update() compares what is (adapter, device, Connected,
 * ServicesResolved) with what the link believes, reports a lost link once,
 * and moves towards a set-up link to the configured pen: Connect (retried
 * with capped exponential backoff), wait for ServicesResolved and the pen
 * service, set up.
 */
#include <errno.h>
#include <string.h>

#include "pen_link_internal.h"

/* docs/pen-protocol.md §2.1: name, UUID and the properties the daemon uses
 * (BlueZ's GattCharacteristic1.Flags names). */
static const struct {
	const char *name;
	const char *uuid;
	const char *flags[PEN_CHAR_MAX_FLAGS + 1];
} pen_chars[PEN_CHAR_COUNT] = {
	[PEN_CHAR_CONTROL] = { "Control", PEN_CONTROL_UUID, { "write" } },
	[PEN_CHAR_DEPTH] = { "Depth", PEN_DEPTH_UUID, { "read", "write", "notify" } },
	[PEN_CHAR_SPEED] = { "Speed", PEN_SPEED_UUID, { "read", "write", "notify" } },
	[PEN_CHAR_STATUS] = { "Status", PEN_STATUS_UUID, { "read", "notify" } },
	[PEN_CHAR_HEARTBEAT] = { "Heartbeat", PEN_HEARTBEAT_UUID, { "write-without-response" } },
	[PEN_CHAR_CARTRIDGE] = { "Cartridge", PEN_CARTRIDGE_UUID, { "read" } },
	[PEN_CHAR_WATCHDOG] = { "Watchdog", PEN_WATCHDOG_UUID, { "read", "write" } },
	[PEN_CHAR_PROTOCOL_INFO] = { "ProtocolInfo", PEN_PROTOCOL_INFO_UUID, { "read" } },
};

const char *pen_char_name(enum pen_char c)
{
	return c < PEN_CHAR_COUNT ? pen_chars[c].name : "unknown";
}

const char *pen_char_uuid(enum pen_char c)
{
	return c < PEN_CHAR_COUNT ? pen_chars[c].uuid : "";
}

const char *const *pen_char_flags(enum pen_char c)
{
	static const char *const none[] = { NULL };

	return c < PEN_CHAR_COUNT ? pen_chars[c].flags : none;
}

static bool link_config_address(struct pen_link *link, const char *address, GError **error)
{
	struct bt_address parsed;

	if (!address || !*address) {
		link->has_address = false;
		link->address_text[0] = '\0';
		return true;
	}
	if (!bt_address_parse(address, &parsed)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a Bluetooth address (XX:XX:XX:XX:XX:XX)", address);
		return false;
	}
	link->has_address = true;
	link->address = parsed;
	bt_address_format(&parsed, link->address_text);
	return true;
}

struct pen_link *pen_link_new(GDBusConnection *system_bus, const struct pen_link_config *cfg,
			      const struct pen_link_callbacks *callbacks, void *user_data,
			      GError **error)
{
	g_autoptr(pen_link) link = NULL;

	g_return_val_if_fail(G_IS_DBUS_CONNECTION(system_bus) && cfg, NULL);

	if (cfg->watchdog_ms < PEN_WATCHDOG_MIN_MS || cfg->watchdog_ms > PEN_WATCHDOG_MAX_MS) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "pen watchdog %u ms outside %u..%u", cfg->watchdog_ms,
			    PEN_WATCHDOG_MIN_MS, PEN_WATCHDOG_MAX_MS);
		return NULL;
	}
	link = g_new0(struct pen_link, 1);
	link->bus = g_object_ref(system_bus);
	if (callbacks)
		link->cb = *callbacks;
	link->user_data = user_data;
	link->adapter_name = g_strdup(cfg->adapter ? cfg->adapter : "");
	link->watchdog_ms = (uint16_t)cfg->watchdog_ms;
	link->life = g_cancellable_new();
	link->conn_cancellable = g_cancellable_new();
	link->objects = bluez_objects_new();
	link->backoff_ms = PEN_LINK_BACKOFF_FIRST_MS;
	link->state = PEN_LINK_IDLE;
	if (!link_config_address(link, cfg->address, error))
		return NULL;
	return g_steal_pointer(&link);
}

void pen_link_start(struct pen_link *link)
{
	g_autoptr(GError) error = NULL;

	if (link->name_watch)
		return;
	if (!bluez_agent_export(link, &error))
		g_warning("agent: cannot export %s: %s", PEN_LINK_AGENT_PATH, error->message);
	bluez_client_start(link);
}

void pen_link_free(struct pen_link *link)
{
	if (!link)
		return;
	pen_scan_abort(link);
	bluez_agent_unregister(link);
	bluez_client_stop(link);
	bluez_agent_unexport(link);
	g_cancellable_cancel(link->life);
	g_cancellable_cancel(link->conn_cancellable);
	if (link->retry_source)
		g_source_remove(link->retry_source);
	if (link->settle_source)
		g_source_remove(link->settle_source);
	if (link->gatt_wait_source)
		g_source_remove(link->gatt_wait_source);
	pen_gatt_writes_reset(link);
	pen_link_forget_gatt(link);
	g_free(link->device_path);
	g_free(link->pairing_path);
	g_free(link->bluez_owner);
	g_free(link->adapter_name);
	g_clear_object(&link->bluez_cancellable);
	g_clear_object(&link->conn_cancellable);
	g_clear_object(&link->life);
	bluez_objects_free(link->objects);
	g_object_unref(link->bus);
	g_free(link);
}

bool pen_link_is_connected(const struct pen_link *link)
{
	return link->state == PEN_LINK_READY;
}

const char *pen_link_get_address(const struct pen_link *link)
{
	return link->address_text;
}

static void reset_stale_connection(struct pen_link *link);

/* Whether bluetoothd holds a link to the device.  Connected says so, and so
 * does ServicesResolved: bluetoothd 5.66 can set a reconnection up, services
 * and all, without ever announcing Connected=true (it logs "device_add_
 * connection() ... is already connected"; seen in the VM after pen-side
 * drops).  A real loss takes both to false. */
static bool device_link_up(const struct pen_link *link, const char *device)
{
	bool connected = false, resolved = false;

	bluez_objects_get_bool(link->objects, device, BLUEZ_DEVICE_INTERFACE, "Connected",
			       &connected);
	bluez_objects_get_bool(link->objects, device, BLUEZ_DEVICE_INTERFACE, "ServicesResolved",
			       &resolved);
	return connected || resolved;
}

static gboolean retry_fired(gpointer user_data)
{
	struct pen_link *link = user_data;

	link->retry_source = 0;
	if (link->state == PEN_LINK_SETUP_FAILED)
		link->state = PEN_LINK_IDLE;
	if (link->connect_unseen && link->state == PEN_LINK_IDLE) {
		/* bluetoothd said the last Connect worked, yet the device never
		 * showed Connected=true (its state went stale when the pen
		 * dropped the link and the kernel reconnected at once):
		 * disconnect it, and connect afresh next time. */
		link->connect_unseen = false;
		reset_stale_connection(link);
		pen_link_schedule_retry(link);
		return G_SOURCE_REMOVE;
	}
	link->connect_unseen = false;
	pen_link_update(link);
	return G_SOURCE_REMOVE;
}

void pen_link_schedule_retry(struct pen_link *link)
{
	if (link->retry_source)
		return;
	g_message("pen %s: next attempt in %u ms", link->address_text, link->backoff_ms);
	link->retry_source = g_timeout_add(link->backoff_ms, retry_fired, link);
	link->backoff_ms = MIN(link->backoff_ms * 2, PEN_LINK_BACKOFF_MAX_MS);
}

void pen_link_lost(struct pen_link *link, const char *reason)
{
	bool was_reported = link->connected_reported;

	if (link->state == PEN_LINK_IDLE && !link->connect_pending)
		return;
	g_info("pen %s: link lost: %s", link->address_text, reason);
	/* Tell the daemon while the characteristics are still known: the STOP
	 * it sends then reaches a pen whose services went away but whose radio
	 * link is still up ("services unresolved", "pen service removed"). */
	link->connected_reported = false;
	if (was_reported && link->cb.on_disconnected)
		link->cb.on_disconnected(link->user_data, reason);
	/* Replies to calls of the old link must not touch the new one. */
	g_cancellable_cancel(link->conn_cancellable);
	g_object_unref(link->conn_cancellable);
	link->conn_cancellable = g_cancellable_new();
	link->connect_pending = false;
	link->state = PEN_LINK_IDLE;
	if (link->settle_source)
		g_source_remove(link->settle_source);
	link->settle_source = 0;
	if (link->gatt_wait_source)
		g_source_remove(link->gatt_wait_source);
	link->gatt_wait_source = 0;
	link->gatt_incomplete = false;
	pen_gatt_writes_reset(link);
	pen_link_forget_gatt(link);
	g_clear_pointer(&link->device_path, g_free);
	memset(&link->cartridge, 0, sizeof(link->cartridge));
	if (link->has_address)
		pen_link_schedule_retry(link);
}

void pen_link_drop(struct pen_link *link, const char *reason)
{
	if (link->state == PEN_LINK_IDLE && !link->connect_pending)
		return;
	if (link->device_path && link->bluez_up)
		g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, link->device_path,
				       BLUEZ_DEVICE_INTERFACE, "Disconnect", NULL, NULL,
				       G_DBUS_CALL_FLAGS_NONE, PEN_LINK_CALL_TIMEOUT_MS, NULL, NULL,
				       NULL);
	pen_link_lost(link, reason);
}

void pen_link_bluez_gone(struct pen_link *link)
{
	pen_scan_abort(link);
	pen_link_lost(link, "bluetoothd stopped");
	pen_link_update(link);
}

static void report_adapter(struct pen_link *link, bool present, bool powered)
{
	if (link->adapter_reported && link->adapter_present == present &&
	    link->adapter_powered == powered)
		return;
	link->adapter_reported = true;
	link->adapter_present = present;
	link->adapter_powered = powered;
	if (link->cb.on_adapter_changed)
		link->cb.on_adapter_changed(link->user_data, present, powered);
}

/* A Connect that failed, or "succeeded" without the Connected property
 * following, can mean bluetoothd holds a stale connection (seen with 5.66
 * after the pen dropped the link and the kernel reconnected at once): a
 * Disconnect before the next attempt clears it.  Harmless otherwise. */
static void reset_stale_connection(struct pen_link *link)
{
	if (!link->device_path || !link->bluez_up || device_link_up(link, link->device_path))
		return;
	g_message("pen %s: clearing a stale connection before retrying", link->address_text);
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, link->device_path,
			       BLUEZ_DEVICE_INTERFACE, "Disconnect", NULL, NULL,
			       G_DBUS_CALL_FLAGS_NONE, PEN_LINK_CALL_TIMEOUT_MS, NULL, NULL, NULL);
}

static void connect_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_link *link;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	link = user_data;
	link->connect_pending = false;
	if (!reply) {
		g_autofree char *remote = g_dbus_error_get_remote_error(error);

		if (g_strcmp0(remote, "org.bluez.Error.AlreadyConnected") != 0) {
			g_message("pen %s: Connect failed: %s", link->address_text, error->message);
			reset_stale_connection(link);
			pen_link_schedule_retry(link);
			return;
		}
		reset_stale_connection(link);
	}
	/* bluetoothd may answer (AlreadyConnected, or even success) while its
	 * Connected property says not: without a retry pending, the update
	 * below would call Connect again at once, and again.  A retry that
	 * finds the pen connected does nothing. */
	pen_link_schedule_retry(link);
	pen_link_update(link);
	link->connect_unseen = reply && link->state == PEN_LINK_IDLE;
}

static void link_connect(struct pen_link *link, const char *device)
{
	g_message("pen %s: connecting (%s)", link->address_text, device);
	g_free(link->device_path);
	link->device_path = g_strdup(device);
	link->connect_pending = true;
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, device, BLUEZ_DEVICE_INTERFACE,
			       "Connect", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
			       PEN_LINK_CONNECT_TIMEOUT_MS, link->conn_cancellable, connect_done,
			       link);
}

/* A pen refused for a missing service or characteristic that has it now
 * (bluetoothd added it on the pen's Service Changed) is set up afresh. */
static bool pen_gatt_now_complete(struct pen_link *link)
{
	g_autoptr(GString) missing = g_string_new(NULL);

	return pen_link_find_gatt(link, missing);
}

/* Why the link we hold is no longer there, or NULL while it is. */
static const char *link_loss_reason(struct pen_link *link, const char *adapter, bool powered,
				    const char *device)
{
	bool resolved = false;

	if (!adapter)
		return "adapter removed";
	if (!powered)
		return "adapter powered off";
	if (!device || !link->device_path || strcmp(device, link->device_path) != 0)
		return "device removed";
	if (!device_link_up(link, device))
		return "disconnected";
	bluez_objects_get_bool(link->objects, device, BLUEZ_DEVICE_INTERFACE,
			       "ServicesResolved", &resolved);
	switch (link->state) {
	case PEN_LINK_IDLE:
	case PEN_LINK_RESOLVING:
		return NULL;
	case PEN_LINK_SETUP:
	case PEN_LINK_READY:
	case PEN_LINK_INCOMPATIBLE:
	case PEN_LINK_SETUP_FAILED:
		if (!resolved)
			return "services unresolved";
		for (unsigned i = 0; i < PEN_CHAR_COUNT; i++)
			if (link->char_paths[i] &&
			    !bluez_objects_has_interface(link->objects, link->char_paths[i],
							 BLUEZ_GATT_CHAR_INTERFACE))
				return "pen service removed";
		if (link->state == PEN_LINK_INCOMPATIBLE && link->gatt_incomplete &&
		    pen_gatt_now_complete(link))
			return "pen services changed";
		return NULL;
	}
	return NULL;
}

static gboolean settle_timed_out(gpointer user_data)
{
	struct pen_link *link = user_data;

	link->settle_source = 0;
	if (link->state == PEN_LINK_RESOLVING || link->state == PEN_LINK_SETUP) {
		g_warning("pen %s: connected, but not set up within %u s: reconnecting",
			  link->address_text, PEN_LINK_SETTLE_TIMEOUT_MS / 1000);
		pen_link_drop(link, "not set up in time");
	}
	return G_SOURCE_REMOVE;
}

static gboolean gatt_wait_expired(gpointer user_data);

/* ServicesResolved is true: set up if the pen service is complete.
 * bluetoothd can say so before it has every service: after it restarts over
 * a link that outlived it, it may discover the pen before the pen has
 * registered its services again, and add them on the pen's Service Changed
 * a moment later.  So a pen lacking something gets a short grace period
 * (GRACE_OVER false) before it is called incompatible. */
static void link_setup_when_complete(struct pen_link *link, bool grace_over)
{
	g_autoptr(GString) missing = g_string_new(NULL);

	if (pen_link_find_gatt(link, missing)) {
		if (link->gatt_wait_source)
			g_source_remove(link->gatt_wait_source);
		link->gatt_wait_source = 0;
		link->state = PEN_LINK_SETUP;
		pen_link_setup_begin(link);
	} else if (grace_over) {
		link->gatt_incomplete = true;
		pen_link_report_incompatible(link, missing->str);
	} else if (!link->gatt_wait_source) {
		g_info("pen %s: services resolved, but %s: waiting up to %u ms",
		       link->address_text, missing->str, PEN_LINK_GATT_GRACE_MS);
		link->gatt_wait_source = g_timeout_add(PEN_LINK_GATT_GRACE_MS, gatt_wait_expired,
						       link);
	}
}

static gboolean gatt_wait_expired(gpointer user_data)
{
	struct pen_link *link = user_data;
	bool resolved = false;

	link->gatt_wait_source = 0;
	if (link->state != PEN_LINK_RESOLVING || !link->device_path)
		return G_SOURCE_REMOVE;
	/* Unresolved again: the settle timeout decides. */
	bluez_objects_get_bool(link->objects, link->device_path, BLUEZ_DEVICE_INTERFACE,
			       "ServicesResolved", &resolved);
	if (resolved)
		link_setup_when_complete(link, true);
	return G_SOURCE_REMOVE;
}

void pen_link_update(struct pen_link *link)
{
	const char *adapter = bluez_objects_find_adapter(link->objects, link->adapter_name);
	const char *device = NULL;
	bool powered = false, resolved = false;
	const char *reason;

	if (adapter)
		bluez_objects_get_bool(link->objects, adapter, BLUEZ_ADAPTER_INTERFACE, "Powered",
				       &powered);
	report_adapter(link, adapter != NULL, powered);
	if (adapter && powered && link->has_address)
		device = bluez_objects_find_device(link->objects, adapter, &link->address);

	if (link->state != PEN_LINK_IDLE) {
		reason = link_loss_reason(link, adapter, powered, device);
		if (reason)
			pen_link_lost(link, reason);
	}
	if (!device)
		return;

	bluez_objects_get_bool(link->objects, device, BLUEZ_DEVICE_INTERFACE, "ServicesResolved",
			       &resolved);
	switch (link->state) {
	case PEN_LINK_IDLE:
		if (device_link_up(link, device)) {
			g_free(link->device_path);
			link->device_path = g_strdup(device);
			link->state = PEN_LINK_RESOLVING;
			if (link->settle_source)
				g_source_remove(link->settle_source);
			link->settle_source = g_timeout_add(PEN_LINK_SETTLE_TIMEOUT_MS,
							    settle_timed_out, link);
		} else {
			if (!link->connect_pending && !link->retry_source)
				link_connect(link, device);
			return;
		}
		/* fall through */
	case PEN_LINK_RESOLVING:
		if (resolved)
			link_setup_when_complete(link, false);
		return;
	case PEN_LINK_SETUP:
	case PEN_LINK_READY:
	case PEN_LINK_INCOMPATIBLE:
	case PEN_LINK_SETUP_FAILED:
		return;
	}
}

bool pen_link_set_address(struct pen_link *link, const char *address, GError **error)
{
	struct bt_address parsed;

	if (address && *address && !bt_address_parse(address, &parsed)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "'%s' is not a Bluetooth address (XX:XX:XX:XX:XX:XX)", address);
		return false;
	}
	if (address && *address && link->has_address && bt_address_equal(&parsed, &link->address))
		return true;

	/* Another pen (or none): the old link ends here. */
	if (link->state != PEN_LINK_IDLE || link->connect_pending) {
		pen_link_drop(link, "pen changed");
	}
	if (link->retry_source)
		g_source_remove(link->retry_source);
	link->retry_source = 0;
	link->backoff_ms = PEN_LINK_BACKOFF_FIRST_MS;
	link_config_address(link, address, NULL);
	pen_link_update(link);
	return true;
}
