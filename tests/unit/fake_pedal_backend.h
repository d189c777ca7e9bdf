/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted pedal back end (gpio/pedal_backend.h) for testing the GLib
 * adapter gpio/pedal.c without GPIO hardware: the event fd is a pipe, the
 * edges and the level are whatever the test says.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pedal_backend.h"

/* Forget everything: opening succeeds, level up, no edges. */
void fake_pedal_reset(void);
/* Opening fails with CODE (enum pedal_error_code) and MESSAGE, or succeeds
 * again with MESSAGE NULL. */
void fake_pedal_fail_open(int code, const char *message);
/* What the level read returns from now on (1 = down). */
void fake_pedal_set_level(int level);
/* Queue an edge and make the fd readable. */
void fake_pedal_push_edge(enum pedal_backend_edge edge, uint64_t timestamp_ns);
/* The chip went away: the fd reports a hang-up. */
void fake_pedal_hang_up(void);
unsigned fake_pedal_open_count(void);
bool fake_pedal_is_open(void);
