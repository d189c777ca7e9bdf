/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What stands between the practitioner and a treatment, outside the
 * engine's own faults: no Bluetooth service, no adapter, adapter off, the
 * paired pen out of reach, no pedal, a pedal lost, a configuration file
 * rejected.  Each is a named condition with what it means and what to do,
 * so `penctl status` (and its --json, and the panel) never says "ready"
 * while one holds.  The daemon's adapters set and clear them; this file
 * only keeps the set and its words (one home for them).
 */
#pragma once

#include <stdbool.h>

#include <glib.h>

enum penctl_condition {
	PENCTL_CONDITION_BLUETOOTHD_GONE,
	PENCTL_CONDITION_NO_ADAPTER,
	PENCTL_CONDITION_ADAPTER_OFF,
	PENCTL_CONDITION_PEN_NOT_PAIRED,
	PENCTL_CONDITION_PEN_OUT_OF_REACH,
	PENCTL_CONDITION_PEDAL_MISSING,
	PENCTL_CONDITION_PEDAL_LOST,
	PENCTL_CONDITION_CONFIG_REJECTED,
};
#define PENCTL_CONDITION_COUNT (PENCTL_CONDITION_CONFIG_REJECTED + 1)

struct penctl_conditions;

struct penctl_conditions *penctl_conditions_new(void);
void penctl_conditions_free(struct penctl_conditions *conditions);

/* Sets CONDITION with DETAIL (what the adapter saw; may be NULL).  True
 * when anything changed. */
bool penctl_conditions_set(struct penctl_conditions *conditions, enum penctl_condition condition,
			   const char *detail);
/* True when it was set. */
bool penctl_conditions_clear(struct penctl_conditions *conditions,
			     enum penctl_condition condition);
bool penctl_conditions_has(const struct penctl_conditions *conditions,
			   enum penctl_condition condition);

/* Moves on with every change (set or clear that changed anything): what
 * was shown is current while it stays the same.  0 for a new set. */
unsigned penctl_conditions_generation(const struct penctl_conditions *conditions);

/* The stable name ("pedal-missing"), what it means and what to do. */
const char *penctl_condition_name(enum penctl_condition condition);
const char *penctl_condition_meaning(enum penctl_condition condition);
const char *penctl_condition_fix(enum penctl_condition condition);

/* The conditions that hold, in the order of the enum (root causes first):
 * a(sss) of (name, meaning with the detail, fix). */
GVariant *penctl_conditions_to_variant(const struct penctl_conditions *conditions);
