/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Journal records -> report model.  The records are kept until finish()
 * because journalctl may hand them over in any order (--reverse, several
 * --file); they are put in time order first.
 */
#include <inttypes.h>
#include <string.h>

#include <gio/gio.h>

#include "penctl_report_model.h"

struct penctl_report_builder {
	char *session;
	GPtrArray *records;   /* GHashTable *, refs */
};

struct penctl_report_builder *penctl_report_builder_new(const char *session)
{
	struct penctl_report_builder *builder = g_new0(struct penctl_report_builder, 1);

	builder->session = g_strdup(session);
	builder->records = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
	return builder;
}

void penctl_report_builder_free(struct penctl_report_builder *builder)
{
	if (!builder)
		return;
	g_free(builder->session);
	g_ptr_array_unref(builder->records);
	g_free(builder);
}

void penctl_report_builder_add(GHashTable *fields, void *user_data)
{
	struct penctl_report_builder *builder = user_data;

	/* journalctl matched on the session already; a journal file or a
	 * journalctl that ignores matches must not mix sessions. */
	if (g_strcmp0(g_hash_table_lookup(fields, "PENCTL_SESSION"), builder->session) != 0)
		return;
	g_ptr_array_add(builder->records, g_hash_table_ref(fields));
}

static void free_event(struct report_event *event)
{
	g_free(event->event);
	g_free(event->reason);
	g_free(event->message);
	g_free(event);
}

static void free_count(struct report_count *count)
{
	g_free(count->reason);
	g_free(count);
}

void penctl_report_free(struct penctl_report *r)
{
	if (!r)
		return;
	g_free(r->session);
	g_free(r->hostname);
	g_free(r->operator_name);
	g_free(r->role);
	g_free(r->area);
	g_free(r->client_ref);
	g_free(r->pen);
	g_free(r->pen_model);
	g_free(r->pen_firmware);
	g_free(r->contraindications);
	g_ptr_array_unref(r->cartridges);
	g_array_unref(r->points);
	g_array_unref(r->bands);
	g_ptr_array_unref(r->events);
	g_ptr_array_unref(r->stops);
	g_free(r);
}

bool penctl_report_stop_is_normal(const char *reason)
{
	return g_strcmp0(reason, "pedal-released") == 0 ||
	       g_strcmp0(reason, "pedal-latched-off") == 0 ||
	       g_strcmp0(reason, "session-stopped") == 0;
}

char *penctl_report_format_duration(int64_t ms)
{
	int64_t s = ms > 0 ? ms / 1000 : 0;

	if (s >= 3600)
		return g_strdup_printf("%" PRId64 ":%02d:%02d", s / 3600, (int)(s / 60 % 60),
				       (int)(s % 60));
	return g_strdup_printf("%" PRId64 ":%02d", s / 60, (int)(s % 60));
}

/* ---- fields ---- */

static const char *text_of(GHashTable *fields, const char *key)
{
	const char *value = g_hash_table_lookup(fields, key);

	return value ? value : "";
}

/* A number field; false when absent or not a number (a record from a
 * newer or broken writer is read as far as it makes sense). */
static bool number_of(GHashTable *fields, const char *key, uint64_t *out)
{
	const char *value = g_hash_table_lookup(fields, key);
	guint64 number;

	if (!value || !g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, &number, NULL))
		return false;
	*out = number;
	return true;
}

static uint64_t number_or_zero(GHashTable *fields, const char *key)
{
	uint64_t number = 0;

	return number_of(fields, key, &number) ? number : 0;
}

static int64_t realtime_of(GHashTable *fields)
{
	return (int64_t)number_or_zero(fields, "__REALTIME_TIMESTAMP");
}

static int compare_time(gconstpointer a, gconstpointer b)
{
	int64_t ta = realtime_of(*(GHashTable *const *)a);
	int64_t tb = realtime_of(*(GHashTable *const *)b);

	return ta < tb ? -1 : ta > tb;
}

static bool is_event(GHashTable *fields, const char *event)
{
	return g_strcmp0(g_hash_table_lookup(fields, "PENCTL_EVENT"), event) == 0;
}

/* ---- building ---- */

static void take_text(char **slot, GHashTable *fields, const char *key)
{
	const char *value = g_hash_table_lookup(fields, key);

	if ((!*slot || !(*slot)[0]) && value && value[0]) {
		g_free(*slot);
		*slot = g_strdup(value);
	}
}

static void add_cartridge(struct penctl_report *r, const char *id)
{
	if (!id || !id[0])
		return;
	for (guint i = 0; i < r->cartridges->len; i++)
		if (g_str_equal(g_ptr_array_index(r->cartridges, i), id))
			return;
	g_ptr_array_add(r->cartridges, g_strdup(id));
}

