// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * [Pedal] keys of the evdev source: the Device= spec, key names and the
 * rules between the keys.  Pure (libevdev's name table, no I/O), so
 * daemon/config.c only calls pedal_evdev_validate_config() and the unit
 * test covers every refusal.
 */

#include <linux/input.h>
#include <stdarg.h>
#include <string.h>
#ifdef PENCTL_HAVE_LIBEVDEV
#include <libevdev/libevdev.h>
#endif

#include "penctl/pedal_evdev.h"

G_DEFINE_QUARK(pedal-evdev-error-quark, pedal_evdev_error)

static bool parse_hex16(const char *text, size_t len, uint16_t *value)
{
	unsigned v = 0;

	if (len != 4)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = g_ascii_xdigit_value(text[i]);

		if (d < 0)
			return false;
		v = v * 16 + (unsigned)d;
	}
	*value = (uint16_t)v;
	return true;
}

bool pedal_evdev_parse_device(const char *text, struct pedal_evdev_device_spec *spec,
			      GError **error)
{
	*spec = (struct pedal_evdev_device_spec){ 0 };
	if (!text || !*text) {
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_CONFIG,
			    "[Pedal] Device= is empty: give /dev/input/by-id/... or usb:VVVV:PPPP");
		return false;
	}
	if (g_str_has_prefix(text, "usb:")) {
		const char *ids = text + 4;
		const char *colon = strchr(ids, ':');

		if (!colon || !parse_hex16(ids, (size_t)(colon - ids), &spec->vendor) ||
		    !parse_hex16(colon + 1, strlen(colon + 1), &spec->product)) {
			g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_CONFIG,
				    "[Pedal] Device=%s: usb: takes vendor and product as four "
				    "hexadecimal digits each, e.g. usb:0c45:7403 (lsusb shows them)",
				    text);
			return false;
		}
		return true;
	}
	if (text[0] != '/') {
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_CONFIG,
			    "[Pedal] Device=%s: give an absolute path (/dev/input/by-id/...) or "
			    "usb:VVVV:PPPP", text);
		return false;
	}
	spec->path = g_strdup(text);
	return true;
}

void pedal_evdev_device_spec_clear(struct pedal_evdev_device_spec *spec)
{
	g_clear_pointer(&spec->path, g_free);
}

/* The EV_KEY code NAME names, or -1: libevdev's table of the kernel's
 * names.  A build without libevdev has no evdev pedal and knows no key. */
static int key_code_from_name(const char *name)
{
#ifdef PENCTL_HAVE_LIBEVDEV
	return libevdev_event_code_from_name(EV_KEY, name);
#else
	(void)name;
	return -1;
#endif
}

bool pedal_evdev_parse_key(const char *name, unsigned *code, GError **error)
{
	int c;

	/* Only key and button names: EV_KEY's table also answers "KEY_MAX"
	 * and "KEY_CNT", which are no keys. */
	if (!name || !(g_str_has_prefix(name, "KEY_") || g_str_has_prefix(name, "BTN_")) ||
	    !strcmp(name, "KEY_MAX") || !strcmp(name, "KEY_CNT") ||
	    (c = key_code_from_name(name)) < 0) {
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_CONFIG,
			    "'%s' is not a key name: use the KEY_*/BTN_* name evtest or "
			    "pedalmon-evdev shows (e.g. KEY_B)", name ? name : "");
		return false;
	}
	*code = (unsigned)c;
	return true;
}

static bool check_key(const char *what, const char *name, unsigned *code, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (!name)
		return true;
	if (pedal_evdev_parse_key(name, code, &local))
		return true;
	g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_CONFIG, "[Pedal] %s=%s: %s", what,
		    name, local->message);
	return false;
}

/* Empty is "not given": the shipped file lists the keys empty. */
static const char *given_or_null(const char *value)
{
	return value && *value ? value : NULL;
}

static bool refuse(const char **key_at_fault, const char *key, GError **error,
		   const char *format, ...) G_GNUC_PRINTF(4, 5);

