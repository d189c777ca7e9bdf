/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The report drawn with cairo and pango.  Everything is drawn twice: once
 * into a PDF that goes nowhere, to count the pages ("page 2 of 7"), then
 * for real.  Text goes through pango, so a PDF viewer can search and copy
 * it; nothing is drawn as a picture of text.
 *
 * The layout must hold for a 30-second session and a 3-hour one with
 * hundreds of stops: the plot marks every stop but labels only those it
 * has room for (the event list names all of them), and the event list is
 * one line per event, so pages are counted, never overflowed.
 */
#include <inttypes.h>
#include <math.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <gio/gio.h>
#include <pango/pangocairo.h>

#include "penctl/config.h"
#include "penctl/dbus_names.h"

#include "penctl_format.h"
#include "penctl_report_draw.h"

/* A4 in points. */
#define PAGE_W 595.276
#define PAGE_H 841.89
#define MARGIN 42.0
#define FOOTER_H 18.0
#define ROW_H 11.5
#define FONT "DejaVu Sans, Sans"

struct ctx {
	const struct penctl_report *report;
	cairo_surface_t *surface;
	cairo_t *cr;
	int page;          /* 1-based */
	int pages;         /* known after the first pass, else 0 */
	int last_page;     /* stop after this page (PNG), 0 = none */
	double y;
};

static void set_rgb(cairo_t *cr, unsigned rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
			     (rgb & 0xff) / 255.0);
}

/* A layout in FONT whose sizes are points of the page (pango's default is
 * 96 dpi, which would make "8 pt" text 10.7 points tall). */
static PangoLayout *new_layout(struct ctx *c, const char *font)
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
static double draw_text(struct ctx *c, double x, double y, double width, const char *font,
			const char *text, bool markup, PangoAlignment align, bool ellipsize)
{
	g_autoptr(PangoLayout) layout = new_layout(c, font);
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
static double text_width(struct ctx *c, const char *font, const char *text)
{
	g_autoptr(PangoLayout) layout = new_layout(c, font);
	int w, h;

	pango_layout_set_text(layout, text, -1);
	pango_layout_get_size(layout, &w, &h);
	return (double)w / PANGO_SCALE;
}

static void draw_footer(struct ctx *c)
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
	draw_text(c, MARGIN, PAGE_H - MARGIN + 4, PAGE_W - 2 * MARGIN, FONT " 8", text, false,
		  PANGO_ALIGN_RIGHT, true);
	cairo_set_source_rgb(c->cr, 0, 0, 0);
}

/* Ends the page; false when no more pages are wanted (a PNG of page 1). */
static bool next_page(struct ctx *c)
{
	draw_footer(c);
	if (c->last_page && c->page >= c->last_page)
		return false;
	cairo_show_page(c->cr);
	c->page++;
	c->y = MARGIN;
	return true;
}

/* Room for HEIGHT more points on this page, else a new page; false when
 * no more pages are wanted. */
static bool need(struct ctx *c, double height)
{
	if (c->y + height <= PAGE_H - MARGIN - FOOTER_H)
		return true;
	return next_page(c);
}

/* ---- header ---- */

static char *local_time(int64_t realtime_us, const char *format)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_local(realtime_us / G_USEC_PER_SEC);

	return time ? g_date_time_format(time, format) : g_strdup("unknown");
}

