/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl report, the drawing: a report model as an A4 PDF with real
 * (searchable) text, cairo + pango.  Page 1: header, the timeline plot,
 * the summary, the advisory, the contraindication check and the after-care
 * advice; for a session longer than 10 minutes, the timeline again in
 * strips; then the list of events, as many pages as it takes.
 */
#pragma once

#include <glib.h>

#include "penctl_report_model.h"

/* The plot's colours; tests/unit/test_report_pdf.py looks for them. */
#define REPORT_RGB_LIMIT 0xd62728   /* the effective limit line */
#define REPORT_RGB_BAND 0xb3e0ad    /* motor-on bands */
#define REPORT_RGB_DEPTH 0x1f5fbf   /* the depth set */

/* Writes REPORT to PDF_PATH; PNG_PATH (may be NULL) gets page 1 at DPI.
 * Returns the number of PDF pages, or -1 and ERROR. */
int penctl_report_draw(const struct penctl_report *report, const char *pdf_path,
		       const char *png_path, double dpi, GError **error);
