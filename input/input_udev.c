// SPDX-License-Identifier: GPL-2.0-or-later
/* Input devices by vendor and product through libudev (input_udev.h). */

#include <stdlib.h>
#include <string.h>

#include "input_udev.h"
#include "penctl/pedal_evdev.h"

static bool parse_id(const char *text, uint16_t *id)
{
	char *end = NULL;
	unsigned long v;

	if (!text)
		return false;
	v = strtoul(text, &end, 16);
	if (end == text || v > 0xffff)
		return false;
	*id = (uint16_t)v;
	return true;
}

bool input_udev_event_ids(struct udev_device *d, uint16_t *vendor, uint16_t *product)
{
	const char *sysname = udev_device_get_sysname(d);
	struct udev_device *input;

	if (!sysname || !g_str_has_prefix(sysname, "event") || !udev_device_get_devnode(d))
		return false;
	/* eventN's parent is inputN, which carries the ids. */
	input = udev_device_get_parent_with_subsystem_devtype(d, "input", NULL);
	return input && parse_id(udev_device_get_sysattr_value(input, "id/vendor"), vendor) &&
	       parse_id(udev_device_get_sysattr_value(input, "id/product"), product);
}

static gint compare_nodes(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	/* event2 before event10 */
	return strlen(x) != strlen(y) ? (int)strlen(x) - (int)strlen(y) : strcmp(x, y);
}

GPtrArray *input_udev_event_nodes(uint16_t vendor, uint16_t product, GError **error)
{
	struct udev *udev = udev_new();
	struct udev_enumerate *en;
	struct udev_list_entry *entry;
	GPtrArray *nodes;

	if (!udev) {
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_IO,
			    "cannot talk to udev (udev_new failed)");
		return NULL;
	}
	nodes = g_ptr_array_new_with_free_func(g_free);
	en = udev_enumerate_new(udev);
	if (en && udev_enumerate_add_match_subsystem(en, "input") >= 0 &&
	    udev_enumerate_add_match_sysname(en, "event*") >= 0 &&
	    udev_enumerate_scan_devices(en) >= 0) {
		udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(en)) {
			struct udev_device *d = udev_device_new_from_syspath(
				udev, udev_list_entry_get_name(entry));
			uint16_t v, p;

			if (d && input_udev_event_ids(d, &v, &p) && v == vendor && p == product)
				g_ptr_array_add(nodes, g_strdup(udev_device_get_devnode(d)));
			if (d)
				udev_device_unref(d);
		}
	}
	if (en)
		udev_enumerate_unref(en);
	udev_unref(udev);
	g_ptr_array_sort(nodes, compare_nodes);
	return nodes;
}
