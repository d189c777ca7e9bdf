/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The timeline, drawn.  Marks go on every stop, refusal, warning and
 * fault; labels only where they have room (the event list names every
 * one), so hundreds of stops never pile text on text.
 */
#include <math.h>

#include "penctl_format.h"
#include "penctl_report_plot.h"

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

static void clip_to_panel(struct report_page *c, const struct plot *p)
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

static void draw_time_axis(struct report_page *c, const struct plot *p)
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
			page_text(c, p->x0, p->bbottom + 2, 40, FONT " 7.5", label, false,
				  PANGO_ALIGN_LEFT, false);
		else
			page_text(c, MIN(x - 20, p->x1 - 36), p->bbottom + 2, 40, FONT " 7.5",
				  label, false,
				  x - 20 > p->x1 - 36 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_CENTER,
				  false);
	}
	page_text(c, p->x0, p->bbottom + 11, p->x1 - p->x0, FONT " 7.5",
		  "time since the session started", false, PANGO_ALIGN_CENTER, false);
}

static void draw_depth_axis(struct report_page *c, const struct plot *p)
{
	double step = p->max_um > 2000 ? 500 : p->max_um > 800 ? 250 : 100;

	cairo_set_line_width(c->cr, 0.4);
	for (double um = 0; um <= p->max_um; um += step) {
		g_autofree char *label = penctl_format_depth((uint32_t)um);
		double y = plot_y(p, um);

		cairo_set_source_rgb(c->cr, 0.88, 0.88, 0.88);
		cairo_move_to(c->cr, p->x0, y);
		cairo_line_to(c->cr, p->x1, y);
		cairo_stroke(c->cr);
		cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
		page_text(c, p->x0 - 44, y - 4.5, 41, FONT " 7.5", label, false, PANGO_ALIGN_RIGHT,
			  false);
	}
}

static void draw_bands(struct report_page *c, const struct plot *p)
{
	GArray *bands = c->report->bands;

	clip_to_panel(c, p);
	page_set_rgb(c->cr, REPORT_RGB_BAND);
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
static void draw_steps(struct report_page *c, const struct plot *p, bool limit)
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
		page_set_rgb(c->cr, REPORT_RGB_LIMIT);
		cairo_set_line_width(c->cr, 1.8);
	} else {
		page_set_rgb(c->cr, REPORT_RGB_DEPTH);
		cairo_set_line_width(c->cr, 1.3);
	}
	cairo_stroke(c->cr);
	cairo_restore(c->cr);
}

static void draw_advisory_line(struct report_page *c, const struct plot *p)
{
	const double dash[] = { 4, 3 };
	g_autofree char *depth = NULL;
	g_autofree char *label = NULL;

	if (!c->report->advisory_um)
		return;
	depth = penctl_format_depth(c->report->advisory_um);
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
		double w = page_text_width(c, FONT " 7.5", label);
		double y = plot_y(p, c->report->advisory_um) - 11;

		cairo_set_source_rgba(c->cr, 1, 1, 1, 0.85);
		cairo_rectangle(c->cr, p->x1 - 2 - w - 2, y, w + 3, 9.5);
		cairo_fill(c->cr);
		cairo_set_source_rgb(c->cr, 0.75, 0.42, 0.0);
		page_text(c, p->x1 - 200, y, 198, FONT " 7.5", label, false, PANGO_ALIGN_RIGHT,
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
static void draw_marks(struct report_page *c, const struct plot *p)
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
			double w = page_text_width(c, FONT " 7", text);

			/* A stop and the fault that caused it say the same: once. */
			if (g_strcmp0(text, last_label) == 0 && x - last_label_x < 3)
				continue;
			last_label = text;
			last_label_x = x;

			for (int row = 0; row < LABEL_ROWS; row++) {
				double lx = MIN(x - 1, p->x1 - w);
				double y = p->top - (LABEL_ROWS - row) * LABEL_ROW_H - 1;

				if (lx < row_end[row] + 3)
					continue;
				cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
				page_text(c, lx, y, w + 2, FONT " 7", text, false, PANGO_ALIGN_LEFT,
					  false);
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

static void draw_budgets(struct report_page *c, const struct plot *p)
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
	page_text(c, p->x0 - 44, p->btop, 41, FONT " 7.5", "100 %", false, PANGO_ALIGN_RIGHT,
		  false);
	page_text(c, p->x0 - 44, p->bbottom - 8, 41, FONT " 7.5", "0 %", false,
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
		needling_text = g_strdup_printf("needling %s of %s", needling_used,
						needling_budget);
	} else {
		needling_text = g_strdup_printf("needling %s (budget not recorded)", needling_used);
	}
	cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
	page_text(c, p->x0 + 4, p->btop + 2, 240, FONT " 7.5", wall_text, false, PANGO_ALIGN_LEFT,
		  false);
	cairo_set_source_rgb(c->cr, 0.18, 0.49, 0.2);
	page_text(c, p->x0 + 4, p->btop + 13, 240, FONT " 7.5", needling_text, false,
		  PANGO_ALIGN_LEFT, false);
}

/* One legend entry at *X, on a new row (*Y) when this one is full. */
static void legend_item(struct report_page *c, double *x, double *y, unsigned rgb,
			int shape, const char *text)
{
	double w = 15 + page_text_width(c, FONT " 7.5", text);

	if (*x + w > PAGE_W - MARGIN) {
		*x = MARGIN + 46;
		*y += 11;
	}
	page_set_rgb(c->cr, rgb);
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
	page_text(c, *x + 15, *y - 1, w, FONT " 7.5", text, false, PANGO_ALIGN_LEFT, false);
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

static void frame(struct report_page *c, const struct plot *p)
{
	cairo_set_source_rgb(c->cr, 0.5, 0.5, 0.5);
	cairo_set_line_width(c->cr, 0.6);
	cairo_rectangle(c->cr, p->x0, p->top, p->x1 - p->x0, p->bottom - p->top);
	if (p->bbottom > p->bottom)
		cairo_rectangle(c->cr, p->x0, p->btop, p->x1 - p->x0, p->bbottom - p->btop);
	cairo_stroke(c->cr);
}

/* The depth panel of P: what the overview and the strips share. */
static void draw_depth_panel(struct report_page *c, const struct plot *p)
{
	draw_bands(c, p);
	draw_time_axis(c, p);
	draw_depth_axis(c, p);
	draw_advisory_line(c, p);
	draw_steps(c, p, true);
	draw_steps(c, p, false);
}

void report_plot_overview(struct report_page *c)
{
	const struct penctl_report *r = c->report;
	struct plot p = {
		.x0 = MARGIN + 46,
		.x1 = PAGE_W - MARGIN - 4,
		.span_ms = MAX((double)r->duration_ms, 1000.0),
		.max_um = depth_scale_um(r),
	};
	double x;

	page_text(c, MARGIN, c->y, 300, FONT " Bold 12", "Timeline", false, PANGO_ALIGN_LEFT,
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
bool report_plot_details(struct report_page *c)
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
	if (!page_need(c, 18 + strip_h))
		return false;
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	page_text(c, MARGIN, c->y, 400, FONT " Bold 12", "Timeline in detail", false,
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

		if (!page_need(c, strip_h))
			return false;
		cairo_set_source_rgb(c->cr, 0.2, 0.2, 0.2);
		page_text(c, MARGIN, c->y, 200, FONT " Bold 8.5", caption, false, PANGO_ALIGN_LEFT,
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
