// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pen protocol version 1 GATT profile (docs/pen-protocol.md): its
 * service and characteristics (found by UUID), the connect-time sequence,
 * notifications decoded with pen_codec.c, writes through pen_write_queue.c.
 *
 * The connect-time sequence, once ServicesResolved is true and find()
 * found the pen service and every characteristic:
 *   read ProtocolInfo (is the major version ours?),
 *   write Watchdog (the pen stops by itself without heartbeats),
 *   read Cartridge, StartNotify Status and Depth,
 *   read Status, then tell the link (ready: on_connected, first status),
 *   Battery Level if the pen has it (read + notify, failures ignored).
 * A pen that lacks something is incompatible, with the reason; a step that
 * fails on the bus is the link's to retry.
 *
 * Heartbeats, five a second for as long as the pen is connected, go through
 * a socket acquired from bluetoothd when the Heartbeat characteristic offers
 * one (bluez_write_fd.c: one write() each, no D-Bus); otherwise, and while
 * the socket is being acquired, as WriteValue.
 */
#include <errno.h>
#include <string.h>

#include "bluez_client.h"
#include "bluez_gatt.h"
#include "bluez_write_fd.h"
#include "pen_profile_v1.h"
#include "pen_write_queue.h"

/* The pen service's characteristics, all required by protocol version 1. */
enum pen_char {
	PEN_CHAR_CONTROL,
	PEN_CHAR_DEPTH,
	PEN_CHAR_SPEED,
	PEN_CHAR_STATUS,
	PEN_CHAR_HEARTBEAT,
	PEN_CHAR_CARTRIDGE,
	PEN_CHAR_WATCHDOG,
	PEN_CHAR_PROTOCOL_INFO,
};
#define PEN_CHAR_COUNT (PEN_CHAR_PROTOCOL_INFO + 1)
#define PEN_CHAR_MAX_FLAGS 3
G_STATIC_ASSERT(PEN_CHAR_COUNT <= PEN_WRITE_SLOTS);

/* docs/pen-protocol.md §2.1: name, UUID, the properties the daemon uses
 * (BlueZ's GattCharacteristic1.Flags names) and what a write is called in
 * the callbacks (NULL: never written). */
static const struct {
	const char *name;
	const char *uuid;
	const char *flags[PEN_CHAR_MAX_FLAGS + 1];
	const char *what;
} pen_chars[PEN_CHAR_COUNT] = {
	[PEN_CHAR_CONTROL] = { "Control", PEN_CONTROL_UUID, { "write" }, "control" },
	[PEN_CHAR_DEPTH] = { "Depth", PEN_DEPTH_UUID, { "read", "write", "notify" }, "depth" },
	[PEN_CHAR_SPEED] = { "Speed", PEN_SPEED_UUID, { "read", "write", "notify" }, "speed" },
	[PEN_CHAR_STATUS] = { "Status", PEN_STATUS_UUID, { "read", "notify" }, NULL },
	[PEN_CHAR_HEARTBEAT] = { "Heartbeat", PEN_HEARTBEAT_UUID, { "write-without-response" },
				 "heartbeat" },
	[PEN_CHAR_CARTRIDGE] = { "Cartridge", PEN_CARTRIDGE_UUID, { "read" }, NULL },
	[PEN_CHAR_WATCHDOG] = { "Watchdog", PEN_WATCHDOG_UUID, { "read", "write" }, "watchdog" },
	[PEN_CHAR_PROTOCOL_INFO] = { "ProtocolInfo", PEN_PROTOCOL_INFO_UUID, { "read" }, NULL },
};

static const char *write_what(unsigned c)
{
	return c < PEN_CHAR_COUNT && pen_chars[c].what ? pen_chars[c].what : "unknown";
}

struct pen_profile_conn {
	struct bluez_client *client;
	char *device_path;
	char *address;
	GCancellable *cancellable;
	const struct pen_profile_events *events;
	void *owner;
	const struct pen_link_callbacks *cb;
	void *user_data;

