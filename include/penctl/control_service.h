/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control service: penctld's D-Bus face (daemon/io.penctld.Penctl1.xml).
 *
 * It owns io.penctld.Penctl1 on the system bus, exports one object, turns
 * method calls into engine events (the daemon runs them through the engine)
 * or into pen operations, and signals property changes.  It never touches
 * the engine, BlueZ or the clock itself: the daemon lends it an ops table.
 *
 * Every call is attributed: before a method runs, the service asks the bus
 * for the caller's uid (GetConnectionUnixUser); a call whose caller cannot
 * be named is refused.  The caller's description ("uid=1000 operator=alice")
 * is the engine event's caller and goes to the journal.
 *
 * Access beyond the bus policy (group penctl): a role whose configuration
 * names a group ([Role NAME] Group=) is taken only by its members and root
 * (the engine refuses with RoleNotPermitted, naming the group); the open
 * session is stopped or changed only by the uid that opened it, root and
 * members of the supervisor group ([Access] SupervisorGroup=), others get
 * NotPermitted naming that group.  Groups come from the user database
 * (getpwuid_r + getgrouplist).
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

#include "penctl/config.h"
#include "penctl/dbus_names.h"
#include "penctl/engine.h"

/* Errors of the pen operations (scan, pair, forget) and of the service
 * itself; each code is a named D-Bus error (control_errors.c). */
#define CONTROL_ERROR (control_error_quark())
GQuark control_error_quark(void);

enum control_error_code {
	CONTROL_ERROR_FAILED,                /* Failed */
	CONTROL_ERROR_INVALID_ARGUMENT,      /* InvalidArgument */
	CONTROL_ERROR_NO_PEN_FOUND,          /* NoPenFound */
	CONTROL_ERROR_SEVERAL_PENS_FOUND,    /* SeveralPensFound: Pair("") needs one */
	CONTROL_ERROR_NO_PEN_PAIRED,         /* NoPenPaired */
	CONTROL_ERROR_BLUETOOTH_UNAVAILABLE, /* BluetoothUnavailable: no bluetoothd/adapter */
	CONTROL_ERROR_BUSY,                  /* Busy: another scan or pairing runs */
	CONTROL_ERROR_SESSION_OPEN,          /* SessionOpen: not while treating */
	CONTROL_ERROR_CALLER_UNKNOWN,        /* CallerUnknown: the bus did not name the uid */
	CONTROL_ERROR_CONFIG_REJECTED,       /* ConfigRejected: Reload() kept the old config */
	CONTROL_ERROR_NOT_PERMITTED,         /* NotPermitted: another person's session, or a
					      * role the caller's groups do not allow */
};
#define CONTROL_ERROR_CODE_COUNT (CONTROL_ERROR_NOT_PERMITTED + 1)

/* "DepthAboveLimit" for ENGINE_REASON_DEPTH_ABOVE_LIMIT; every reason has a
 * name ("Failed" for ENGINE_REASON_NONE and values outside the enum). */
const char *control_error_name_for_reason(enum engine_reason reason);
/* The short name of a CONTROL_ERROR code ("Failed" when unknown). */
const char *control_error_name_for_code(enum control_error_code code);

/* Who asked.  Valid during the call it is passed to. */
struct control_caller {
	uint32_t uid;
	const char *sender;       /* the unique bus name, ":1.42" */
	const char *description;  /* "uid=1000" or "uid=1000 operator=alice" */
};

/*
 * What the daemon lends the service.  All calls come from the main loop.
 * Pen operations are asynchronous (GTask style: the callback gets a
 * GAsyncResult that the matching _finish() takes); the service never runs
 * two of the same kind at once from one call, but different callers may:
 * answer CONTROL_ERROR_BUSY when that cannot work.
 */
struct control_service_ops {
	/* The name is ours: the service is ready (send READY=1). */
	void (*name_acquired)(void *user_data);
	/* The name could not be had or was taken away, or the bus went away:
	 * the daemon can no longer be controlled (exit with failure). */
	void (*name_lost)(void *user_data);

