/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link to the pen through bluetoothd (org.bluez on the system bus).
 *
 * pen_link watches org.bluez, keeps a model of its objects, registers a
 * pairing agent, connects to the configured pen (retrying with capped
 * exponential backoff), checks that it speaks the pen protocol, sets it up
 * and turns its notifications into callbacks.  A lost link (Connected=false,
 * the device removed, bluetoothd gone) is reported once through
 * on_disconnected and reconnecting starts by itself.
 *
 * Everything runs on the thread-default GLib main context of the caller of
 * pen_link_new(); nothing blocks.  Callbacks may call back into pen_link
 * (write, set_address, ...), but must not free it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>

#include "penctl/pen_protocol.h"

struct pen_link;

struct pen_link_config {
	const char *address;  /* the pen, XX:XX:XX:XX:XX:XX; NULL or "" = none yet */
	const char *adapter;  /* "hci0"; NULL or "" = the first powered adapter */
	uint32_t watchdog_ms; /* written to the pen's Watchdog at every connect */
};

struct pen_link_callbacks {
	/* The pen is connected and set up.  When !compatible, incompatibility
	 * says why (e.g. "missing characteristic Heartbeat (7d1e0006-...)")
	 * and cartridge is all zero; the engine must refuse to run. */
	void (*on_connected)(void *user_data, const char *address, bool compatible,
			     const char *incompatibility, const struct pen_cartridge *cartridge);
	/* Once per on_connected, as soon as the link is known to be lost. */
	void (*on_disconnected)(void *user_data, const char *reason);
	void (*on_status)(void *user_data, const struct pen_status *status);
	/* The Cartridge value changed after connect (pen_link_read_cartridge()). */
	void (*on_cartridge)(void *user_data, const struct pen_cartridge *cartridge);
	void (*on_battery)(void *user_data, uint8_t percent);
	/* A Depth notification (the depth the pen has applied). */
	void (*on_depth)(void *user_data, uint16_t depth_um);
	/* A value from the pen did not parse; the value is dropped.  what is
	 * the characteristic's name ("status"). */
	void (*on_malformed)(void *user_data, const char *what, const GError *error);
	/* A write with response failed (what: "control", "depth", "speed",
	 * "watchdog").  For "control" the daemon must treat the motor state
	 * as unknown. */
	void (*on_write_failed)(void *user_data, const char *what, const GError *error);
	/* A pen-protocol device seen while scanning (may repeat). */
	void (*on_discovered)(void *user_data, const char *address, const char *name,
			      int16_t rssi);
	/* The chosen adapter appeared, vanished, or was powered on/off. */
	void (*on_adapter_changed)(void *user_data, bool present, bool powered);
	/* bluetoothd's agent asked to confirm a passkey; accepted for the
	 * device being paired (pen_link_pair()), rejected otherwise. */
	void (*on_pairing_passkey)(void *user_data, const char *address, uint32_t passkey);
};

/* Any callback may be NULL.  cfg is copied.  Fails (NULL, error) on an
 * invalid address or a watchdog outside the protocol's range. */
struct pen_link *pen_link_new(GDBusConnection *system_bus, const struct pen_link_config *cfg,
			      const struct pen_link_callbacks *callbacks, void *user_data,
			      GError **error);

/* Starts watching org.bluez; callbacks follow from the main loop. */
void pen_link_start(struct pen_link *link);

/* Cancels everything pending, unregisters the agent.  Never calls a
 * pen_link_callbacks member (no on_disconnected: tell the engine yourself).
 * A pending scan, pair or forget completes with G_IO_ERROR_CANCELLED; its
 * GAsyncReadyCallback may run during this call and must not use the link
 * except for the _finish function.  A write already sent stays sent; flush
 * the connection (g_dbus_connection_flush_sync) before exiting. */
void pen_link_free(struct pen_link *link);
typedef struct pen_link pen_link;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(pen_link, pen_link_free)

bool pen_link_is_connected(const struct pen_link *link); /* set up and compatible */
/* The configured pen's address ("" when none); owned by link. */
const char *pen_link_get_address(const struct pen_link *link);

/* Changes the pen (NULL or "" = none): a link to the old pen is dropped
 * (on_disconnected) and the new one is connected when known to bluetoothd.
 * False + error for an invalid address. */
bool pen_link_set_address(struct pen_link *link, const char *address, GError **error);

/*
 * Writes.  Each returns 0 when the write was handed to bluetoothd in this
 * call, -ENOTCONN when there is no pen to write to, -ERANGE/-EINVAL when
 * the value cannot be encoded.
 *
 * Control is a write with response sent at once, never queued: a STOP is
 * on the bus before the function returns.  A STOP is sent whenever the
 * Control characteristic is known (even to an incompatible pen); a RUN only
 * to a compatible one.  Depth and Speed are written with response; an
 * error reply arrives through on_write_failed.  Heartbeat is a write
 * without response ("type": "command").
 */
int pen_link_write_control(struct pen_link *link, bool run, uint16_t seq);
int pen_link_write_depth(struct pen_link *link, uint16_t depth_um);
int pen_link_write_speed(struct pen_link *link, uint16_t speed);
int pen_link_write_heartbeat(struct pen_link *link, uint16_t counter);

/* Reads Cartridge again; on_cartridge follows with the value read, changed
 * or not (a cartridge put back must be seen to be the same one). */
int pen_link_read_cartridge(struct pen_link *link);

/* Disconnects the pen (Device1.Disconnect) and reports on_disconnected at
 * once; reconnecting starts by itself and sets the pen up afresh.  For a
 * pen whose state can no longer be trusted. */
void pen_link_drop(struct pen_link *link, const char *reason);

/*
 * Scanning: sets the discovery filter {Transport: le, UUIDs: [pen service],
 * DuplicateData: false}, discovers for seconds (1..120), stops.
 * on_discovered is called for pen-protocol devices meanwhile.  The result
 * is a new "a(ssn)" of (address, name, rssi) of pen-protocol devices known
 * on the adapter at the end.
 */
void pen_link_scan(struct pen_link *link, unsigned seconds, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data);
GVariant *pen_link_scan_finish(struct pen_link *link, GAsyncResult *result, GError **error);

/* Pairs with a device the adapter knows (scan first), sets Trusted=true,
 * makes it the pen (pen_link_set_address) and starts connecting.  The
 * daemon persists the address when this succeeds. */
void pen_link_pair(struct pen_link *link, const char *address, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data);
bool pen_link_pair_finish(struct pen_link *link, GAsyncResult *result, GError **error);

/* Drops the link, removes the pen from bluetoothd (Adapter1.RemoveDevice)
 * and clears the address.  Succeeds too when bluetoothd did not know it. */
void pen_link_forget(struct pen_link *link, GCancellable *cancellable,
		     GAsyncReadyCallback callback, gpointer user_data);
bool pen_link_forget_finish(struct pen_link *link, GAsyncResult *result, GError **error);
