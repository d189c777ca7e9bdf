/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl's human-readable output.
 */
#include <inttypes.h>

#include "penctl/config.h"
#include "penctl/dbus_names.h"

#include "penctl_format.h"

void penctl_format_mmss(uint64_t ms, char out[PENCTL_MMSS_STRLEN])
{
	uint64_t seconds = ms / 1000u;

	g_snprintf(out, PENCTL_MMSS_STRLEN, "%02" PRIu64 ":%02" PRIu64, seconds / 60u,
		   seconds % 60u);
}

char *penctl_format_depth(uint32_t depth_um)
{
	char mm[16];

	penctl_format_depth_mm(depth_um, mm);
	return g_strdup_printf("%s mm", mm);
}

/* Typed lookups that tolerate a missing or mistyped entry (an older or
 * newer daemon): the default instead. */
static const char *get_string(GVariant *dict, const char *key)
{
	const char *value = NULL;

	if (!g_variant_lookup(dict, key, "&s", &value))
		return "";
	return value;
}

uint64_t penctl_variant_uint(GVariant *value)
{
	if (!value)
		return 0;
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
		return g_variant_get_uint64(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32))
		return g_variant_get_uint32(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT16))
		return g_variant_get_uint16(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_BYTE))
		return g_variant_get_byte(value);
	return 0;
}

static uint64_t get_uint(GVariant *dict, const char *key)
{
	g_autoptr(GVariant) value = g_variant_lookup_value(dict, key, NULL);

	return penctl_variant_uint(value);
}

static bool get_bool(GVariant *dict, const char *key)
{
	gboolean value = FALSE;

	if (!g_variant_lookup(dict, key, "b", &value))
		return false;
	return value;
}

static char *join_strv(GVariant *dict, const char *key, const char *separator,
		       const char *if_empty)
{
	g_autoptr(GVariant) value = g_variant_lookup_value(dict, key, G_VARIANT_TYPE_STRING_ARRAY);
	g_autofree const char **items = NULL;

	if (!value || g_variant_n_children(value) == 0)
		return g_strdup(if_empty);
	items = g_variant_get_strv(value, NULL);
	return g_strjoinv(separator, (char **)items);
}

static void append_pen(GString *out, GVariant *p)
{
	const char *address = get_string(p, "PenAddress");
	uint64_t battery = get_uint(p, "Battery");
	const char *cartridge = get_string(p, "Cartridge");

	g_string_append(out, "Pen:       ");
	if (!address[0]) {
		g_string_append(out, "none paired (penctl scan, then penctl pair)\n");
		return;
	}
	g_string_append_printf(out, "%s, %s", address,
			       get_bool(p, "PenConnected") ? "connected" : "not connected");
	if (get_bool(p, "PenConnected") && !get_bool(p, "PenCompatible")) {
		const char *why = get_string(p, "PenIncompatibility");

		g_string_append(out, " but incompatible");
		if (why[0])
			g_string_append_printf(out, " (%s)", why);
	}
	if (battery <= 100)
		g_string_append_printf(out, ", battery %" PRIu64 " %%", battery);
	if (cartridge[0])
		g_string_append_printf(out, ", cartridge %s", cartridge);
	else if (get_bool(p, "PenConnected"))
		g_string_append(out, ", no cartridge");
	g_string_append_c(out, '\n');
}

static void append_time(GString *out, const char *label, uint64_t used_ms, uint64_t left_ms)
{
	char used[PENCTL_MMSS_STRLEN], left[PENCTL_MMSS_STRLEN];

	penctl_format_mmss(used_ms, used);
	penctl_format_mmss(left_ms, left);
	g_string_append_printf(out, "%s%s used, %s left\n", label, used, left);
}

/* The daemon's conditions (the Conditions property), root causes first:
 * what it means and what to do.  A config rejection has its own lines. */
static void append_conditions(GString *out, GVariant *p)
{
	g_autoptr(GVariant) conditions = g_variant_lookup_value(p, "Conditions",
								G_VARIANT_TYPE("a(sss)"));
	const char *name, *meaning, *fix;
	GVariantIter iter;

	if (!conditions)
		return;
	g_variant_iter_init(&iter, conditions);
	while (g_variant_iter_next(&iter, "(&s&s&s)", &name, &meaning, &fix)) {
		if (g_str_equal(name, "config-rejected"))
			continue;
		g_string_append_printf(out, "Not ready: %s\n           %s\n", meaning, fix);
	}
}

