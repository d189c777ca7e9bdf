/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Properties, summary and session id of io.penctld.Penctl1 (pure).
 */
#include <string.h>

#include "penctl/control_properties.h"
#include "penctl/dbus_names.h"
#include "penctl/pen_protocol.h"

static const char *nonnull(const char *text)
{
	return text ? text : "";
}

const char *control_pedal_state(const struct engine_snapshot *snapshot)
{
	if (!snapshot->pedal_known)
		return "unknown";
	if (snapshot->pedal_latched)
		return "latched";
	if (snapshot->pedal_down && !snapshot->pedal_armed)
		return "held-not-armed";
	return snapshot->pedal_down ? "down" : "up";
}

uint64_t control_used_ms(int64_t used_us)
{
	if (used_us <= 0)
		return 0;
	return (uint64_t)(used_us / G_USEC_PER_SEC) * 1000u;
}

uint64_t control_remaining_ms(int64_t used_us, int64_t budget_us)
{
	uint64_t used = control_used_ms(used_us);
	uint64_t budget = budget_us > 0 ? (uint64_t)budget_us / 1000u : 0;

	return budget > used ? budget - used : 0;
}

static GVariant *faults_variant(const struct engine_snapshot *snapshot)
{
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_STRING_ARRAY);
	for (unsigned bit = 0; bit < 16; bit++) {
		uint16_t mask = (uint16_t)(1u << bit);

		if (snapshot->pen_faults & mask)
			g_variant_builder_add(&builder, "s",
					      pen_fault_to_string((enum pen_fault)mask));
	}
	if (snapshot->pen_connected && !snapshot->pen_compatible)
		g_variant_builder_add(&builder, "s", "pen-incompatible");
	if (snapshot->depth_fault)
		g_variant_builder_add(&builder, "s", "measured-depth-above-limit");
	return g_variant_builder_end(&builder);
}

static GVariant *names_variant(const GPtrArray *limits)
{
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; limits && i < limits->len; i++) {
		const struct penctl_limit *limit = g_ptr_array_index(limits, i);

		g_variant_builder_add(&builder, "s", limit->name);
	}
	return g_variant_builder_end(&builder);
}

/* The effective limit of every (role, area) pair: the smaller of both. */
static GVariant *limits_variant(const struct penctl_config *config)
{
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE("a(ssu)"));
	for (guint r = 0; config->roles && r < config->roles->len; r++) {
		const struct penctl_limit *role = g_ptr_array_index(config->roles, r);

		for (guint a = 0; config->areas && a < config->areas->len; a++) {
			const struct penctl_limit *area = g_ptr_array_index(config->areas, a);

			g_variant_builder_add(&builder, "(ssu)", role->name, area->name,
					      MIN(role->max_depth_um, area->max_depth_um));
		}
	}
	return g_variant_builder_end(&builder);
}

GVariant *control_properties_build(const struct engine_snapshot *snapshot,
				   const struct penctl_config *config,
				   const char *config_problem)
{
	GVariantBuilder builder;
	char cartridge[PEN_CARTRIDGE_ID_STRLEN] = "";

	if (snapshot->cartridge)
		pen_cartridge_id_format(snapshot->cartridge, cartridge);

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
#define ADD(name, format, value) \
	g_variant_builder_add(&builder, "{sv}", name, g_variant_new(format, value))
	ADD("State", "s", engine_state_to_string(snapshot->state));
	ADD("MotorOn", "b", snapshot->motor_on);
	ADD("PenAddress", "s", nonnull(snapshot->pen_address));
	ADD("PenConnected", "b", snapshot->pen_connected);
	ADD("PenCompatible", "b", snapshot->pen_compatible);
	ADD("Battery", "y", snapshot->battery_percent);
	ADD("Cartridge", "s", cartridge);
	ADD("DepthUm", "u", snapshot->depth_um);
	ADD("MeasuredDepthUm", "u", snapshot->measured_depth_um);
	ADD("LimitUm", "u", snapshot->limit_um);
	ADD("Speed", "q", snapshot->speed);
	ADD("SessionId", "s", nonnull(snapshot->session_id));
	ADD("Operator", "s", nonnull(snapshot->operator_name));
	ADD("Role", "s", nonnull(snapshot->role));
	ADD("Area", "s", nonnull(snapshot->area));
	ADD("ClientRef", "s", nonnull(snapshot->client_ref));
	ADD("WallUsedMs", "t", (guint64)control_used_ms(snapshot->wall_used_us));
	ADD("WallRemainingMs", "t",
	    (guint64)control_remaining_ms(snapshot->wall_used_us, snapshot->wall_budget_us));
	ADD("NeedlingUsedMs", "t", (guint64)control_used_ms(snapshot->needling_used_us));
	ADD("NeedlingRemainingMs", "t",
	    (guint64)control_remaining_ms(snapshot->needling_used_us,
					  snapshot->needling_budget_us));
	ADD("Pedal", "s", control_pedal_state(snapshot));
	ADD("AnestheticAdvisoryUm", "u", config->anesthetic_advisory_above_um);
	/* Whole minutes, rounded up (the exact budgets: Wall/NeedlingRemainingMs). */
	ADD("MaxMinutes", "u", (config->max_wall_ms + 59999) / 60000);
	ADD("MaxNeedlingMinutes", "u", (config->max_needling_ms + 59999) / 60000);
	ADD("ConfigProblem", "s", nonnull(config_problem));
	ADD("UsedListUntrusted", "b", snapshot->used_list_untrusted);
#undef ADD
	g_variant_builder_add(&builder, "{sv}", "Faults", faults_variant(snapshot));
	g_variant_builder_add(&builder, "{sv}", "Roles", names_variant(config->roles));
	g_variant_builder_add(&builder, "{sv}", "Areas", names_variant(config->areas));
	g_variant_builder_add(&builder, "{sv}", "Limits", limits_variant(config));
	return g_variant_ref_sink(g_variant_builder_end(&builder));
}

