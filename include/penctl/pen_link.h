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

/*
 * The errors pen_link returns (scan, pair, forget, set_address, new) and
 * hands to its callbacks (on_link_error, on_write_failed, on_malformed) are
 * in this domain; the message says what happened for a person.  The one
 * exception is cancellation: G_IO_ERROR_CANCELLED, as everywhere in GIO
 * (GTask itself returns it when the caller's GCancellable fires).
 */
#define PEN_LINK_ERROR (pen_link_error_quark())
GQuark pen_link_error_quark(void);

enum pen_link_error_code {
	PEN_LINK_ERROR_FAILED,            /* bluetoothd refused, for no reason below */
	PEN_LINK_ERROR_INVALID_ARGUMENT,  /* not an address, scan time out of range, ... */
	PEN_LINK_ERROR_BLUEZ_NOT_RUNNING, /* bluetoothd is not on the bus */
	PEN_LINK_ERROR_NO_ADAPTER,        /* no (such) Bluetooth adapter */
	PEN_LINK_ERROR_ADAPTER_OFF,       /* the adapter is powered off */
	PEN_LINK_ERROR_DEVICE_UNKNOWN,    /* bluetoothd does not know the device: scan first */
	PEN_LINK_ERROR_PAIRING_FAILED,    /* Pair() or Trusted failed otherwise */
	PEN_LINK_ERROR_PAIRING_REFUSED,   /* rejected or cancelled (by the pen or a person) */
	PEN_LINK_ERROR_PAIRING_TIMEOUT,   /* no answer in time */
	PEN_LINK_ERROR_BUSY,              /* a scan or pairing already runs */
	PEN_LINK_ERROR_LINK,              /* the link did not carry a write (on_link_error) */
	PEN_LINK_ERROR_PEN_REFUSED,       /* the pen answered a write with an ATT error */
	PEN_LINK_ERROR_INCOMPATIBLE,      /* the pen does not speak the protocol (on_malformed) */
};

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
	/* The pen broke the protocol (docs/pen-protocol.md §7): a value the
	 * engine relies on did not parse (what: "status", "cartridge",
	 * "battery"), or the pen answered a Control write outside the
	 * documented set (what: "control": a STOP refused, a RUN refused with a
	 * code other than 0x80..0x83).  The value is dropped.  Malformed Depth
	 * and Speed notifications, which the engine does not use, are only
	 * logged. */
	void (*on_malformed)(void *user_data, const char *what, const GError *error);
	/* The pen answered a Depth, Speed or Watchdog write with an ATT error
	 * (what: "depth", "speed", "watchdog"): its setting is unchanged, not
	 * what the daemon asked for.  Not for transport failures
	 * (on_link_error) nor for Control (on_control_answered). */
	void (*on_write_failed)(void *user_data, const char *what, const GError *error);
	/* The pen answered a Control write: att_error 0 = applied (for a RUN:
	 * the motor runs); 0x80..0x83 = the pen's documented refusal of a RUN
	 * (docs/pen-protocol.md §3.1, §9): the motor is not running.  A write
	 * superseded while queued (pen_link_write_control) is never sent and
	 * never answered. */
	void (*on_control_answered)(void *user_data, bool run, uint16_t seq, uint8_t att_error);
	/* A write the link could not carry after retries: bluetoothd's
	 * InProgress for too long, org.bluez.Error.Failed without an ATT
	 * answer, NotConnected, NotPermitted (not paired), a D-Bus timeout or
	 * NoReply; for "control" also a STOP (or RUN) held back by a Control
	 * write the pen has not answered within PEN_LINK_CONTROL_WAIT_MS.  what: "control",
	 * "depth", "speed", "watchdog".  Not the pen's answer: the daemon must
	 * treat the motor state as unknown and the link as unusable (STOP,
	 * then drop it), but the pen is not at fault.  Heartbeat failures are
	 * only logged: one lost heartbeat must not stop the motor (§5). */
	void (*on_link_error)(void *user_data, const char *what, const GError *error);
	/* The pen applied a pen_link_write_watchdog() value (its Write
	 * Response): from now on it stops the motor watchdog_ms after the last
	 * heartbeat, so the daemon may change its heartbeat interval.  Not for
	 * the connect-time write (on_connected implies it). */
	void (*on_watchdog_written)(void *user_data, uint16_t watchdog_ms);
	/* A pen-protocol device seen while scanning (may repeat). */
	void (*on_discovered)(void *user_data, const char *address, const char *name,
			      int16_t rssi);
	/* The chosen adapter appeared, vanished, or was powered on/off. */
	void (*on_adapter_changed)(void *user_data, bool present, bool powered);
	/* bluetoothd left the bus (running false) or came back (true).  Its
	 * adapters go with it: on_adapter_changed follows. */
	void (*on_bluez_changed)(void *user_data, bool running);
	/* The pen's Device Information, read after on_connected when it offers
	 * it: MODEL and FIRMWARE as the pen gives them ("" when absent or
	 * unreadable; the engine cuts and cleans them).  At most once per
	 * on_connected, and never when it offers neither. */
	void (*on_device_info)(void *user_data, const char *model, const char *firmware);
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

/* The configured pen's address ("" when none); owned by link. */
const char *pen_link_get_address(const struct pen_link *link);

/* Changes the pen (NULL or "" = none): a link to the old pen is dropped
 * (on_disconnected) and the new one is connected when known to bluetoothd.
 * False + error for an invalid address. */
bool pen_link_set_address(struct pen_link *link, const char *address, GError **error);

/*
 * Writes.  Each returns 0 when the write was sent or queued in this call,
 * -ENOTCONN when there is no pen to write to, -ERANGE/-EINVAL when the
 * value cannot be encoded.
 *
 * One write in flight per characteristic: bluetoothd (5.66,
 * src/gatt-client.c) refuses a second WriteValue on a characteristic while
 * one is unanswered (org.bluez.Error.InProgress), so a write made
 * meanwhile waits, and a newer one replaces it (the newest intent wins).
 * A write that is not waiting is on the bus before the function returns.
 * Hence a STOP goes out at once, or as soon as the Control write in flight
 * is answered; it never waits behind a RUN that is no longer wanted.  If
 * that answer does not come within PEN_LINK_CONTROL_WAIT_MS, on_link_error
 * follows.  InProgress (another client's write) is retried.
 *
 * A STOP is sent whenever the Control characteristic is known (even to an
 * incompatible pen); a RUN only to a compatible one.  Control, Depth,
 * Speed and Watchdog are written with response (answers: see
 * on_control_answered, on_write_failed, on_link_error).  Heartbeat is a
 * write without response ("type": "command").
 */
#define PEN_LINK_CONTROL_WAIT_MS 1000u
int pen_link_write_control(struct pen_link *link, bool run, uint16_t seq);
int pen_link_write_depth(struct pen_link *link, uint16_t depth_um);
int pen_link_write_speed(struct pen_link *link, uint16_t speed);
int pen_link_write_heartbeat(struct pen_link *link, uint16_t counter);
/* A new Watchdog time (PEN_WATCHDOG_MIN_MS..MAX_MS, else -ERANGE) for the
 * pen now, and at every later connect (it replaces the configured
 * watchdog_ms): for a reload that changes PenWatchdogMs or
 * HeartbeatIntervalMs.  -ENOTCONN (the value is still kept for the next
 * connect) when no compatible pen is set up. */
int pen_link_write_watchdog(struct pen_link *link, uint16_t watchdog_ms);

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
