// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The human view of a configuration, as printed by `penctld --check-config`:
 * the time limits, the effective depth limit of every role × area pair and
 * who may take each role.
 */
#include <string.h>

#include "penctl/config.h"
#include "penctl/depth_limit.h"

static int widest_name(const GPtrArray *limits, int at_least)
{
	int width = at_least;

	for (guint i = 0; i < limits->len; i++) {
		const struct penctl_limit *limit = limits->pdata[i];

		width = MAX(width, (int)strlen(limit->name));
	}
	return width;
}

static void describe_table(GString *out, const struct penctl_config *c)
{
	int role_width = widest_name(c->roles, 4);
	char mm[16];

	g_string_append(out, "Effective depth limits in mm (the smaller of role and area;\n"
			     "a pen's cartridge may lower them further):\n");
	g_string_append_printf(out, "  %-*s", role_width, "role");
	for (guint a = 0; a < c->areas->len; a++) {
		const struct penctl_limit *area = c->areas->pdata[a];

		g_string_append_printf(out, "  %*s", MAX(4, (int)strlen(area->name)), area->name);
	}
	g_string_append_c(out, '\n');
	for (guint r = 0; r < c->roles->len; r++) {
		const struct penctl_limit *role = c->roles->pdata[r];

		g_string_append_printf(out, "  %-*s", role_width, role->name);
		for (guint a = 0; a < c->areas->len; a++) {
			const struct penctl_limit *area = c->areas->pdata[a];

			penctl_format_depth_mm(penctl_depth_limit_um(role, area, 0), mm);
			g_string_append_printf(out, "  %*s", MAX(4, (int)strlen(area->name)), mm);
		}
		g_string_append_c(out, '\n');
	}
}

static void describe_access(GString *out, const struct penctl_config *c)
{
	int role_width = widest_name(c->roles, 4);
	const char *supervisor = penctl_config_supervisor_group(c);

	g_string_append(out, "\nWho may take a role (every caller needs group penctl):\n");
	for (guint r = 0; r < c->roles->len; r++) {
		const struct penctl_limit *role = c->roles->pdata[r];

		if (role->group)
			g_string_append_printf(out, "    %-*s  members of %s\n", role_width,
					       role->name, role->group);
		else
			g_string_append_printf(out, "    %-*s  any member of penctl\n", role_width,
					       role->name);
	}
	if (supervisor)
		g_string_append_printf(out, "Who may stop or change a session: its owner, root "
					    "and members of %s\n",
				       supervisor);
	else
		g_string_append(out, "Who may stop or change a session: its owner and "
				     "root\n");
}

static const char *key_or_none(const char *key)
{
	return key && key[0] ? key : "-";
}

char *penctl_config_describe_pedal(const struct penctl_config *c)
{
	char step[16];

	if (c->pedal_source != PENCTL_PEDAL_SOURCE_EVDEV)
		return g_strdup_printf("%s, chip %s, line %s, %s, bias %s",
				       penctl_pedal_source_to_string(c->pedal_source), c->pedal_chip,
				       c->pedal_line,
				       c->pedal_active_low ? "active-low" : "active-high",
				       penctl_pedal_bias_to_string(c->pedal_bias));
	penctl_format_depth_mm(c->pedal_depth_step_um, step);
	return g_strdup_printf("evdev, device %s, key %s, depth keys %s/%s (step %s mm)",
			       c->pedal_device, c->pedal_key, key_or_none(c->pedal_depth_down_key),
			       key_or_none(c->pedal_depth_up_key), step);
}

char *penctl_config_describe(const struct penctl_config *c)
{
	g_autoptr(GString) out = g_string_new(NULL);
	char start[16], advisory[16], wall[16], needling[16];
	g_autofree char *pedal = penctl_config_describe_pedal(c);

	penctl_format_minutes(c->max_wall_ms, wall);
	penctl_format_minutes(c->max_needling_ms, needling);
	penctl_format_depth_mm(c->start_depth_um, start);
	penctl_format_depth_mm(c->anesthetic_advisory_above_um, advisory);
	g_string_append(out, "Configuration read from:\n");
	for (guint i = 0; c->sources && i < c->sources->len; i++)
		g_string_append_printf(out, "  %s\n", (const char *)c->sources->pdata[i]);
	g_string_append_printf(out,
			       "\nTime limits per session:\n"
			       "  wall time (from session start)   %s min\n"
			       "  needling time (motor running)    %s min\n"
			       "  warning at                       %u %% of either\n"
			       "\nDepth:\n"
			       "  at session start                 %s mm (or the limit, if lower)\n"
			       "  anesthetic advisory above        %s mm\n"
			       "\nPen link:\n"
			       "  heartbeat every                  %u ms\n"
			       "  pen stops by itself after        %u ms without one\n"
			       "\nSession start requires the contraindications check: %s\n"
			       "\nPedal: %s, debounce %u ms, %s\n"
			       "Pen: %s, adapter %s\n\n",
			       wall, needling, c->warn_percent, start,
			       advisory, c->heartbeat_interval_ms, c->pen_watchdog_ms,
			       c->require_contraindication_check ? "yes" : "no",
			       pedal, c->pedal_debounce_ms, penctl_pedal_mode_to_string(c->pedal_mode),
			       c->pen_address[0] ? c->pen_address : "not paired yet",
			       c->pen_adapter[0] ? c->pen_adapter : "first powered");
	describe_table(out, c);
	describe_access(out, c);
	return g_string_free(g_steal_pointer(&out), FALSE);
}
