// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What `penctl doctor` says about USB foot switches
 * (include/penctl/pedal_evdev.h): the input devices that look like one and
 * the udev rule that gives penctld one of them.  Read-only: a device is
 * opened without a grab, only to list its keys.
 */

#include <fcntl.h>
#include <stdlib.h>
#include <libevdev/libevdev.h>
#include <libudev.h>
#include <string.h>
#include <unistd.h>

#include "input_udev.h"
#include "penctl/pedal_evdev.h"

/* The foot switches clinics own (issue 14).  product 0 = any of the
 * vendor's: Philips and Olympus make many dictation controls. */
static const struct {
	uint16_t vendor, product;
	const char *name;
} known[] = {
	{ 0x0c45, 0x7403, "PCsensor FootSwitch (VIM clutch)" },
	{ 0x1a86, 0xe026, "iKKEGOL / QinHeng FootSwitch" },
	{ 0x05f3, 0x00ff, "VEC/Infinity IN-USB-2" },
	{ 0x0911, 0, "Philips dictation foot control" },
	{ 0x07b4, 0, "Olympus dictation foot switch" },
};

/* A foot switch that is not in the table: USB or Bluetooth, a few keys. */
#define FEW_KEYS 8u

static const char *known_name(uint16_t vendor, uint16_t product)
{
	for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
		if (known[i].vendor == vendor && (!known[i].product || known[i].product == product))
			return known[i].name;
	return NULL;
}

char *pedal_evdev_udev_rule(uint16_t vendor, uint16_t product)
{
	/* ATTRS{id/...} are the input device's own ids (every input device
	 * has them), so the rule matches only this switch's event nodes and
	 * no keyboard. */
	return g_strdup_printf(
		"# /etc/udev/rules.d/61-penctld-footswitch.rules: the foot switch %04x:%04x\n"
		"# for penctld only (not every input device: a keyboard's keystrokes are\n"
		"# private).  Then: udevadm control --reload && udevadm trigger "
		"--subsystem-match=input\n"
		"SUBSYSTEM==\"input\", KERNEL==\"event*\", ATTRS{id/vendor}==\"%04x\", "
		"ATTRS{id/product}==\"%04x\", GROUP=\"penctld\", MODE=\"0660\"\n",
		vendor, product, vendor, product);
}

/* The keys of DEVNODE, "KEY_A KEY_B", and how many; NULL when it cannot
 * be read (no permission: the keys are only known to root). */
static char *list_keys(const char *devnode, unsigned *count)
{
	struct libevdev *evdev = NULL;
	GString *keys;
	int fd = open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	*count = 0;
	if (fd < 0)
		return NULL;
	if (libevdev_new_from_fd(fd, &evdev) < 0) {
		close(fd);
		return NULL;
	}
	keys = g_string_new(NULL);
	if (libevdev_has_event_type(evdev, EV_KEY))
		for (unsigned code = 1; code <= KEY_MAX; code++)
			if (libevdev_has_event_code(evdev, EV_KEY, code)) {
				const char *name = libevdev_event_code_get_name(EV_KEY, code);

				if (++*count <= FEW_KEYS)
					g_string_append_printf(keys, "%s%s", keys->len ? " " : "",
							       name ? name : "?");
			}
	if (*count > FEW_KEYS)
		g_string_append_printf(keys, " ... (%u keys)", *count);
	libevdev_free(evdev);
	close(fd);
	return g_string_free(keys, false);
}

/* Whether D is the device SPEC selects: its ids, or its node is where
 * SPEC's path leads (a /dev/input/by-id link). */
static bool is_selected(const struct pedal_evdev_device_spec *spec, const char *devnode,
			uint16_t vendor, uint16_t product)
{
	g_autofree char *target = NULL;

	if (!spec)
		return false;
	if (!spec->path)
		return spec->vendor == vendor && spec->product == product;
	target = realpath(spec->path, NULL);
	return target && devnode && !strcmp(target, devnode);
}

static void describe_device(GString *out, struct udev_device *d,
			    const struct pedal_evdev_device_spec *spec,
			    struct pedal_evdev_selected *selected)
{
	struct udev_device *input = udev_device_get_parent_with_subsystem_devtype(d, "input", NULL);
	const char *devnode = udev_device_get_devnode(d);
	const char *bus = input ? udev_device_get_sysattr_value(input, "id/bustype") : NULL;
	const char *name = input ? udev_device_get_sysattr_value(input, "name") : NULL;
	const char *known_as;
	g_autofree char *keys = NULL;
	uint16_t vendor, product;
	unsigned count;
	bool removable, chosen;

	if (!input_udev_event_ids(d, &vendor, &product))
		return;
	known_as = known_name(vendor, product);
	chosen = is_selected(spec, devnode, vendor, product);
	/* 0003 USB, 0005 Bluetooth, 0006 virtual (uinput) */
	removable = bus && (!strcmp(bus, "0003") || !strcmp(bus, "0005") || !strcmp(bus, "0006"));
	keys = list_keys(devnode, &count);
	if (!chosen && !known_as && !(removable && keys && count > 0 && count <= FEW_KEYS))
		return;
	if (chosen && selected && !selected->devnode) {
		selected->devnode = g_strdup(devnode);
		selected->vendor = vendor;
		selected->product = product;
	}
	g_string_append_printf(out, "%s usb:%04x:%04x \"%s\" keys %s%s%s%s%s\n", devnode, vendor,
			       product, name ? name : "?",
			       keys ? keys : "unknown (no permission to read it: run as root)",
			       known_as ? " [known: " : "", known_as ? known_as : "",
			       known_as ? "]" : "",
			       chosen ? " <- selected by [Pedal] Device=" : "");
}

char *pedal_evdev_list_switches_for(const struct pedal_evdev_device_spec *spec,
				    struct pedal_evdev_selected *selected)
{
	struct udev *udev = udev_new();
	struct udev_enumerate *en = udev ? udev_enumerate_new(udev) : NULL;
	struct udev_list_entry *entry;
	GString *out = g_string_new(NULL);

	if (selected)
		*selected = (struct pedal_evdev_selected){ 0 };
	if (en && udev_enumerate_add_match_subsystem(en, "input") >= 0 &&
	    udev_enumerate_add_match_sysname(en, "event*") >= 0 &&
	    udev_enumerate_scan_devices(en) >= 0)
		udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(en)) {
			struct udev_device *d = udev_device_new_from_syspath(
				udev, udev_list_entry_get_name(entry));

			if (d) {
				describe_device(out, d, spec, selected);
				udev_device_unref(d);
			}
		}
	if (en)
		udev_enumerate_unref(en);
	if (udev)
		udev_unref(udev);
	if (!out->len)
		g_string_append(out, "none\n");
	return g_string_free(out, false);
}

char *pedal_evdev_list_switches(void)
{
	return pedal_evdev_list_switches_for(NULL, NULL);
}

void pedal_evdev_selected_clear(struct pedal_evdev_selected *selected)
{
	g_clear_pointer(&selected->devnode, g_free);
}
