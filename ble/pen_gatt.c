// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GATT I/O through bluetoothd: ReadValue, WriteValue, StartNotify on
 * characteristic objects, the public write functions, and turning Value
 * changes (notifications) into callbacks.
 *
 * Every call is tied to the link's conn_cancellable, so a reply that comes
 * after the link was lost (or freed) is dropped without touching it.  The
 * message itself is on its way when g_dbus_connection_call() returns.
 *
 * Run-time writes go through one slot per characteristic: bluetoothd 5.66
 * keeps one write operation per characteristic and answers a second
 * WriteValue meanwhile with org.bluez.Error.InProgress (src/gatt-client.c,
 * characteristic_write_value), so at most one is in flight and the newest
 * intent waits for its answer, replacing any older one.  The answer is
 * sorted into the pen's own (success, an ATT error) and the link's failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pen_link_internal.h"

struct gatt_call {
	struct pen_link *link;
	pen_gatt_read_done read_done;
	pen_gatt_call_done call_done;
	const char *what;       /* static */
	bool with_response;
	enum pen_char slot;     /* a slot write: its characteristic, */
	bool run;               /* and for Control what was written */
	uint16_t seq;           /* (for Watchdog: the time written) */
};

static struct gatt_call *gatt_call_new(struct pen_link *link, const char *what)
{
	struct gatt_call *call = g_new0(struct gatt_call, 1);

	call->link = link;
	call->what = what;
	return call;
}

static void read_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct gatt_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	g_autoptr(GVariant) bytes = NULL;
	const uint8_t *data;
	gsize len = 0;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!reply) {
		call->read_done(call->link, NULL, 0, error);
		return;
	}
	bytes = g_variant_get_child_value(reply, 0);
	data = g_variant_get_fixed_array(bytes, &len, sizeof(uint8_t));
	call->read_done(call->link, data ? data : (const uint8_t *)"", len, NULL);
}

void pen_gatt_read(struct pen_link *link, const char *path, pen_gatt_read_done done)
{
	struct gatt_call *call = gatt_call_new(link, "read");

	call->read_done = done;
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, path, BLUEZ_GATT_CHAR_INTERFACE,
			       "ReadValue", g_variant_new("(@a{sv})",
							  g_variant_new_array(G_VARIANT_TYPE("{sv}"),
									      NULL, 0)),
			       G_VARIANT_TYPE("(ay)"), G_DBUS_CALL_FLAGS_NONE,
			       PEN_LINK_CALL_TIMEOUT_MS, link->conn_cancellable, read_reply, call);
}

static void call_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct gatt_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_link *link = call->link;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (call->call_done)
		call->call_done(link, reply ? NULL : error);
	else if (!reply)
		g_warning("pen %s: writing %s failed: %s", link->address_text, call->what,
			  error->message);
}

/* with_response: "type": "request"; else "command". */
static void write_value(struct pen_link *link, const char *path, const uint8_t *value,
			size_t len, bool with_response, GCancellable *cancellable,
			GAsyncReadyCallback reply, gpointer user_data)
{
	GVariantBuilder options;

	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", "type",
			      g_variant_new_string(with_response ? "request" : "command"));
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, path, BLUEZ_GATT_CHAR_INTERFACE,
			       "WriteValue",
			       g_variant_new("(@aya{sv})",
					     g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, value,
								       len, sizeof(uint8_t)),
					     &options),
			       NULL, G_DBUS_CALL_FLAGS_NONE, PEN_LINK_CALL_TIMEOUT_MS, cancellable,
			       reply, user_data);
}

void pen_gatt_write(struct pen_link *link, const char *path, const uint8_t *value, size_t len,
		    bool with_response, const char *what, pen_gatt_call_done done)
{
	struct gatt_call *call = gatt_call_new(link, what);

	call->call_done = done;
	call->with_response = with_response;
	write_value(link, path, value, len, with_response, link->conn_cancellable, call_reply,
		    call);
}

static void notify_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct gatt_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	g_autofree char *remote = NULL;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	/* Already notifying for us (bluetoothd kept it over a quick
	 * reconnect) is what we wanted. */
	if (!reply)
		remote = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(remote, "org.bluez.Error.InProgress") == 0)
		g_clear_error(&error);
	call->call_done(call->link, error);
}

