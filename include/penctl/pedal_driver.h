/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pedal drivers: where a pedal's edges come from ([Pedal] Source=).
 *
 * As chrony's refclock drivers, a driver is a table of functions and the
 * drivers compiled into a build are one table (gpio/pedal_drivers.c),
 * indexed by the configuration's Source.  gpio/pedal.c, above the drivers,
 * owns everything they share: the main-loop watch on the driver's fd, the
 * debouncer and its safety rules (a pedal held at start does nothing until
 * released; a release is never delayed), the reopen backoff and the
 * callbacks to the daemon.  So a driver does no timing of its own and
 * creates no GLib source: it opens its device, hands over one fd that
 * becomes readable when edges are pending (G_IO_HUP/G_IO_ERR when the device
 * is gone), and on request reads the pending edges and the level now.
 *
 * Levels are logical (DOWN = pressed, any inversion already applied) and
 * times are CLOCK_MONOTONIC nanoseconds, the kernel's event timestamps.
 *
 * To add a driver: a value for enum penctl_pedal_source and its name
 * (include/penctl/config.h, daemon/config.c), whether this build has it
 * (daemon/default_config.c.in, from the library CMake found), its keys in
 * the config schema, a file pedal_driver_NAME.c defining a const
 * struct pedal_driver, and its line in gpio/pedal_drivers.c.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "penctl/config.h"
#include "penctl/pedal_debouncer.h"

enum pedal_driver_event_kind {
	PEDAL_DRIVER_EDGE,       /* the pedal went to LEVEL (debounced above) */
	PEDAL_DRIVER_DEPTH_DOWN, /* a depth-down pedal was pressed (evdev) */
	PEDAL_DRIVER_DEPTH_UP,   /* a depth-up pedal was pressed (evdev) */
};

struct pedal_driver_event {
	enum pedal_driver_event_kind kind;
	enum pedal_level level;  /* EDGE: the level the pedal went to */
	uint64_t timestamp_ns;   /* CLOCK_MONOTONIC */
};

struct pedal_driver {
	const char *name;  /* as written in [Pedal] Source= */

	/* Copies what the driver needs of CONFIG's [Pedal] section, already
	 * validated; no I/O.  CONSUMER names the program to other users of
	 * the device (gpioinfo shows it).  Returns the driver's instance. */
	void *(*init)(const struct penctl_config *config, const char *consumer);
	/* Closes the device if open and frees the instance. */
	void (*fini)(void *instance);

	/* Opens the device with edge events on.  Returns the event fd
	 * (non-blocking, valid until close), or -1 with ERROR in the
	 * PEDAL_ERROR domain naming the device and the likely fix. */
	int (*open)(void *instance, GError **error);
	/* Releases the device.  Fine when not open. */
	void (*close)(void *instance);
	/* Reads pending edges into EVENTS (at most MAX): how many, 0 when
	 * none is pending, or -1 with ERROR (the device is unusable). */
	int (*read_events)(void *instance, struct pedal_driver_event *events, unsigned max,
			   GError **error);
	/* The level now, while open: 1 = down, 0 = up; -1 with ERROR. */
	int (*read_level)(void *instance, GError **error);
	/* For messages: the device while open ("line 17 (GPIO17) of
	 * gpiochip0 [pinctrl-bcm2711]"), else the configuration
	 * ("Chip=gpiochip0 Line=GPIO17"). */
	const char *(*describe)(const void *instance);

	/* Optional (NULL: a lost or missing device is reopened on the backoff
	 * timer).  A driver that is told when its device comes back (udev)
	 * gives the fd of that news, or -1 when it cannot watch (then the
	 * timer runs); gpio/pedal.c watches it from pedal_start() on and calls
	 * hotplug_ready when it is readable: it drains the news and says
	 * whether to try to open now. */
	int (*hotplug_fd)(void *instance);
	bool (*hotplug_ready)(void *instance);
};

/* The driver for SOURCE, or NULL when this build does not have it. */
const struct pedal_driver *pedal_driver_for_source(enum penctl_pedal_source source);

/* The gpio driver (gpio/pedal_driver_gpio.c) and the libgpiod API it was
 * built for: "libgpiod 1.6" or "libgpiod 2". */
extern const struct pedal_driver pedal_driver_gpio;
const char *pedal_gpiod_api(void);
/* The evdev driver (input/pedal_driver_evdev.c): a key of a USB foot switch. */
extern const struct pedal_driver pedal_driver_evdev;
