// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The connect-time sequence, once ServicesResolved is true and
 * pen_link_find_gatt() found the pen service and every characteristic:
 *   read ProtocolInfo (is the major version ours?),
 *   write Watchdog (the pen stops by itself without heartbeats),
 *   read Cartridge, StartNotify Status and Depth,
 *   Battery Level if the pen has it (read + notify, failures ignored),
 *   read Status, then report on_connected and the first status.
 * A pen that lacks something is reported as incompatible with the reason;
 * a step that fails on the bus is retried with backoff.
 */
#include <errno.h>
#include <string.h>

#include "pen_link_internal.h"

static void setup_failed(struct pen_link *link, const char *step, const GError *error)
{
	g_warning("pen %s: setup failed at %s: %s", link->address_text, step,
		  error ? error->message : "?");
	link->state = PEN_LINK_SETUP_FAILED;
	pen_link_schedule_retry(link);
}

void pen_link_report_incompatible(struct pen_link *link, const char *why)
{
	static const struct pen_cartridge none;

	g_warning("pen %s: incompatible: %s", link->address_text, why);
	link->state = PEN_LINK_INCOMPATIBLE;
	link->connected_reported = true;
	if (link->cb.on_connected)
		link->cb.on_connected(link->user_data, link->address_text, false, why, &none);
}

static void battery_read(struct pen_link *link, const uint8_t *value, size_t len,
			 const GError *error)
{
	uint8_t percent;

	/* Battery is optional: a failure costs the battery level only. */
	if (!error && pen_codec_parse_battery_level(value, len, &percent) == 0 &&
	    link->cb.on_battery)
		link->cb.on_battery(link->user_data, percent);
}

static void battery_notify_started(struct pen_link *link, const GError *error)
{
	if (error)
		g_info("pen %s: no Battery Level notifications: %s", link->address_text,
		       error->message);
}

static void status_read(struct pen_link *link, const uint8_t *value, size_t len,
			const GError *error)
{
	struct pen_status status;
	int err;

	if (error) {
		setup_failed(link, "reading Status", error);
		return;
	}
	err = pen_codec_parse_status(value, len, &status);
	if (err < 0) {
		g_autofree char *why = g_strdup_printf("Status value malformed (%zu bytes): %s",
						       len, g_strerror(-err));

		pen_link_report_incompatible(link, why);
		return;
	}
	link->state = PEN_LINK_READY;
	link->connected_reported = true;
	link->backoff_ms = PEN_LINK_BACKOFF_FIRST_MS;
	g_info("pen %s: connected and set up", link->address_text);
	if (link->cb.on_connected)
		link->cb.on_connected(link->user_data, link->address_text, true, NULL,
				      &link->cartridge);
	/* The callback may have changed the pen. */
	if (link->state == PEN_LINK_READY && link->cb.on_status)
		link->cb.on_status(link->user_data, &status);
	/* Battery after on_connected: the engine hears of the pen first. */
	if (link->state == PEN_LINK_READY && link->battery_path) {
		pen_gatt_read(link, link->battery_path, battery_read);
		pen_gatt_start_notify(link, link->battery_path, battery_notify_started);
	}
}

static void depth_notify_started(struct pen_link *link, const GError *error)
{
	if (error) {
		setup_failed(link, "StartNotify Depth", error);
		return;
	}
	pen_gatt_read(link, link->char_paths[PEN_CHAR_STATUS], status_read);
}

static void status_notify_started(struct pen_link *link, const GError *error)
{
	if (error) {
		setup_failed(link, "StartNotify Status", error);
		return;
	}
	pen_gatt_start_notify(link, link->char_paths[PEN_CHAR_DEPTH], depth_notify_started);
}

static void cartridge_read(struct pen_link *link, const uint8_t *value, size_t len,
			   const GError *error)
{
	int err;

	if (error) {
		setup_failed(link, "reading Cartridge", error);
		return;
	}
	err = pen_codec_parse_cartridge(value, len, &link->cartridge);
	if (err < 0) {
		g_autofree char *why = g_strdup_printf(
			"Cartridge value malformed (%zu bytes): %s", len, g_strerror(-err));

		memset(&link->cartridge, 0, sizeof(link->cartridge));
		pen_link_report_incompatible(link, why);
		return;
	}
	pen_gatt_start_notify(link, link->char_paths[PEN_CHAR_STATUS], status_notify_started);
}

