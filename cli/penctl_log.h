/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl log: a session's timeline from the journal (journalctl -o export).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "journal_export.h"

/* Which journal journalctl reads: the local one (NULL or all empty), a
 * directory (--directory, e.g. a clinic server's /var/log/journal/remote)
 * or journal files (--file, as journalctl takes them); HOSTNAME, when set,
 * keeps one chair's records (_HOSTNAME, set by that chair's journald). */
struct penctl_journal_source {
	const char *directory;
	const char *const *files;  /* NULL-ended, or NULL */
	const char *hostname;
};

/* Only records penctld wrote count (_SYSTEMD_UNIT=penctld.service, a field
 * journald sets and no other user can forge).
 *
 * Print the records of SESSION_ID from SOURCE (NULL: the local journal)
 * as human lines or, with JSON, one JSON object per line; FOLLOW keeps
 * reading new ones.  Returns the number of
 * records printed, or -1 with ERROR when journalctl could not run or its
 * output was not understood. */
int penctl_log_session(const struct penctl_journal_source *source, const char *session_id,
		       bool follow, bool json, GError **error);

/* The chairs (_HOSTNAME, char *) whose penctld recorded SESSION_ID in
 * SOURCE, in the order first seen: more than one when two chairs gave the
 * same id (a clinic server's files).  NULL and ERROR when journalctl could
 * not run or its output was not understood. */
GPtrArray *penctl_log_session_chairs(const struct penctl_journal_source *source,
				     const char *session_id, GError **error);

/* The session id of the newest session-start record, or NULL. */
char *penctl_log_last_session(GError **error);
char *penctl_log_last_session_in(const struct penctl_journal_source *source, GError **error);

/* The reader under penctl log and penctl-report: FN gets the records of
 * SESSION_ID from SOURCE (NULL: the local journal) that penctld wrote, and
 * nothing else.  False and ERROR when journalctl could not run or its
 * output was not understood. */
bool penctl_log_read_session(const struct penctl_journal_source *source, const char *session_id,
			     bool follow, journal_export_record_fn fn, void *user_data,
			     GError **error);

/* The day DAY ("YYYY-MM-DD", local time) as [FROM_US, TO_US), in
 * microseconds since the epoch; false when DAY is no such date. */
bool penctl_log_parse_day(const char *day, gint64 *from_us, gint64 *to_us);

/* penctl log --day: one line (or, with JSON, one JSON object) for each
 * session that started in [FROM_US, TO_US), from every chair SOURCE holds
 * (a clinic server's files): when, the chair (_HOSTNAME and _MACHINE_ID,
 * which its journald wrote), the session, who, and its summary when it
 * ended.  A session is a chair's session id: two chairs may have used the
 * same one.  Returns the number of sessions printed, or -1 with ERROR. */
int penctl_log_day(const struct penctl_journal_source *source, gint64 from_us, gint64 to_us,
		   bool json, GError **error);
