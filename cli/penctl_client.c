/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl's D-Bus client helpers.
 */
#include <stdbool.h>
#include <string.h>

#include "penctl/dbus_interface.h"
#include "penctl/dbus_names.h"

#include "penctl_client.h"

static bool remote_name_is(const char *name, const char *const *names)
{
	for (; *names; names++)
		if (g_str_equal(name, *names))
			return true;
	return false;
}

enum penctl_exit penctl_exit_code_for_error(const GError *error)
{
	static const char *const unreachable[] = {
		"org.freedesktop.DBus.Error.ServiceUnknown",
		"org.freedesktop.DBus.Error.NameHasNoOwner",
		"org.freedesktop.DBus.Error.NoServer",
		"org.freedesktop.DBus.Error.NoReply",
		"org.freedesktop.DBus.Error.Timeout",
		"org.freedesktop.DBus.Error.Disconnected",
		"org.freedesktop.DBus.Error.UnknownObject",
		"org.freedesktop.DBus.Error.UnknownInterface",
		"org.freedesktop.DBus.Error.UnknownMethod",
		"org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
		NULL,
	};
	static const char *const denied[] = {
		"org.freedesktop.DBus.Error.AccessDenied",
		"org.freedesktop.DBus.Error.AuthFailed",
		NULL,
	};
	g_autofree char *remote = NULL;

	if (!error)
		return PENCTL_EXIT_OK;
	if (g_dbus_error_is_remote_error(error)) {
		remote = g_dbus_error_get_remote_error(error);
		if (remote_name_is(remote, denied))
			return PENCTL_EXIT_NOPERM;
		if (remote_name_is(remote, unreachable))
			return PENCTL_EXIT_UNAVAILABLE;
		return PENCTL_EXIT_REFUSED;
	}
	if (error->domain == G_DBUS_ERROR) {
		switch (error->code) {
		case G_DBUS_ERROR_ACCESS_DENIED:
		case G_DBUS_ERROR_AUTH_FAILED:
			return PENCTL_EXIT_NOPERM;
		case G_DBUS_ERROR_SERVICE_UNKNOWN:
		case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
		case G_DBUS_ERROR_NO_SERVER:
		case G_DBUS_ERROR_NO_REPLY:
		case G_DBUS_ERROR_TIMEOUT:
		case G_DBUS_ERROR_TIMED_OUT:
		case G_DBUS_ERROR_DISCONNECTED:
		case G_DBUS_ERROR_UNKNOWN_OBJECT:
		case G_DBUS_ERROR_UNKNOWN_INTERFACE:
		case G_DBUS_ERROR_UNKNOWN_METHOD:
		case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
			return PENCTL_EXIT_UNAVAILABLE;
		default:
			return PENCTL_EXIT_REFUSED;
		}
	}
	if (error->domain == G_IO_ERROR) {
		/* Connecting to the bus itself failed. */
		if (error->code == G_IO_ERROR_PERMISSION_DENIED)
			return PENCTL_EXIT_NOPERM;
		return PENCTL_EXIT_UNAVAILABLE;
	}
	return PENCTL_EXIT_REFUSED;
}

char *penctl_error_name(const GError *error)
{
	g_autofree char *remote = NULL;

	if (!error)
		return g_strdup("");
	remote = g_dbus_error_get_remote_error(error);
	if (!remote && error->domain != G_DBUS_ERROR)
		return g_strdup("BusUnavailable"); /* connecting failed, no D-Bus name */
	if (!remote)
		remote = g_dbus_error_encode_gerror(error);
	if (g_str_has_prefix(remote, PENCTL_DBUS_ERROR_PREFIX))
		return g_strdup(remote + strlen(PENCTL_DBUS_ERROR_PREFIX));
	return g_steal_pointer(&remote);
}

char *penctl_error_message(const GError *error)
{
	g_autoptr(GError) copy = g_error_copy(error);

	g_dbus_error_strip_remote_error(copy);
	return g_strdup(copy->message);
}

GDBusConnection *penctl_bus_connect(GError **error)
{
	return g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
}

/* "(" + the signatures of ARGS + ")": a method's in or out tuple. */
static GVariantType *args_tuple_type(GDBusArgInfo **args)
{
	g_autoptr(GString) text = g_string_new("(");

	for (; args && *args; args++)
		g_string_append(text, (*args)->signature);
	g_string_append_c(text, ')');
	return g_variant_type_new(text->str);
}

GVariant *penctl_call(GDBusConnection *bus, const char *method, GVariant *parameters,
		      int timeout_ms, GError **error)
{
	const GDBusMethodInfo *info = g_dbus_interface_info_lookup_method(
		(GDBusInterfaceInfo *)&io_penctld_penctl1_interface, method);
	g_autoptr(GVariantType) in_type = NULL;
	g_autoptr(GVariantType) out_type = NULL;
	g_autoptr(GVariant) sunk = parameters ? g_variant_ref_sink(parameters) : NULL;

	if (!info) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
			    "%s has no method %s", PENCTL_DBUS_INTERFACE, method);
		return NULL;
	}
	in_type = args_tuple_type(info->in_args);
	if (!g_variant_type_equal(in_type, sunk ? g_variant_get_type(sunk) :
						 G_VARIANT_TYPE_UNIT)) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
			    "%s takes %s, not %s", method, g_variant_type_peek_string(in_type),
			    sunk ? g_variant_get_type_string(sunk) : "()");
		return NULL;
	}
	out_type = args_tuple_type(info->out_args);
	return g_dbus_connection_call_sync(bus, PENCTL_DBUS_NAME, PENCTL_DBUS_PATH,
					   PENCTL_DBUS_INTERFACE, method, sunk, out_type,
					   G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_ms, NULL, error);
}

GVariant *penctl_get_property(GDBusConnection *bus, const char *name, GError **error)
{
	const GDBusPropertyInfo *info = g_dbus_interface_info_lookup_property(
		(GDBusInterfaceInfo *)&io_penctld_penctl1_interface, name);
	g_autoptr(GVariant) reply = NULL;
	GVariant *value = NULL;

	if (!info) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
			    "%s has no property %s", PENCTL_DBUS_INTERFACE, name);
		return NULL;
	}
	reply = g_dbus_connection_call_sync(
		bus, PENCTL_DBUS_NAME, PENCTL_DBUS_PATH, "org.freedesktop.DBus.Properties", "Get",
		g_variant_new("(ss)", PENCTL_DBUS_INTERFACE, name), G_VARIANT_TYPE("(v)"),
		G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, error);
	if (!reply)
		return NULL;
	g_variant_get(reply, "(v)", &value);
	if (!g_variant_is_of_type(value, G_VARIANT_TYPE(info->signature))) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_SIGNATURE,
			    "property %s is %s, not %s as declared", name,
			    g_variant_get_type_string(value), info->signature);
		g_variant_unref(value);
		return NULL;
	}
	return value;
}

GVariant *penctl_get_properties(GDBusConnection *bus, GError **error)
{
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
		bus, PENCTL_DBUS_NAME, PENCTL_DBUS_PATH, "org.freedesktop.DBus.Properties",
		"GetAll", g_variant_new("(s)", PENCTL_DBUS_INTERFACE), G_VARIANT_TYPE("(a{sv})"),
		G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, error);
	GVariant *properties = NULL;

	if (!reply)
		return NULL;
	g_variant_get(reply, "(@a{sv})", &properties);
	return properties;
}
