// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The model of bluetoothd's object tree (see penctl/bluez_objects.h).
 *
 * path -> interface -> property name -> GVariant, all owned here.  Nothing
 * is interpreted when stored; types are checked when a value is asked for,
 * so one bad property costs that property only.
 */
#include <string.h>

#include "penctl/bluez_objects.h"

struct bluez_objects {
	GHashTable *objects; /* char *path -> GHashTable(char *interface -> props) */
};

static GHashTable *properties_table_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)g_variant_unref);
}

static GHashTable *interfaces_table_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				     (GDestroyNotify)g_hash_table_unref);
}

struct bluez_objects *bluez_objects_new(void)
{
	struct bluez_objects *objects = g_new0(struct bluez_objects, 1);

	objects->objects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						 (GDestroyNotify)g_hash_table_unref);
	return objects;
}

void bluez_objects_free(struct bluez_objects *objects)
{
	if (!objects)
		return;
	g_hash_table_unref(objects->objects);
	g_free(objects);
}

void bluez_objects_clear(struct bluez_objects *objects)
{
	g_hash_table_remove_all(objects->objects);
}

/* Stores every entry of an a{sv} into props (replacing same names). */
static void properties_store(GHashTable *props, GVariant *dict)
{
	GVariantIter iter;
	const char *name;
	GVariant *value;

	g_variant_iter_init(&iter, dict);
	while (g_variant_iter_next(&iter, "{&sv}", &name, &value))
		g_hash_table_replace(props, g_strdup(name), value);
}

static bool interfaces_store(struct bluez_objects *objects, const char *path,
			     GVariant *interfaces)
{
	GHashTable *ifaces;
	GVariantIter iter;
	const char *name;
	GVariant *dict;

	if (!g_variant_is_of_type(interfaces, G_VARIANT_TYPE("a{sa{sv}}")) ||
	    !g_variant_is_object_path(path))
		return false;

	ifaces = g_hash_table_lookup(objects->objects, path);
	if (!ifaces) {
		ifaces = interfaces_table_new();
		g_hash_table_insert(objects->objects, g_strdup(path), ifaces);
	}

	g_variant_iter_init(&iter, interfaces);
	while (g_variant_iter_next(&iter, "{&s@a{sv}}", &name, &dict)) {
		GHashTable *props = properties_table_new();

		properties_store(props, dict);
		g_hash_table_replace(ifaces, g_strdup(name), props);
		g_variant_unref(dict);
	}
	return true;
}

bool bluez_objects_load(struct bluez_objects *objects, GVariant *managed)
{
	g_autoptr(GVariant) body = NULL;
	GVariantIter iter;
	const char *path;
	GVariant *interfaces;

	bluez_objects_clear(objects);
	if (!managed)
		return false;
	if (g_variant_is_of_type(managed, G_VARIANT_TYPE("(a{oa{sa{sv}}})")))
		body = g_variant_get_child_value(managed, 0);
	else if (g_variant_is_of_type(managed, G_VARIANT_TYPE("a{oa{sa{sv}}}")))
		body = g_variant_ref(managed);
	else
		return false;

	g_variant_iter_init(&iter, body);
	while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &interfaces)) {
		interfaces_store(objects, path, interfaces);
		g_variant_unref(interfaces);
	}
	return true;
}

bool bluez_objects_interfaces_added(struct bluez_objects *objects, const char *path,
				    GVariant *interfaces)
{
	if (!path || !interfaces)
		return false;
	return interfaces_store(objects, path, interfaces);
}

bool bluez_objects_interfaces_removed(struct bluez_objects *objects, const char *path,
				      GVariant *interfaces)
{
	GHashTable *ifaces;
	GVariantIter iter;
	const char *name;

	if (!path || !interfaces || !g_variant_is_of_type(interfaces, G_VARIANT_TYPE_STRING_ARRAY))
		return false;
	ifaces = g_hash_table_lookup(objects->objects, path);
	if (!ifaces)
		return false;

	g_variant_iter_init(&iter, interfaces);
	while (g_variant_iter_next(&iter, "&s", &name))
		g_hash_table_remove(ifaces, name);
	if (g_hash_table_size(ifaces) == 0)
		g_hash_table_remove(objects->objects, path);
	return true;
}

