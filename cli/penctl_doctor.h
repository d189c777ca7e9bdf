/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl doctor: checks what penctld needs, root causes first, one line each
 * with a fix; a check that depends on a failed one is left out.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

struct doctor_check {
	const char *name;   /* "bluetoothd running" */
	bool ok;
	char *detail;       /* what was found */
	char *fix;          /* what to do; NULL when ok */
};

/* Run every check.  BUS may be NULL (then BUS_ERROR says why); CONFIG_PATH
 * NULL = the system configuration.  A GPtrArray of struct doctor_check. */
GPtrArray *penctl_doctor_run(GDBusConnection *bus, const GError *bus_error,
			     const char *config_path);
