/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Structured journal records: the treatment record of penctld.
 *
 * journal_record_build() turns a struct journal_record_input into the field
 * list of one record (pure: no clock, no I/O), so
 *   journalctl -u penctld PENCTL_SESSION=...   is the whole treatment and
 *   journalctl PENCTL_EVENT=limit-reached      finds every forced stop.
 * journal_record_emit() hands it to GLib's structured logging, and
 * journal_install_writer() sends that to journald when stderr is the journal
 * stream, else to stderr as one readable line.
 *
 * Fields (an empty or unset value leaves its field out):
 *   MESSAGE, MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER=penctld, GLIB_DOMAIN=penctld,
 *   PENCTL_EVENT, PENCTL_REASON, PENCTL_SESSION, PENCTL_OPERATOR, PENCTL_ROLE,
 *   PENCTL_AREA, PENCTL_CLIENT_REF, PENCTL_PEN, PENCTL_CARTRIDGE (16 hex digits),
 *   PENCTL_DEPTH_UM, PENCTL_LIMIT_UM, PENCTL_SPEED, PENCTL_USED_MS, PENCTL_BUDGET_MS,
 *   PENCTL_PERCENT, PENCTL_PEN_FAULTS (0x hex bits), PENCTL_DETAIL,
 *   PENCTL_CALLER_UID, PENCTL_CALLER, and for session-end PENCTL_WALL_MS,
 *   PENCTL_NEEDLING_MS, PENCTL_MAX_DEPTH_UM, PENCTL_STROKES, PENCTL_CARTRIDGES,
 *   PENCTL_STOPS.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define PENCTL_LOG_DOMAIN "penctld"

/* A number that may be absent: zero-initialised means "leave the field out",
 * so a designated initialiser names only what applies. */
struct journal_number {
	bool set;
	uint64_t value;
};
#define JOURNAL_NUMBER(v) ((struct journal_number){ .set = true, .value = (uint64_t)(v) })

struct journal_record_input {
	const char *event;          /* PENCTL_EVENT; required, a known event kind */
	const char *message_id;     /* NULL = penctl_message_id_lookup(event) */
	int priority;               /* LOG_ERR .. LOG_DEBUG (syslog.h) */
	const char *message;        /* MESSAGE, for a person, with the numbers; required */
	const char *reason;         /* PENCTL_REASON, for stops and refusals */

	/* who and where */
	const char *session;
	const char *operator_name;
	const char *role;
	const char *area;
	const char *client_ref;
	const char *pen;            /* XX:XX:XX:XX:XX:XX */
	uint64_t cartridge;         /* 0 = none */

	struct journal_number depth_um;
	struct journal_number limit_um;
	struct journal_number speed;
	struct journal_number used_ms;
	struct journal_number budget_ms;
	struct journal_number percent;
	struct journal_number pen_faults;  /* enum pen_fault bits */
	const char *detail;         /* free text: the pen's incompatibility, a config error */

	/* who asked (D-Bus requests) */
	struct journal_number caller_uid;
	const char *caller;         /* e.g. the unique bus name */

	/* session-start: what the session was opened under */
	const char *contraindications;      /* "checked" */
	struct journal_number wall_budget_ms;
	struct journal_number needling_budget_ms;
	struct journal_number anesthetic_um; /* the advisory's threshold */

	/* session-end summary */
	struct journal_number wall_ms;
	struct journal_number needling_ms;
	struct journal_number max_depth_um;
	struct journal_number strokes;
	const char *cartridges;     /* "00000000000004d2 000000000000162e" */
	const char *stops;          /* "pedal-released=4 needling-budget=1" */
};

struct journal_record;

/* Build the fields of one record.  NULL with ERROR set when the event is
 * missing or has no MESSAGE_ID, the message is missing, or the priority is
 * not a syslog priority. */
struct journal_record *journal_record_build(const struct journal_record_input *input,
					    GError **error);
void journal_record_free(struct journal_record *record);
typedef struct journal_record journal_record;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(journal_record, journal_record_free)

/* Add one more field.  KEY must be a journal field name (A-Z, 0-9, '_', not
 * starting with '_' or a digit, at most 64 characters); false, nothing
 * added, when it is not.  A NULL or empty VALUE adds nothing and is true. */
bool journal_record_add_field(struct journal_record *record, const char *key, const char *value);

/* The fields, in the order added (strings; length -1), valid until the
 * record is freed or a field is added. */
const GLogField *journal_record_get_fields(const struct journal_record *record, gsize *n_fields);

/* The value of KEY, or NULL when the record has no such field. */
const char *journal_record_get(const struct journal_record *record, const char *key);

/* The GLib log level for a syslog priority.  Never G_LOG_LEVEL_ERROR or
 * _CRITICAL: GLib aborts on those (and on criticals under G_DEBUG), and a
 * record is never a reason to stop the daemon.  PRIORITY carries the rest. */
GLogLevelFlags journal_priority_to_log_level(int priority);

/* Log RECORD through g_log_structured_array(). */
void journal_record_emit(const struct journal_record *record);

/* Build and emit in one go; a bad INPUT is logged as a warning instead. */
void journal_record_log(const struct journal_record_input *input);

/* True when FD is the stream journald gave us: JOURNAL_STREAM is
 * "<device>:<inode>" of it (systemd.exec(5)).  Pure apart from fstat(). */
bool journal_fd_is_journal_stream(const char *journal_stream_env, int fd);

/* The stderr form of a record: "penctld: MESSAGE [event key=value ...]",
 * one line (newlines escaped), values with spaces quoted. */
char *journal_format_line(const GLogField *fields, gsize n_fields);

/* Install the log writer, once, early in main(): journald when stderr is the
 * journal stream (falling back to stderr if the journal socket refuses),
 * else journal_format_line() on stderr.  Records (fields with PENCTL_EVENT)
 * are never filtered; other debug/info messages follow G_MESSAGES_DEBUG.
 * Later calls do nothing. */
void journal_install_writer(void);
