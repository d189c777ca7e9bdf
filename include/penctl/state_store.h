/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctld's persistent state: the paired pen's address and the ids of the
 * cartridges already used (single-use enforcement across restarts).
 *
 * One GKeyFile, DIR/state:
 *   [Pen]
 *   Address=AA:BB:CC:DD:EE:FF
 *   [Cartridges]
 *   Used=00000000000004d2;000000000000162e;
 *
 * Saving is atomic (temporary file in DIR, fsync, rename over, fsync of DIR):
 * after a crash or power cut the file is the old one or the new one, whole.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define PENCTL_STATE_DIR_DEFAULT "/var/lib/penctld"
#define PENCTL_STATE_FILE_NAME "state"

struct penctl_state {
	char *pen_address;     /* "" when no pen is paired; else XX:XX:XX:XX:XX:XX, upper case */
	GArray *used_cartridges; /* uint64_t, ascending, no duplicates, never 0 */
};

struct penctl_state *penctl_state_new(void);
void penctl_state_free(struct penctl_state *state);
typedef struct penctl_state penctl_state;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(penctl_state, penctl_state_free)

/* Record a used cartridge; false when it was already there (or is 0). */
bool penctl_state_add_cartridge(struct penctl_state *state, uint64_t cartridge);
bool penctl_state_has_cartridge(const struct penctl_state *state, uint64_t cartridge);
/* ADDRESS NULL or "" forgets the pen; false (nothing changed) when it is not
 * a Bluetooth address. */
bool penctl_state_set_pen_address(struct penctl_state *state, const char *address);

/* $STATE_DIRECTORY (set by systemd for StateDirectory=, the first of a
 * colon-separated list) or PENCTL_STATE_DIR_DEFAULT; free with g_free(). */
char *penctl_state_dir(void);

/* Read DIR/state into *OUT, which is always set to a state, never NULL: the
 * daemon always gets something to run with.  True when the state was read
 * whole; a missing file or directory is an empty state and also true.
 * False with *WARNING set and an empty state otherwise:
 * - a corrupt file (not a key file, a bad address, a bad cartridge id) is set
 *   aside as DIR/state.corrupt-<unix time> (WARNING says what was wrong and
 *   where the file went; the next save writes a fresh one);
 * - an unreadable file (permissions, I/O error) is left where it is. */
bool state_store_load(const char *dir, struct penctl_state **out, GError **warning);

/* Write STATE to DIR/state atomically.  On failure (missing directory, not a
 * directory, read-only, disk full) no temporary file is left behind, false
 * is returned and ERROR names the path; the old file is untouched, except
 * when only the final fsync of DIR failed (the new file is in place but may
 * not survive a power cut, which ERROR says). */
bool state_store_save(const char *dir, const struct penctl_state *state, GError **error);
