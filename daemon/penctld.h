/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon: wires the session engine to its adapters (pen link, pedal,
 * D-Bus control service, journal, state store, systemd) on one GLib main
 * loop.  Every adapter turns what happens into an engine event; every
 * action the engine returns is carried out in the same main-loop iteration.
 */
#pragma once

#include <glib.h>

#include "penctl/config.h"

struct penctld_options {
	const char *config_path; /* NULL = /etc/penctld/penctld.conf + drop-ins */
};

/* Takes CONFIG.  Fails when the system bus cannot be reached. */
struct penctld *penctld_new(const struct penctld_options *options, struct penctl_config *config,
			    GError **error);
/* Runs until SIGTERM/SIGINT (0) or until the D-Bus name is lost (1). */
int penctld_run(struct penctld *daemon);
void penctld_free(struct penctld *daemon);
