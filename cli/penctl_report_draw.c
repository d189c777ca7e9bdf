/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The report drawn with cairo and pango.  Everything is drawn twice: once
 * into a PDF that goes nowhere, to count the pages ("page 2 of 7"), then
 * for real.  Text goes through pango, so a PDF viewer can search and copy
 * it; nothing is drawn as a picture of text.
 *
 * The layout must hold for a 30-second session and a 3-hour one with
 * hundreds of stops: the event list is one row per event, rows wrap and are
 * measured before they are placed, so pages are counted, never overflowed.
 * This file: the header, the summary and after-care, the event list and
 * the output; the plot is penctl_report_plot.c, the page flow
 * penctl_report_page.c.
 */
#include <inttypes.h>
#include <math.h>

#include <cairo-pdf.h>
#include <gio/gio.h>

#include "penctl/dbus_names.h"

#include "penctl_format.h"
#include "penctl_report_draw.h"
#include "penctl_report_page.h"
#include "penctl_report_plot.h"

/* ---- header ---- */

static char *local_time(int64_t realtime_us, const char *format)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_local(realtime_us / G_USEC_PER_SEC);

	return time ? g_date_time_format(time, format) : g_strdup("unknown");
}

static const char *or_dash(const char *text)
{
	return text && text[0] ? text : "not recorded";
}

static char *join_cartridges(const struct penctl_report *r)
{
	GString *text = g_string_new(NULL);

	for (guint i = 0; i < r->cartridges->len; i++)
		g_string_append_printf(text, "%s%s", i ? ", " : "",
				       (const char *)g_ptr_array_index(r->cartridges, i));
	if (!text->len)
		g_string_append(text, "none recorded");
	return g_string_free(text, FALSE);
}

static double header_row(struct report_page *c, double x, double y, const char *label,
			 const char *value)
{
	double h, hl;

	cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
	hl = page_text(c, x, y, 92, FONT " Bold 10", label, false, PANGO_ALIGN_LEFT, false);
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	h = page_text(c, x + 94, y, 160, FONT " 10", value, false, PANGO_ALIGN_LEFT, false);
	return MAX(MAX(h, hl), 11.0) + 2;
}

static void draw_header(struct report_page *c)
{
	const struct penctl_report *r = c->report;
	g_autofree char *date = local_time(r->start_realtime_us, "%A %e %B %Y");
	g_autofree char *from = local_time(r->start_realtime_us, "%H:%M:%S");
	g_autofree char *to =
		local_time(r->start_realtime_us + r->duration_ms * 1000, "%H:%M:%S %Z");
	g_autofree char *when = g_strdup_printf("%s, %s to %s", g_strstrip(date), from, to);
	g_autofree char *who = g_strdup_printf("%s (role %s)", or_dash(r->operator_name),
					       or_dash(r->role));
	g_autoptr(GString) pen = g_string_new(or_dash(r->pen));
	g_autofree char *cartridges = NULL;
	g_autofree char *state = NULL;
	double left = MARGIN, right = MARGIN + (PAGE_W - 2 * MARGIN) / 2 + 6, yl, yr;

	if (r->pen_model[0])
		g_string_append_printf(pen, ", model %s", r->pen_model);
	if (r->pen_firmware[0])
		g_string_append_printf(pen, ", firmware %s", r->pen_firmware);
	cartridges = join_cartridges(r);
	state = g_strdup_printf("%s (%s)", r->session,
				r->ended ? "ended" : r->interrupted ? "cut short by a restart"
								    : "not ended");

	page_text(c, MARGIN, c->y, PAGE_W - 2 * MARGIN, FONT " Bold 19",
		  "Microneedling treatment report",
		  false, PANGO_ALIGN_LEFT, false);
	c->y += 26;
	yl = yr = c->y;
	yl += header_row(c, left, yl, "Date", when);
	yl += header_row(c, left, yl, "Chair", or_dash(r->hostname));
	yl += header_row(c, left, yl, "Operator", who);
	yl += header_row(c, left, yl, "Session", state);
	yr += header_row(c, right, yr, "Area", or_dash(r->area));
	yr += header_row(c, right, yr, "Client reference", or_dash(r->client_ref));
	yr += header_row(c, right, yr, "Pen", pen->str);
	yr += header_row(c, right, yr, "Cartridges", cartridges);
	c->y = MAX(yl, yr) + 8;
}

