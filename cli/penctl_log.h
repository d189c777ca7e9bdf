/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl log: a session's timeline from the journal (journalctl -o export).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Only records penctld wrote count (_SYSTEMD_UNIT=penctld.service, a field
 * journald sets and no other user can forge).
 *
 * Print the records of SESSION_ID (human lines or, with JSON, one JSON
 * object per line); FOLLOW keeps reading new ones.  Returns the number of
 * records printed, or -1 with ERROR when journalctl could not run or its
 * output was not understood. */
int penctl_log_session(const char *session_id, bool follow, bool json, GError **error);

/* The session id of the newest session-start record, or NULL. */
char *penctl_log_last_session(GError **error);