	char *char_paths[PEN_CHAR_COUNT];
	char *battery_path;               /* optional */
	char *model_path, *firmware_path; /* optional: Device Information */
	char *model, *firmware;           /* read so far ("" when unreadable) */
	struct pen_cartridge cartridge;
	uint16_t watchdog_ms;             /* what setup writes */
	struct pen_write_queue *writes;
	struct bluez_write_fd *heartbeat_fd; /* from setup on */
};

/* ---- writes and their answers ---- */

static const char *control_name(bool run)
{
	return run ? "RUN" : "STOP";
}

static void report_link_error(struct pen_profile_conn *conn, unsigned c, const GError *error)
{
	g_warning("pen %s: writing %s failed on the link: %s", conn->address, write_what(c),
		  error->message);
	/* One lost heartbeat must not stop the motor (§5); many will, by the
	 * pen's own watchdog. */
	if (c != PEN_CHAR_HEARTBEAT && conn->cb->on_link_error) {
		g_autoptr(GError) link_error = g_error_new(PEN_LINK_ERROR, PEN_LINK_ERROR_LINK, "%s",
							   error->message);

		conn->cb->on_link_error(conn->user_data, write_what(c), link_error);
	}
}

/* The pen answered the Control write RUN/seq with ATT error att (0 = success). */
static void report_control_answer(struct pen_profile_conn *conn, bool run, uint16_t seq,
				  uint8_t att, const GError *error)
{
	g_autoptr(GError) violation = NULL;

	if (att == 0 || (run && pen_att_error_is_run_refusal(att))) {
		if (att)
			g_message("pen %s: RUN (seq %u) refused: 0x%02x %s", conn->address, seq, att,
				  pen_att_error_to_string(att));
		if (conn->cb->on_control_answered)
			conn->cb->on_control_answered(conn->user_data, run, seq, att);
		return;
	}
	/* A well-formed STOP is always applied, and a RUN refused only for
	 * the reasons of §3.1: anything else breaks the protocol. */
	violation = g_error_new(PEN_LINK_ERROR, PEN_LINK_ERROR_INCOMPATIBLE,
				"%s (seq %u) answered with ATT error 0x%02x, not a documented "
				"answer (%s)", control_name(run), seq, att, error->message);
	g_warning("pen %s: %s", conn->address, violation->message);
	if (conn->cb->on_malformed)
		conn->cb->on_malformed(conn->user_data, "control", violation);
}

static void write_answered(void *owner, unsigned c, enum bluez_write_outcome outcome, uint8_t att,
			   bool run, uint16_t seq, const GError *error)
{
	struct pen_profile_conn *conn = owner;

	switch (outcome) {
	case BLUEZ_WRITE_OK:
		if (c == PEN_CHAR_CONTROL)
			report_control_answer(conn, run, seq, 0, NULL);
		else if (c == PEN_CHAR_WATCHDOG && conn->cb->on_watchdog_written)
			conn->cb->on_watchdog_written(conn->user_data, seq);
		return;
	case BLUEZ_WRITE_ATT_ERROR:
		if (c == PEN_CHAR_CONTROL) {
			report_control_answer(conn, run, seq, att, error);
			return;
		}
		g_warning("pen %s: the pen refused the %s written: %s", conn->address,
			  write_what(c), error->message);
		if (c != PEN_CHAR_HEARTBEAT && conn->cb->on_write_failed) {
			g_autoptr(GError) refused = g_error_new(
				PEN_LINK_ERROR, PEN_LINK_ERROR_PEN_REFUSED, "%s", error->message);

			conn->cb->on_write_failed(conn->user_data, write_what(c), refused);
		}
		return;
	case BLUEZ_WRITE_IN_PROGRESS:
	case BLUEZ_WRITE_LINK_FAILED:
		report_link_error(conn, c, error);
		return;
	}
}

static void write_held_back(void *owner, unsigned c, const GError *error)
{
	report_link_error(owner, c, error);
}

static const struct pen_write_queue_events write_events = {
	.answered = write_answered,
	.held_back = write_held_back,
};

