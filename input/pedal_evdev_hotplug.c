// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The foot switch plugged in and out (include/penctl/pedal_evdev.h):
 * libudev's monitor of the input subsystem.  Its events come after udev's
 * rules ran, so the by-id links and the permissions are in place when an
 * "add" arrives, and opening then succeeds: no retry timer is needed.
 */

#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "input_udev.h"
#include "penctl/pedal_evdev.h"

struct pedal_evdev_hotplug {
	struct udev *udev;
	struct udev_monitor *monitor;
	char *path;          /* Device=/dev/input/by-id/...: the link */
	uint16_t vendor, product;
};

struct pedal_evdev_hotplug *pedal_evdev_hotplug_new(const struct pedal_evdev_device_spec *spec,
						    GError **error)
{
	struct pedal_evdev_hotplug *h = g_new0(struct pedal_evdev_hotplug, 1);

	h->udev = udev_new();
	if (h->udev)
		h->monitor = udev_monitor_new_from_netlink(h->udev, "udev");
	if (!h->monitor ||
	    udev_monitor_filter_add_match_subsystem_devtype(h->monitor, "input", NULL) < 0 ||
	    udev_monitor_enable_receiving(h->monitor) < 0) {
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_IO,
			    "cannot watch udev for the foot switch being plugged in "
			    "(udev monitor): is systemd-udevd running?");
		pedal_evdev_hotplug_free(h);
		return NULL;
	}
	h->path = g_strdup(spec->path);
	h->vendor = spec->vendor;
	h->product = spec->product;
	return h;
}

void pedal_evdev_hotplug_free(struct pedal_evdev_hotplug *h)
{
	if (!h)
		return;
	if (h->monitor)
		udev_monitor_unref(h->monitor);
	if (h->udev)
		udev_unref(h->udev);
	g_free(h->path);
	g_free(h);
}

int pedal_evdev_hotplug_get_fd(const struct pedal_evdev_hotplug *h)
{
	return udev_monitor_get_fd(h->monitor);
}

static bool matches(const struct pedal_evdev_hotplug *h, struct udev_device *d)
{
	uint16_t vendor, product;
	struct udev_list_entry *link;

	if (!input_udev_event_ids(d, &vendor, &product))
		return false;
	if (!h->path)
		return vendor == h->vendor && product == h->product;
	if (!strcmp(udev_device_get_devnode(d), h->path))
		return true;
	udev_list_entry_foreach(link, udev_device_get_devlinks_list_entry(d))
		if (!strcmp(udev_list_entry_get_name(link), h->path))
			return true;
	return false;
}

unsigned pedal_evdev_hotplug_read(struct pedal_evdev_hotplug *h, const char *open_devnode)
{
	unsigned changes = PEDAL_EVDEV_HOTPLUG_NONE;
	struct udev_device *d;

	/* The socket is non-blocking: NULL when drained. */
	while ((d = udev_monitor_receive_device(h->monitor))) {
		const char *action = udev_device_get_action(d);
		const char *node = udev_device_get_devnode(d);

		if (action && !strcmp(action, "remove") && node && open_devnode &&
		    !strcmp(node, open_devnode))
			changes |= PEDAL_EVDEV_HOTPLUG_REMOVED;
		else if (action && !strcmp(action, "add") && matches(h, d))
			changes |= PEDAL_EVDEV_HOTPLUG_ADDED;
		udev_device_unref(d);
	}
	return changes;
}
