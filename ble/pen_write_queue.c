// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One slot per characteristic: at most one write in flight, the newest
 * intent waiting (pen_write_queue.h says why).  The answer is classified
 * by bluez_gatt_write_outcome() and handed to the profile, which knows
 * what it means for the pen.
 */
#include <errno.h>
#include <string.h>

#include "bluez_client.h"
#include "pen_write_queue.h"
#include "penctl/pen_link.h"

struct pen_write_intent {
	uint8_t bytes[PEN_WRITE_MAX];
	size_t len;
	bool run;                         /* Control: RUN or STOP, and its seq */
	uint16_t seq;
};

struct pen_write_slot {
	struct pen_write_queue *queue;
	unsigned index;
	char *path;
	bool control;
	bool with_response;
	bool in_flight;
	struct pen_write_intent cur;      /* what is in flight */
	bool has_next;                    /* an intent waits */
	struct pen_write_intent next;
	unsigned in_progress_tries;       /* InProgress answers in a row */
	guint retry_source;
	guint wait_source;                /* Control: an intent waits for the write in flight */
};

struct pen_write_queue {
	struct bluez_client *client;
	char *address;
	GCancellable *cancellable;
	struct pen_write_queue_events events;
	void *owner;
	struct pen_write_slot slots[PEN_WRITE_SLOTS];
};

/* A write on the bus: which slot, and what it carried. */
struct slot_call {
	struct pen_write_queue *queue;
	unsigned slot;
	bool run;
	uint16_t seq;
};

static const char *control_name(bool run)
{
	return run ? "RUN" : "STOP";
}

struct pen_write_queue *pen_write_queue_new(struct bluez_client *client, const char *address,
					    GCancellable *cancellable,
					    const struct pen_write_queue_events *events, void *owner)
{
	struct pen_write_queue *queue = g_new0(struct pen_write_queue, 1);

	queue->client = client;
	queue->address = g_strdup(address);
	queue->cancellable = g_object_ref(cancellable);
	queue->events = *events;
	queue->owner = owner;
	for (unsigned i = 0; i < PEN_WRITE_SLOTS; i++) {
		queue->slots[i].queue = queue;
		queue->slots[i].index = i;
	}
	return queue;
}

void pen_write_queue_free(struct pen_write_queue *queue)
{
	if (!queue)
		return;
	for (unsigned i = 0; i < PEN_WRITE_SLOTS; i++) {
		struct pen_write_slot *slot = &queue->slots[i];

		if (slot->retry_source)
			g_source_remove(slot->retry_source);
		if (slot->wait_source)
			g_source_remove(slot->wait_source);
		if (slot->control && slot->has_next && !slot->next.run && slot->path) {
			g_message("pen %s: sending the waiting STOP (seq %u) once more, unanswered",
				  queue->address, slot->next.seq);
			bluez_client_call(queue->client, slot->path, BLUEZ_GATT_CHAR_INTERFACE,
					  "WriteValue",
					  bluez_gatt_write_params(slot->next.bytes, slot->next.len,
								  true),
					  NULL, BLUEZ_CALL_TIMEOUT_MS, NULL, NULL, NULL);
		}
		g_free(slot->path);
	}
	g_object_unref(queue->cancellable);
	g_free(queue->address);
	g_free(queue);
}

static void slot_send(struct pen_write_slot *slot);

static gboolean slot_retry_fired(gpointer user_data)
{
	struct pen_write_slot *slot = user_data;

	slot->retry_source = 0;
	if (slot->has_next && !slot->in_flight)
		slot_send(slot);
	return G_SOURCE_REMOVE;
}

/* A Control intent waited PEN_LINK_CONTROL_WAIT_MS for the write in flight:
 * the pen answers within 50 ms (§3.1), so the link cannot carry a STOP in
 * time.  bluetoothd will not take another write until its own ATT timeout
 * (30 s): the daemon must give up on the link, and the pen stops by itself
 * when it drops. */
