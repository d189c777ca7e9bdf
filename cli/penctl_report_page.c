/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl report's pages and text.
 */
#include "penctl_report_page.h"

void page_set_rgb(cairo_t *cr, unsigned rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
			     (rgb & 0xff) / 255.0);
}

/* A layout in FONT whose sizes are points of the page (pango's default is
 * 96 dpi, which would make "8 pt" text 10.7 points tall). */
PangoLayout *page_layout(struct report_page *c, const char *font)
{
	PangoLayout *layout = pango_cairo_create_layout(c->cr);
	PangoFontDescription *description = pango_font_description_from_string(font);

	pango_cairo_context_set_resolution(pango_layout_get_context(layout), 72);
	pango_layout_context_changed(layout);
	pango_layout_set_font_description(layout, description);
	pango_font_description_free(description);
	return layout;
}

/* Draw TEXT (pango markup when MARKUP) in a box WIDTH wide at X, Y; returns
 * its height.  ELLIPSIZE keeps it to one line. */
double page_text(struct report_page *c, double x, double y, double width, const char *font,
		 const char *text, bool markup, PangoAlignment align, bool ellipsize)
{
	g_autoptr(PangoLayout) layout = page_layout(c, font);
	int w, h;

	pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
	pango_layout_set_alignment(layout, align);
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	if (ellipsize)
		pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
	if (markup)
		pango_layout_set_markup(layout, text, -1);
	else
		pango_layout_set_text(layout, text, -1);
	cairo_move_to(c->cr, x, y);
	pango_cairo_show_layout(c->cr, layout);
	pango_layout_get_size(layout, &w, &h);
	return (double)h / PANGO_SCALE;
}

/* The width TEXT takes in FONT. */
double page_text_width(struct report_page *c, const char *font, const char *text)
{
	g_autoptr(PangoLayout) layout = page_layout(c, font);
	int w, h;

	pango_layout_set_text(layout, text, -1);
	pango_layout_get_size(layout, &w, &h);
	return (double)w / PANGO_SCALE;
}

void page_footer(struct report_page *c)
{
	const struct penctl_report *r = c->report;
	g_autofree char *text = NULL;

	if (c->pages)
		text = g_strdup_printf("Session %s, chair %s: page %d of %d", r->session,
				       r->hostname[0] ? r->hostname : "unknown", c->page, c->pages);
	else
		text = g_strdup_printf("Session %s, chair %s: page %d", r->session,
				       r->hostname[0] ? r->hostname : "unknown", c->page);
	cairo_set_source_rgb(c->cr, 0.4, 0.4, 0.4);
	page_text(c, MARGIN, PAGE_H - MARGIN + 4, PAGE_W - 2 * MARGIN, FONT " 8", text, false,
		  PANGO_ALIGN_RIGHT, true);
	cairo_set_source_rgb(c->cr, 0, 0, 0);
}

/* Ends the page; false when no more pages are wanted (a PNG of page 1). */
bool page_next(struct report_page *c)
{
	page_footer(c);
	if (c->last_page && c->page >= c->last_page)
		return false;
	cairo_show_page(c->cr);
	c->page++;
	c->y = MARGIN;
	return true;
}

/* Room for HEIGHT more points on this page, else a new page; false when
 * no more pages are wanted. */
bool page_need(struct report_page *c, double height)
{
	if (c->y + height <= PAGE_H - MARGIN - FOOTER_H)
		return true;
	return page_next(c);
}