static void count_stop(GPtrArray *stops, const char *reason, unsigned n)
{
	struct report_count *count;

	for (guint i = 0; i < stops->len; i++) {
		count = g_ptr_array_index(stops, i);
		if (g_str_equal(count->reason, reason)) {
			count->count += n;
			return;
		}
	}
	count = g_new0(struct report_count, 1);
	count->reason = g_strdup(reason);
	count->count = n;
	g_ptr_array_add(stops, count);
}

/* "pedal-released=4 needling-budget=1" (session-end's PENCTL_STOPS) */
static GPtrArray *parse_stops(const char *text)
{
	GPtrArray *stops = g_ptr_array_new_with_free_func((GDestroyNotify)free_count);
	g_auto(GStrv) items = g_strsplit(text, " ", -1);

	for (guint i = 0; items[i]; i++) {
		char *equals = strchr(items[i], '=');
		guint64 n;

		if (!equals || equals == items[i])
			continue;
		*equals = '\0';
		if (g_ascii_string_to_unsigned(equals + 1, 10, 0, G_MAXUINT, &n, NULL))
			count_stop(stops, items[i], (unsigned)n);
	}
	return stops;
}

static enum report_mark mark_of(const char *event, const char *reason)
{
	if (g_str_equal(event, "motor-stop"))
		return penctl_report_stop_is_normal(reason) ? REPORT_MARK_STOP
							    : REPORT_MARK_FORCED_STOP;
	if (g_str_has_suffix(event, "-refused"))
		return REPORT_MARK_REFUSAL;
	if (g_str_equal(event, "limit-warning"))
		return REPORT_MARK_WARNING;
	if (g_str_equal(event, "limit-reached"))
		return REPORT_MARK_LIMIT_REACHED;
	if (g_str_equal(event, "advisory"))
		return REPORT_MARK_ADVISORY;
	if (g_str_equal(event, "fault") || g_str_equal(event, "pedal-lost") ||
	    g_str_equal(event, "pen-disconnected") || g_str_equal(event, "pen-incompatible") ||
	    g_str_equal(event, "session-interrupted"))
		return REPORT_MARK_FAULT;
	return REPORT_MARK_NOTE;
}

/* Records whose depth is the depth in use and whose limit the effective
 * limit (an advisory's limit is its threshold, a refused depth was never
 * set). */
static bool carries_current_depth(const char *event)
{
	static const char *const events[] = { "session-start", "depth-set", "motor-start",
					       "motor-stop", "motor-refused", "config-reloaded" };

	for (gsize i = 0; i < G_N_ELEMENTS(events); i++)
		if (g_str_equal(event, events[i]))
			return true;
	return false;
}

static void add_point(struct penctl_report *r, int64_t t_ms, GHashTable *fields)
{
	struct report_point point = { .t_ms = t_ms };
	uint64_t depth = 0, limit = 0;
	bool has_depth = number_of(fields, "PENCTL_DEPTH_UM", &depth) && depth > 0;
	bool has_limit = number_of(fields, "PENCTL_LIMIT_UM", &limit) && limit > 0;

	if (!has_depth && !has_limit)
		return;
	if (r->points->len) {
		const struct report_point *last =
			&g_array_index(r->points, struct report_point, r->points->len - 1);

		point.depth_um = last->depth_um;
		point.limit_um = last->limit_um;
	}
	if (has_depth)
		point.depth_um = (uint32_t)MIN(depth, G_MAXUINT32);
	if (has_limit)
		point.limit_um = (uint32_t)MIN(limit, G_MAXUINT32);
	if (r->points->len) {
		struct report_point *last =
			&g_array_index(r->points, struct report_point, r->points->len - 1);

		if (last->depth_um == point.depth_um && last->limit_um == point.limit_um)
			return;
		if (last->t_ms == t_ms) {
			*last = point;
			return;
		}
	}
	g_array_append_val(r->points, point);
}

struct band_state {
	bool on;
	int64_t since_ms;
	uint32_t deepest_run_um;
};

static void close_band(struct penctl_report *r, struct band_state *band, int64_t t_ms)
{
	struct report_band b = { .start_ms = band->since_ms, .end_ms = t_ms };

	if (!band->on)
		return;
	band->on = false;
	g_array_append_val(r->bands, b);
}