static char *depth_text(uint32_t um)
{
	return penctl_format_depth(um);
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

static double header_row(struct ctx *c, double x, double y, const char *label, const char *value)
{
	double h, hl;

	cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
	hl = draw_text(c, x, y, 92, FONT " Bold 10", label, false, PANGO_ALIGN_LEFT, false);
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	h = draw_text(c, x + 94, y, 160, FONT " 10", value, false, PANGO_ALIGN_LEFT, false);
	return MAX(MAX(h, hl), 11.0) + 2;
}

static void draw_header(struct ctx *c)
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

	draw_text(c, MARGIN, c->y, PAGE_W - 2 * MARGIN, FONT " Bold 19", "Microneedling treatment report",
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

/* ---- the timeline plot ---- */

/* The whole session (page 1) or a window of it (the detail strips). */
struct plot {
	double x0, x1;       /* time axis */
	double top, bottom;  /* depth panel */
	double btop, bbottom;/* budget panel; both = bottom when there is none */
	double t0_ms, span_ms; /* the time shown */
	double max_um;
};

/* Where T is, even outside the window (for lines the clip cuts). */
static double plot_x_raw(const struct plot *p, double t_ms)
{
	return p->x0 + (p->x1 - p->x0) * (t_ms - p->t0_ms) / p->span_ms;
}

static double plot_x(const struct plot *p, double t_ms)
{
	return CLAMP(plot_x_raw(p, t_ms), p->x0, p->x1);
}

static bool in_window(const struct plot *p, double t_ms)
{
	return t_ms >= p->t0_ms && t_ms <= p->t0_ms + p->span_ms;
}

static void clip_to_panel(struct ctx *c, const struct plot *p)
{
	cairo_save(c->cr);
	cairo_rectangle(c->cr, p->x0, p->top, p->x1 - p->x0, p->bottom - p->top);
	cairo_clip(c->cr);
}

static double plot_y(const struct plot *p, double um)
{
	return p->bottom - (p->bottom - p->top) * CLAMP(um / p->max_um, 0.0, 1.0);
}

/* A tick step giving at most ~10 ticks. */
static int64_t tick_step_ms(double duration_ms)
{
	static const int64_t steps[] = { 5000, 10000, 30000, 60000, 120000, 300000, 600000,
					 900000, 1800000, 3600000 };

	for (gsize i = 0; i < G_N_ELEMENTS(steps); i++)
		if (duration_ms / (double)steps[i] <= 10)
			return steps[i];
	return 7200000;
}

static void draw_time_axis(struct ctx *c, const struct plot *p)
{
	int64_t step = tick_step_ms(p->span_ms);
	int64_t first = ((int64_t)p->t0_ms + step - 1) / step * step;

	cairo_set_line_width(c->cr, 0.4);
	for (int64_t t = first; (double)t <= p->t0_ms + p->span_ms; t += step) {
		g_autofree char *label = penctl_report_format_duration(t);
		double x = plot_x(p, (double)t);

		cairo_set_source_rgb(c->cr, 0.85, 0.85, 0.85);
		cairo_move_to(c->cr, x, p->top);
		cairo_line_to(c->cr, x, p->bbottom);
		cairo_stroke(c->cr);
		cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
		/* The first and last labels stay within the plot's edges, off the
		 * depth labels and the margin. */
		if (x - 20 < p->x0)
			draw_text(c, p->x0, p->bbottom + 2, 40, FONT " 7.5", label, false,
				  PANGO_ALIGN_LEFT, false);
		else
			draw_text(c, MIN(x - 20, p->x1 - 36), p->bbottom + 2, 40, FONT " 7.5", label,
				  false, x - 20 > p->x1 - 36 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_CENTER,
				  false);
	}
	draw_text(c, p->x0, p->bbottom + 11, p->x1 - p->x0, FONT " 7.5",
		  "time since the session started", false, PANGO_ALIGN_CENTER, false);
}

static void draw_depth_axis(struct ctx *c, const struct plot *p)
{
	double step = p->max_um > 2000 ? 500 : p->max_um > 800 ? 250 : 100;

	cairo_set_line_width(c->cr, 0.4);
	for (double um = 0; um <= p->max_um; um += step) {
		g_autofree char *label = depth_text((uint32_t)um);
		double y = plot_y(p, um);

		cairo_set_source_rgb(c->cr, 0.88, 0.88, 0.88);
		cairo_move_to(c->cr, p->x0, y);
		cairo_line_to(c->cr, p->x1, y);
		cairo_stroke(c->cr);
		cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
		draw_text(c, p->x0 - 44, y - 4.5, 41, FONT " 7.5", label, false, PANGO_ALIGN_RIGHT,
			  false);
	}
}

static void draw_bands(struct ctx *c, const struct plot *p)
{
	GArray *bands = c->report->bands;

	clip_to_panel(c, p);
	set_rgb(c->cr, REPORT_RGB_BAND);
	for (guint i = 0; i < bands->len; i++) {
		const struct report_band *b = &g_array_index(bands, struct report_band, i);
		double x = plot_x_raw(p, (double)b->start_ms);
		/* A short run still shows. */
		double w = MAX(plot_x_raw(p, (double)b->end_ms) - x, 0.7);

		if ((double)b->end_ms < p->t0_ms || (double)b->start_ms > p->t0_ms + p->span_ms)
			continue;
		cairo_rectangle(c->cr, x, p->top, w, p->bottom - p->top);
	}
	cairo_fill(c->cr);
	cairo_restore(c->cr);
}

/* The depth or the limit as a step line. */
static void draw_steps(struct ctx *c, const struct plot *p, bool limit)
{
	GArray *points = c->report->points;
	bool started = false;

	/* Before the path: the clip's rectangle would join it. */
	clip_to_panel(c, p);
	for (guint i = 0; i < points->len; i++) {
		const struct report_point *pt = &g_array_index(points, struct report_point, i);
		uint32_t um = limit ? pt->limit_um : pt->depth_um;
		double x = plot_x_raw(p, (double)pt->t_ms);

		if (!um)
			continue;
		if (!started) {
			cairo_move_to(c->cr, x, plot_y(p, um));
			started = true;
		} else {
			double cx, cy;

			cairo_get_current_point(c->cr, &cx, &cy);
			cairo_line_to(c->cr, x, cy);
			cairo_line_to(c->cr, x, plot_y(p, um));
		}
	}
	if (!started) {
		cairo_restore(c->cr);
		return;
	}
	{
		double cx, cy;

		/* On to the end of the session. */
		cairo_get_current_point(c->cr, &cx, &cy);
		cairo_line_to(c->cr, plot_x_raw(p, (double)c->report->duration_ms), cy);
	}
	if (limit) {
		set_rgb(c->cr, REPORT_RGB_LIMIT);
		cairo_set_line_width(c->cr, 1.8);
	} else {
		set_rgb(c->cr, REPORT_RGB_DEPTH);
		cairo_set_line_width(c->cr, 1.3);
	}
	cairo_stroke(c->cr);
	cairo_restore(c->cr);
}

static void draw_advisory_line(struct ctx *c, const struct plot *p)
{
	const double dash[] = { 4, 3 };
	g_autofree char *depth = NULL;
	g_autofree char *label = NULL;

	if (!c->report->advisory_um)
		return;
	depth = depth_text(c->report->advisory_um);
	label = g_strdup_printf("anesthetic advisory above %s", depth);
	cairo_set_source_rgb(c->cr, 0.88, 0.5, 0.0);
	cairo_set_line_width(c->cr, 1.0);
	cairo_set_dash(c->cr, dash, 2, 0);
	cairo_move_to(c->cr, p->x0, plot_y(p, c->report->advisory_um));
	cairo_line_to(c->cr, p->x1, plot_y(p, c->report->advisory_um));
	cairo_stroke(c->cr);
	cairo_set_dash(c->cr, NULL, 0, 0);
	/* On white: the depth line may run along the threshold. */
	{
		double w = text_width(c, FONT " 7.5", label);
		double y = plot_y(p, c->report->advisory_um) - 11;

		cairo_set_source_rgba(c->cr, 1, 1, 1, 0.85);
		cairo_rectangle(c->cr, p->x1 - 2 - w - 2, y, w + 3, 9.5);
		cairo_fill(c->cr);
		cairo_set_source_rgb(c->cr, 0.75, 0.42, 0.0);
		draw_text(c, p->x1 - 200, y, 198, FONT " 7.5", label, false, PANGO_ALIGN_RIGHT,
			  false);
	}
}

static void triangle(cairo_t *cr, double x, double y, double size)
{
	cairo_move_to(cr, x - size, y);
	cairo_line_to(cr, x + size, y);
	cairo_line_to(cr, x, y + size * 1.4);
	cairo_close_path(cr);
	cairo_fill(cr);
}

static void cross(cairo_t *cr, double x, double y, double size)
{
	cairo_set_line_width(cr, 1.0);
	cairo_move_to(cr, x - size, y - size);
	cairo_line_to(cr, x + size, y + size);
	cairo_move_to(cr, x - size, y + size);
	cairo_line_to(cr, x + size, y - size);
	cairo_stroke(cr);
}

#define LABEL_ROWS 3
#define LABEL_ROW_H 9.0

/* Marks for every stop, refusal, warning and fault; labels where there is
 * room in the rows above the plot (the event list names every one). */
static void draw_marks(struct ctx *c, const struct plot *p)
{
	GPtrArray *events = c->report->events;
	double row_end[LABEL_ROWS];
	const double dash[] = { 2, 2 };
	const char *last_label = NULL;
	double last_label_x = -1e9;

	for (int i = 0; i < LABEL_ROWS; i++)
		row_end[i] = -1e9;
	for (guint i = 0; i < events->len; i++) {
		const struct report_event *e = g_ptr_array_index(events, i);
		double x = plot_x(p, (double)e->t_ms);
		bool label = false;

		if (!in_window(p, (double)e->t_ms))
			continue;
		switch (e->mark) {
		case REPORT_MARK_STOP:
			cairo_set_source_rgb(c->cr, 0.45, 0.45, 0.45);
			triangle(c->cr, x, p->top, 2.2);
			break;
		case REPORT_MARK_FORCED_STOP:
			cairo_set_source_rgb(c->cr, 0.62, 0.0, 0.0);
			triangle(c->cr, x, p->top, 3.5);
			label = true;
			break;
		case REPORT_MARK_REFUSAL:
			cairo_set_source_rgb(c->cr, 0.48, 0.25, 0.63);
			cross(c->cr, x, p->bottom - 5, 2.5);
			label = true;
			break;
		case REPORT_MARK_WARNING:
		case REPORT_MARK_LIMIT_REACHED:
			if (e->mark == REPORT_MARK_WARNING) {
				cairo_set_source_rgb(c->cr, 0.85, 0.6, 0.0);
				cairo_set_dash(c->cr, dash, 2, 0);
			} else {
				cairo_set_source_rgb(c->cr, 0, 0, 0);
			}
			cairo_set_line_width(c->cr, 1.0);
			cairo_move_to(c->cr, x, p->top);
			cairo_line_to(c->cr, x, p->bbottom);
			cairo_stroke(c->cr);
			cairo_set_dash(c->cr, NULL, 0, 0);
			label = true;
			break;
		case REPORT_MARK_ADVISORY:
			cairo_set_source_rgb(c->cr, 0.88, 0.5, 0.0);
			cairo_arc(c->cr, x, plot_y(p, e->depth_um), 2.5, 0, 2 * G_PI);
			cairo_fill(c->cr);
			break;
		case REPORT_MARK_FAULT:
			cairo_set_source_rgb(c->cr, 0.85, 0.1, 0.1);
			cairo_rectangle(c->cr, x - 2, p->top + 6, 4, 4);
			cairo_fill(c->cr);
			label = true;
			break;
		case REPORT_MARK_NOTE:
			break;
		}
		if (!label)
			continue;
		{
			const char *text = e->reason[0] ? e->reason : e->event;
			double w = text_width(c, FONT " 7", text);

			/* A stop and the fault that caused it say the same: once. */
			if (g_strcmp0(text, last_label) == 0 && x - last_label_x < 3)
				continue;
			last_label = text;
			last_label_x = x;

			for (int row = 0; row < LABEL_ROWS; row++) {
				double lx = MIN(x - 1, p->x1 - w);

				if (lx < row_end[row] + 3)
					continue;
				cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
				draw_text(c, lx, p->top - (LABEL_ROWS - row) * LABEL_ROW_H - 1, w + 2,
					  FONT " 7", text, false, PANGO_ALIGN_LEFT, false);
				row_end[row] = lx + w;
				break;
			}
		}
	}
}

/* Needling used over time: the sum of the bands up to T. */
static double needling_at(const struct penctl_report *r, double t_ms)
{
	double used = 0;

	for (guint i = 0; i < r->bands->len; i++) {
		const struct report_band *b = &g_array_index(r->bands, struct report_band, i);

		if (t_ms <= (double)b->start_ms)
			break;
		used += MIN(t_ms, (double)b->end_ms) - (double)b->start_ms;
	}
	return used;
}

static void draw_budgets(struct ctx *c, const struct plot *p)
{
	const struct penctl_report *r = c->report;
	double h = p->bbottom - p->btop;
	g_autofree char *wall_used = penctl_report_format_duration(r->wall_ms);
	g_autofree char *needling_used = penctl_report_format_duration(r->needling_ms);
	g_autofree char *wall_budget = penctl_report_format_duration(r->wall_budget_ms);
	g_autofree char *needling_budget = penctl_report_format_duration(r->needling_budget_ms);
	g_autofree char *wall_text = NULL, *needling_text = NULL;

	cairo_set_source_rgb(c->cr, 0.97, 0.97, 0.97);
	cairo_rectangle(c->cr, p->x0, p->btop, p->x1 - p->x0, h);
	cairo_fill(c->cr);
	cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
	draw_text(c, p->x0 - 44, p->btop, 41, FONT " 7.5", "100 %", false, PANGO_ALIGN_RIGHT,
		  false);
	draw_text(c, p->x0 - 44, p->bbottom - 8, 41, FONT " 7.5", "0 %", false,
		  PANGO_ALIGN_RIGHT, false);

	/* Session time: a straight line, from 0 to where the session ended. */
	if (r->wall_budget_ms > 0) {
		cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
		cairo_set_line_width(c->cr, 1.2);
		cairo_move_to(c->cr, p->x0, p->bbottom);
		cairo_line_to(c->cr, plot_x(p, p->span_ms),
			      p->bbottom - h * MIN(p->span_ms / (double)r->wall_budget_ms, 1.0));
		cairo_stroke(c->cr);
		wall_text = g_strdup_printf("session time %s of %s", wall_used, wall_budget);
	} else {
		wall_text = g_strdup_printf("session time %s (budget not recorded)", wall_used);
	}
	/* Needling time: grows only while the motor runs. */
	if (r->needling_budget_ms > 0) {
		int steps = 400;

		cairo_set_source_rgb(c->cr, 0.18, 0.49, 0.2);
		cairo_set_line_width(c->cr, 1.2);
		for (int i = 0; i <= steps; i++) {
			double t = p->span_ms * i / steps;
			double y = p->bbottom -
				   h * MIN(needling_at(r, t) / (double)r->needling_budget_ms, 1.0);

			if (i == 0)
				cairo_move_to(c->cr, plot_x(p, t), y);
			else
				cairo_line_to(c->cr, plot_x(p, t), y);
		}
		cairo_stroke(c->cr);
		needling_text = g_strdup_printf("needling %s of %s", needling_used, needling_budget);
	} else {
		needling_text = g_strdup_printf("needling %s (budget not recorded)", needling_used);
	}
	cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
	draw_text(c, p->x0 + 4, p->btop + 2, 240, FONT " 7.5", wall_text, false, PANGO_ALIGN_LEFT,
		  false);
	cairo_set_source_rgb(c->cr, 0.18, 0.49, 0.2);
	draw_text(c, p->x0 + 4, p->btop + 13, 240, FONT " 7.5", needling_text, false,
		  PANGO_ALIGN_LEFT, false);
}

/* One legend entry at *X, on a new row (*Y) when this one is full. */
static void legend_item(struct ctx *c, double *x, double *y, unsigned rgb, int shape,
			const char *text)
{
	double w = 15 + text_width(c, FONT " 7.5", text);

	if (*x + w > PAGE_W - MARGIN) {
		*x = MARGIN + 46;
		*y += 11;
	}
	set_rgb(c->cr, rgb);
	switch (shape) {
	case 0: /* line */
		cairo_set_line_width(c->cr, 1.8);
		cairo_move_to(c->cr, *x, *y + 4);
		cairo_line_to(c->cr, *x + 12, *y + 4);
		cairo_stroke(c->cr);
		break;
	case 1: /* box */
		cairo_rectangle(c->cr, *x, *y, 12, 8);
		cairo_fill(c->cr);
		break;
	case 2:
		triangle(c->cr, *x + 6, *y + 1, 3.5);
		break;
	case 3:
		cross(c->cr, *x + 6, *y + 4, 2.5);
		break;
	}
	cairo_set_source_rgb(c->cr, 0.2, 0.2, 0.2);
	draw_text(c, *x + 15, *y - 1, w, FONT " 7.5", text, false, PANGO_ALIGN_LEFT, false);
	*x += w + 10;
}

/* The depth axis's top: above the deepest depth, limit and threshold. */
static double depth_scale_um(const struct penctl_report *r)
{
	double max_um = MAX(r->advisory_um, r->max_depth_um);

	for (guint i = 0; i < r->points->len; i++) {
		const struct report_point *pt = &g_array_index(r->points, struct report_point, i);

		max_um = MAX(max_um, MAX(pt->depth_um, pt->limit_um));
	}
	return MAX(ceil(max_um * 1.15 / 250.0) * 250.0, 500.0);
}

static void frame(struct ctx *c, const struct plot *p)
{
	cairo_set_source_rgb(c->cr, 0.5, 0.5, 0.5);
	cairo_set_line_width(c->cr, 0.6);
	cairo_rectangle(c->cr, p->x0, p->top, p->x1 - p->x0, p->bottom - p->top);
	if (p->bbottom > p->bottom)
		cairo_rectangle(c->cr, p->x0, p->btop, p->x1 - p->x0, p->bbottom - p->btop);
	cairo_stroke(c->cr);
}

/* The depth panel of P: what the overview and the strips share. */
static void draw_depth_panel(struct ctx *c, const struct plot *p)
{
	draw_bands(c, p);
	draw_time_axis(c, p);
	draw_depth_axis(c, p);
	draw_advisory_line(c, p);
	draw_steps(c, p, true);
	draw_steps(c, p, false);
}

static void draw_plot(struct ctx *c)
{
	const struct penctl_report *r = c->report;
	struct plot p = {
		.x0 = MARGIN + 46,
		.x1 = PAGE_W - MARGIN - 4,
		.span_ms = MAX((double)r->duration_ms, 1000.0),
		.max_um = depth_scale_um(r),
	};
	double x;

	draw_text(c, MARGIN, c->y, 300, FONT " Bold 12", "Timeline", false, PANGO_ALIGN_LEFT,
		  false);
	c->y += 14;
	p.top = c->y + LABEL_ROWS * LABEL_ROW_H + 2;
	p.bottom = p.top + 165;
	p.btop = p.bottom + 10;
	p.bbottom = p.btop + 44;

	draw_depth_panel(c, &p);
	draw_budgets(c, &p);
	draw_marks(c, &p);
	frame(c, &p);

	c->y = p.bbottom + 26;
	x = p.x0;
	legend_item(c, &x, &c->y, REPORT_RGB_DEPTH, 0, "depth set");
	legend_item(c, &x, &c->y, REPORT_RGB_LIMIT, 0, "effective limit");
	legend_item(c, &x, &c->y, REPORT_RGB_BAND, 1, "motor on");
	legend_item(c, &x, &c->y, 0xe08000, 0, "anesthetic advisory");
	legend_item(c, &x, &c->y, 0x737373, 2, "stop by the operator");
	legend_item(c, &x, &c->y, 0x9e0000, 2, "forced stop");
	legend_item(c, &x, &c->y, 0x7b40a0, 3, "refused");
	legend_item(c, &x, &c->y, 0xd99900, 0, "budget warning");
	legend_item(c, &x, &c->y, 0x000000, 0, "budget spent");
	legend_item(c, &x, &c->y, 0x2e7d32, 0, "needling time used");
	legend_item(c, &x, &c->y, 0x595959, 0, "session time used");
	c->y += 18;
}

/* ---- the timeline in detail ---- */

#define DETAIL_AFTER_MS (10 * 60 * 1000)
#define DETAIL_MAX_STRIPS 12
#define DETAIL_PANEL_H 100.0

/* A session longer than a few minutes crowds its runs and stops on page
 * 1: it is drawn again in strips of a few minutes each, at most
 * DETAIL_MAX_STRIPS. */
static bool draw_details(struct ctx *c)
{
	static const int64_t spans_min[] = { 5, 10, 15, 20, 30, 60, 120 };
	const struct penctl_report *r = c->report;
	const double strip_h = 16 + LABEL_ROWS * LABEL_ROW_H + 2 + DETAIL_PANEL_H + 26;
	int64_t span = 0;

	if (r->duration_ms <= DETAIL_AFTER_MS)
		return true;
	for (gsize i = 0; i < G_N_ELEMENTS(spans_min) && !span; i++)
		if ((r->duration_ms + spans_min[i] * 60000 - 1) / (spans_min[i] * 60000) <=
		    DETAIL_MAX_STRIPS)
			span = spans_min[i] * 60000;
	if (!span)
		span = (r->duration_ms + DETAIL_MAX_STRIPS - 1) / DETAIL_MAX_STRIPS;
	if (!need(c, 18 + strip_h))
		return false;
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	draw_text(c, MARGIN, c->y, 400, FONT " Bold 12", "Timeline in detail", false,
		  PANGO_ALIGN_LEFT, false);
	c->y += 18;
	for (int64_t t0 = 0; t0 < r->duration_ms; t0 += span) {
		g_autofree char *from = penctl_report_format_duration(t0);
		g_autofree char *to = penctl_report_format_duration(MIN(t0 + span, r->duration_ms));
		g_autofree char *caption = g_strdup_printf("%s to %s", from, to);
		struct plot p = {
			.x0 = MARGIN + 46,
			.x1 = PAGE_W - MARGIN - 4,
			.t0_ms = (double)t0,
			.span_ms = (double)span,
			.max_um = depth_scale_um(r),
		};

		if (!need(c, strip_h))
			return false;
		cairo_set_source_rgb(c->cr, 0.2, 0.2, 0.2);
		draw_text(c, MARGIN, c->y, 200, FONT " Bold 8.5", caption, false, PANGO_ALIGN_LEFT,
			  false);
		c->y += 14;
		p.top = c->y + LABEL_ROWS * LABEL_ROW_H + 2;
		p.bottom = p.top + DETAIL_PANEL_H;
		p.btop = p.bbottom = p.bottom;
		draw_depth_panel(c, &p);
		draw_marks(c, &p);
		frame(c, &p);
		c->y = p.bottom + 28;
	}
	return true;
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

static bool paragraph(struct ctx *c, const char *font, const char *markup, double gap)
{
	/* Measured first, so that a paragraph is never split over two pages. */
	g_autoptr(PangoLayout) layout = new_layout(c, font);
	int w, h;

	pango_layout_set_width(layout, (int)((PAGE_W - 2 * MARGIN) * PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_markup(layout, markup, -1);
	pango_layout_get_size(layout, &w, &h);
	if (!need(c, (double)h / PANGO_SCALE + gap))
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
		return g_strdup("<b>Contraindications:</b> the operator confirmed at the start that "
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
static bool draw_stop_grid(struct ctx *c)
{
	const struct penctl_report *r = c->report;
	const double column = (PAGE_W - 2 * MARGIN - 12) / 3;
	guint rows = (r->stops->len + 2) / 3;

	if (!need(c, rows * 11.5 + 8))
		return false;
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	for (guint i = 0; i < r->stops->len; i++) {
		const struct report_count *count = g_ptr_array_index(r->stops, i);
		g_autofree char *text = g_strdup_printf("%s %u", count->reason, count->count);

		draw_text(c, MARGIN + 12 + (i % 3) * column, c->y + (i / 3) * 11.5, column - 4,
			  FONT " 10", text, false, PANGO_ALIGN_LEFT, true);
	}
	c->y += rows * 11.5 + 8;
	return true;
}

static bool draw_summary(struct ctx *c)
{
	const struct penctl_report *r = c->report;
	g_autofree char *wall = penctl_report_format_duration(r->wall_ms);
	g_autofree char *needling = penctl_report_format_duration(r->needling_ms);
	g_autofree char *deepest = depth_text(r->max_depth_um);
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

static PangoLayout *message_layout(struct ctx *c, const char *message)
{
	PangoLayout *layout = new_layout(c, EVENT_FONT);

	pango_layout_set_width(layout, (int)((PAGE_W - MARGIN - (MARGIN + COL_MESSAGE)) *
					     PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(layout, message, -1);
	return layout;
}

static void event_row(struct ctx *c, const struct report_event *e, PangoLayout *message,
		      double height)
{
	g_autofree char *t = penctl_report_format_duration(e->t_ms);
	g_autofree char *depth = e->depth_um ? depth_text(e->depth_um) : g_strdup("");
	double x = MARGIN;

	if (e->mark == REPORT_MARK_FORCED_STOP || e->mark == REPORT_MARK_LIMIT_REACHED ||
	    e->mark == REPORT_MARK_FAULT)
		cairo_set_source_rgb(c->cr, 0.55, 0.0, 0.0);
	else if (e->mark == REPORT_MARK_REFUSAL)
		cairo_set_source_rgb(c->cr, 0.4, 0.2, 0.55);
	else
		cairo_set_source_rgb(c->cr, 0, 0, 0);
	draw_text(c, x + COL_TIME, c->y, COL_EVENT - 6, EVENT_FONT, t, false, PANGO_ALIGN_RIGHT,
		  false);
	draw_text(c, x + COL_EVENT, c->y, COL_REASON - COL_EVENT - 2, EVENT_FONT, e->event, false,
		  PANGO_ALIGN_LEFT, false);
	draw_text(c, x + COL_REASON, c->y, COL_DEPTH - COL_REASON - 2, EVENT_FONT, e->reason,
		  false, PANGO_ALIGN_LEFT, false);
	draw_text(c, x + COL_DEPTH, c->y, COL_MESSAGE - COL_DEPTH - 8, EVENT_FONT, depth, false,
		  PANGO_ALIGN_RIGHT, false);
	cairo_move_to(c->cr, x + COL_MESSAGE, c->y);
	pango_cairo_show_layout(c->cr, message);
	c->y += height;
}

/* The heading, kept on the page of the row (FIRST_ROW high) under it. */
static bool event_heading(struct ctx *c, bool continued, double first_row)
{
	const char *const columns[] = { "time", "event", "reason", "depth", "what happened" };
	const double at[] = { COL_TIME, COL_EVENT, COL_REASON, COL_DEPTH, COL_MESSAGE };
	const double width[] = { COL_EVENT - 6, COL_REASON - COL_EVENT, COL_DEPTH - COL_REASON,
				 COL_MESSAGE - COL_DEPTH - 8, 200 };

	if (!need(c, 30 + first_row))
		return false;
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	draw_text(c, MARGIN, c->y, 300, FONT " Bold 12",
		  continued ? "Events (continued)" : "Events", false, PANGO_ALIGN_LEFT, false);
	c->y += 15;
	cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
	for (gsize i = 0; i < G_N_ELEMENTS(columns); i++)
		draw_text(c, MARGIN + at[i], c->y, width[i], FONT " Bold 8", columns[i], false,
			  i == 0 || i == 3 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT, false);
	c->y += ROW_H + 2;
	return true;
}

static bool draw_events(struct ctx *c)
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
		if (!need(c, height))
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

/* Every page; with last_page, up to that page (whose footer next_page()
 * drew when it stopped). */
static void render(struct ctx *c)
{
	c->page = 1;
	c->y = MARGIN;
	draw_header(c);
	draw_plot(c);
	if (!draw_summary(c) || !draw_details(c) || !draw_events(c))
		return;
	draw_footer(c);
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
	struct ctx c = { .report = report, .pages = pages };
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
		cairo_pdf_surface_set_metadata(c.surface, CAIRO_PDF_METADATA_CREATOR, "penctl report");
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
	struct ctx c = { .report = report, .pages = pages, .last_page = 1 };
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