static void watchdog_written(struct pen_link *link, const GError *error)
{
	if (error) {
		/* Without the watchdog the pen would not stop by itself. */
		setup_failed(link, "writing Watchdog", error);
		return;
	}
	pen_gatt_read(link, link->char_paths[PEN_CHAR_CARTRIDGE], cartridge_read);
}

static void protocol_info_read(struct pen_link *link, const uint8_t *value, size_t len,
			       const GError *error)
{
	struct pen_protocol_info info;
	uint8_t buf[PEN_WATCHDOG_SIZE];
	int err, n;

	if (error) {
		setup_failed(link, "reading ProtocolInfo", error);
		return;
	}
	err = pen_codec_parse_protocol_info(value, len, &info);
	if (err < 0) {
		g_autofree char *why = g_strdup_printf(
			"ProtocolInfo value malformed (%zu bytes): %s", len, g_strerror(-err));

		pen_link_report_incompatible(link, why);
		return;
	}
	if (!pen_protocol_version_supported(&info)) {
		g_autofree char *why = g_strdup_printf(
			"pen protocol version %u.%u not supported (this daemon speaks %u.x)",
			info.major, info.minor, PEN_PROTOCOL_VERSION_MAJOR);

		pen_link_report_incompatible(link, why);
		return;
	}
	n = pen_codec_encode_watchdog(link->watchdog_ms, buf, sizeof(buf));
	if (n < 0) {
		pen_link_report_incompatible(link, "the configured pen watchdog cannot be encoded");
		return;
	}
	pen_gatt_write(link, link->char_paths[PEN_CHAR_WATCHDOG], buf, (size_t)n, true,
		       "watchdog", watchdog_written);
}

void pen_link_forget_gatt(struct pen_link *link)
{
	for (unsigned i = 0; i < PEN_CHAR_COUNT; i++)
		g_clear_pointer(&link->char_paths[i], g_free);
	g_clear_pointer(&link->battery_path, g_free);
}

/* "Status (uuid) lacks notify": properties the daemon uses that the pen's
 * characteristic does not offer. */
static void append_lacking_flags(struct pen_link *link, enum pen_char c, GString *lacking)
{
	bool first = true;

	for (const char *const *flag = pen_char_flags(c); *flag; flag++) {
		if (bluez_objects_strv_contains(link->objects, link->char_paths[c],
						BLUEZ_GATT_CHAR_INTERFACE, "Flags", *flag))
			continue;
		if (first)
			g_string_append_printf(lacking, "%s%s (%s) lacks %s",
					       lacking->len ? "; " : "", pen_char_name(c),
					       pen_char_uuid(c), *flag);
		else
			g_string_append_printf(lacking, ", %s", *flag);
		first = false;
	}
}

bool pen_link_find_gatt(struct pen_link *link, GString *missing)
{
	const char *service = bluez_objects_find_service(link->objects, link->device_path,
							 PEN_SERVICE_UUID);
	const char *battery_service;
	g_autoptr(GString) absent = g_string_new(NULL);
	g_autoptr(GString) lacking = g_string_new(NULL);

	pen_link_forget_gatt(link);
	if (!service) {
		g_string_append_printf(missing, "pen service %s missing", PEN_SERVICE_UUID);
		return false;
	}
	for (unsigned i = 0; i < PEN_CHAR_COUNT; i++) {
		const char *path = bluez_objects_find_characteristic(link->objects, service,
								     pen_char_uuid(i));

		if (!path) {
			g_string_append_printf(absent, "%s%s (%s)", absent->len ? ", " : "",
					       pen_char_name(i), pen_char_uuid(i));
			continue;
		}
		link->char_paths[i] = g_strdup(path);
		append_lacking_flags(link, i, lacking);
	}
	if (absent->len)
		g_string_append_printf(missing, "missing characteristic %s", absent->str);
	if (lacking->len)
		g_string_append_printf(missing, "%s%s", missing->len ? "; " : "", lacking->str);
	battery_service = bluez_objects_find_service(link->objects, link->device_path,
						     PEN_BATTERY_SERVICE_UUID);
	if (battery_service) {
		const char *level = bluez_objects_find_characteristic(
			link->objects, battery_service, PEN_BATTERY_LEVEL_UUID);

		link->battery_path = g_strdup(level);
	}
	return missing->len == 0;
}

void pen_link_setup_begin(struct pen_link *link)
{
	g_info("pen %s: services resolved, setting up", link->address_text);
	memset(&link->cartridge, 0, sizeof(link->cartridge));
	pen_gatt_read(link, link->char_paths[PEN_CHAR_PROTOCOL_INFO], protocol_info_read);
}
