/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What penctl prints for a person (pure: values in, text out).
 * Times are mm:ss, depths "0.50 mm".  The --json forms are in penctl.c.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define PENCTL_MMSS_STRLEN 24

/* "mm:ss" of MS (rounded down to the second); minutes grow past 59. */
void penctl_format_mmss(uint64_t ms, char out[PENCTL_MMSS_STRLEN]);

/* "0.50 mm".  Free with g_free(). */
char *penctl_format_depth(uint32_t depth_um);

/* An unsigned property of any width (y, q, u, t) as a number; 0 for NULL
 * or another type (an older or newer daemon). */
uint64_t penctl_variant_uint(GVariant *value);

/* The properties (a{sv}, as from Properties.GetAll) as a status block. */
char *penctl_format_status(GVariant *properties);

/* The StopSession() summary (a{sv}) as lines: times, depth, strokes,
 * cartridges, motor stops by reason. */
char *penctl_format_summary(GVariant *summary);

/* The after-care reminder, always. */
const char *penctl_aftercare_reminder(void);
/* The anesthetic advisory when the summary says the session went above the
 * threshold, else NULL.  Free with g_free(). */
char *penctl_format_anesthetic_advisory(GVariant *summary);

/* The effective limits: "role  area  max" lines from the Limits,
 * Roles, Areas, MaxMinutes, MaxNeedlingMinutes, AnestheticAdvisoryUm
 * properties. */
char *penctl_format_limits(GVariant *properties);

/* The pens of Scan() (a(ssn)), one line each; a note when none. */
char *penctl_format_pens(GVariant *pens);

/* One timeline line from a journal record's fields (char * -> char *):
 * local time, event, reason, depth, message. */
char *penctl_format_log_entry(GHashTable *fields);
