/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a person types to penctl, read into numbers (pure).  The
 * configuration file keeps its strict grammar (penctl_parse_depth_mm());
 * a person at the chair may also type a decimal comma, a leading point or
 * the unit.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* A depth in mm as a person types it: "0.5", "0,5", ".5", "0.5mm",
 * "0.5 mm", at most three decimals.  Sets *DEPTH_UM; false with a message
 * for a person (G_OPTION_ERROR_BAD_VALUE) naming what is accepted. */
bool penctl_input_depth_mm(const char *text, uint32_t *depth_um, GError **error);
