/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer (a), the BlueZ bus client: follows bluetoothd on the system bus
 * (its name, its ObjectManager and Properties signals, kept in a
 * bluez_objects model) and makes calls to it.  It knows nothing of pens:
 * what a change means is its owner's business, told through
 * bluez_client_events.  Not a public header.
 */
#pragma once

#include <stdbool.h>

#include <gio/gio.h>

#include "penctl/bluez_objects.h"

#define BLUEZ_BUS_NAME                 "org.bluez"

/* bluetoothd's own timeouts are long (LE connect, pairing with a person). */
#define BLUEZ_CALL_TIMEOUT_MS          25000

struct bluez_client;

/* What bluetoothd did; the model is already up to date when these run. */
struct bluez_client_events {
	/* bluetoothd appeared (its objects are not loaded yet). */
	void (*appeared)(void *owner);
	/* bluetoothd left the bus: the model is empty. */
	void (*vanished)(void *owner);
	/* GetManagedObjects answered: the model holds everything. */
	void (*loaded)(void *owner);
	void (*interfaces_added)(void *owner, const char *path);
	void (*interfaces_removed)(void *owner, const char *path);
	/* A stored property change (changed: the "a{sv}" as received). */
	void (*properties_changed)(void *owner, const char *path, const char *interface,
				   GVariant *changed);
};

struct bluez_client *bluez_client_new(GDBusConnection *bus, const struct bluez_client_events *events,
				      void *owner);
/* Stops watching first; the model goes with it. */
void bluez_client_free(struct bluez_client *client);

/* Subscribes, then watches the name: events follow from the main loop. */
void bluez_client_start(struct bluez_client *client);
/* Unsubscribes and cancels what was asked of this bluetoothd. */
void bluez_client_stop(struct bluez_client *client);
bool bluez_client_is_started(const struct bluez_client *client);

GDBusConnection *bluez_client_bus(const struct bluez_client *client);
const struct bluez_objects *bluez_client_objects(const struct bluez_client *client);
bool bluez_client_is_up(const struct bluez_client *client);
/* bluetoothd's unique name while it is up, else NULL. */
const char *bluez_client_owner(const struct bluez_client *client);
/* Cancelled when this bluetoothd goes (or the client stops). */
GCancellable *bluez_client_instance_cancellable(const struct bluez_client *client);

/* A method call to org.bluez. */
void bluez_client_call(struct bluez_client *client, const char *path, const char *interface,
		       const char *method, GVariant *params, const GVariantType *reply_type,
		       int timeout_ms, GCancellable *cancellable, GAsyncReadyCallback callback,
		       gpointer user_data);

/* Properties.Set(interface, name, value) on path. */
void bluez_client_set_property(struct bluez_client *client, const char *path,
			       const char *interface, const char *name, GVariant *value,
			       GCancellable *cancellable, GAsyncReadyCallback callback,
			       gpointer user_data);

/* Whether error is bluetoothd's org.bluez.Error.<name> (name: "Failed"). */
bool bluez_error_is(const GError *error, const char *name);
/* Device1.Connect's "bluetoothd is connecting to it already" on LE: 5.66
 * answers org.bluez.Error.Failed "Operation already in progress" while an
 * LE connection attempt is pending (device_connect_le(), its att_io: one
 * whose caller has gone, a Pair's, the adapter's own).  (InProgress comes
 * from BR/EDR profile connects only: not this.) */
bool bluez_error_is_connect_in_progress(const GError *error);
