/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated pen's GATT application as D-Bus objects, the shape
 * bluetoothd's GattManager1.RegisterApplication expects (BlueZ
 * doc/gatt-api): an ObjectManager at the root, GattService1 objects for the
 * pen, Battery (0x180F) and Device Information (0x180A) services, and a
 * GattCharacteristic1 object per characteristic with ReadValue, WriteValue,
 * StartNotify, StopNotify and the UUID/Service/Value/Notifying/Flags
 * properties.
 *
 * Reads and writes go to the pen model (pensim_model.h); a notification is a
 * PropertiesChanged of Value, which bluetoothd forwards to subscribed
 * centrals.  Only server-side code: nothing here calls bluetoothd.
 */
#pragma once

#include <stdbool.h>

#include <gio/gio.h>

#include "pensim_model.h"

#define PENSIM_GATT_APP_PATH "/org/penctl/pensim/app"

struct pensim_gatt;

struct pensim_gatt_info {
	bool require_encryption;  /* docs/pen-protocol.md §8: writes need an encrypted link */
	const char *manufacturer;
	const char *model_number;
	const char *serial_number;
	const char *firmware_revision;
	bool verbose;             /* log every heartbeat */
};

/* Called after every write the central made (accepted or not), so the
 * caller can take the model's motor events, notify and re-arm its timer. */
typedef void (*pensim_gatt_changed_fn)(void *user_data);

struct pensim_gatt *pensim_gatt_new(GDBusConnection *bus, struct pensim_model *model,
				    const struct pensim_gatt_info *info,
				    pensim_gatt_changed_fn changed, void *user_data,
				    GError **error);
void pensim_gatt_free(struct pensim_gatt *gatt);

/* Send what the central is owed: Status when the model says so, and
 * Depth/Speed/Battery Level/... whenever their value differs from the last
 * one sent. */
void pensim_gatt_notify_changes(struct pensim_gatt *gatt);