	/* Run one request through the engine.  The service fills kind,
	 * caller (= caller->description) and the payload of EVENT; the daemon
	 * copies it, sets time_us, steps the engine, carries out the actions
	 * and copies the step's REPLY action to REPLY_OUT (its summary pointer
	 * must stay valid until the daemon's next engine step; the service
	 * converts it before returning to the main loop).  A step without a
	 * REPLY must still fill REPLY_OUT (refusal != NONE and a message).
	 * Kinds used: SESSION_START (with role_denied_group filled from the
	 * caller's groups), SESSION_STOP, DEPTH_REQUEST, SPEED_REQUEST,
	 * STATE_ACKNOWLEDGED.
	 * The service calls control_service_notify_changed() itself afterwards;
	 * the daemon need not. */
	void (*submit)(void *user_data, const struct control_caller *caller,
		       const struct engine_event *event, struct engine_reply *reply_out);

	/* The engine's state now (engine_get_snapshot with the current time).
	 * Strings need only live until the next engine step. */
	void (*snapshot)(void *user_data, struct engine_snapshot *out);

	/* The configuration in force (roles, areas, limits, budgets). */
	const struct penctl_config *(*config)(void *user_data);

	/* Discover pens for SECONDS (already checked to be within
	 * PENCTL_SCAN_SECONDS_MIN..MAX).  scan_finish: the pens found as a
	 * new a(ssn) of (address, name, rssi), the Scan() reply as it goes
	 * out (pen_link_scan_finish() gives it so), or NULL and ERROR. */
	void (*scan)(void *user_data, const struct control_caller *caller, unsigned seconds,
		     GAsyncReadyCallback callback, gpointer callback_data);
	GVariant *(*scan_finish)(void *user_data, GAsyncResult *result, GError **error);

	/* Pair, trust and remember the pen at ADDRESS (a validated
	 * XX:XX:XX:XX:XX:XX, upper case), or when ADDRESS is NULL the only pen
	 * a short scan finds.  pair_finish: the paired address, or NULL and
	 * ERROR. */
	void (*pair)(void *user_data, const struct control_caller *caller, const char *address,
		     GAsyncReadyCallback callback, gpointer callback_data);
	char *(*pair_finish)(void *user_data, GAsyncResult *result, GError **error);

	/* Disconnect, remove and forget the paired pen. */
	void (*forget)(void *user_data, const struct control_caller *caller,
		       GAsyncReadyCallback callback, gpointer callback_data);
	bool (*forget_finish)(void *user_data, GAsyncResult *result, GError **error);

	/* Re-read and validate the configuration file now, synchronously (the
	 * same as SIGHUP): true when the new one is in force; false and ERROR
	 * (the config's own message, e.g. "penctld.conf line 12: ...") when it
	 * was rejected and the old one stays.  A rejection is also what
	 * config_problem() says until a later reload succeeds.  Reload() and
	 * `systemctl reload penctld` (ExecReload= busctl call ... Reload) answer with it.
	 * The service calls control_service_notify_changed() afterwards. */
	bool (*reload)(void *user_data, const struct control_caller *caller, GError **error);

	/* "" or NULL when the configuration in force is the file on disk;
	 * else why the file was rejected (the ConfigProblem property).  Valid
	 * until the next engine step or reload. */
	const char *(*config_problem)(void *user_data);

	/* What keeps a treatment from running outside the engine (the
	 * Conditions property); NULL: none known.  May be NULL. */
	const struct penctl_conditions *(*conditions)(void *user_data);
};

struct control_service;

/* OPS must outlive the service.  Nothing happens on the bus until
 * control_service_own_name(). */
struct control_service *control_service_new(const struct control_service_ops *ops,
					    void *user_data);
/* Unexports the object and releases the name; no callback runs after. */
void control_service_free(struct control_service *service);
typedef struct control_service control_service;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(control_service, control_service_free)

/* Connect to BUS_TYPE (G_BUS_TYPE_SYSTEM; DBUS_SYSTEM_BUS_ADDRESS is
 * honoured), export the object and request the name without queueing.
 * Outcome through ops->name_acquired / ops->name_lost. */
void control_service_own_name(struct control_service *service, GBusType bus_type);

/* Call after every engine step: takes a snapshot, compares the fields each
 * property derives from with those last signalled and emits one
 * PropertiesChanged with the properties that differ (none: no signal, and
 * nothing built).  While a session is open the service
 * also does this itself once a second, for the time properties. */
void control_service_notify_changed(struct control_service *service);

/* Signal Event(kind, reason, fields) for one engine record (what the
 * journal gets, control_event_to_variant()).  Call for every RECORD action,
 * after the step's pen writes.  Nothing happens before the object is
 * exported. */
void control_service_emit_event(struct control_service *service,
				const struct engine_record *record);
