/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer (c): a pen's run-time writes, one slot per characteristic: at most
 * one write in flight, and the newest intent waiting for its answer
 * (replacing any older one).  bluetoothd 5.66 keeps one write operation per
 * characteristic and answers a second WriteValue meanwhile with
 * org.bluez.Error.InProgress (src/gatt-client.c,
 * characteristic_write_value).  A Control slot carries RUN/STOP and its
 * seq, and gives up on a write in flight after PEN_LINK_CONTROL_WAIT_MS.
 * Not a public header.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gio/gio.h>

#include "bluez_gatt.h"

struct bluez_client;
struct pen_write_queue;

#define PEN_WRITE_SLOTS 8
#define PEN_WRITE_MAX   4  /* the longest value written */

/* bluetoothd refused a write because another one held the characteristic
 * (org.bluez.Error.InProgress: someone else's write, or one of ours whose
 * answer we no longer wait for): try again this often, this many times. */
#define PEN_WRITE_IN_PROGRESS_RETRY_MS     20u
#define PEN_WRITE_IN_PROGRESS_RETRIES      25u

struct pen_write_queue_events {
	/* The write in flight on slot was answered (outcome as
	 * bluez_gatt_write_outcome(); InProgress only once the retries are
	 * spent).  run and seq: what was written. */
	void (*answered)(void *owner, unsigned slot, enum bluez_write_outcome outcome, uint8_t att,
			 bool run, uint16_t seq, const GError *error);
	/* A Control intent waited PEN_LINK_CONTROL_WAIT_MS for the write in flight. */
	void (*held_back)(void *owner, unsigned slot, const GError *error);
};

/* address: for log lines.  Replies after cancellable is cancelled are
 * dropped unseen. */
struct pen_write_queue *pen_write_queue_new(struct bluez_client *client, const char *address,
					    GCancellable *cancellable,
					    const struct pen_write_queue_events *events, void *owner);
/* Forgets every write waiting or in flight.  A STOP still waiting on a
 * Control slot is sent once more, unanswered: stopping is never the wrong
 * thing to do, and the pen may still hear it. */
void pen_write_queue_free(struct pen_write_queue *queue);

/* The newest intent for slot (n bytes of buf; n < 0 is returned as is, an
 * encoding error): sent to path now, or when the write in flight is
 * answered.  control: a Control slot (RUN or STOP, seq); other slots pass
 * seq through to answered(). */
int pen_write_queue_want(struct pen_write_queue *queue, unsigned slot, const char *path,
			 const uint8_t *buf, int n, bool with_response, bool control, bool run,
			 uint16_t seq);
