/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl report's timeline: the whole session on page 1 (depth and limit,
 * motor-on bands, stops, refusals, warnings, the advisory threshold, both
 * budgets as they were used, a legend), and for a long session the same
 * again in strips of a few minutes.
 */
#pragma once

#include <stdbool.h>

#include "penctl_report_page.h"

/* The plot's colours; tests/unit/test_report_pdf.py looks for them. */
#define REPORT_RGB_LIMIT 0xd62728   /* the effective limit line */
#define REPORT_RGB_BAND 0xb3e0ad    /* motor-on bands */
#define REPORT_RGB_DEPTH 0x1f5fbf   /* the depth set */

/* The whole session at C->y; C->y moves below it. */
void report_plot_overview(struct report_page *c);

/* A session longer than 10 minutes again in strips, as many pages as it
 * takes; false when no more pages are wanted. */
bool report_plot_details(struct report_page *c);
