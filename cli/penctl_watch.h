/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl watch: a live view of penctld in the terminal, redrawn on the
 * daemon's signals (PropertiesChanged, Event); the process sleeps between
 * them.  With JSON, one JSON object per line per change instead.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

/* Runs until SIGINT or SIGTERM (exit 0) or until the bus policy refuses to
 * let the caller read the properties (77, said on stderr or as JSON).
 * While penctld is away it says so and waits for it. */
int penctl_watch_run(GDBusConnection *bus, bool json);
