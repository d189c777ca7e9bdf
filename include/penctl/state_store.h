/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctld's persistent state: the paired pen's address, the ids of the
 * cartridges already used (single-use enforcement across restarts), whether
 * that list can be trusted, and the session that was open when it was
 * written.
 *
 * One text file, DIR/state, in key-file syntax:
 *   [Pen]
 *   Address=AA:BB:CC:DD:EE:FF
 *
 *   [Cartridges]
 *   Untrusted=why          (only while a damaged list is not acknowledged)
 *   Used=00000000000004d2;000000000000162e;
 *
 *   [Session]              (only while a session is open)
 *   Id=…  Operator=…  Role=…  Area=…  ClientRef=…
 *   StartedRealtimeUs=…  NeedlingUs=…  MaxDepthUm=…  LastDepthUm=…
 *
 * Saving is atomic (temporary file DIR/.state.XXXXXX, fsync, rename over,
 * fsync of DIR): after a crash or power cut the file is the old one or the
 * new one, whole.  Temporary files left by an interrupted save are removed
 * by the next load.
 *
 * A used cartridge is never forgotten: the list can only err toward
 * refusing.  The reader keeps every valid id of every Used= line wherever it
 * stands, and any doubt about the list (a bad id, a line cut short, two
 * Used= lines, no list, not a key file) marks it untrusted rather than
 * dropping anything.  Untrusted= is written before Used= so that a file cut
 * short never loses the mark.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define PENCTL_STATE_DIR_DEFAULT "/var/lib/penctld"
#define PENCTL_STATE_FILE_NAME "state"

/* The session that was open when the state was written: the daemon writes
 * it at session start and after every motor stop and clears it at session
 * end, so one found at start was cut short (crash, power cut, kill).  The
 * strings are never NULL: valid UTF-8 without control characters or
 * surrounding blanks, at most PENCTL_STATE_TEXT_MAX bytes. */
struct penctl_open_session {
	char *id;
	char *operator_name;
	char *role;
	char *area;
	char *client_ref;
	int64_t started_realtime_us; /* g_get_real_time() when it started */
	int64_t needling_us;         /* motor time so far */
	uint32_t max_depth_um;       /* deepest depth needled so far */
	uint32_t last_depth_um;      /* depth of the last run */
};

#define PENCTL_STATE_TEXT_MAX 512

struct penctl_state {
	char *pen_address;     /* "" when no pen is paired; else XX:XX:XX:XX:XX:XX, upper case */
	GArray *used_cartridges; /* uint64_t, ascending, no duplicates, never 0 */
	/* The list may miss cartridges (the file was damaged or unreadable):
	 * new sessions must be refused until a person acknowledges it.  Saved
	 * in the file, so a restart does not forget it. */
	bool used_list_untrusted;
	char *untrusted_why;   /* NULL when trusted; else what was wrong (UTF-8, one line) */
	/* DIR/state exists but could not be read at load: never overwritten,
	 * state_store_save() refuses for the life of this state.  Not cleared by
	 * acknowledging: the file has to be repaired and the daemon restarted. */
	bool file_unreadable;
	struct penctl_open_session *open_session; /* NULL when none */
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

/* Mark the used list untrusted.  WHY is cleaned (UTF-8, one line, at most
 * PENCTL_STATE_TEXT_MAX bytes); an earlier reason that was not acknowledged
 * yet is kept: it is the one a person has to look at first. */
void penctl_state_mark_untrusted(struct penctl_state *state, const char *why);
/* A person has looked at the damage: the list is trusted again (the caller
 * saves).  Leaves file_unreadable as it is. */
void penctl_state_acknowledge(struct penctl_state *state);

/* Copy SESSION (strings cleaned as above, NULL taken as "") as the open
 * session, replacing any earlier one; the caller saves. */
void penctl_state_set_open_session(struct penctl_state *state,
				   const struct penctl_open_session *session);
void penctl_state_clear_open_session(struct penctl_state *state);

/* $STATE_DIRECTORY (set by systemd for StateDirectory=, the first of a
 * colon-separated list) or PENCTL_STATE_DIR_DEFAULT; free with g_free(). */
char *penctl_state_dir(void);

/* Read DIR/state into *OUT, which is always set to a state, never NULL: the
 * daemon always gets something to run with.  Temporary files of interrupted
 * saves (DIR/.state.XXXXXX) are removed first.
 *
 * True when the file was read whole; a missing file or directory is an
 * empty, trusted state and also true.  A file read whole may still carry an
 * unacknowledged Untrusted= mark: check (*OUT)->used_list_untrusted.
 *
 * False with *WARNING set otherwise, and then:
 * - a damaged file: every valid id is kept; a bad address forgets only the
 *   address; a damaged [Session] is kept as far as it could be read and never
 *   touches the list; any doubt about the list sets used_list_untrusted and
 *   untrusted_why.  The damaged file is copied, unchanged, to
 *   DIR/state.corrupt-<unix time>[.N] (never over an earlier one) and the
 *   repaired state, mark included, is saved in its place at once, so that the
 *   distrust survives a crash before the daemon's next save (WARNING says
 *   what was wrong, where the copy went and whether the repair was saved);
 * - a file that exists but cannot be read (permissions, I/O error, not a
 *   regular file, larger than 16 MiB): file_unreadable and used_list_untrusted are set, the list
 *   is empty and the file is left exactly where it is. */
bool state_store_load(const char *dir, struct penctl_state **out, GError **warning);

/* Write STATE to DIR/state atomically.  Refuses (false, ERROR says so) when
 * STATE->file_unreadable: the file could not be read at start and is never
 * overwritten.  On other failures (missing directory, not a directory,
 * read-only, disk full) no temporary file is left behind, false is returned
 * and ERROR names the path; the old file is untouched, except when only the
 * final fsync of DIR failed (the new file is in place but may not survive a
 * power cut, which ERROR says). */
bool state_store_save(const char *dir, const struct penctl_state *state, GError **error);
