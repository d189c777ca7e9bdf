/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a D-Bus caller asks of the pen, as opposed to the treatment: scan,
 * pair (and remember), forget.  Each finishes with a GError of the
 * CONTROL_ERROR domain (control_service.h), so penctl can say what to do.
 */
#pragma once

#include <stdbool.h>

#include <gio/gio.h>

#include "penctl/pen_link.h"
#include "persistence.h"

/* The pens seen in SECONDS: a(ssn) of (address, name, RSSI), as the
 * D-Bus reply carries it. */
void pen_operations_scan(struct pen_link *pen, unsigned seconds, GAsyncReadyCallback callback,
			 gpointer user_data);
GVariant *pen_operations_scan_finish(GAsyncResult *result, GError **error);

/* Pairs ADDRESS (NULL: the only pen a short scan finds) and remembers it
 * in STORE.  Finishes with the address paired. */
void pen_operations_pair(struct pen_link *pen, struct persistence *store, const char *address,
			 GAsyncReadyCallback callback, gpointer user_data);
char *pen_operations_pair_finish(GAsyncResult *result, GError **error);

/* Removes the pen from bluetoothd and from STORE. */
void pen_operations_forget(struct pen_link *pen, struct persistence *store,
			   GAsyncReadyCallback callback, gpointer user_data);
bool pen_operations_forget_finish(GAsyncResult *result, GError **error);

/* The CONTROL_ERROR a caller gets for a pen link failure. */
GError *pen_operations_control_error(const GError *error);
