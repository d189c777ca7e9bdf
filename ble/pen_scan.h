/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer (b): finding and adopting a pen: scan with a discovery filter for
 * the pen profiles' services, pair (our agent answering for that device
 * only), trust, adopt; forget (RemoveDevice).  Used by pen_link.c, which
 * owns the link; it never calls back into pen_link except through adopt.
 * Not a public header.
 */
#pragma once

#include <stdbool.h>

#include <gio/gio.h>

#include "penctl/bt_address.h"
#include "penctl/pen_link.h"

struct bluez_client;
struct bluez_agent;
struct pen_scan;

#define PEN_SCAN_PAIR_TIMEOUT_MS 120000

/* A paired and trusted pen becomes the link's pen (pen_link_set_address). */
typedef bool (*pen_scan_adopt)(void *owner, const char *address, GError **error);

/* life: cancelled when the link is freed (replies then touch nothing). */
struct pen_scan *pen_scan_new(struct bluez_client *client, struct bluez_agent *agent,
			      const char *adapter_name, GCancellable *life,
			      const struct pen_link_callbacks *cb, void *user_data,
			      pen_scan_adopt adopt, void *owner);
void pen_scan_free(struct pen_scan *scan);

/* The adapter to use, or NULL with a PEN_LINK_ERROR. */
const char *pen_scan_usable_adapter(const struct pen_scan *scan, GError **error);

/* A device changed (or, path NULL, all of them were loaded): while
 * scanning, a pen among them is reported through on_discovered. */
void pen_scan_device_changed(struct pen_scan *scan, const char *path);
/* Ends a scan under way with error (taken). */
void pen_scan_abort(struct pen_scan *scan, GError *error);

void pen_scan_start(struct pen_scan *scan, unsigned seconds, GCancellable *cancellable,
		    GAsyncReadyCallback callback, gpointer user_data);
void pen_scan_pair(struct pen_scan *scan, const char *address, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data);
/* RemoveDevice(device) on adapter (both non-NULL); DoesNotExist is success. */
void pen_scan_remove_device(struct pen_scan *scan, const char *adapter, const char *device,
			    GTask *task);

/* A D-Bus error of bluetoothd as a PEN_LINK_ERROR (code for what was
 * asked when the error says nothing more precise), message kept. */
GError *pen_scan_error_from_bluez(const GError *error, enum pen_link_error_code otherwise);
