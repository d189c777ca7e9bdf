/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer (a): GATT characteristic calls through bluetoothd (ReadValue,
 * WriteValue, StartNotify on GattCharacteristic1 objects) and what
 * bluetoothd's answer to a write means.  Knows nothing of pens.  Not a
 * public header.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gio/gio.h>

struct bluez_client;

/* A read's bytes (NULL, 0 and error on failure). */
typedef void (*bluez_gatt_read_done)(void *owner, const uint8_t *value, size_t len,
				     const GError *error);
/* A call's answer (error NULL on success). */
typedef void (*bluez_gatt_call_done)(void *owner, const GError *error);

/* Each reply is dropped, unseen, when cancellable was cancelled: the owner
 * may be gone by then. */
void bluez_gatt_read(struct bluez_client *client, const char *path, GCancellable *cancellable,
		     bluez_gatt_read_done done, void *owner);
/* with_response: "type": "request"; else "command". */
void bluez_gatt_write(struct bluez_client *client, const char *path, const uint8_t *value,
		      size_t len, bool with_response, GCancellable *cancellable,
		      bluez_gatt_call_done done, void *owner);
/* WriteValue's parameters, for a caller that handles the reply itself. */
GVariant *bluez_gatt_write_params(const uint8_t *value, size_t len, bool with_response);
/* StartNotify; bluetoothd's InProgress (already notifying for us, kept
 * over a quick reconnect) counts as success. */
void bluez_gatt_start_notify(struct bluez_client *client, const char *path,
			     GCancellable *cancellable, bluez_gatt_call_done done, void *owner);

/* What a WriteValue's answer means. */
enum bluez_write_outcome {
	BLUEZ_WRITE_OK,
	BLUEZ_WRITE_IN_PROGRESS, /* bluetoothd: another write holds the characteristic */
	BLUEZ_WRITE_ATT_ERROR,   /* the remote answered with an ATT error (*att) */
	BLUEZ_WRITE_LINK_FAILED, /* no answer from the remote: the link did not carry it */
};
enum bluez_write_outcome bluez_gatt_write_outcome(const GError *error, uint8_t *att);