static bool refuse(const char **key_at_fault, const char *key, GError **error,
		   const char *format, ...)
{
	va_list args;

	if (key_at_fault)
		*key_at_fault = key;
	if (error) {
		va_start(args, format);
		*error = g_error_new_valist(PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_CONFIG, format,
					    args);
		va_end(args);
	}
	return false;
}

bool pedal_evdev_validate_config(const struct pedal_evdev_config_text *text,
				 const char **key_at_fault, GError **error)
{
	static const char *const evdev_only[] = { "Device", "Key", "DepthDownKey", "DepthUpKey" };
	const struct pedal_evdev_config_text given_text = {
		.source_is_evdev = text->source_is_evdev,
		.chip = given_or_null(text->chip),
		.line = given_or_null(text->line),
		.device = given_or_null(text->device),
		.key = given_or_null(text->key),
		.depth_down_key = given_or_null(text->depth_down_key),
		.depth_up_key = given_or_null(text->depth_up_key),
		.depth_step_um = text->depth_step_um,
	};
	const struct pedal_evdev_config_text *t = &given_text;
	const char *given[] = { t->device, t->key, t->depth_down_key, t->depth_up_key };
	unsigned key = 0, down = 0, up = 0;
	struct pedal_evdev_device_spec spec;
	g_autoptr(GError) local = NULL;

	if (!t->source_is_evdev) {
		for (size_t i = 0; i < G_N_ELEMENTS(given); i++)
			if (given[i])
				return refuse(key_at_fault, evdev_only[i], error,
					      "[Pedal] %s=%s is only for Source=evdev (a USB foot "
					      "switch): set Source=evdev or remove it",
					      evdev_only[i], given[i]);
		return true;
	}
	if (t->chip || t->line)
		return refuse(key_at_fault, t->chip ? "Chip" : "Line", error,
			      "[Pedal] %s=%s is for Source=gpio: a USB foot switch is chosen by "
			      "Device=, remove Chip= and Line=", t->chip ? "Chip" : "Line",
			      t->chip ? t->chip : t->line);
	if (!t->device || !t->key)
		return refuse(key_at_fault, "Source", error,
			      "[Pedal] Source=evdev needs Device= (/dev/input/by-id/... or "
			      "usb:VVVV:PPPP) and Key= (e.g. KEY_B): %s missing",
			      !t->device ? "Device=" : "Key=");
	if (!pedal_evdev_parse_device(t->device, &spec, &local))
		return refuse(key_at_fault, "Device", error, "%s", local->message);
	pedal_evdev_device_spec_clear(&spec);
	if (!check_key("Key", t->key, &key, &local))
		return refuse(key_at_fault, "Key", error, "%s", local->message);
	if (!check_key("DepthDownKey", t->depth_down_key, &down, &local))
		return refuse(key_at_fault, "DepthDownKey", error, "%s", local->message);
	if (!check_key("DepthUpKey", t->depth_up_key, &up, &local))
		return refuse(key_at_fault, "DepthUpKey", error, "%s", local->message);
	if ((down && down == key) || (up && up == key) || (down && down == up)) {
		const char *which = down && down == up ? "DepthUpKey" :
			(up && up == key) ? "DepthUpKey" : "DepthDownKey";
		const char *other = down && down == up ? "DepthDownKey" : "Key";

		return refuse(key_at_fault, which, error,
			      "[Pedal] %s is the same key as %s: each pedal needs its own key",
			      which, other);
	}
	if ((down || up) && (t->depth_step_um < PEDAL_EVDEV_DEPTH_STEP_MIN_UM ||
			     t->depth_step_um > PEDAL_EVDEV_DEPTH_STEP_MAX_UM))
		return refuse(key_at_fault, "DepthStepMm", error,
			      "[Pedal] DepthStepMm=%u.%03u is not allowed: %u.%02u to %u.%03u mm",
			      t->depth_step_um / 1000, t->depth_step_um % 1000,
			      PEDAL_EVDEV_DEPTH_STEP_MIN_UM / 1000,
			      PEDAL_EVDEV_DEPTH_STEP_MIN_UM % 1000 / 10,
			      PEDAL_EVDEV_DEPTH_STEP_MAX_UM / 1000,
			      PEDAL_EVDEV_DEPTH_STEP_MAX_UM % 1000);
	return true;
}