GVariant *control_properties_diff(GVariant *old_properties, GVariant *new_properties)
{
	GVariantBuilder builder;
	GVariantIter iter;
	const char *name;
	GVariant *value;
	bool any = false;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_iter_init(&iter, new_properties);
	while (g_variant_iter_loop(&iter, "{&sv}", &name, &value)) {
		g_autoptr(GVariant) old = NULL;

		if (old_properties)
			old = g_variant_lookup_value(old_properties, name, NULL);
		if (old && g_variant_equal(old, value))
			continue;
		g_variant_builder_add(&builder, "{sv}", name, value);
		any = true;
	}
	if (!any) {
		g_variant_builder_clear(&builder);
		return NULL;
	}
	return g_variant_ref_sink(g_variant_builder_end(&builder));
}

GVariant *control_summary_to_variant(const struct engine_session_summary *summary,
				     uint32_t anesthetic_advisory_um)
{
	GVariantBuilder builder, cartridges, stops;

	g_variant_builder_init(&cartridges, G_VARIANT_TYPE_STRING_ARRAY);
	for (unsigned i = 0; i < summary->n_cartridges && i < ENGINE_MAX_CARTRIDGES; i++) {
		char id[PEN_CARTRIDGE_ID_STRLEN];

		pen_cartridge_id_format(summary->cartridges[i], id);
		g_variant_builder_add(&cartridges, "s", id);
	}
	g_variant_builder_init(&stops, G_VARIANT_TYPE("a{su}"));
	for (unsigned reason = 0; reason < ENGINE_REASON_COUNT; reason++) {
		if (summary->stops[reason])
			g_variant_builder_add(&stops, "{su}",
					      engine_reason_to_string((enum engine_reason)reason),
					      summary->stops[reason]);
	}

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_SESSION_ID,
			      g_variant_new_string(summary->session_id));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_WALL_MS,
			      g_variant_new_uint64(summary->wall_us > 0 ?
						   (guint64)summary->wall_us / 1000u : 0));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_NEEDLING_MS,
			      g_variant_new_uint64(summary->needling_us > 0 ?
						   (guint64)summary->needling_us / 1000u : 0));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_MAX_DEPTH_UM,
			      g_variant_new_uint32(summary->max_depth_um));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_STROKES,
			      g_variant_new_uint32(summary->strokes));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_ABOVE_ANESTHETIC,
			      g_variant_new_boolean(summary->above_anesthetic));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_ANESTHETIC_UM,
			      g_variant_new_uint32(anesthetic_advisory_um));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_CARTRIDGES,
			      g_variant_builder_end(&cartridges));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_STOPS,
			      g_variant_builder_end(&stops));
	return g_variant_ref_sink(g_variant_builder_end(&builder));
}

char *control_session_id_new(GDateTime *now, uint32_t random)
{
	g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");

	return g_strdup_printf("%s-%04x", stamp ? stamp : "00000000-000000",
			       (unsigned)(random & 0xffffu));
}