bool bluez_objects_properties_changed(struct bluez_objects *objects, const char *path,
				      const char *interface, GVariant *changed,
				      GVariant *invalidated)
{
	GHashTable *ifaces, *props;

	if (!path || !interface)
		return false;
	ifaces = g_hash_table_lookup(objects->objects, path);
	if (!ifaces)
		return false;
	props = g_hash_table_lookup(ifaces, interface);
	if (!props)
		return false;

	if (changed && g_variant_is_of_type(changed, G_VARIANT_TYPE_VARDICT))
		properties_store(props, changed);
	if (invalidated && g_variant_is_of_type(invalidated, G_VARIANT_TYPE_STRING_ARRAY)) {
		GVariantIter iter;
		const char *name;

		g_variant_iter_init(&iter, invalidated);
		while (g_variant_iter_next(&iter, "&s", &name))
			g_hash_table_remove(props, name);
	}
	return true;
}

static GHashTable *interface_props(const struct bluez_objects *objects, const char *path,
				   const char *interface)
{
	GHashTable *ifaces;

	if (!path || !interface)
		return NULL;
	ifaces = g_hash_table_lookup(objects->objects, path);
	return ifaces ? g_hash_table_lookup(ifaces, interface) : NULL;
}

bool bluez_objects_has_interface(const struct bluez_objects *objects, const char *path,
				 const char *interface)
{
	return interface_props(objects, path, interface) != NULL;
}

/* The property's value when it has exactly this type, else NULL. */
static GVariant *property_typed(const struct bluez_objects *objects, const char *path,
				const char *interface, const char *name,
				const GVariantType *type)
{
	GHashTable *props = interface_props(objects, path, interface);
	GVariant *value;

	if (!props)
		return NULL;
	value = g_hash_table_lookup(props, name);
	if (!value || !g_variant_is_of_type(value, type))
		return NULL;
	return value;
}

bool bluez_objects_get_bool(const struct bluez_objects *objects, const char *path,
			    const char *interface, const char *name, bool *out)
{
	GVariant *value = property_typed(objects, path, interface, name, G_VARIANT_TYPE_BOOLEAN);

	if (!value)
		return false;
	*out = g_variant_get_boolean(value);
	return true;
}

const char *bluez_objects_get_string(const struct bluez_objects *objects, const char *path,
				     const char *interface, const char *name)
{
	GVariant *value = property_typed(objects, path, interface, name, G_VARIANT_TYPE_STRING);

	return value ? g_variant_get_string(value, NULL) : NULL;
}

const char *bluez_objects_get_object_path(const struct bluez_objects *objects,
					  const char *path, const char *interface,
					  const char *name)
{
	GVariant *value = property_typed(objects, path, interface, name,
					 G_VARIANT_TYPE_OBJECT_PATH);

	return value ? g_variant_get_string(value, NULL) : NULL;
}

bool bluez_objects_get_int16(const struct bluez_objects *objects, const char *path,
			     const char *interface, const char *name, int16_t *out)
{
	GVariant *value = property_typed(objects, path, interface, name, G_VARIANT_TYPE_INT16);

	if (!value)
		return false;
	*out = g_variant_get_int16(value);
	return true;
}

const uint8_t *bluez_objects_get_bytes(const struct bluez_objects *objects, const char *path,
				       const char *interface, const char *name, size_t *len)
{
	GVariant *value = property_typed(objects, path, interface, name,
					 G_VARIANT_TYPE_BYTESTRING);
	static const uint8_t empty[1];
	const uint8_t *data;
	gsize n = 0;

	*len = 0;
	if (!value)
		return NULL;
	data = g_variant_get_fixed_array(value, &n, sizeof(uint8_t));
	*len = n;
	/* An empty array may come back as NULL: still a present value. */
	return data ? data : empty;
}

bool bluez_objects_strv_contains(const struct bluez_objects *objects, const char *path,
				 const char *interface, const char *name, const char *value)
{
	GVariant *strv = property_typed(objects, path, interface, name,
					G_VARIANT_TYPE_STRING_ARRAY);
	GVariantIter iter;
	const char *s;

	if (!strv || !value)
		return false;
	g_variant_iter_init(&iter, strv);
	while (g_variant_iter_next(&iter, "&s", &s))
		if (g_ascii_strcasecmp(s, value) == 0)
			return true;
	return false;
}