void pen_gatt_start_notify(struct pen_link *link, const char *path, pen_gatt_call_done done)
{
	struct gatt_call *call = gatt_call_new(link, "notify");

	call->call_done = done;
	g_dbus_connection_call(link->bus, BLUEZ_BUS_NAME, path, BLUEZ_GATT_CHAR_INTERFACE,
			       "StartNotify", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
			       PEN_LINK_CALL_TIMEOUT_MS, link->conn_cancellable, notify_reply,
			       call);
}

static bool is_char(const struct pen_link *link, enum pen_char c, const char *path)
{
	return link->char_paths[c] && strcmp(link->char_paths[c], path) == 0;
}

static void report_malformed(struct pen_link *link, const char *what, int err, size_t len)
{
	g_autoptr(GError) error = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					      "%s value of %zu bytes rejected: %s", what, len,
					      g_strerror(-err));

	g_warning("pen %s: %s", link->address_text, error->message);
	if (link->cb.on_malformed)
		link->cb.on_malformed(link->user_data, what, error);
}

/* Field by field: the struct's padding is whatever the stack held. */
static bool cartridge_equal(const struct pen_cartridge *a, const struct pen_cartridge *b)
{
	return a->id == b->id && a->needle_count == b->needle_count &&
	       a->max_depth_um == b->max_depth_um;
}

/* A Depth or Speed notification the engine does not use (it knows what it
 * set; Status carries what the pen measures): a malformed one is logged and
 * dropped, not a reason to end a treatment (docs/pen-protocol.md §7). */
static void ignore_malformed(struct pen_link *link, const char *what, int err, size_t len)
{
	g_warning("pen %s: %s notification of %zu bytes ignored: %s", link->address_text, what,
		  len, g_strerror(-err));
}

void pen_gatt_value_changed(struct pen_link *link, const char *path, GVariant *value)
{
	const uint8_t *data;
	gsize len = 0;
	int err;

	/* Before on_connected the engine does not know the pen yet; the
	 * setup sequence reads what it needs itself. */
	if (link->state != PEN_LINK_READY)
		return;
	data = g_variant_get_fixed_array(value, &len, sizeof(uint8_t));
	if (!data)
		data = (const uint8_t *)"";

	if (is_char(link, PEN_CHAR_STATUS, path)) {
		struct pen_status status;

		err = pen_codec_parse_status(data, len, &status);
		if (err < 0)
			report_malformed(link, "status", err, len);
		else if (link->cb.on_status)
			link->cb.on_status(link->user_data, &status);
	} else if (is_char(link, PEN_CHAR_DEPTH, path)) {
		uint16_t depth;

		err = pen_codec_parse_depth(data, len, &depth);
		if (err < 0)
			ignore_malformed(link, "Depth", err, len);
		else if (link->cb.on_depth)
			link->cb.on_depth(link->user_data, depth);
	} else if (is_char(link, PEN_CHAR_SPEED, path)) {
		uint16_t speed;

		err = pen_codec_parse_speed(data, len, &speed);
		if (err < 0)
			ignore_malformed(link, "Speed", err, len);
	} else if (is_char(link, PEN_CHAR_CARTRIDGE, path)) {
		struct pen_cartridge cartridge;

		err = pen_codec_parse_cartridge(data, len, &cartridge);
		if (err < 0) {
			report_malformed(link, "cartridge", err, len);
		} else if (!cartridge_equal(&cartridge, &link->cartridge)) {
			/* bluetoothd also announces the value after our own
			 * reads: only a change is news. */
			link->cartridge = cartridge;
			if (link->cb.on_cartridge)
				link->cb.on_cartridge(link->user_data, &cartridge);
		}
	} else if (link->battery_path && strcmp(link->battery_path, path) == 0) {
		uint8_t percent;

		err = pen_codec_parse_battery_level(data, len, &percent);
		if (err < 0)
			report_malformed(link, "battery", err, len);
		else if (link->cb.on_battery)
			link->cb.on_battery(link->user_data, percent);
	}
}

/* What a WriteValue's answer means. */
enum write_outcome {
	WRITE_OK,
	WRITE_IN_PROGRESS, /* bluetoothd: another write holds the characteristic */
	WRITE_PEN_ANSWER,  /* the pen answered with an ATT error */
	WRITE_LINK_FAILED, /* no answer from the pen: the link did not carry it */
};

