/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The foot pedal, in the GLib main loop.
 *
 * Opens the pedal driver that [Pedal] Source= names
 * (include/penctl/pedal_driver.h; "gpio": a GPIO line), turns its edges
 * (kernel timestamps, CLOCK_MONOTONIC) into debounced presses and releases
 * (include/penctl/pedal_debouncer.h has the rules, the same for every
 * driver) and reports them through callbacks; the daemon turns those into
 * the engine's PEDAL_DOWN / PEDAL_UP / PEDAL_PRESS_BEGAN / PEDAL_LOST
 * events.  The latching mode is the engine's business: this module only
 * reports presses, releases and the first edge of each press.
 *
 * No threads and no polling: the driver's event fd is a g_unix_fd_add() source
 * and the debounce deadline a GSource with a ready time on the monotonic
 * clock.  All callbacks run from the main loop, never from inside
 * pedal_start() or pedal_free(); a callback must not call pedal_free().
 *
 * Faults never end the daemon: a line that cannot be opened is reported
 * unavailable, a line that fails while open is reported lost; in both cases
 * the line is reopened with a capped exponential backoff (0.5 s doubling to
 * 30 s) -- or, for a driver told of its device's return (the evdev foot
 * switch, through udev), when the device comes back -- and the first
 * report after a successful (re)open is the level read then (pressed with
 * held_at_start, or released).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "penctl/config.h"

#define PEDAL_ERROR (pedal_error_quark())
GQuark pedal_error_quark(void);

enum pedal_error_code {
	PEDAL_ERROR_CONFIG,     /* Chip or Line empty or malformed; Source not built in */
	PEDAL_ERROR_NO_CHIP,    /* no such chip (the message lists those present) */
	PEDAL_ERROR_NO_LINE,    /* no such line on the chip */
	PEDAL_ERROR_PERMISSION, /* group gpio or the udev rule missing */
	PEDAL_ERROR_BUSY,       /* another consumer holds the line (named) */
	PEDAL_ERROR_IO,         /* the kernel refused or the chip went away */
};

struct pedal_callbacks {
	/* A debounced press.  HELD_AT_START: the pedal was already down when
	 * the line was (re)opened, so it is not a fresh press. */
	void (*on_pressed)(int64_t time_us, bool held_at_start, void *user_data);
	/* A release, at once (or the pedal was up when the line was opened). */
	void (*on_released)(int64_t time_us, void *user_data);
	/* The first down edge of a press, at once, before it is debounced:
	 * on_pressed follows if it lasts.  A latching pedal stops on it. */
	void (*on_press_began)(int64_t time_us, void *user_data);
	/* The open line failed (read error, chip gone): its state is unknown
	 * from now on.  Reopening is already scheduled. */
	void (*on_lost)(const char *reason, void *user_data);
	/* A reopen attempt failed.  Called once per distinct reason (not on
	 * every retry), and not for the failure pedal_start() returns. */
	void (*on_unavailable)(const GError *error, void *user_data);
	/* A depth pedal of a multi-pedal foot switch was pressed ([Pedal]
	 * DepthDownKey= / DepthUpKey=): STEP_UM is -DepthStepMm or
	 * +DepthStepMm in µm.  Once per press: not debounced, not repeated
	 * while held, never replayed after the kernel dropped events. */
	void (*on_depth_key)(int32_t step_um, int64_t time_us, void *user_data);
};

struct pedal;

/* Copies what it needs from CONFIG's [Pedal] section and CALLBACKS. */
struct pedal *pedal_new(const struct penctl_config *config, const struct pedal_callbacks *callbacks,
			void *user_data);

/* Stops everything; no callback runs afterwards.  NULL is fine. */
void pedal_free(struct pedal *pedal);
/* g_autoptr(PenctlPedal); not "pedal", which would shadow the usual
 * variable name under -Wshadow. */
typedef struct pedal PenctlPedal;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PenctlPedal, pedal_free)

/* Open the line now.  On success the first report (pressed-held or
 * released) follows from the main loop.  On failure returns false with the
 * reason (naming chip, line and the likely fix) and keeps retrying with
 * backoff in the background; later failures go to on_unavailable.  (A
 * Source whose driver this build lacks fails with PEDAL_ERROR_CONFIG and
 * is not retried; configuration validation refuses it before.)
 * Calling it again while started does nothing and returns true. */
bool pedal_start(struct pedal *pedal, GError **error);

/* True while the pedal's device is open. */
bool pedal_is_available(const struct pedal *pedal);

/* The driver's description: "line 17 (GPIO17) of gpiochip0
 * [pinctrl-bcm2711]" while open, else the configured "Chip=... Line=...". */
const char *pedal_describe(const struct pedal *pedal);
