/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One journal MESSAGE_ID per PENCTL_EVENT kind.
 *
 * The table in daemon/message_ids.c and systemd/penctld.catalog must name
 * the same events with the same ids; tests/unit/test_message_catalog.c holds
 * them to that.  An id, once released, never changes meaning: a new kind of
 * event gets a new id (systemd-id128 new), never a reused one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define PENCTL_MESSAGE_ID_STRLEN 33 /* 32 lowercase hex digits + NUL */

struct penctl_message_id {
	const char *event;      /* PENCTL_EVENT value, lowercase-dashed */
	const char *message_id; /* 32 lowercase hex digits */
	int priority;           /* the usual syslog priority (LOG_*) of the record */
};

/* The whole table, in a stable order; *n receives its length. */
const struct penctl_message_id *penctl_message_ids(size_t *n);

/* The entry of EVENT, or NULL when EVENT is no known event kind. */
const struct penctl_message_id *penctl_message_id_lookup(const char *event);

/* True when TEXT is 32 lowercase hex digits: the form journald shows and
 * the catalog uses. */
bool penctl_message_id_is_valid(const char *text);
