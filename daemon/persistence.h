/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the daemon keeps on disk and when (the file itself is
 * state_store.h's): the paired pen, the used cartridges (saved with fsync
 * before a motor runs on one), the acknowledgement of a damaged list, and
 * the open session's progress, so that a session cut short is closed in
 * the journal at the next start.  Every failure is journalled here; the
 * callers only learn whether a cartridge was recorded.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "penctl/engine.h"
#include "penctl/state_store.h"

struct persistence;

/* Loads the state from penctl_state_dir(); a damaged or unreadable file is
 * journalled and gives what could be read (state_store_load()). */
struct persistence *persistence_load(void);
void persistence_free(struct persistence *p);

const struct penctl_state *persistence_state(const struct persistence *p);
const char *persistence_dir(const struct persistence *p);

/* The used cartridges and the list's trust, told to ENGINE at start. */
void persistence_tell_engine(const struct persistence *p, struct engine *engine);

/* Saves the paired pen ("" = none). */
void persistence_set_pen_address(struct persistence *p, const char *address);

/* Records CARTRIDGE as used, fsync'd; false with ERROR when it is not on disk. */
bool persistence_record_cartridge(struct persistence *p, uint64_t cartridge, GError **error);

/* A session recorded as open at start was cut short: journals its end. */
void persistence_close_interrupted_session(struct persistence *p);

/* What a record means for the state file: a session's start, motor stops
 * and end make its progress due (persistence_save_progress()); an
 * acknowledgement clears the untrusted mark on disk. */
void persistence_note_record(struct persistence *p, const struct engine_record *record);

/* Saves the open session's progress if a record made it due.  Called after
 * a step's actions were carried out: a STOP is already on its way. */
void persistence_save_progress(struct persistence *p, struct engine *engine);
