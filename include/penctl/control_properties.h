/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure half of the control service: what the properties (and which of
 * them changed), the Event signal, the session summary and the session id
 * of io.penctld.Penctl1 look like, computed from an engine snapshot, a
 * record and the configuration.  No bus, no clock.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "penctl/config.h"
#include "penctl/conditions.h"
#include "penctl/engine.h"

/* Whether the properties this file computes are those the generated
 * interface declares, in its order (a unit test asks; the values' types
 * come from the declarations). */
bool control_properties_table_matches(void);

/* What the daemon knows besides the engine's snapshot and the config. */
struct control_daemon_facts {
	/* Why the configuration file on disk was rejected; NULL or "" when
	 * the configuration in force is the file. */
	const char *config_problem;
	/* What keeps a treatment from running outside the engine; NULL: none. */
	const struct penctl_conditions *conditions;
};

/* Every property of the interface, as a new a{sv} (not floating).  FACTS
 * may be NULL (none). */
GVariant *control_properties_build(const struct engine_snapshot *snapshot,
				   const struct penctl_config *config,
				   const struct control_daemon_facts *facts);

/* Remembers what each property showed when last signalled, as the few
 * snapshot fields it derives from, so that finding what changed builds
 * nothing. */
struct control_properties_tracker;
struct control_properties_tracker *control_properties_tracker_new(void);
void control_properties_tracker_free(struct control_properties_tracker *tracker);
typedef struct control_properties_tracker control_properties_tracker;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(control_properties_tracker, control_properties_tracker_free)

/* The properties whose value differs from what TRACKER last saw (every
 * property on the first call), as a new a{sv}, and TRACKER now remembers
 * them; NULL, with nothing built or allocated, when none changed. */
GVariant *control_properties_changed(struct control_properties_tracker *tracker,
				     const struct engine_snapshot *snapshot,
				     const struct penctl_config *config,
				     const struct control_daemon_facts *facts);

/* unknown, up, down, held-not-armed or latched. */
const char *control_pedal_state(const struct engine_snapshot *snapshot);

/* Time properties move in whole seconds, so that they change (and are
 * signalled) at most once a second: used rounds down, remaining is
 * budget - used, never below 0. */
uint64_t control_used_ms(int64_t used_us);
uint64_t control_remaining_ms(int64_t used_us, int64_t budget_us);

/* The Event signal's arguments for RECORD, a floating (ssa{sv}): kind and
 * reason by their journal names, and the record's numbers that apply (keys
 * PENCTL_EVENT_* in penctl/dbus_names.h). */
GVariant *control_event_to_variant(const struct engine_record *record);

/* The StopSession() summary (keys in penctl/dbus_names.h), a new a{sv}. */
GVariant *control_summary_to_variant(const struct engine_session_summary *summary,
				     uint32_t anesthetic_advisory_um);

/* A session id a person can type and sort: "20260124-103000-3f2a" (local
 * time of NOW, then four hex digits of RANDOM).  Free with g_free(). */
char *control_session_id_new(GDateTime *now, uint32_t random);