static int want(struct pen_profile_conn *conn, enum pen_char c, const uint8_t *buf, int n,
		bool with_response, bool run, uint16_t seq)
{
	return pen_write_queue_want(conn->writes, c, conn->char_paths[c], buf, n, with_response,
				    c == PEN_CHAR_CONTROL, run, seq);
}

static int v1_write_control(struct pen_profile_conn *conn, bool run, uint16_t seq)
{
	struct pen_control control = {
		.op = run ? PEN_CONTROL_RUN : PEN_CONTROL_STOP,
		.seq = seq,
	};
	uint8_t buf[PEN_CONTROL_SIZE];

	if (!conn->char_paths[PEN_CHAR_CONTROL])
		return -ENOTCONN;
	return want(conn, PEN_CHAR_CONTROL, buf,
		    pen_codec_encode_control(&control, buf, sizeof(buf)), true, run, seq);
}

static int v1_write_depth(struct pen_profile_conn *conn, uint16_t depth_um)
{
	uint8_t buf[PEN_DEPTH_SIZE];

	return want(conn, PEN_CHAR_DEPTH, buf, pen_codec_encode_depth(depth_um, buf, sizeof(buf)),
		    true, false, 0);
}

static int v1_write_speed(struct pen_profile_conn *conn, uint16_t speed)
{
	uint8_t buf[PEN_SPEED_SIZE];

	return want(conn, PEN_CHAR_SPEED, buf, pen_codec_encode_speed(speed, buf, sizeof(buf)),
		    true, false, 0);
}

static int v1_write_heartbeat(struct pen_profile_conn *conn, uint16_t counter)
{
	uint8_t buf[PEN_HEARTBEAT_SIZE];
	int n = pen_codec_encode_heartbeat(counter, buf, sizeof(buf));

	int err;

	if (n > 0 && conn->heartbeat_fd) {
		err = bluez_write_fd_write(conn->heartbeat_fd, buf, (size_t)n);
		/* A full socket: bluetoothd still holds the characteristic, so
		 * WriteValue would be refused; this one is lost (one lost
		 * heartbeat stops nothing, §5). */
		if (err == 0 || err == -EAGAIN)
			return err;
	}
	err = want(conn, PEN_CHAR_HEARTBEAT, buf, n, false, false, 0);
	if (conn->heartbeat_fd)
		bluez_write_fd_acquire_again(conn->heartbeat_fd);
	return err;
}

/* seq carries the time written, for on_watchdog_written. */
static int v1_write_watchdog(struct pen_profile_conn *conn, uint16_t watchdog_ms)
{
	uint8_t buf[PEN_WATCHDOG_SIZE];

	return want(conn, PEN_CHAR_WATCHDOG, buf,
		    pen_codec_encode_watchdog(watchdog_ms, buf, sizeof(buf)), true, false,
		    watchdog_ms);
}

/* ---- notifications ---- */