char *penctl_format_status(GVariant *p)
{
	GString *out = g_string_new(NULL);
	const char *session = get_string(p, "SessionId");
	g_autofree char *faults = join_strv(p, "Faults", ", ", "none");

	g_string_append_printf(out, "State:     %s%s\n", get_string(p, "State"),
			       get_bool(p, "MotorOn") ? " (motor on)" : " (motor off)");
	append_pen(out, p);
	g_string_append_printf(out, "Pedal:     %s\n", get_string(p, "Pedal"));
	if (!session[0]) {
		g_string_append(out, "Session:   none (penctl session start ...)\n");
	} else {
		g_autofree char *depth = penctl_format_depth((uint32_t)get_uint(p, "DepthUm"));
		g_autofree char *limit = penctl_format_depth((uint32_t)get_uint(p, "LimitUm"));
		g_autofree char *measured =
			penctl_format_depth((uint32_t)get_uint(p, "MeasuredDepthUm"));
		const char *client = get_string(p, "ClientRef");

		g_string_append_printf(out, "Session:   %s, operator %s, role %s, area %s", session,
				       get_string(p, "Operator"), get_string(p, "Role"),
				       get_string(p, "Area"));
		if (client[0])
			g_string_append_printf(out, ", client %s", client);
		g_string_append_c(out, '\n');
		g_string_append_printf(out, "Depth:     %s (limit %s, measured %s)\n", depth, limit,
				       measured);
		if (get_uint(p, "Speed"))
			g_string_append_printf(out, "Speed:     %" PRIu64 " strokes/s\n",
					       get_uint(p, "Speed"));
		else /* the pen runs at the speed it has until one is set */
			g_string_append(out, "Speed:     the pen's own (penctl speed N sets one)\n");
		append_time(out, "Wall:      ", get_uint(p, "WallUsedMs"),
			    get_uint(p, "WallRemainingMs"));
		append_time(out, "Needling:  ", get_uint(p, "NeedlingUsedMs"),
			    get_uint(p, "NeedlingRemainingMs"));
	}
	g_string_append_printf(out, "Faults:    %s\n", faults);
	/* What a person must do something about comes last, with what to do. */
	append_conditions(out, p);
	if (get_string(p, "ConfigProblem")[0])
		g_string_append_printf(out,
				       "Config:    the file was REJECTED at the last reload; the "
				       "previous configuration is in force: %s\n"
				       "           fix the file, then: systemctl reload penctld\n",
				       get_string(p, "ConfigProblem"));
	if (get_bool(p, "UsedListUntrusted"))
		g_string_append(out,
				"Used list: DAMAGED: penctld cannot tell which cartridges were "
				"used, so new sessions are refused\n"
				"           put every opened cartridge aside, then: "
				"penctl state acknowledge\n");
	return g_string_free(out, FALSE);
}

char *penctl_format_summary(GVariant *s)
{
	GString *out = g_string_new(NULL);
	char wall[PENCTL_MMSS_STRLEN], needling[PENCTL_MMSS_STRLEN];
	g_autofree char *depth =
		penctl_format_depth((uint32_t)get_uint(s, PENCTL_SUMMARY_MAX_DEPTH_UM));
	g_autofree char *cartridges = join_strv(s, PENCTL_SUMMARY_CARTRIDGES, ", ", "none");
	g_autoptr(GVariant) stops =
		g_variant_lookup_value(s, PENCTL_SUMMARY_STOPS, G_VARIANT_TYPE("a{su}"));

	penctl_format_mmss(get_uint(s, PENCTL_SUMMARY_WALL_MS), wall);
	penctl_format_mmss(get_uint(s, PENCTL_SUMMARY_NEEDLING_MS), needling);
	g_string_append_printf(out, "Session %s ended.\n", get_string(s, PENCTL_SUMMARY_SESSION_ID));
	g_string_append_printf(out, "  Wall time:      %s\n", wall);
	g_string_append_printf(out, "  Needling time:  %s\n", needling);
	g_string_append_printf(out, "  Deepest:        %s\n", depth);
	g_string_append_printf(out, "  Strokes:        %" PRIu64 "\n",
			       get_uint(s, PENCTL_SUMMARY_STROKES));
	g_string_append_printf(out, "  Cartridges:     %s\n", cartridges);
	g_string_append(out, "  Motor stops:    ");
	if (!stops || g_variant_n_children(stops) == 0) {
		g_string_append(out, "none");
	} else {
		GVariantIter iter;
		const char *reason;
		guint32 count;
		bool first = true;

		g_variant_iter_init(&iter, stops);
		while (g_variant_iter_next(&iter, "{&su}", &reason, &count)) {
			g_string_append_printf(out, "%s%s %u", first ? "" : ", ", reason, count);
			first = false;
		}
	}
	g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}

const char *penctl_aftercare_reminder(void)
{
	return "After-care: apply sunscreen every day, and no make-up for 24 hours.";
}