/*
 * bluetoothd 5.66 (src/gatt-client.c, create_gatt_dbus_error) words the
 * pen's ATT Error Response as org.bluez.Error.Failed "Operation failed with
 * ATT error: 0x83" (0x0d as InvalidArguments "Invalid Length").  Everything
 * else is the link's: Failed "Operation failed" or an errno text (timeout,
 * disconnection), "Not connected", NotConnected, NotPermitted "Not paired"
 * (the link's security), our own D-Bus timeout or NoReply.
 */
static enum write_outcome write_outcome(const GError *error, uint8_t *att)
{
	g_autofree char *remote = NULL;
	g_autoptr(GError) stripped = NULL;
	unsigned int code = 0;
	int end = 0;

	*att = 0;
	if (!error)
		return WRITE_OK;
	remote = g_dbus_error_get_remote_error(error);
	if (!remote)
		return WRITE_LINK_FAILED;
	if (strcmp(remote, "org.bluez.Error.InProgress") == 0)
		return WRITE_IN_PROGRESS;
	stripped = g_error_copy(error);
	g_dbus_error_strip_remote_error(stripped);
	if (strcmp(remote, "org.bluez.Error.Failed") == 0 &&
	    sscanf(stripped->message, "Operation failed with ATT error: 0x%2x%n", &code, &end) == 1 &&
	    end > 0 && stripped->message[end] == '\0' && code != 0) {
		*att = (uint8_t)code;
		return WRITE_PEN_ANSWER;
	}
	if (strcmp(remote, "org.bluez.Error.InvalidArguments") == 0 &&
	    strcmp(stripped->message, "Invalid Length") == 0) {
		*att = 0x0d;
		return WRITE_PEN_ANSWER;
	}
	return WRITE_LINK_FAILED;
}

static const char *write_what(enum pen_char c)
{
	switch (c) {
	case PEN_CHAR_CONTROL:
		return "control";
	case PEN_CHAR_DEPTH:
		return "depth";
	case PEN_CHAR_SPEED:
		return "speed";
	case PEN_CHAR_HEARTBEAT:
		return "heartbeat";
	case PEN_CHAR_WATCHDOG:
		return "watchdog";
	case PEN_CHAR_STATUS:
	case PEN_CHAR_CARTRIDGE:
	case PEN_CHAR_PROTOCOL_INFO:
		break;
	}
	return "unknown";
}

static const char *control_name(bool run)
{
	return run ? "RUN" : "STOP";
}

static void report_link_error(struct pen_link *link, enum pen_char c, const GError *error)
{
	g_warning("pen %s: writing %s failed on the link: %s", link->address_text,
		  write_what(c), error->message);
	/* One lost heartbeat must not stop the motor (§5); many will, by the
	 * pen's own watchdog. */
	if (c != PEN_CHAR_HEARTBEAT && link->cb.on_link_error)
		link->cb.on_link_error(link->user_data, write_what(c), error);
}

/* The pen answered the Control write RUN/seq with ATT error att (0 = success). */
static void report_control_answer(struct pen_link *link, bool run, uint16_t seq, uint8_t att,
				  const GError *error)
{
	g_autoptr(GError) violation = NULL;

	if (att == 0 || (run && pen_att_error_is_run_refusal(att))) {
		if (att)
			g_message("pen %s: RUN (seq %u) refused: 0x%02x %s", link->address_text, seq,
				  att, pen_att_error_to_string(att));
		if (link->cb.on_control_answered)
			link->cb.on_control_answered(link->user_data, run, seq, att);
		return;
	}
	/* A well-formed STOP is always applied, and a RUN refused only for
	 * the reasons of §3.1: anything else breaks the protocol. */
	violation = g_error_new(G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				"%s (seq %u) answered with ATT error 0x%02x, not a documented "
				"answer (%s)", control_name(run), seq, att, error->message);
	g_warning("pen %s: %s", link->address_text, violation->message);
	if (link->cb.on_malformed)
		link->cb.on_malformed(link->user_data, "control", violation);
}

