/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * From the session engine's ENGINE_ACTION_RECORD to a journal record.
 * Apart from journal_record.h so that the record builder needs no engine.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "penctl/engine.h"
#include "penctl/journal_record.h"

/* Who asked for the step that produced the record (a D-Bus request), for
 * PENCTL_CALLER and PENCTL_CALLER_UID; NULL when nobody did (a pedal, a
 * timer, the pen). */
struct journal_caller {
	const char *name;  /* e.g. ":1.42"; may be NULL */
	struct journal_number uid;
};

/* The journal record of RECORD.  SNAPSHOT is taken right after the
 * engine_step() that produced it (session, operator, pen, speed).  The
 * PENCTL_EVENT is engine_record_kind_to_string(), except a fault (or
 * pen-connected) with reason pen-incompatible: that is pen-incompatible.  NULL with
 * ERROR only for a record kind without a MESSAGE_ID (a bug). */
struct journal_record *journal_record_from_engine(const struct engine_record *record,
						  const struct engine_snapshot *snapshot,
						  const struct journal_caller *caller,
						  GError **error);

/* The MESSAGE text of RECORD, for a person, with the numbers. */
char *journal_engine_record_message(const struct engine_record *record,
				    const struct engine_snapshot *snapshot);

/* Build and emit; a failure to build is logged as a warning. */
void journal_log_engine_record(const struct engine_record *record,
			       const struct engine_snapshot *snapshot,
			       const struct journal_caller *caller);