static void add_event(struct penctl_report *r, int64_t t_ms, GHashTable *fields)
{
	struct report_event *event = g_new0(struct report_event, 1);

	event->t_ms = t_ms;
	event->event = g_strdup(text_of(fields, "PENCTL_EVENT"));
	event->reason = g_strdup(text_of(fields, "PENCTL_REASON"));
	event->depth_um = (uint32_t)MIN(number_or_zero(fields, "PENCTL_DEPTH_UM"), G_MAXUINT32);
	event->message = g_strdup(text_of(fields, "MESSAGE"));
	event->mark = mark_of(event->event, event->reason);
	if (event->mark == REPORT_MARK_REFUSAL)
		r->refusals++;
	if (event->mark == REPORT_MARK_FORCED_STOP)
		r->forced_stops++;
	g_ptr_array_add(r->events, event);
}

/* The budgets and the advisory threshold as the records give them: a
 * warning, a limit reached, a stop or an advisory name one each; fields
 * that say them outright (PENCTL_WALL_BUDGET_MS, PENCTL_NEEDLING_BUDGET_MS,
 * PENCTL_ANESTHETIC_UM), when a record carries them, say them for a
 * session without any warning or advisory too. */
static void take_budget(struct penctl_report *r, GHashTable *fields, const char *event,
			const char *reason)
{
	uint64_t budget;

	if (number_of(fields, "PENCTL_WALL_BUDGET_MS", &budget) && budget > 0)
		r->wall_budget_ms = (int64_t)budget;
	if (number_of(fields, "PENCTL_NEEDLING_BUDGET_MS", &budget) && budget > 0)
		r->needling_budget_ms = (int64_t)budget;
	if (number_of(fields, "PENCTL_ANESTHETIC_UM", &budget) && budget > 0 && !r->advisory_um)
		r->advisory_um = (uint32_t)MIN(budget, G_MAXUINT32);

	if (!number_of(fields, "PENCTL_BUDGET_MS", &budget) || budget == 0)
		return;
	if (g_str_equal(reason, "wall-budget") &&
	    (g_str_equal(event, "limit-warning") || g_str_equal(event, "limit-reached")))
		r->wall_budget_ms = (int64_t)budget;
	else if (g_str_equal(reason, "needling-budget") || g_str_equal(event, "motor-stop") ||
		 g_str_equal(event, "session-end"))
		r->needling_budget_ms = (int64_t)budget;
}

/* Records of one session from two chairs: two machines gave the same id
 * (a clinic server's journal holds every chair's). */
static bool one_chair(GPtrArray *records, const char *session, char **hostname, GError **error)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();

	for (guint i = 0; i < records->len; i++) {
		const char *name = g_hash_table_lookup(g_ptr_array_index(records, i), "_HOSTNAME");

		if (name && !g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
			g_ptr_array_add(names, (gpointer)name);
	}
	if (names->len > 1) {
		g_ptr_array_add(names, NULL);
		g_autofree char *list = g_strjoinv(", ", (char **)names->pdata);

		g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
			    "session %s has records from more than one chair (%s): name one "
			    "with --chair",
			    session, list);
		return false;
	}
	*hostname = g_strdup(names->len ? g_ptr_array_index(names, 0) : "");
	return true;
}

static struct penctl_report *report_new(const char *session)
{
	struct penctl_report *r = g_new0(struct penctl_report, 1);

	r->session = g_strdup(session);
	r->cartridges = g_ptr_array_new_with_free_func(g_free);
	r->points = g_array_new(FALSE, FALSE, sizeof(struct report_point));
	r->bands = g_array_new(FALSE, FALSE, sizeof(struct report_band));
	r->events = g_ptr_array_new_with_free_func((GDestroyNotify)free_event);
	r->stops = g_ptr_array_new_with_free_func((GDestroyNotify)free_count);
	r->strokes = -1;
	return r;
}

static void take_summary(struct penctl_report *r, GHashTable *fields)
{
	uint64_t n;
	const char *stops = g_hash_table_lookup(fields, "PENCTL_STOPS");
	const char *cartridges = g_hash_table_lookup(fields, "PENCTL_CARTRIDGES");

	if (number_of(fields, "PENCTL_WALL_MS", &n))
		r->wall_ms = (int64_t)n;
	if (number_of(fields, "PENCTL_NEEDLING_MS", &n))
		r->needling_ms = (int64_t)n;
	if (number_of(fields, "PENCTL_MAX_DEPTH_UM", &n))
		r->max_depth_um = (uint32_t)MIN(n, G_MAXUINT32);
	if (number_of(fields, "PENCTL_STROKES", &n))
		r->strokes = (int64_t)n;
	if (stops) {
		g_ptr_array_unref(r->stops);
		r->stops = parse_stops(stops);
	}
	if (cartridges) {
		g_auto(GStrv) ids = g_strsplit(cartridges, " ", -1);

		for (guint i = 0; ids[i]; i++)
			add_cartridge(r, ids[i]);
	}
}

