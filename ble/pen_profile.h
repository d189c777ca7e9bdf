/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer (c), the pen profile interface: what one pen model's GATT profile
 * does for the link (as BlueZ's struct btd_profile does for a remote
 * service: a table of callbacks keyed by a UUID).  A profile finds its
 * characteristics by UUID, runs the connect-time sequence, decodes
 * notifications and encodes writes; the link (pen_link.c) owns the states
 * and says when each of these may run.
 *
 * A second pen model is a second struct pen_profile in its own file, listed
 * in pen_profiles.c.  Not a public header.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <gio/gio.h>

#include "penctl/pen_link.h"
#include "penctl/pen_protocol.h"

struct bluez_client;
struct bluez_objects;
struct pen_profile_conn; /* one profile's state for one connected pen */

/* What the connect-time sequence ended with, told to the link. */
struct pen_profile_events {
	/* Set up: the link reports on_connected and the first status.
	 * Returns false when the link was lost meanwhile: conn is freed,
	 * touch nothing. */
	bool (*ready)(void *owner, const struct pen_cartridge *cartridge,
		      const struct pen_status *status);
	/* The pen does not speak the profile (why: for people).  conn stays
	 * (a STOP still goes to whatever Control it has). */
	void (*incompatible)(void *owner, const char *why);
	/* A step failed on the bus: the link retries later. */
	void (*failed)(void *owner, const char *step, const GError *error);
};

/* Given to conn_new: what a connection needs from the layers around it. */
struct pen_profile_env {
	struct bluez_client *client;
	const char *device_path;          /* copied */
	const char *address;              /* for log lines; copied */
	GCancellable *cancellable;        /* the link's: cancelled when it is lost */
	const struct pen_profile_events *events;
	void *owner;
	/* The daemon's callbacks, for what the pen says while set up. */
	const struct pen_link_callbacks *cb;
	void *user_data;
};

struct pen_profile {
	const char *name;
	const char *service_uuid;         /* found by this (Device1.UUIDs, GattService1) */

	struct pen_profile_conn *(*conn_new)(const struct pen_profile_env *env);
	/* The link is lost or freed: forget every write waiting or in flight
	 * (a waiting STOP is sent once more, unanswered), then free. */
	void (*conn_free)(struct pen_profile_conn *conn);

	/* Finds the characteristics by UUID (forgetting those found before);
	 * false, with what is missing appended to missing, when any is not
	 * there.  Those found are kept even then (for a STOP). */
	bool (*find)(struct pen_profile_conn *conn, GString *missing);
	/* Whether a characteristic found before has gone from the model. */
	bool (*lost_characteristic)(const struct pen_profile_conn *conn);
	/* Runs the connect-time sequence; ends with one pen_profile_events call. */
	void (*setup)(struct pen_profile_conn *conn, uint16_t watchdog_ms);
	/* A characteristic's Value changed while set up (notification or read). */
	void (*value_changed)(struct pen_profile_conn *conn, const char *path, GVariant *value);

	/* The writes of include/penctl/pen_link.h, same answers.  The link
	 * calls them only while set up, except write_control for a STOP
	 * (-ENOTCONN when Control is not known). */
	int (*write_control)(struct pen_profile_conn *conn, bool run, uint16_t seq);
	int (*write_depth)(struct pen_profile_conn *conn, uint16_t depth_um);
	int (*write_speed)(struct pen_profile_conn *conn, uint16_t speed);
	int (*write_heartbeat)(struct pen_profile_conn *conn, uint16_t counter);
	int (*write_watchdog)(struct pen_profile_conn *conn, uint16_t watchdog_ms);
	int (*read_cartridge)(struct pen_profile_conn *conn);
};

/* pen_profiles.c: the profiles this build speaks. */
/* The profile for device: the first whose service the device offers, else
 * the first profile (whose find() then says what is missing). */
const struct pen_profile *pen_profile_for_device(const struct bluez_objects *objects,
						 const char *device_path);
/* Whether a Device1 advertises a service of any profile (Device1.UUIDs). */
bool pen_profile_device_is_pen(const struct bluez_objects *objects, const char *device_path);
/* Every profile's service UUID, NULL-terminated (a discovery filter). */
const char *const *pen_profile_service_uuids(void);
