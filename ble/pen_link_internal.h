/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the pen link's files share: the link object and the calls between
 * its parts (bluez_client.c: name watch and object manager; bluez_agent.c:
 * the pairing agent; pen_link.c: the connection state machine;
 * pen_link_setup.c: the connect-time sequence; pen_gatt.c: GATT I/O;
 * pen_scan.c: scan, pair, forget).  Not a public header.
 */
#pragma once

#include "penctl/bluez_objects.h"
#include "penctl/bt_address.h"
#include "penctl/pen_link.h"

#define BLUEZ_BUS_NAME                 "org.bluez"
#define BLUEZ_AGENT_MANAGER_INTERFACE  "org.bluez.AgentManager1"
#define BLUEZ_AGENT_INTERFACE          "org.bluez.Agent1"
#define PEN_LINK_AGENT_PATH            "/io/penctl/agent"

/* bluetoothd's own timeouts are long (LE connect, pairing with a person). */
#define PEN_LINK_CALL_TIMEOUT_MS       25000
#define PEN_LINK_CONNECT_TIMEOUT_MS    60000
#define PEN_LINK_PAIR_TIMEOUT_MS      120000
#define PEN_LINK_BACKOFF_FIRST_MS       1000u
#define PEN_LINK_BACKOFF_MAX_MS        30000u
/* Connected but services never resolved (seen with bluetoothd 5.66 after a
 * remote disconnect and the kernel's auto-reconnect): disconnect and retry. */
#define PEN_LINK_SETTLE_TIMEOUT_MS     15000u
/* ServicesResolved, but the pen service (or part of it) not there yet: how
 * long to wait for it before the pen is reported incompatible. */
#define PEN_LINK_GATT_GRACE_MS          3000u

/* The pen service's characteristics, all required by protocol version 1. */
enum pen_char {
	PEN_CHAR_CONTROL,
	PEN_CHAR_DEPTH,
	PEN_CHAR_SPEED,
	PEN_CHAR_STATUS,
	PEN_CHAR_HEARTBEAT,
	PEN_CHAR_CARTRIDGE,
	PEN_CHAR_WATCHDOG,
	PEN_CHAR_PROTOCOL_INFO,
};
#define PEN_CHAR_COUNT (PEN_CHAR_PROTOCOL_INFO + 1)

#define PEN_CHAR_MAX_FLAGS 3
const char *pen_char_name(enum pen_char c);
const char *pen_char_uuid(enum pen_char c);
/* The properties the daemon needs, NULL-terminated. */
const char *const *pen_char_flags(enum pen_char c);

/* bluetoothd refused a write because another one held the characteristic
 * (org.bluez.Error.InProgress: someone else's write, or one of ours whose
 * answer we no longer wait for): try again this often, this many times. */
#define PEN_LINK_IN_PROGRESS_RETRY_MS     20u
#define PEN_LINK_IN_PROGRESS_RETRIES      25u
#define PEN_LINK_WRITE_MAX                 4  /* the longest value written */

/* One characteristic's writes (pen_gatt.c): at most one in flight, and the
 * newest intent waiting for it. */
struct pen_write_slot {
	struct pen_link *link;
	enum pen_char c;
	bool in_flight;
	uint8_t cur[PEN_LINK_WRITE_MAX];  /* what is in flight */
	size_t cur_len;
	bool cur_run;                     /* Control: RUN or STOP, and its seq */
	uint16_t cur_seq;
	bool has_next;                    /* an intent waits */
	uint8_t next[PEN_LINK_WRITE_MAX];
	size_t next_len;
	bool next_run;
	uint16_t next_seq;
	bool with_response;
	unsigned in_progress_tries;       /* InProgress answers in a row */
	guint retry_source;
	guint wait_source;                /* Control: an intent waits for the write in flight */
};

enum pen_link_state {
	PEN_LINK_IDLE,          /* no link; connecting or waiting to retry */
	PEN_LINK_RESOLVING,     /* Connected, waiting for ServicesResolved and the pen service */
	PEN_LINK_SETUP,         /* the connect-time sequence is running */
	PEN_LINK_READY,         /* on_connected(compatible) was reported */
	PEN_LINK_INCOMPATIBLE,  /* on_connected(!compatible) was reported */
	PEN_LINK_SETUP_FAILED,  /* a setup step failed; the retry timer runs */
};

