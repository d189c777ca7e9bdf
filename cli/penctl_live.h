/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's state as it changes, for the live views (penctl watch, the
 * chair-side panel): watches penctld's bus name, reads every property when
 * it appears, merges PropertiesChanged and passes on each Event signal.
 * Nothing is polled: between signals the caller's main loop sleeps.
 *
 * The Event signal is taken by its name and read tolerantly: its first two
 * strings are the record's kind and reason, an a{sv} after them (if any)
 * its numbers.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>

struct penctl_live_ops {
	/* The daemon appeared (RUNNING true, its properties read) or went away
	 * (false).  ERROR, when not NULL, says why the properties could not
	 * be read (AccessDenied: the bus policy does not let the caller look). */
	void (*on_daemon)(bool running, const GError *error, void *user_data);
	/* Some properties changed (CHANGED names them, NULL-terminated); the
	 * whole state is penctl_live_properties(). */
	void (*on_properties)(const char *const *changed, void *user_data);
	/* One journal record: kind ("motor-stop"), reason ("pedal-released",
	 * "none"), FIELDS an a{sv} (empty when the signal had none). */
	void (*on_event)(const char *kind, const char *reason, GVariant *fields,
			 void *user_data);
};

typedef struct penctl_live penctl_live;

/* Starts watching on BUS (a reference is taken).  OPS is copied. */
struct penctl_live *penctl_live_new(GDBusConnection *bus, const struct penctl_live_ops *ops,
				    void *user_data);
void penctl_live_free(struct penctl_live *live);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(penctl_live, penctl_live_free)

/* Whether the daemon is on the bus and its properties were read. */
bool penctl_live_running(const struct penctl_live *live);

/* Every property known (a{sv}, floating reference dropped: the caller owns
 * a new reference).  Empty while the daemon is away. */
GVariant *penctl_live_properties(const struct penctl_live *live);

/* Typed lookups of the current state that tolerate a missing or mistyped
 * property (an older or newer daemon): "", 0 or false instead. */
const char *penctl_live_string(const struct penctl_live *live, const char *name);
uint64_t penctl_live_uint(const struct penctl_live *live, const char *name);
bool penctl_live_bool(const struct penctl_live *live, const char *name);

/* A reason's words ("pedal released") from its name ("pedal-released"),
 * from the engine's one table; the name itself when it is not known. */
const char *penctl_live_reason_words(const char *reason);