static gboolean slot_wait_expired(gpointer user_data)
{
	struct pen_write_slot *slot = user_data;
	struct pen_write_queue *queue = slot->queue;
	g_autoptr(GError) error = NULL;

	slot->wait_source = 0;
	if (!slot->in_flight || !slot->has_next)
		return G_SOURCE_REMOVE;
	error = g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "%s (seq %u) held back: the %s (seq %u) before it has not been "
			    "answered for %u ms", control_name(slot->next.run), slot->next.seq,
			    control_name(slot->cur.run), slot->cur.seq, PEN_LINK_CONTROL_WAIT_MS);
	queue->events.held_back(queue->owner, slot->index, error);
	return G_SOURCE_REMOVE;
}

static void slot_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct slot_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_write_queue *queue;
	struct pen_write_slot *slot;
	enum bluez_write_outcome outcome;
	uint8_t att;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* the queue is gone */
	queue = call->queue;
	slot = &queue->slots[call->slot];
	slot->in_flight = false;
	outcome = bluez_gatt_write_outcome(reply ? NULL : error, &att);
	if (outcome == BLUEZ_WRITE_IN_PROGRESS &&
	    slot->in_progress_tries < PEN_WRITE_IN_PROGRESS_RETRIES) {
		/* Someone's write holds the characteristic: ours again in a
		 * moment, unless a newer intent has replaced it meanwhile. */
		slot->in_progress_tries++;
		if (!slot->has_next) {
			slot->next = slot->cur;
			slot->has_next = true;
		}
		slot->retry_source = g_timeout_add(PEN_WRITE_IN_PROGRESS_RETRY_MS,
						   slot_retry_fired, slot);
		return;
	}
	slot->in_progress_tries = 0;
	if (slot->wait_source)
		g_source_remove(slot->wait_source);
	slot->wait_source = 0;
	if (outcome == BLUEZ_WRITE_IN_PROGRESS)
		slot->has_next = false; /* given up: the answer says so */
	/* What waits goes first: a STOP must not wait for our callbacks. */
	if (slot->has_next)
		slot_send(slot);
	queue->events.answered(queue->owner, call->slot, outcome, att, call->run, call->seq,
			       error);
}

static void slot_send(struct pen_write_slot *slot)
{
	struct pen_write_queue *queue = slot->queue;
	struct slot_call *call = g_new0(struct slot_call, 1);

	slot->cur = slot->next;
	slot->has_next = false;
	slot->in_flight = true;
	call->queue = queue;
	call->slot = slot->index;
	call->run = slot->cur.run;
	call->seq = slot->cur.seq;
	bluez_client_call(queue->client, slot->path, BLUEZ_GATT_CHAR_INTERFACE, "WriteValue",
			  bluez_gatt_write_params(slot->cur.bytes, slot->cur.len,
						  slot->with_response),
			  NULL, BLUEZ_CALL_TIMEOUT_MS, queue->cancellable, slot_reply, call);
}

int pen_write_queue_want(struct pen_write_queue *queue, unsigned slot_index, const char *path,
			 const uint8_t *buf, int n, bool with_response, bool control, bool run,
			 uint16_t seq)
{
	struct pen_write_slot *slot;

	if (n < 0)
		return n;
	if (slot_index >= PEN_WRITE_SLOTS || (size_t)n > PEN_WRITE_MAX || !path)
		return -EINVAL;
	slot = &queue->slots[slot_index];
	if (g_strcmp0(slot->path, path) != 0) {
		g_free(slot->path);
		slot->path = g_strdup(path);
	}
	slot->control = control;
	memcpy(slot->next.bytes, buf, (size_t)n);
	slot->next.len = (size_t)n;
	slot->next.run = run;
	slot->next.seq = seq;
	slot->with_response = with_response;
	if (slot->has_next && control)
		g_debug("pen %s: a waiting Control write is replaced by %s (seq %u)",
			queue->address, control_name(run), seq);
	slot->has_next = true;
	if (slot->in_flight) {
		if (control && !slot->wait_source)
			slot->wait_source = g_timeout_add(PEN_LINK_CONTROL_WAIT_MS,
							  slot_wait_expired, slot);
		return 0;
	}
	if (!slot->retry_source)
		slot_send(slot);
	return 0;
}
