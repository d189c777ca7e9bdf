/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gpio pedal driver's libgpiod back end: one input line with both-edge
 * events.
 *
 * Internal to gpio/, below gpio/pedal_driver_gpio.c.  Exactly one
 * implementation is compiled, chosen at configure time from libgpiod's
 * version (gpio/pedal.cmake):
 * pedal_gpiod_v1.c (libgpiod 1.6) or pedal_gpiod_v2.c (libgpiod 2.x).
 * Those two are the only files that include <gpiod.h>; nothing above this
 * interface knows which one runs.
 *
 * Levels and edges are logical: the active-low flag is applied by the
 * kernel, so RISING / level 1 means the pedal went / is down.  Timestamps
 * are the kernel's, CLOCK_MONOTONIC, in nanoseconds.  The kernel's own
 * debounce is never used: it would delay the release too.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "penctl/config.h"

struct pedal_backend;

struct pedal_backend_params {
	const char *chip;       /* name "gpiochip0", path "/dev/gpiochip0", or label */
	const char *line;       /* offset "17" or line name "GPIO17" */
	bool active_low;
	enum penctl_pedal_bias bias;
	const char *consumer;   /* shown by gpioinfo as the line's user */
};

enum pedal_backend_edge {
	PEDAL_BACKEND_EDGE_RISING,  /* logical: the pedal went down */
	PEDAL_BACKEND_EDGE_FALLING, /* logical: the pedal went up */
};

struct pedal_backend_event {
	enum pedal_backend_edge edge;
	uint64_t timestamp_ns;  /* CLOCK_MONOTONIC */
};

/* Open the chip, find the line and request it as an input with both-edge
 * events.  PARAMS must stay valid until pedal_backend_close() (the gpio
 * driver's instance holds them).  On failure the error (PEDAL_ERROR domain,
 * include/penctl/pedal.h) names the chip and the line and says the likely
 * fix. */
struct pedal_backend *pedal_backend_open(const struct pedal_backend_params *params,
					 GError **error);

/* Releases the line and closes the chip.  NULL is fine. */
void pedal_backend_close(struct pedal_backend *backend);

/* The event file descriptor for the main loop (readable = events pending;
 * G_IO_ERR/G_IO_HUP = the chip is gone).  Non-blocking. */
int pedal_backend_get_fd(const struct pedal_backend *backend);

/* Read the pending events into EVENTS (at most MAX).  Returns how many were
 * read, 0 when none is pending, or -1 with ERROR (the line is unusable). */
int pedal_backend_read_events(struct pedal_backend *backend, struct pedal_backend_event *events,
			      unsigned max, GError **error);

/* The line's logical level now: 1 = down, 0 = up; -1 with ERROR. */
int pedal_backend_read_level(struct pedal_backend *backend, GError **error);

/* "gpiochip0 line 17 (GPIO17)": for messages. */
const char *pedal_backend_describe(const struct pedal_backend *backend);

/* Which libgpiod API this back end was built for: "libgpiod 1.6" style. */
const char *pedal_backend_api(void);

/*
 * Shared by both back ends (gpio/pedal_backend_common.c, no <gpiod.h>).
 */

/* The device path of the chip PARAMS names (pedal_gpio_chip_lookup()), or
 * NULL with ERROR naming the chip and the line and listing the chips. */
char *pedal_backend_find_chip(const struct pedal_backend_params *params, GError **error);

/* LINE as an offset when it is all decimal digits. */
bool pedal_backend_parse_offset(const char *line, unsigned *offset);

/* Sets ERROR to "[Pedal] Chip=... Line=...: <message>". */
void pedal_backend_set_error(GError **error, int code, const struct pedal_backend_params *params,
			     const char *format, ...) G_GNUC_PRINTF(4, 5);

/* The error for a chip that could not be opened at PATH, with the fix. */
void pedal_backend_set_chip_open_error(GError **error, int errnum,
					const struct pedal_backend_params *params, const char *path);

/* The error for a line request that failed; LINE says which line
 * ("line 17 (GPIO17) of gpiochip0"), CONSUMER who holds it (EBUSY). */
void pedal_backend_set_request_error(GError **error, int errnum,
				     const struct pedal_backend_params *params, const char *line,
				     const char *consumer);