static void slot_report(struct pen_link *link, enum pen_char c, enum write_outcome outcome,
			uint8_t att, bool run, uint16_t seq, const GError *error)
{
	switch (outcome) {
	case WRITE_OK:
		if (c == PEN_CHAR_CONTROL)
			report_control_answer(link, run, seq, 0, NULL);
		else if (c == PEN_CHAR_WATCHDOG && link->cb.on_watchdog_written)
			link->cb.on_watchdog_written(link->user_data, seq);
		return;
	case WRITE_PEN_ANSWER:
		if (c == PEN_CHAR_CONTROL) {
			report_control_answer(link, run, seq, att, error);
			return;
		}
		g_warning("pen %s: the pen refused the %s written: %s", link->address_text,
			  write_what(c), error->message);
		if (c != PEN_CHAR_HEARTBEAT && link->cb.on_write_failed)
			link->cb.on_write_failed(link->user_data, write_what(c), error);
		return;
	case WRITE_IN_PROGRESS:
	case WRITE_LINK_FAILED:
		report_link_error(link, c, error);
		return;
	}
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
	g_autoptr(GError) error = NULL;

	slot->wait_source = 0;
	if (!slot->in_flight || !slot->has_next)
		return G_SOURCE_REMOVE;
	error = g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
			    "%s (seq %u) held back: the %s (seq %u) before it has not been "
			    "answered for %u ms", control_name(slot->next_run), slot->next_seq,
			    control_name(slot->cur_run), slot->cur_seq, PEN_LINK_CONTROL_WAIT_MS);
	report_link_error(slot->link, slot->c, error);
	return G_SOURCE_REMOVE;
}

static void slot_reply(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree struct gatt_call *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source),
								  result, &error);
	struct pen_write_slot *slot;
	enum write_outcome outcome;
	uint8_t att;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	slot = &call->link->writes[call->slot];
	slot->in_flight = false;
	outcome = write_outcome(reply ? NULL : error, &att);
	if (outcome == WRITE_IN_PROGRESS && slot->in_progress_tries < PEN_LINK_IN_PROGRESS_RETRIES) {
		/* Someone's write holds the characteristic: ours again in a
		 * moment, unless a newer intent has replaced it meanwhile. */
		slot->in_progress_tries++;
		if (!slot->has_next) {
			memcpy(slot->next, slot->cur, slot->cur_len);
			slot->next_len = slot->cur_len;
			slot->next_run = slot->cur_run;
			slot->next_seq = slot->cur_seq;
			slot->has_next = true;
		}
		slot->retry_source = g_timeout_add(PEN_LINK_IN_PROGRESS_RETRY_MS, slot_retry_fired,
						   slot);
		return;
	}
	slot->in_progress_tries = 0;
	if (slot->wait_source)
		g_source_remove(slot->wait_source);
	slot->wait_source = 0;
	if (outcome == WRITE_IN_PROGRESS)
		slot->has_next = false; /* given up: on_link_error says so */
	/* What waits goes first: a STOP must not wait for our callbacks. */
	if (slot->has_next)
		slot_send(slot);
	slot_report(call->link, call->slot, outcome, att, call->run, call->seq, error);
}

static void slot_send(struct pen_write_slot *slot)
{
	struct pen_link *link = slot->link;
	struct gatt_call *call = gatt_call_new(link, write_what(slot->c));

	memcpy(slot->cur, slot->next, slot->next_len);
	slot->cur_len = slot->next_len;
	slot->cur_run = slot->next_run;
	slot->cur_seq = slot->next_seq;
	slot->has_next = false;
	slot->in_flight = true;
	call->slot = slot->c;
	call->run = slot->cur_run;
	call->seq = slot->cur_seq;
	if (slot->c == PEN_CHAR_WATCHDOG &&
	    pen_codec_parse_watchdog(slot->cur, slot->cur_len, &call->seq) < 0)
		call->seq = 0;
	write_value(link, link->char_paths[slot->c], slot->cur, slot->cur_len,
		    slot->with_response, link->conn_cancellable, slot_reply, call);
}

/* The newest intent for characteristic c: sent now, or when the write in
 * flight is answered (replacing whatever waited before it). */
static int slot_want(struct pen_link *link, enum pen_char c, const uint8_t *buf, int n,
		     bool with_response, bool run, uint16_t seq)
{
	struct pen_write_slot *slot = &link->writes[c];

	if (n < 0)
		return n;
	if ((size_t)n > sizeof(slot->next))
		return -EINVAL;
	slot->link = link;
	slot->c = c;
	memcpy(slot->next, buf, (size_t)n);
	slot->next_len = (size_t)n;
	slot->next_run = run;
	slot->next_seq = seq;
	slot->with_response = with_response;
	if (slot->has_next && c == PEN_CHAR_CONTROL)
		g_debug("pen %s: a waiting Control write is replaced by %s (seq %u)",
			link->address_text, control_name(run), seq);
	slot->has_next = true;
	if (slot->in_flight) {
		if (c == PEN_CHAR_CONTROL && !slot->wait_source)
			slot->wait_source = g_timeout_add(PEN_LINK_CONTROL_WAIT_MS,
							  slot_wait_expired, slot);
		return 0;
	}
	if (!slot->retry_source)
		slot_send(slot);
	return 0;
}

