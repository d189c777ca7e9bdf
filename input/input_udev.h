/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which input devices are a usb:VVVV:PPPP foot switch, by libudev.
 * Internal to input/.
 *
 * The ids are read from the input device's own id/vendor and id/product
 * (the kernel's, set for every input device), not from udev's
 * ID_VENDOR_ID, which only the USB ones get: so a Bluetooth switch or a
 * uinput test device matches the same way.
 */
#pragma once

#include <glib.h>
#include <libudev.h>
#include <stdbool.h>
#include <stdint.h>

/* The event node's input device ids; false when D is no event node. */
bool input_udev_event_ids(struct udev_device *d, uint16_t *vendor, uint16_t *product);

/* The /dev/input/event* nodes of VENDOR:PRODUCT, sorted; an empty array
 * when none; NULL with ERROR when udev cannot be asked. */
GPtrArray *input_udev_event_nodes(uint16_t vendor, uint16_t product, GError **error);