struct penctl_report *penctl_report_builder_finish(struct penctl_report_builder *builder,
						   GError **error)
{
	g_autoptr(penctl_report) r = NULL;
	GPtrArray *records = builder->records;
	struct band_state band = { 0 };
	int64_t start_us, last_ms = 0;
	bool summarised = false;
	int64_t counted_needling = 0;

	if (records->len == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "the journal holds no record of session %s", builder->session);
		return NULL;
	}
	g_ptr_array_sort(records, compare_time);
	r = report_new(builder->session);
	if (!one_chair(records, builder->session, &r->hostname, error))
		return NULL;

	/* The session starts at its session-start record, else at its first. */
	start_us = realtime_of(g_ptr_array_index(records, 0));
	for (guint i = 0; i < records->len; i++) {
		GHashTable *fields = g_ptr_array_index(records, i);

		if (is_event(fields, "session-start")) {
			start_us = realtime_of(fields);
			take_text(&r->contraindications, fields, "PENCTL_CONTRAINDICATIONS");
			break;
		}
	}
	r->start_realtime_us = start_us;
	if (!r->contraindications)
		r->contraindications = g_strdup("");

	for (guint i = 0; i < records->len; i++) {
		GHashTable *fields = g_ptr_array_index(records, i);
		const char *event = text_of(fields, "PENCTL_EVENT");
		const char *reason = text_of(fields, "PENCTL_REASON");
		int64_t t_ms = MAX(realtime_of(fields) - start_us, 0) / 1000;
		uint64_t n;

		last_ms = MAX(last_ms, t_ms);
		take_text(&r->operator_name, fields, "PENCTL_OPERATOR");
		take_text(&r->role, fields, "PENCTL_ROLE");
		take_text(&r->area, fields, "PENCTL_AREA");
		take_text(&r->client_ref, fields, "PENCTL_CLIENT_REF");
		take_text(&r->pen, fields, "PENCTL_PEN");
		take_text(&r->pen_model, fields, "PENCTL_PEN_MODEL");
		take_text(&r->pen_firmware, fields, "PENCTL_PEN_FIRMWARE");
		add_cartridge(r, g_hash_table_lookup(fields, "PENCTL_CARTRIDGE"));
		if (carries_current_depth(event))
			add_point(r, t_ms, fields);
		take_budget(r, fields, event, reason);

		if (g_str_equal(event, "motor-start")) {
			if (!band.on) {
				band.on = true;
				band.since_ms = t_ms;
			}
			if (number_of(fields, "PENCTL_DEPTH_UM", &n))
				band.deepest_run_um = MAX(band.deepest_run_um, (uint32_t)n);
			/* The bands show the starts; the list keeps to what happened to them. */
			continue;
		}
		if (g_str_equal(event, "motor-stop")) {
			if (band.on)
				counted_needling += t_ms - band.since_ms;
			close_band(r, &band, t_ms);
			count_stop(r->stops, reason[0] ? reason : "unknown", 1);
		}
		if (g_str_equal(event, "advisory") && g_str_equal(reason, "above-anesthetic")) {
			r->above_advisory = true;
			if (number_of(fields, "PENCTL_LIMIT_UM", &n))
				r->advisory_um = (uint32_t)MIN(n, G_MAXUINT32);
		}
		if (g_str_equal(event, "session-end")) {
			if (band.on)
				counted_needling += t_ms - band.since_ms;
			close_band(r, &band, t_ms);
			r->ended = true;
			take_summary(r, fields);
			summarised = true;
		}
		if (g_str_equal(event, "session-interrupted")) {
			r->interrupted = true;
			take_summary(r, fields);
		}
		add_event(r, t_ms, fields);
	}
	r->duration_ms = last_ms;
	if (band.on)
		counted_needling += last_ms - band.since_ms;
	close_band(r, &band, last_ms);
	if (!summarised) {
		/* No session-end (open, or cut short): what the records show. */
		r->wall_ms = last_ms;
		r->needling_ms = MAX(r->needling_ms, counted_needling);
		r->max_depth_um = MAX(r->max_depth_um, band.deepest_run_um);
	}
	if (!r->operator_name)
		r->operator_name = g_strdup("");
	if (!r->role)
		r->role = g_strdup("");
	if (!r->area)
		r->area = g_strdup("");
	if (!r->client_ref)
		r->client_ref = g_strdup("");
	if (!r->pen)
		r->pen = g_strdup("");
	if (!r->pen_model)
		r->pen_model = g_strdup("");
	if (!r->pen_firmware)
		r->pen_firmware = g_strdup("");
	return g_steal_pointer(&r);
}