static int compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Paths of every object with this interface, in path order: hash order is
 * arbitrary, and "the first adapter" must not change from run to run. */
static GPtrArray *paths_with_interface(const struct bluez_objects *objects,
				       const char *interface)
{
	GPtrArray *paths = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, objects->objects);
	while (g_hash_table_iter_next(&iter, &key, &value))
		if (g_hash_table_contains(value, interface))
			g_ptr_array_add(paths, key);
	g_ptr_array_sort(paths, compare_paths);
	return paths;
}

const char *bluez_objects_find_adapter(const struct bluez_objects *objects, const char *name)
{
	g_autoptr(GPtrArray) adapters = paths_with_interface(objects, BLUEZ_ADAPTER_INTERFACE);
	const char *first = NULL;

	for (guint i = 0; i < adapters->len; i++) {
		const char *path = adapters->pdata[i];
		const char *base = strrchr(path, '/');
		bool powered = false;

		base = base ? base + 1 : path;
		if (name && *name) {
			if (strcmp(base, name) == 0)
				return path;
			continue;
		}
		if (bluez_objects_get_bool(objects, path, BLUEZ_ADAPTER_INTERFACE, "Powered",
					   &powered) && powered)
			return path;
		if (!first)
			first = path;
	}
	return first;
}

static bool device_on_adapter(const struct bluez_objects *objects, const char *path,
			      const char *adapter_path)
{
	const char *adapter = bluez_objects_get_object_path(objects, path,
							    BLUEZ_DEVICE_INTERFACE, "Adapter");

	return adapter && adapter_path && strcmp(adapter, adapter_path) == 0;
}

GPtrArray *bluez_objects_list_devices(const struct bluez_objects *objects,
				      const char *adapter_path)
{
	GPtrArray *devices = paths_with_interface(objects, BLUEZ_DEVICE_INTERFACE);

	for (guint i = devices->len; i-- > 0;)
		if (!device_on_adapter(objects, devices->pdata[i], adapter_path))
			g_ptr_array_remove_index(devices, i);
	return devices;
}

const char *bluez_objects_find_device(const struct bluez_objects *objects,
				      const char *adapter_path,
				      const struct bt_address *address)
{
	g_autoptr(GPtrArray) devices = bluez_objects_list_devices(objects, adapter_path);

	for (guint i = 0; i < devices->len; i++) {
		const char *text = bluez_objects_get_string(objects, devices->pdata[i],
							    BLUEZ_DEVICE_INTERFACE, "Address");
		struct bt_address parsed;

		if (bt_address_parse(text, &parsed) && bt_address_equal(&parsed, address))
			return devices->pdata[i];
	}
	return NULL;
}

/* The first object with interface whose parent_property names parent and
 * whose UUID is uuid. */
static const char *find_child_by_uuid(const struct bluez_objects *objects,
				      const char *interface, const char *parent_property,
				      const char *parent, const char *uuid)
{
	g_autoptr(GPtrArray) paths = paths_with_interface(objects, interface);

	if (!parent || !uuid)
		return NULL;
	for (guint i = 0; i < paths->len; i++) {
		const char *owner = bluez_objects_get_object_path(objects, paths->pdata[i],
								  interface, parent_property);
		const char *id = bluez_objects_get_string(objects, paths->pdata[i], interface,
							  "UUID");

		if (owner && id && strcmp(owner, parent) == 0 &&
		    g_ascii_strcasecmp(id, uuid) == 0)
			return paths->pdata[i];
	}
	return NULL;
}

const char *bluez_objects_find_service(const struct bluez_objects *objects,
				       const char *device_path, const char *uuid)
{
	return find_child_by_uuid(objects, BLUEZ_GATT_SERVICE_INTERFACE, "Device",
				  device_path, uuid);
}

const char *bluez_objects_find_characteristic(const struct bluez_objects *objects,
					      const char *service_path, const char *uuid)
{
	return find_child_by_uuid(objects, BLUEZ_GATT_CHAR_INTERFACE, "Service",
				  service_path, uuid);
}
