/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What pensim.c (options, record, control input, main loop) and
 * pensim_bluez.c (everything said to bluetoothd) share: the program's state
 * and the few functions each calls in the other.  Private to tools/pensim.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <gio/gio.h>

#include "pensim_gatt.h"
#include "pensim_model.h"

/* How long an exit waits for bluetoothd to confirm the unregistrations. */
#define SHUTDOWN_GRACE_MS 2000

struct options {
	char *adapter;
	char *cartridge;
	int needles;
	char *cartridge_max_mm;
	char *depth_mm;
	int speed;
	char *record;
	char *manual_depth_mm;
	char *fault;
	int battery;
	double battery_drain;
	int readvertise_ms;
	char *control;
	char *name;
	gboolean no_encryption;
	gboolean no_agent;
	gboolean verbose;
};

struct pensim {
	struct options opt;
	GMainLoop *loop;
	GDBusConnection *bus;
	struct pensim_model model;
	struct pensim_gatt *gatt;
	GDBusNodeInfo *introspection;
	guint adv_object_id;
	guint agent_object_id;
	guint name_watch;
	bool bluez_seen;
	bool bluez_present;
	bool waiting_for_adapter; /* lost one; wait instead of failing */
	bool had_adapter;       /* used one before: a failure now is passing */
	guint relist_id;        /* look at bluetoothd's adapters again */
	bool listing;           /* GetManagedObjects on its way */
	bool list_again;        /* and bluetoothd changed meanwhile */
	char *adapter_path;
	bool app_registered;
	bool adv_registered;
	bool adv_busy;          /* a (un)register call is on its way */
	bool adv_with_name;
	bool adv_announced;     /* "advertising" was logged */
	guint readvertise_id;
	guint tick_id;
	char *central_path;
	guint sub_props, sub_added, sub_removed;
	FILE *record;
	GInputStream *control_stream;
	GDataInputStream *control_in;
	GCancellable *cancel;
	bool shutting_down;
	int pending_shutdown;
	int exit_code;
};

/* pensim.c */
/* One line on stderr: "pensim: [monotonic s] message". */
void pensim_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Something pensim cannot go on without: say what, leave with exit 1. */
void pensim_fatal(struct pensim *app, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* After anything touched the model: record, notify, re-arm the timer.
 * user_data is the struct pensim (it is also the GATT layer's callback). */
void pensim_model_changed(void *user_data);

/* pensim_bluez.c */
/* Export the LEAdvertisement1 and Agent1 objects (before any call). */
bool pensim_bluez_export(struct pensim *app, GError **error);
/* Watch org.bluez: register on an adapter whenever it is there. */
void pensim_bluez_start(struct pensim *app);
/* Ask bluetoothd to drop the connected central. */
void pensim_bluez_disconnect_central(struct pensim *app);
/* Unregister what is registered; app->pending_shutdown counts the replies
 * still to come (the last one quits the main loop). */
void pensim_bluez_shutdown(struct pensim *app);
/* Drop subscriptions, timers and exported objects; safe on partial setup. */
void pensim_bluez_teardown(struct pensim *app);