void pen_gatt_writes_reset(struct pen_link *link)
{
	for (unsigned i = 0; i < PEN_CHAR_COUNT; i++) {
		struct pen_write_slot *slot = &link->writes[i];

		if (slot->retry_source)
			g_source_remove(slot->retry_source);
		if (slot->wait_source)
			g_source_remove(slot->wait_source);
		if (i == PEN_CHAR_CONTROL && slot->has_next && !slot->next_run &&
		    link->char_paths[i]) {
			g_message("pen %s: sending the waiting STOP (seq %u) once more, unanswered",
				  link->address_text, slot->next_seq);
			write_value(link, link->char_paths[i], slot->next, slot->next_len, true,
				    NULL, NULL, NULL);
		}
		memset(slot, 0, sizeof(*slot));
	}
}

int pen_link_write_control(struct pen_link *link, bool run, uint16_t seq)
{
	struct pen_control control = {
		.op = run ? PEN_CONTROL_RUN : PEN_CONTROL_STOP,
		.seq = seq,
	};
	uint8_t buf[PEN_CONTROL_SIZE];

	/* A STOP goes to whatever Control we know, even on a pen we
	 * refused: stopping is never the wrong thing to do. */
	if (!link->char_paths[PEN_CHAR_CONTROL] || (run && link->state != PEN_LINK_READY))
		return -ENOTCONN;
	return slot_want(link, PEN_CHAR_CONTROL, buf,
			 pen_codec_encode_control(&control, buf, sizeof(buf)), true, run, seq);
}

int pen_link_write_depth(struct pen_link *link, uint16_t depth_um)
{
	uint8_t buf[PEN_DEPTH_SIZE];

	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return slot_want(link, PEN_CHAR_DEPTH, buf,
			 pen_codec_encode_depth(depth_um, buf, sizeof(buf)), true, false, 0);
}

int pen_link_write_speed(struct pen_link *link, uint16_t speed)
{
	uint8_t buf[PEN_SPEED_SIZE];

	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return slot_want(link, PEN_CHAR_SPEED, buf,
			 pen_codec_encode_speed(speed, buf, sizeof(buf)), true, false, 0);
}

int pen_link_write_heartbeat(struct pen_link *link, uint16_t counter)
{
	uint8_t buf[PEN_HEARTBEAT_SIZE];

	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return slot_want(link, PEN_CHAR_HEARTBEAT, buf,
			 pen_codec_encode_heartbeat(counter, buf, sizeof(buf)), false, false, 0);
}

int pen_link_write_watchdog(struct pen_link *link, uint16_t watchdog_ms)
{
	uint8_t buf[PEN_WATCHDOG_SIZE];
	int n = pen_codec_encode_watchdog(watchdog_ms, buf, sizeof(buf));

	if (n < 0)
		return n;
	/* Also what every later connect writes (§7 step 3). */
	link->watchdog_ms = watchdog_ms;
	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	return slot_want(link, PEN_CHAR_WATCHDOG, buf, n, true, false, 0);
}

static void cartridge_reread(struct pen_link *link, const uint8_t *value, size_t len,
			     const GError *error)
{
	struct pen_cartridge cartridge;
	int err;

	if (error) {
		g_warning("pen %s: reading Cartridge failed: %s", link->address_text,
			  error->message);
		return;
	}
	err = pen_codec_parse_cartridge(value, len, &cartridge);
	if (err < 0) {
		report_malformed(link, "cartridge", err, len);
		return;
	}
	/* Reported even when unchanged: the engine waits for this answer. */
	link->cartridge = cartridge;
	if (link->cb.on_cartridge)
		link->cb.on_cartridge(link->user_data, &cartridge);
}

int pen_link_read_cartridge(struct pen_link *link)
{
	if (link->state != PEN_LINK_READY)
		return -ENOTCONN;
	pen_gatt_read(link, link->char_paths[PEN_CHAR_CARTRIDGE], cartridge_reread);
	return 0;
}
