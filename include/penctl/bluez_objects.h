/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A pure model of bluetoothd's D-Bus object tree: no bus, no main loop.
 *
 * Fed with what org.bluez says (GetManagedObjects, InterfacesAdded,
 * InterfacesRemoved, PropertiesChanged); answers the questions the pen link
 * asks: which adapter, which device has this address, where are the pen's
 * service and characteristics (by UUID, never by object path).
 *
 * Properties are stored as received; every getter checks the value's type
 * with g_variant_is_of_type() and treats a wrong type as absent, so a
 * misbehaving peer can never make us trust a value of the wrong shape.
 *
 * Returned object paths belong to the model: valid until its next change.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>

#include "penctl/bt_address.h"

#define BLUEZ_ADAPTER_INTERFACE        "org.bluez.Adapter1"
#define BLUEZ_DEVICE_INTERFACE         "org.bluez.Device1"
#define BLUEZ_GATT_SERVICE_INTERFACE   "org.bluez.GattService1"
#define BLUEZ_GATT_CHAR_INTERFACE      "org.bluez.GattCharacteristic1"

struct bluez_objects;

struct bluez_objects *bluez_objects_new(void);
void bluez_objects_free(struct bluez_objects *objects);
typedef struct bluez_objects bluez_objects;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(bluez_objects, bluez_objects_free)

/* Forget everything (bluetoothd went away). */
void bluez_objects_clear(struct bluez_objects *objects);

/* Replace the whole model with a GetManagedObjects reply body: either
 * "(a{oa{sa{sv}}})" or "a{oa{sa{sv}}}".  False (model cleared) on any
 * other type. */
bool bluez_objects_load(struct bluez_objects *objects, GVariant *managed);

/* InterfacesAdded(o, a{sa{sv}}): interfaces present are replaced. */
bool bluez_objects_interfaces_added(struct bluez_objects *objects, const char *path,
				    GVariant *interfaces);

/* InterfacesRemoved(o, as): an object without interfaces is dropped. */
bool bluez_objects_interfaces_removed(struct bluez_objects *objects, const char *path,
				      GVariant *interfaces);

/* PropertiesChanged(s, a{sv}, as) on path: changes are stored, invalidated
 * properties are forgotten (bluetoothd uses that for a value gone away).
 * Ignored (false) for an object or interface the model does not hold. */
bool bluez_objects_properties_changed(struct bluez_objects *objects, const char *path,
				      const char *interface, GVariant *changed,
				      GVariant *invalidated);

bool bluez_objects_has_interface(const struct bluez_objects *objects, const char *path,
				 const char *interface);

/* Typed getters: false when the object, interface or property is missing
 * or has another type. */
bool bluez_objects_get_bool(const struct bluez_objects *objects, const char *path,
			    const char *interface, const char *name, bool *out);
/* Strings and object paths: the returned pointer belongs to the model. */
const char *bluez_objects_get_string(const struct bluez_objects *objects, const char *path,
				     const char *interface, const char *name);
const char *bluez_objects_get_object_path(const struct bluez_objects *objects,
					  const char *path, const char *interface,
					  const char *name);
bool bluez_objects_get_int16(const struct bluez_objects *objects, const char *path,
			     const char *interface, const char *name, int16_t *out);
/* "ay": the bytes belong to the model. */
const uint8_t *bluez_objects_get_bytes(const struct bluez_objects *objects, const char *path,
				       const char *interface, const char *name, size_t *len);
/* Whether an "as" property (UUIDs, Flags) holds value, case-insensitively. */
bool bluez_objects_strv_contains(const struct bluez_objects *objects, const char *path,
				 const char *interface, const char *name, const char *value);

/* The adapter called name ("hci0": the last element of its object path),
 * or, when name is NULL or "", the first powered adapter in path order,
 * else the first adapter at all (so a caller can say "present, off").
 * NULL when none fits. */
const char *bluez_objects_find_adapter(const struct bluez_objects *objects, const char *name);

/* The Device1 under adapter_path whose Address is address. */
const char *bluez_objects_find_device(const struct bluez_objects *objects,
				      const char *adapter_path,
				      const struct bt_address *address);

/* Device1 objects under adapter_path, in path order (paths owned by the
 * model; the array is the caller's). */
GPtrArray *bluez_objects_list_devices(const struct bluez_objects *objects,
				      const char *adapter_path);

/* The device's GattService1 with this UUID (case-insensitive). */
const char *bluez_objects_find_service(const struct bluez_objects *objects,
				       const char *device_path, const char *uuid);

/* The service's GattCharacteristic1 with this UUID (case-insensitive). */
const char *bluez_objects_find_characteristic(const struct bluez_objects *objects,
					      const char *service_path, const char *uuid);