static void report_malformed(struct pen_profile_conn *conn, const char *what, int err,
			     size_t len)
{
	g_autoptr(GError) error = g_error_new(PEN_LINK_ERROR, PEN_LINK_ERROR_INCOMPATIBLE,
					      "%s value of %zu bytes rejected: %s", what, len,
					      g_strerror(-err));

	g_warning("pen %s: %s", conn->address, error->message);
	if (conn->cb->on_malformed)
		conn->cb->on_malformed(conn->user_data, what, error);
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
static void ignore_malformed(struct pen_profile_conn *conn, const char *what, int err,
			     size_t len)
{
	g_warning("pen %s: %s notification of %zu bytes ignored: %s", conn->address, what, len,
		  g_strerror(-err));
}

static bool is_char(const struct pen_profile_conn *conn, enum pen_char c, const char *path)
{
	return conn->char_paths[c] && strcmp(conn->char_paths[c], path) == 0;
}

static void v1_value_changed(struct pen_profile_conn *conn, const char *path, GVariant *value)
{
	const uint8_t *data;
	gsize len = 0;
	int err;

	data = g_variant_get_fixed_array(value, &len, sizeof(uint8_t));
	if (!data)
		data = (const uint8_t *)"";

	if (is_char(conn, PEN_CHAR_STATUS, path)) {
		struct pen_status status;

		err = pen_codec_parse_status(data, len, &status);
		if (err < 0)
			report_malformed(conn, "status", err, len);
		else if (conn->cb->on_status)
			conn->cb->on_status(conn->user_data, &status);
	} else if (is_char(conn, PEN_CHAR_DEPTH, path)) {
		uint16_t depth;

		err = pen_codec_parse_depth(data, len, &depth);
		if (err < 0)
			ignore_malformed(conn, "Depth", err, len);
		else if (conn->cb->on_depth)
			conn->cb->on_depth(conn->user_data, depth);
	} else if (is_char(conn, PEN_CHAR_SPEED, path)) {
		uint16_t speed;

		err = pen_codec_parse_speed(data, len, &speed);
		if (err < 0)
			ignore_malformed(conn, "Speed", err, len);
	} else if (is_char(conn, PEN_CHAR_CARTRIDGE, path)) {
		struct pen_cartridge cartridge;

		err = pen_codec_parse_cartridge(data, len, &cartridge);
		if (err < 0) {
			report_malformed(conn, "cartridge", err, len);
		} else if (!cartridge_equal(&cartridge, &conn->cartridge)) {
			/* bluetoothd also announces the value after our own
			 * reads: only a change is news. */
			conn->cartridge = cartridge;
			if (conn->cb->on_cartridge)
				conn->cb->on_cartridge(conn->user_data, &cartridge);
		}
	} else if (conn->battery_path && strcmp(conn->battery_path, path) == 0) {
		uint8_t percent;

		err = pen_codec_parse_battery_level(data, len, &percent);
		if (err < 0)
			report_malformed(conn, "battery", err, len);
		else if (conn->cb->on_battery)
			conn->cb->on_battery(conn->user_data, percent);
	}
}

static void cartridge_reread(void *owner, const uint8_t *value, size_t len, const GError *error)
{
	struct pen_profile_conn *conn = owner;
	struct pen_cartridge cartridge;
	int err;

	if (error) {
		g_warning("pen %s: reading Cartridge failed: %s", conn->address, error->message);
		return;
	}
	err = pen_codec_parse_cartridge(value, len, &cartridge);
	if (err < 0) {
		report_malformed(conn, "cartridge", err, len);
		return;
	}
	/* Reported even when unchanged: the engine waits for this answer. */
	conn->cartridge = cartridge;
	if (conn->cb->on_cartridge)
		conn->cb->on_cartridge(conn->user_data, &cartridge);
}

static int v1_read_cartridge(struct pen_profile_conn *conn)
{
	bluez_gatt_read(conn->client, conn->char_paths[PEN_CHAR_CARTRIDGE], conn->cancellable,
			cartridge_reread, conn);
	return 0;
}

/* ---- the connect-time sequence ---- */

static void setup_failed(struct pen_profile_conn *conn, const char *step, const GError *error)
{
	conn->events->failed(conn->owner, step, error);
}

static void incompatible(struct pen_profile_conn *conn, const char *why)
{
	conn->events->incompatible(conn->owner, why);
}

static void battery_read(void *owner, const uint8_t *value, size_t len, const GError *error)
{
	struct pen_profile_conn *conn = owner;
	uint8_t percent;

	/* Battery is optional: a failure costs the battery level only. */
	if (!error && pen_codec_parse_battery_level(value, len, &percent) == 0 &&
	    conn->cb->on_battery)
		conn->cb->on_battery(conn->user_data, percent);
}

static void battery_notify_started(void *owner, const GError *error)
{
	struct pen_profile_conn *conn = owner;

	if (error)
		g_info("pen %s: no Battery Level notifications: %s", conn->address,
		       error->message);
}

/* Device Information: the text as the pen gives it; the engine cuts and
 * cleans it.  A failure costs the record's model or firmware only. */
static char *info_text(const uint8_t *value, size_t len, const GError *error)
{
	if (error || !value)
		return g_strdup("");
	/* A GATT string may carry a terminating NUL. */
	return g_strndup((const char *)value, len);
}

static void report_device_info(struct pen_profile_conn *conn)
{
	if ((conn->model_path && !conn->model) || (conn->firmware_path && !conn->firmware))
		return; /* a read is still out */
	if (conn->cb->on_device_info)
		conn->cb->on_device_info(conn->user_data, conn->model ? conn->model : "",
					 conn->firmware ? conn->firmware : "");
}

static void model_read(void *owner, const uint8_t *value, size_t len, const GError *error)
{
	struct pen_profile_conn *conn = owner;

	g_free(conn->model);
	conn->model = info_text(value, len, error);
	report_device_info(conn);
}

static void firmware_read(void *owner, const uint8_t *value, size_t len, const GError *error)
{
	struct pen_profile_conn *conn = owner;

	g_free(conn->firmware);
	conn->firmware = info_text(value, len, error);
	report_device_info(conn);
}

static void status_read(void *owner, const uint8_t *value, size_t len, const GError *error)
{
	struct pen_profile_conn *conn = owner;
	struct pen_status status;
	int err;

	if (error) {
		setup_failed(conn, "reading Status", error);
		return;
	}
	err = pen_codec_parse_status(value, len, &status);
	if (err < 0) {
		g_autofree char *why = g_strdup_printf("Status value malformed (%zu bytes): %s",
						       len, g_strerror(-err));

		incompatible(conn, why);
		return;
	}
	if (!conn->events->ready(conn->owner, &conn->cartridge, &status))
		return; /* the callbacks changed the pen: conn is gone */
	/* Battery after on_connected: the engine hears of the pen first. */
	if (conn->battery_path) {
		bluez_gatt_read(conn->client, conn->battery_path, conn->cancellable, battery_read,
				conn);
		bluez_gatt_start_notify(conn->client, conn->battery_path, conn->cancellable,
					battery_notify_started, conn);
	}
	g_clear_pointer(&conn->model, g_free);
	g_clear_pointer(&conn->firmware, g_free);
	if (conn->model_path)
		bluez_gatt_read(conn->client, conn->model_path, conn->cancellable, model_read, conn);
	if (conn->firmware_path)
		bluez_gatt_read(conn->client, conn->firmware_path, conn->cancellable,
				firmware_read, conn);
}

static void depth_notify_started(void *owner, const GError *error)
{
	struct pen_profile_conn *conn = owner;

	if (error) {
		setup_failed(conn, "StartNotify Depth", error);
		return;
	}
	bluez_gatt_read(conn->client, conn->char_paths[PEN_CHAR_STATUS], conn->cancellable,
			status_read, conn);
}

static void status_notify_started(void *owner, const GError *error)
{
	struct pen_profile_conn *conn = owner;

	if (error) {
		setup_failed(conn, "StartNotify Status", error);
		return;
	}
	bluez_gatt_start_notify(conn->client, conn->char_paths[PEN_CHAR_DEPTH], conn->cancellable,
				depth_notify_started, conn);
}

static void cartridge_read(void *owner, const uint8_t *value, size_t len, const GError *error)
{
	struct pen_profile_conn *conn = owner;
	int err;

	if (error) {
		setup_failed(conn, "reading Cartridge", error);
		return;
	}
	err = pen_codec_parse_cartridge(value, len, &conn->cartridge);
	if (err < 0) {
		g_autofree char *why = g_strdup_printf(
			"Cartridge value malformed (%zu bytes): %s", len, g_strerror(-err));

		memset(&conn->cartridge, 0, sizeof(conn->cartridge));
		incompatible(conn, why);
		return;
	}
	bluez_gatt_start_notify(conn->client, conn->char_paths[PEN_CHAR_STATUS], conn->cancellable,
				status_notify_started, conn);
}

static void watchdog_written(void *owner, const GError *error)
{
	struct pen_profile_conn *conn = owner;

	if (error) {
		/* Without the watchdog the pen would not stop by itself. */
		setup_failed(conn, "writing Watchdog", error);
		return;
	}
	bluez_gatt_read(conn->client, conn->char_paths[PEN_CHAR_CARTRIDGE], conn->cancellable,
			cartridge_read, conn);
}

static void protocol_info_read(void *owner, const uint8_t *value, size_t len,
			       const GError *error)
{
	struct pen_profile_conn *conn = owner;
	struct pen_protocol_info info;
	uint8_t buf[PEN_WATCHDOG_SIZE];
	int err, n;

	if (error) {
		setup_failed(conn, "reading ProtocolInfo", error);
		return;
	}
	err = pen_codec_parse_protocol_info(value, len, &info);
	if (err < 0) {
		g_autofree char *why = g_strdup_printf(
			"ProtocolInfo value malformed (%zu bytes): %s", len, g_strerror(-err));

		incompatible(conn, why);
		return;
	}
	if (!pen_protocol_version_supported(&info)) {
		g_autofree char *why = g_strdup_printf(
			"pen protocol version %u.%u not supported (this daemon speaks %u.x)",
			info.major, info.minor, PEN_PROTOCOL_VERSION_MAJOR);

		incompatible(conn, why);
		return;
	}
	n = pen_codec_encode_watchdog(conn->watchdog_ms, buf, sizeof(buf));
	if (n < 0) {
		incompatible(conn, "the configured pen watchdog cannot be encoded");
		return;
	}
	bluez_gatt_write(conn->client, conn->char_paths[PEN_CHAR_WATCHDOG], buf, (size_t)n, true,
			 conn->cancellable, watchdog_written, conn);
}

static void v1_setup(struct pen_profile_conn *conn, uint16_t watchdog_ms)
{
	g_info("pen %s: services resolved, setting up", conn->address);
	memset(&conn->cartridge, 0, sizeof(conn->cartridge));
	conn->watchdog_ms = watchdog_ms;
	if (!conn->heartbeat_fd)
		conn->heartbeat_fd = bluez_write_fd_new(conn->client,
							conn->char_paths[PEN_CHAR_HEARTBEAT],
							"heartbeats", conn->address);
	bluez_gatt_read(conn->client, conn->char_paths[PEN_CHAR_PROTOCOL_INFO], conn->cancellable,
			protocol_info_read, conn);
}

/* ---- finding the characteristics ---- */

static void forget_gatt(struct pen_profile_conn *conn)
{
	g_clear_pointer(&conn->heartbeat_fd, bluez_write_fd_free);
	for (unsigned i = 0; i < PEN_CHAR_COUNT; i++)
		g_clear_pointer(&conn->char_paths[i], g_free);
	g_clear_pointer(&conn->battery_path, g_free);
	g_clear_pointer(&conn->model_path, g_free);
	g_clear_pointer(&conn->firmware_path, g_free);
	g_clear_pointer(&conn->model, g_free);
	g_clear_pointer(&conn->firmware, g_free);
}

/* "Status (uuid) lacks notify": properties the daemon uses that the pen's
 * characteristic does not offer. */
static void append_lacking_flags(const struct pen_profile_conn *conn, enum pen_char c,
				 GString *lacking)
{
	const struct bluez_objects *objects = bluez_client_objects(conn->client);
	bool first = true;

	for (const char *const *flag = pen_chars[c].flags; *flag; flag++) {
		if (bluez_objects_strv_contains(objects, conn->char_paths[c],
						BLUEZ_GATT_CHAR_INTERFACE, "Flags", *flag))
			continue;
		if (first)
			g_string_append_printf(lacking, "%s%s (%s) lacks %s",
					       lacking->len ? "; " : "", pen_chars[c].name,
					       pen_chars[c].uuid, *flag);
		else
			g_string_append_printf(lacking, ", %s", *flag);
		first = false;
	}
}

static bool v1_find(struct pen_profile_conn *conn, GString *missing)
{
	const struct bluez_objects *objects = bluez_client_objects(conn->client);
	const char *service = bluez_objects_find_service(objects, conn->device_path,
							 PEN_SERVICE_UUID);
	const char *battery_service, *info_service;
	g_autoptr(GString) absent = g_string_new(NULL);
	g_autoptr(GString) lacking = g_string_new(NULL);

	forget_gatt(conn);
	if (!service) {
		g_string_append_printf(missing, "pen service %s missing", PEN_SERVICE_UUID);
		return false;
	}
	for (unsigned i = 0; i < PEN_CHAR_COUNT; i++) {
		const char *path = bluez_objects_find_characteristic(objects, service,
								     pen_chars[i].uuid);

		if (!path) {
			g_string_append_printf(absent, "%s%s (%s)", absent->len ? ", " : "",
					       pen_chars[i].name, pen_chars[i].uuid);
			continue;
		}
		conn->char_paths[i] = g_strdup(path);
		append_lacking_flags(conn, i, lacking);
	}
	if (absent->len)
		g_string_append_printf(missing, "missing characteristic %s", absent->str);
	if (lacking->len)
		g_string_append_printf(missing, "%s%s", missing->len ? "; " : "", lacking->str);
	battery_service = bluez_objects_find_service(objects, conn->device_path,
						     PEN_BATTERY_SERVICE_UUID);
	if (battery_service) {
		const char *level = bluez_objects_find_characteristic(objects, battery_service,
								      PEN_BATTERY_LEVEL_UUID);

		conn->battery_path = g_strdup(level);
	}
	info_service = bluez_objects_find_service(objects, conn->device_path,
						  PEN_DEVICE_INFO_SERVICE_UUID);
	if (info_service) {
		conn->model_path = g_strdup(bluez_objects_find_characteristic(
			objects, info_service, PEN_MODEL_NUMBER_UUID));
		conn->firmware_path = g_strdup(bluez_objects_find_characteristic(
			objects, info_service, PEN_FIRMWARE_REVISION_UUID));
	}
	return missing->len == 0;
}

static bool v1_lost_characteristic(const struct pen_profile_conn *conn)
{
	const struct bluez_objects *objects = bluez_client_objects(conn->client);

	for (unsigned i = 0; i < PEN_CHAR_COUNT; i++)
		if (conn->char_paths[i] &&
		    !bluez_objects_has_interface(objects, conn->char_paths[i],
						 BLUEZ_GATT_CHAR_INTERFACE))
			return true;
	return false;
}

/* ---- the connection ---- */

static struct pen_profile_conn *v1_conn_new(const struct pen_profile_env *env)
{
	struct pen_profile_conn *conn = g_new0(struct pen_profile_conn, 1);

	conn->client = env->client;
	conn->device_path = g_strdup(env->device_path);
	conn->address = g_strdup(env->address);
	conn->cancellable = g_object_ref(env->cancellable);
	conn->events = env->events;
	conn->owner = env->owner;
	conn->cb = env->cb;
	conn->user_data = env->user_data;
	conn->writes = pen_write_queue_new(env->client, env->address, env->cancellable,
					   &write_events, conn);
	return conn;
}

static void v1_conn_free(struct pen_profile_conn *conn)
{
	if (!conn)
		return;
	pen_write_queue_free(conn->writes);
	forget_gatt(conn);
	g_object_unref(conn->cancellable);
	g_free(conn->device_path);
	g_free(conn->address);
	g_free(conn);
}

const struct pen_profile pen_profile_v1 = {
	.name = "penctl pen protocol 1",
	.service_uuid = PEN_SERVICE_UUID,
	.conn_new = v1_conn_new,
	.conn_free = v1_conn_free,
	.find = v1_find,
	.lost_characteristic = v1_lost_characteristic,
	.setup = v1_setup,
	.value_changed = v1_value_changed,
	.write_control = v1_write_control,
	.write_depth = v1_write_depth,
	.write_speed = v1_write_speed,
	.write_heartbeat = v1_write_heartbeat,
	.write_watchdog = v1_write_watchdog,
	.read_cartridge = v1_read_cartridge,
};
