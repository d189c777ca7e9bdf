/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A GSource that fires once its ready time (CLOCK_MONOTONIC, µs, as
 * g_get_monotonic_time()) has come, then disarms itself: the engine's timer
 * and the pedal's debounce deadline.  Arm with g_source_set_ready_time(),
 * disarm with -1.  No polling: the main loop sleeps until the deadline.
 */
#pragma once

#include <glib.h>

/* A new source, attached to the default context, disarmed, with PRIORITY,
 * NAME and CALLBACK(USER_DATA).  The caller destroys and unrefs it. */
GSource *penctl_deadline_source_new(int priority, const char *name, GSourceFunc callback,
				    gpointer user_data);
