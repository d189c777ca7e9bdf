// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * penctld: command line, configuration check, and the daemon's life.
 * Exit status: 0 stopped on request, 1 failure, 78 (EX_CONFIG) bad config,
 * which the unit's RestartPreventExitStatus= keeps from a restart loop.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include <glib.h>

#include "penctl/config.h"
#include "penctl/journal_record.h"
#include "penctld.h"

int main(int argc, char **argv)
{
	g_autofree char *config_path = NULL;
	gboolean check_config = FALSE, version = FALSE;
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		  "Read FILE instead of /etc/penctld/penctld.conf and its drop-ins", "FILE" },
		{ "check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
		  "Validate the configuration, print the effective limits and exit (0 or 78)",
		  NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- drive a microneedling pen safely");
	g_autoptr(GError) error = NULL;
	struct penctld_options options = { 0 };
	struct penctl_config *config;
	struct penctld *daemon;
	int status;

	setlocale(LC_ALL, "");
	g_option_context_add_main_entries(context, entries, NULL);
	g_option_context_set_description(context,
		"penctld enforces needle-depth and session-time limits while a practitioner\n"
		"drives a Bluetooth LE microneedling pen with a foot pedal.\n"
		"Control it with penctl(1); see penctld(8) and penctld.conf(5).");
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		fprintf(stderr, "penctld: %s (try --help)\n", error->message);
		return 2;
	}
	if (version) {
		printf("penctld %s\n", PENCTL_VERSION);
		return 0;
	}

	if (!check_config)
		journal_install_writer();
	config = penctl_config_load(config_path, NULL, &error);
	if (!config) {
		g_autofree char *message = g_strdup_printf("Configuration refused: %s",
							   error->message);
		struct journal_record_input in = {
			.event = "config-rejected",
			.priority = LOG_ERR,
			.message = message,
			.reason = "invalid-config",
			.detail = error->message,
		};

		/* The terminal gets the plain message; the journal the record. */
		if (check_config)
			fprintf(stderr, "penctld: %s\n", message);
		else
			journal_record_log(&in);
		return PENCTL_EXIT_CONFIG;
	}
	if (check_config) {
		g_autofree char *text = penctl_config_describe(config);

		printf("Configuration valid.\n\n%s", text);
		penctl_config_free(config);
		return 0;
	}

	options.config_path = config_path;
	daemon = penctld_new(&options, config, &error);
	if (!daemon) {
		g_critical("Cannot start: %s", error->message);
		return 1;
	}
	status = penctld_run(daemon);
	penctld_free(daemon);
	return status;
}