struct pen_link {
	GDBusConnection *bus;
	struct pen_link_callbacks cb;
	void *user_data;

	char *adapter_name;               /* "" = first powered */
	bool has_address;
	struct bt_address address;
	char address_text[BT_ADDRESS_STRLEN]; /* "" when none */
	uint16_t watchdog_ms;

	/* bluetoothd */
	guint name_watch;
	guint sub_added, sub_removed, sub_props;
	guint agent_object;
	bool bluez_up;
	char *bluez_owner;                /* its unique name while up */
	GCancellable *life;               /* cancelled by pen_link_free() only */
	GCancellable *bluez_cancellable;  /* per bluetoothd instance */
	struct bluez_objects *objects;

	bool adapter_reported, adapter_present, adapter_powered;

	/* the link to the pen */
	enum pen_link_state state;
	GCancellable *conn_cancellable;   /* per link: cancelled when it is lost */
	char *device_path;
	char *char_paths[PEN_CHAR_COUNT];
	char *battery_path;               /* optional */
	bool connected_reported;
	bool connect_pending;
	guint retry_source;
	guint settle_source;   /* connected, but not set up yet: give up after a while */
	bool connect_unseen;   /* Connect said yes, Connected never said true */
	guint gatt_wait_source; /* resolved, pen service incomplete: grace period */
	bool gatt_incomplete;  /* reported incompatible for a missing service or characteristic */
	unsigned backoff_ms;
	struct pen_cartridge cartridge;
	struct pen_write_slot writes[PEN_CHAR_COUNT];

	/* scan / pair */
	GTask *scan_task;
	guint scan_timer;
	char *pairing_path;               /* the agent accepts for this device only */
};

/* bluez_client.c */
void bluez_client_start(struct pen_link *link);
void bluez_client_stop(struct pen_link *link);

/* bluez_agent.c */
bool bluez_agent_export(struct pen_link *link, GError **error);
void bluez_agent_unexport(struct pen_link *link);
void bluez_agent_register(struct pen_link *link);
void bluez_agent_unregister(struct pen_link *link);

/* pen_link.c: the model changed; reconcile the link with it. */
void pen_link_update(struct pen_link *link);
/* bluetoothd is gone: everything it held is lost. */
void pen_link_bluez_gone(struct pen_link *link);
void pen_link_lost(struct pen_link *link, const char *reason);
void pen_link_schedule_retry(struct pen_link *link);

/* pen_link_setup.c */
/* Finds the pen's characteristics by UUID (forgetting those found before);
 * false, with what is missing appended to missing, when any is not there. */
bool pen_link_find_gatt(struct pen_link *link, GString *missing);
void pen_link_forget_gatt(struct pen_link *link);
void pen_link_report_incompatible(struct pen_link *link, const char *why);
/* Runs the connect-time sequence on the characteristics found. */
void pen_link_setup_begin(struct pen_link *link);

/* pen_gatt.c */
typedef void (*pen_gatt_read_done)(struct pen_link *link, const uint8_t *value, size_t len,
				   const GError *error);
void pen_gatt_read(struct pen_link *link, const char *path, pen_gatt_read_done done);
typedef void (*pen_gatt_call_done)(struct pen_link *link, const GError *error);
/* with_response: "type": "request"; else "command".  done may be NULL. */
void pen_gatt_write(struct pen_link *link, const char *path, const uint8_t *value, size_t len,
		    bool with_response, const char *what, pen_gatt_call_done done);
/* The link is lost or freed: forget every write waiting or in flight.  A
 * STOP still waiting is sent once more, unanswered: stopping is never the
 * wrong thing to do, and the pen may still hear it. */
void pen_gatt_writes_reset(struct pen_link *link);
void pen_gatt_start_notify(struct pen_link *link, const char *path, pen_gatt_call_done done);
/* A characteristic's Value changed (a notification, or after a read). */
void pen_gatt_value_changed(struct pen_link *link, const char *path, GVariant *value);

/* pen_scan.c: a device changed while scanning may be reported. */
void pen_scan_device_changed(struct pen_link *link, const char *path);
void pen_scan_abort(struct pen_link *link);
