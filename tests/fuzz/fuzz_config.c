// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the config loader: the input is a site file and up
 * to three drop-ins, separated by the byte 0x1e (ASCII record separator); an
 * empty first part means no site file. They are written to a private
 * directory and loaded with the built-in defaults underneath, as penctld
 * does. Invariants: no crash or leak, a refusal always says why, and a
 * configuration that is accepted keeps every consistency rule, whatever
 * the files said.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "penctl/config.h"

#define SEPARATOR 0x1e
#define MAX_DROPINS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir;
static char *main_path;
static char *dropin_dir;

static void check(bool ok, const char *rule)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_config: accepted configuration breaks: %s\n", rule);
	abort();
}

static void set_up_once(void)
{
	if (dir)
		return;
	dir = g_dir_make_tmp("penctl-fuzz-config-XXXXXX", NULL);
	check(dir != NULL, "a temporary directory");
	main_path = g_build_filename(dir, "penctld.conf", NULL);
	dropin_dir = g_build_filename(dir, "penctld.conf.d", NULL);
	check(g_mkdir(dropin_dir, 0700) == 0, "a drop-in directory");
}

static void write_part(const char *path, const uint8_t *part, size_t len)
{
	check(g_file_set_contents(path, (const char *)part, (gssize)len, NULL), "writing a file");
}

static void check_limits(const GPtrArray *limits, bool roles)
{
	check(limits->len > 0, "at least one role and one area");
	for (guint i = 0; i < limits->len; i++) {
		const struct penctl_limit *limit = limits->pdata[i];

		check(limit->max_depth_um >= 100 && limit->max_depth_um <= PENCTL_DEPTH_CEILING_UM,
		      "every limit within 0.1 .. 3.0 mm");
		check(limit->name[0] && strlen(limit->name) <= 32, "a name of 1 .. 32 characters");
		check(i == 0 || strcmp(((const struct penctl_limit *)limits->pdata[i - 1])->name,
				       limit->name) < 0, "names sorted and unique");
		check(roles || !limit->group, "areas have no group");
		check(!limit->group || penctl_config_valid_group_name(limit->group),
		      "a role group is a valid group name");
	}
}

static void check_accepted(const struct penctl_config *c)
{
	g_autoptr(penctl_config) defaults = penctl_config_new_default();
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	check_limits(c->roles, true);
	check_limits(c->areas, false);
	for (guint i = 0; i < c->roles->len; i++) {
		const struct penctl_limit *role = c->roles->pdata[i];

		check(c->start_depth_um <= role->max_depth_um, "start depth <= every role limit");
		check(penctl_config_role_group(c, role->name) == role->group, "role_group()");
	}
	check(c->start_depth_um >= 100, "start depth >= 0.1 mm");
	check(c->anesthetic_advisory_above_um >= 100 &&
	      c->anesthetic_advisory_above_um <= PENCTL_DEPTH_CEILING_UM, "advisory within range");
	check(c->heartbeat_interval_ms >= 20 && c->heartbeat_interval_ms <= 5000,
	      "heartbeat within 20 .. 5000 ms");
	check(c->pen_watchdog_ms >= 100 && c->pen_watchdog_ms <= 10000,
	      "watchdog within 100 .. 10000 ms");
	check(c->heartbeat_interval_ms < c->pen_watchdog_ms &&
	      3 * c->heartbeat_interval_ms <= c->pen_watchdog_ms,
	      "heartbeat well under the watchdog");
	check(c->max_wall_ms >= 6000 && c->max_wall_ms <= 480u * 60000u,
	      "MaxMinutes within 0.1 .. 480");
	check(c->max_needling_ms >= 6000 && c->max_needling_ms <= c->max_wall_ms,
	      "needling budget within 0.1 min .. MaxMinutes");
	check(c->warn_percent >= 1 && c->warn_percent <= 99, "warning percent 1 .. 99");
	check(c->pedal_debounce_ms <= 200, "debounce <= 200 ms");
	check(c->supervisor_group && (!c->supervisor_group[0] ||
				      penctl_config_valid_group_name(c->supervisor_group)),
	      "supervisor group empty or valid");
	check(c->sources && c->sources->len >= 1, "the files read are listed");
	/* What --check-config and a reload do with it must not crash either. */
	text = penctl_config_describe(c);
	check(text && text[0], "a description");
	if (!penctl_config_reload_allowed(defaults, c, &error))
		check(error && error->message[0], "a reload refusal says why");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part = data, *end = data + size;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) config = NULL;
	int n = 0;

	set_up_once();
	g_unlink(main_path);
	for (int i = 0; i < MAX_DROPINS; i++) {
		g_autofree char *name = g_strdup_printf("%d0-fuzz.conf", i + 1);
		g_autofree char *path = g_build_filename(dropin_dir, name, NULL);

		g_unlink(path);
	}
	/* Part 0 is the site's file, parts 1..3 the drop-ins; the last takes the rest. */
	while (part <= end && n <= MAX_DROPINS) {
		const uint8_t *sep = n < MAX_DROPINS ? memchr(part, SEPARATOR, (size_t)(end - part))
						     : NULL;
		size_t len = (size_t)((sep ? sep : end) - part);

		if (n == 0) {
			if (len)
				write_part(main_path, part, len);
		} else {
			g_autofree char *name = g_strdup_printf("%d0-fuzz.conf", n);
			g_autofree char *path = g_build_filename(dropin_dir, name, NULL);

			write_part(path, part, len);
		}
		n++;
		if (!sep)
			break;
		part = sep + 1;
	}

	config = penctl_config_load_layered(main_path, false, dropin_dir, &error);
	if (!config) {
		check(error != NULL && error->domain == PENCTL_CONFIG_ERROR && error->message[0],
		      "a refusal carries a config error with a message");
		return 0;
	}
	check(error == NULL, "no error with a configuration");
	check_accepted(config);
	return 0;
}
