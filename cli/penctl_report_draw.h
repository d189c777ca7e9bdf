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

/* Writes REPORT to PDF_PATH; PNG_PATH (may be NULL) gets page 1 at DPI.
 * Returns the number of PDF pages, or -1 and ERROR. */
int penctl_report_draw(const struct penctl_report *report, const char *pdf_path,
		       const char *png_path, double dpi, GError **error);
