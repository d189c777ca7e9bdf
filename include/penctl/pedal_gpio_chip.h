/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which GPIO chip [Pedal] Chip= names, and which chips there are.
 *
 * The one home of the chip lookup: both libgpiod back ends of the gpio
 * pedal driver and `penctl doctor` use it.  It asks the kernel's GPIO
 * character device for its information (GPIO_GET_CHIPINFO_IOCTL) and never
 * requests a line, so it needs no libgpiod and cannot disturb a running
 * daemon's pedal.
 */
#pragma once

#include <glib.h>
#include <linux/gpio.h>

/* Find the chip SPEC names: a path ("/dev/gpiochip0", taken as given), a
 * device in /dev ("gpiochip0"), or else a label ("pinctrl-bcm2711", the
 * first chip in number order that has it).  Returns 0 and sets *PATH (and
 * *INFO unless NULL), or a negative errno and sets *PATH to the device at
 * fault: -ENOENT and *PATH NULL when no chip has that name or label,
 * -EACCES/-EPERM with *PATH "/dev/gpiochip*" when a chip that could have
 * had the label could not be opened, else the error of opening or asking
 * *PATH (-ENOTTY: not a GPIO chip). */
int pedal_gpio_chip_lookup(const char *spec, char **path, struct gpiochip_info *info);

/* The chips present, sorted by number:
 * "gpiochip0 [pinctrl-bcm2711] (58 lines), gpiochip1 (cannot open: ...)",
 * or "none (is the GPIO driver loaded?)". */
char *pedal_gpio_chip_list(void);
