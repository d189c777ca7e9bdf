/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl's side of io.penctld.Penctl1: connecting, calling, and what an
 * error means for the exit status.
 */
#pragma once

#include <gio/gio.h>

enum penctl_exit {
	PENCTL_EXIT_OK = 0,
	PENCTL_EXIT_REFUSED = 1,      /* the daemon said no (message from it) */
	PENCTL_EXIT_USAGE = 2,
	PENCTL_EXIT_UNAVAILABLE = 69, /* EX_UNAVAILABLE: no bus or no daemon */
	PENCTL_EXIT_NOPERM = 77,      /* EX_NOPERM: the bus policy said no */
};

/* The exit status for an error from connecting or calling (pure). */
enum penctl_exit penctl_exit_code_for_error(const GError *error);

/* The error's name for --json: "DepthAboveLimit" for penctld's own errors,
 * the full D-Bus name for others, "BusUnavailable" when the system bus
 * could not be reached.  Free it. */
char *penctl_error_name(const GError *error);

/* The error's message without GDBus's "GDBus.Error:name:" prefix. */
char *penctl_error_message(const GError *error);

/* The system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured). */
GDBusConnection *penctl_bus_connect(GError **error);

/* Call METHOD of io.penctld.Penctl1; never starts the daemon.  The
 * signatures come from the interface generated from
 * daemon/io.penctld.Penctl1.xml: PARAMETERS (floating or not, NULL for
 * none) must be its in-arguments (else G_DBUS_ERROR_INVALID_ARGS and
 * nothing is sent), and the reply is checked to be its out-arguments. */
GVariant *penctl_call(GDBusConnection *bus, const char *method, GVariant *parameters,
		      int timeout_ms, GError **error);

/* One property, checked to have the type the interface declares. */
GVariant *penctl_get_property(GDBusConnection *bus, const char *name, GError **error);

/* All properties (a{sv}). */
GVariant *penctl_get_properties(GDBusConnection *bus, GError **error);