/* ---- summary, advisory, after-care ---- */

/* penctl session stop's advisory, from the same words (penctl_format.c). */
static char *advisory_text(const struct penctl_report *r)
{
	g_autoptr(GVariant) summary = NULL;
	GVariantDict dict;

	if (!r->above_advisory)
		return NULL;
	g_variant_dict_init(&dict, NULL);
	g_variant_dict_insert(&dict, PENCTL_SUMMARY_ABOVE_ANESTHETIC, "b", TRUE);
	g_variant_dict_insert(&dict, PENCTL_SUMMARY_ANESTHETIC_UM, "u", r->advisory_um);
	summary = g_variant_ref_sink(g_variant_dict_end(&dict));
	return penctl_format_anesthetic_advisory(summary);
}

static bool paragraph(struct report_page *c, const char *font, const char *markup, double gap)
{
	/* Measured first, so that a paragraph is never split over two pages. */
	g_autoptr(PangoLayout) layout = page_layout(c, font);
	int w, h;

	pango_layout_set_width(layout, (int)((PAGE_W - 2 * MARGIN) * PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_markup(layout, markup, -1);
	pango_layout_get_size(layout, &w, &h);
	if (!page_need(c, (double)h / PANGO_SCALE + gap))
		return false;
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	cairo_move_to(c->cr, MARGIN, c->y);
	pango_cairo_show_layout(c->cr, layout);
	c->y += (double)h / PANGO_SCALE + gap;
	return true;
}

static char *contraindications_text(const struct penctl_report *r)
{
	if (g_str_equal(r->contraindications, "checked"))
		return g_strdup("<b>Contraindications:</b> the operator confirmed at the start "
				"that "
				"the client was asked about contraindications.");
	if (r->contraindications[0])
		return g_markup_printf_escaped("<b>Contraindications:</b> %s.",
					       r->contraindications);
	return g_strdup("<b>Contraindications:</b> the session opened, so the operator "
			"confirmed that the client was asked about contraindications, as "
			"penctld requires before a session (RequireContraindicationCheck=true, "
			"the default). This journal does not record the confirmation itself.");
}

/* The stops by reason, three to a row: a reason is never broken over
 * two lines, whatever the count of reasons. */
static bool draw_stop_grid(struct report_page *c)
{
	const struct penctl_report *r = c->report;
	const double column = (PAGE_W - 2 * MARGIN - 12) / 3;
	guint rows = (r->stops->len + 2) / 3;

	if (!page_need(c, rows * 11.5 + 8))
		return false;
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	for (guint i = 0; i < r->stops->len; i++) {
		const struct report_count *count = g_ptr_array_index(r->stops, i);
		g_autofree char *text = g_strdup_printf("%s %u", count->reason, count->count);

		page_text(c, MARGIN + 12 + (i % 3) * column, c->y + (i / 3) * 11.5, column - 4,
			  FONT " 10", text, false, PANGO_ALIGN_LEFT, true);
	}
	c->y += rows * 11.5 + 8;
	return true;
}

static bool draw_summary(struct report_page *c)
{
	const struct penctl_report *r = c->report;
	g_autofree char *wall = penctl_report_format_duration(r->wall_ms);
	g_autofree char *needling = penctl_report_format_duration(r->needling_ms);
	g_autofree char *deepest = penctl_format_depth(r->max_depth_um);
	g_autofree char *strokes = r->strokes >= 0 ? g_strdup_printf("%" PRId64, r->strokes)
						   : g_strdup("not recorded");
	g_autofree char *summary = g_markup_printf_escaped(
		"<b>Summary</b>\n"
		"Session time: %s    Needling time: %s    Deepest: %s    Strokes: %s\n"
		"Refusals: %u    Forced stops: %u    Motor stops by reason:%s",
		wall, needling, deepest, strokes, r->refusals, r->forced_stops,
		r->stops->len ? "" : " none");
	g_autofree char *advisory = advisory_text(r);
	g_autofree char *advisory_markup =
		advisory ? g_markup_printf_escaped("<b>%s</b>", advisory) : NULL;
	g_autofree char *contra = contraindications_text(r);
	g_autofree char *aftercare = g_markup_printf_escaped(
		"<b>For the client: after your treatment</b>\n"
		"%s\n"
		"The needle cartridge used on you was new, and it is single-use: it is recorded "
		"as used and can never be used for another treatment.",
		penctl_aftercare_reminder());

	return paragraph(c, FONT " 10", summary, 2) && draw_stop_grid(c) &&
	       (!advisory_markup || paragraph(c, FONT " 10", advisory_markup, 8)) &&
	       paragraph(c, FONT " 10", contra, 8) && paragraph(c, FONT " 10.5", aftercare, 14);
}

/* ---- the event list ---- */

/* Columns: time, event, reason, depth, what happened (wrapped: every
 * word of the record's message is in the PDF). */
#define COL_TIME 0.0
#define COL_EVENT 46.0
#define COL_REASON 132.0
#define COL_DEPTH 246.0
#define COL_MESSAGE 294.0
#define EVENT_FONT FONT " 8"

static PangoLayout *message_layout(struct report_page *c, const char *message)
{
	PangoLayout *layout = page_layout(c, EVENT_FONT);

	pango_layout_set_width(layout, (int)((PAGE_W - MARGIN - (MARGIN + COL_MESSAGE)) *
					     PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(layout, message, -1);
	return layout;
}

static void event_row(struct report_page *c, const struct report_event *e,
		      PangoLayout *message, double height)
{
	g_autofree char *t = penctl_report_format_duration(e->t_ms);
	g_autofree char *depth = e->depth_um ? penctl_format_depth(e->depth_um) : g_strdup("");
	double x = MARGIN;

	if (e->mark == REPORT_MARK_FORCED_STOP || e->mark == REPORT_MARK_LIMIT_REACHED ||
	    e->mark == REPORT_MARK_FAULT)
		cairo_set_source_rgb(c->cr, 0.55, 0.0, 0.0);
	else if (e->mark == REPORT_MARK_REFUSAL)
		cairo_set_source_rgb(c->cr, 0.4, 0.2, 0.55);
	else
		cairo_set_source_rgb(c->cr, 0, 0, 0);
	page_text(c, x + COL_TIME, c->y, COL_EVENT - 6, EVENT_FONT, t, false, PANGO_ALIGN_RIGHT,
		  false);
	page_text(c, x + COL_EVENT, c->y, COL_REASON - COL_EVENT - 2, EVENT_FONT, e->event, false,
		  PANGO_ALIGN_LEFT, false);
	page_text(c, x + COL_REASON, c->y, COL_DEPTH - COL_REASON - 2, EVENT_FONT, e->reason,
		  false, PANGO_ALIGN_LEFT, false);
	page_text(c, x + COL_DEPTH, c->y, COL_MESSAGE - COL_DEPTH - 8, EVENT_FONT, depth, false,
		  PANGO_ALIGN_RIGHT, false);
	cairo_move_to(c->cr, x + COL_MESSAGE, c->y);
	pango_cairo_show_layout(c->cr, message);
	c->y += height;
}

/* The heading, kept on the page of the row (FIRST_ROW high) under it. */
static bool event_heading(struct report_page *c, bool continued, double first_row)
{
	const char *const columns[] = { "time", "event", "reason", "depth", "what happened" };
	const double at[] = { COL_TIME, COL_EVENT, COL_REASON, COL_DEPTH, COL_MESSAGE };
	const double width[] = { COL_EVENT - 6, COL_REASON - COL_EVENT, COL_DEPTH - COL_REASON,
				 COL_MESSAGE - COL_DEPTH - 8, 200 };

	if (!page_need(c, 30 + first_row))
		return false;
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	page_text(c, MARGIN, c->y, 300, FONT " Bold 12",
		  continued ? "Events (continued)" : "Events", false, PANGO_ALIGN_LEFT, false);
	c->y += 15;
	cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
	for (gsize i = 0; i < G_N_ELEMENTS(columns); i++)
		page_text(c, MARGIN + at[i], c->y, width[i], FONT " Bold 8", columns[i], false,
			  i == 0 || i == 3 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT, false);
	c->y += ROW_H + 2;
	return true;
}

static bool draw_events(struct report_page *c)
{
	GPtrArray *events = c->report->events;
	int page = 0;

	for (guint i = 0; i < events->len; i++) {
		const struct report_event *e = g_ptr_array_index(events, i);
		g_autoptr(PangoLayout) message = message_layout(c, e->message);
		int w, h;
		double height;

		pango_layout_get_size(message, &w, &h);
		height = MAX(ROW_H, (double)h / PANGO_SCALE + 2.5);
		if (i == 0) {
			if (!event_heading(c, false, height))
				return false;
			page = c->page;
		}
		if (!page_need(c, height))
			return false;
		if (c->page != page) {
			page = c->page;
			if (!event_heading(c, true, height))
				return false;
		}
		event_row(c, e, message, height);
	}
	return true;
}

/* Every page; with last_page, up to that page (whose footer page_next()
 * drew when it stopped). */
static void render(struct report_page *c)
{
	c->page = 1;
	c->y = MARGIN;
	draw_header(c);
	report_plot_overview(c);
	if (!draw_summary(c) || !report_plot_details(c) || !draw_events(c))
		return;
	page_footer(c);
	cairo_show_page(c->cr);
}

static cairo_status_t discard(void *closure, const unsigned char *data, unsigned int length)
{
	(void)closure;
	(void)data;
	(void)length;
	return CAIRO_STATUS_SUCCESS;
}

static bool surface_ok(cairo_surface_t *surface, const char *what, GError **error)
{
	cairo_status_t status = cairo_surface_status(surface);

	if (status == CAIRO_STATUS_SUCCESS)
		return true;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", what,
		    cairo_status_to_string(status));
	return false;
}

static int render_pdf(const struct penctl_report *report, const char *path, int pages,
		      GError **error)
{
	struct report_page c = { .report = report, .pages = pages };
	int counted;

	c.surface = path ? cairo_pdf_surface_create(path, PAGE_W, PAGE_H)
			 : cairo_pdf_surface_create_for_stream(discard, NULL, PAGE_W, PAGE_H);
	if (!surface_ok(c.surface, path ? path : "the PDF", error)) {
		cairo_surface_destroy(c.surface);
		return -1;
	}
	if (path) {
		g_autofree char *title = g_strdup_printf("Treatment report, session %s",
							 report->session);

		cairo_pdf_surface_set_metadata(c.surface, CAIRO_PDF_METADATA_TITLE, title);
		cairo_pdf_surface_set_metadata(c.surface, CAIRO_PDF_METADATA_CREATOR,
					       "penctl report");
	}
	c.cr = cairo_create(c.surface);
	render(&c);
	counted = c.page;
	cairo_destroy(c.cr);
	cairo_surface_finish(c.surface);
	if (!surface_ok(c.surface, path ? path : "the PDF", error)) {
		cairo_surface_destroy(c.surface);
		return -1;
	}
	cairo_surface_destroy(c.surface);
	return counted;
}

static bool render_png(const struct penctl_report *report, const char *path, double dpi,
		       int pages, GError **error)
{
	double scale = dpi / 72.0;
	struct report_page c = { .report = report, .pages = pages, .last_page = 1 };
	cairo_status_t status;

	c.surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ceil(PAGE_W * scale),
					       (int)ceil(PAGE_H * scale));
	if (!surface_ok(c.surface, path, error)) {
		cairo_surface_destroy(c.surface);
		return false;
	}
	c.cr = cairo_create(c.surface);
	cairo_set_source_rgb(c.cr, 1, 1, 1);
	cairo_paint(c.cr);
	cairo_set_source_rgb(c.cr, 0, 0, 0);
	cairo_scale(c.cr, scale, scale);
	render(&c);
	cairo_destroy(c.cr);
	status = cairo_surface_write_to_png(c.surface, path);
	cairo_surface_destroy(c.surface);
	if (status != CAIRO_STATUS_SUCCESS) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", path,
			    cairo_status_to_string(status));
		return false;
	}
	return true;
}

int penctl_report_draw(const struct penctl_report *report, const char *pdf_path,
		       const char *png_path, double dpi, GError **error)
{
	int pages = render_pdf(report, NULL, 0, error);

	if (pages < 0)
		return -1;
	if (render_pdf(report, pdf_path, pages, error) < 0)
		return -1;
	if (png_path && !render_png(report, png_path, dpi, pages, error))
		return -1;
	return pages;
}