char *penctl_format_anesthetic_advisory(GVariant *s)
{
	g_autofree char *threshold = NULL;

	if (!get_bool(s, PENCTL_SUMMARY_ABOVE_ANESTHETIC))
		return NULL;
	threshold = penctl_format_depth((uint32_t)get_uint(s, PENCTL_SUMMARY_ANESTHETIC_UM));
	return g_strdup_printf("Advisory: this session went deeper than %s. Above %s an "
			       "anesthetic ointment may be advisable, and treatment at this "
			       "depth belongs to a physiotherapist or aesthetician.",
			       threshold, threshold);
}

/* A budget in minutes as configured ("0.5"), from the exact milliseconds;
 * from the whole minutes of an older daemon that has no MS_KEY. */
static void append_budget_minutes(char out[16], GVariant *p, const char *ms_key,
				  const char *minutes_key)
{
	g_autoptr(GVariant) ms = g_variant_lookup_value(p, ms_key, G_VARIANT_TYPE_UINT64);

	if (ms && g_variant_get_uint64(ms) <= G_MAXUINT32)
		penctl_format_minutes((uint32_t)g_variant_get_uint64(ms), out);
	else
		g_snprintf(out, 16, "%" PRIu64, get_uint(p, minutes_key));
}

char *penctl_format_limits(GVariant *p)
{
	GString *out = g_string_new(NULL);
	g_autoptr(GVariant) limits = g_variant_lookup_value(p, "Limits", G_VARIANT_TYPE("a(ssu)"));
	g_autofree char *advisory =
		penctl_format_depth((uint32_t)get_uint(p, "AnestheticAdvisoryUm"));
	GVariantIter iter;
	const char *role, *area;
	guint32 um;
	char wall[16], needling[16];

	g_string_append_printf(out, "%-16s %-16s %s\n", "ROLE", "AREA", "MAX DEPTH");
	if (limits) {
		g_variant_iter_init(&iter, limits);
		while (g_variant_iter_next(&iter, "(&s&su)", &role, &area, &um)) {
			g_autofree char *depth = penctl_format_depth(um);

			g_string_append_printf(out, "%-16s %-16s %s\n", role, area, depth);
		}
	}
	append_budget_minutes(wall, p, "MaxWallMs", "MaxMinutes");
	append_budget_minutes(needling, p, "MaxNeedlingMs", "MaxNeedlingMinutes");
	g_string_append_printf(out, "Session time: %s min wall, %s min needling.\n", wall,
			       needling);
	g_string_append_printf(out, "Anesthetic advisory above %s.\n", advisory);
	return g_string_free(out, FALSE);
}

char *penctl_format_pens(GVariant *pens)
{
	GString *out = g_string_new(NULL);
	GVariantIter iter;
	const char *address, *name;
	gint16 rssi;

	if (g_variant_n_children(pens) == 0)
		return g_strdup("No pen found. Is it switched on and near?\n");
	g_string_append_printf(out, "%-17s  %5s  %s\n", "ADDRESS", "RSSI", "NAME");
	g_variant_iter_init(&iter, pens);
	while (g_variant_iter_next(&iter, "(&s&sn)", &address, &name, &rssi))
		g_string_append_printf(out, "%-17s  %5d  %s\n", address, rssi,
				       name[0] ? name : "(no name)");
	return g_string_free(out, FALSE);
}

/* __REALTIME_TIMESTAMP (microseconds since the epoch) as local time. */
static char *format_timestamp(const char *realtime)
{
	g_autoptr(GDateTime) time = NULL;
	guint64 us;

	if (!realtime || !g_ascii_string_to_unsigned(realtime, 10, 0, G_MAXINT64, &us, NULL))
		return g_strdup("(unknown time)     ");
	time = g_date_time_new_from_unix_local((gint64)(us / G_USEC_PER_SEC));
	if (!time)
		return g_strdup("(unknown time)     ");
	return g_date_time_format(time, "%Y-%m-%d %H:%M:%S");
}

char *penctl_format_log_entry(GHashTable *fields)
{
	g_autofree char *when = format_timestamp(g_hash_table_lookup(fields, "__REALTIME_TIMESTAMP"));
	const char *event = g_hash_table_lookup(fields, "PENCTL_EVENT");
	const char *reason = g_hash_table_lookup(fields, "PENCTL_REASON");
	const char *depth_text = g_hash_table_lookup(fields, "PENCTL_DEPTH_UM");
	const char *message = g_hash_table_lookup(fields, "MESSAGE");
	g_autofree char *depth = NULL;
	guint64 depth_um;

	if (depth_text && g_ascii_string_to_unsigned(depth_text, 10, 0, G_MAXUINT32, &depth_um,
						     NULL))
		depth = penctl_format_depth((uint32_t)depth_um);
	return g_strdup_printf("%s  %-18s %-20s %9s  %s", when, event ? event : "-",
			       reason ? reason : "", depth ? depth : "", message ? message : "");
}
