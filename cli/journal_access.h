/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whether this user may read the system journal, where penctld's records
 * are: root, or a member of systemd-journal, adm or wheel (the groups
 * journald's files give read access to).  Without it, journalctl shows only
 * the user's own records and a session looks as if it never happened.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* The group to join, in the message below. */
#define PENCTL_JOURNAL_GROUP "systemd-journal"

/* True when this process may read every record; else false, with a
 * G_IO_ERROR_PERMISSION_DENIED whose message says what to do:
 * "permission denied: add yourself to systemd-journal (sudo usermod -aG
 * systemd-journal USER, then log in again)". */
bool penctl_journal_readable(GError **error);
