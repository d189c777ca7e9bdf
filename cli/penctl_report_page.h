/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl report's pages: A4 in points, text through pango (real text, in
 * points of the page), and the flow from page to page.  Shared by the
 * drawing of the plot (penctl_report_plot.c) and of the rest
 * (penctl_report_draw.c).
 */
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdbool.h>

#include "penctl_report_model.h"

#define PAGE_W 595.276
#define PAGE_H 841.89
#define MARGIN 42.0
#define FOOTER_H 18.0
#define ROW_H 11.5
#define FONT "DejaVu Sans, Sans"

struct report_page {
	const struct penctl_report *report;
	cairo_surface_t *surface;
	cairo_t *cr;
	int page;          /* 1-based */
	int pages;         /* known after the first pass, else 0 */
	int last_page;     /* stop after this page (PNG), 0 = none */
	double y;          /* where the next thing goes */
};

/* 0xRRGGBB as the source colour. */
void page_set_rgb(cairo_t *cr, unsigned rgb);

/* A layout in FONT, sized in points of the page. */
PangoLayout *page_layout(struct report_page *c, const char *font);

/* TEXT (pango markup when MARKUP) in a box WIDTH wide at X, Y; returns its
 * height.  ELLIPSIZE keeps it to one line. */
double page_text(struct report_page *c, double x, double y, double width, const char *font,
		 const char *text, bool markup, PangoAlignment align, bool ellipsize);

/* The width TEXT takes in FONT. */
double page_text_width(struct report_page *c, const char *font, const char *text);

/* "Session S, chair C: page N of M" at the foot of the page. */
void page_footer(struct report_page *c);

/* Ends the page; false when no more pages are wanted (a PNG of page 1). */
bool page_next(struct report_page *c);

/* Room for HEIGHT more points on this page, else a new page; false when
 * no more pages are wanted. */
bool page_need(struct report_page *c, double height);
