/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl: drive penctld over D-Bus (io.penctld.Penctl1).  See penctl(1).
 *
 * Exit status: 0 ok, 1 refused (the daemon's message is printed), 2 usage,
 * 69 daemon unreachable, 77 permission denied.  --json (anywhere on the
 * command line) prints one JSON document on stdout instead of text, errors
 * included; `log --json` prints one JSON object per line.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "penctl/config.h"
#include "penctl/control_properties.h"
#include "penctl/dbus_names.h"

#include "json_out.h"
#include "penctl_client.h"
#include "penctl_doctor.h"
#include "penctl_format.h"
#include "penctl_log.h"

#define PENCTL_SCAN_DEFAULT_SECONDS 5
#define PENCTL_CALL_TIMEOUT_MS 25000
#define PENCTL_PAIR_TIMEOUT_MS 120000

struct penctl {
	bool json;
	const char *config_path;   /* --config, for doctor and limits without a daemon */
	GDBusConnection *bus;
};

static const char usage_text[] =
	"Usage: penctl [--json] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  status                          the daemon, pen, pedal and session\n"
	"  scan [--seconds N]              look for pens (default 5 s)\n"
	"  pair [ADDRESS]                  pair a pen (default: the only one found)\n"
	"  forget                          forget the paired pen\n"
	"  session start --operator NAME --role ROLE --area AREA [--client REF]\n"
	"                [--contraindications-checked]\n"
	"  session stop                    end the session, print the summary\n"
	"  depth MM                        set the needle depth, e.g. 0.5\n"
	"  speed N                         set the speed (strokes per second)\n"
	"  limits                          the effective depth limits\n"
	"  log [--session ID] [--follow]   a session's timeline from the journal\n"
	"  report [--session ID] [-o FILE.pdf] [--png FILE.png] [--directory DIR] [--file F]\n"
	"         [--chair HOST]           a session as a PDF (penctl-report)\n"
	"  reload                          re-read the configuration; fails when rejected\n"
	"  state acknowledge               accept a damaged used-cartridge list\n"
	"  doctor                          check what penctld needs\n"
	"\n"
	"Exit status: 0 ok, 1 refused, 2 usage, 69 daemon unreachable, 77 permission denied.\n";

/* ---- output ---- */

static void print_json(struct json_out *json)
{
	g_autofree char *text = json_out_finish(json);

	printf("%s\n", text);
}

static void print_json_error(const char *name, const char *message, int code)
{
	struct json_out json;

	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_member_string(&json, "error", name);
	json_out_member_string(&json, "message", message);
	json_out_member_uint(&json, "exit", (uint64_t)code);
	json_out_end_object(&json);
	print_json(&json);
}

static int usage_error(struct penctl *p, const char *format, ...) G_GNUC_PRINTF(2, 3);
static int usage_error(struct penctl *p, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list args;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	if (p->json)
		print_json_error("Usage", message, PENCTL_EXIT_USAGE);
	else
		fprintf(stderr, "penctl: %s\nTry 'penctl --help'.\n", message);
	return PENCTL_EXIT_USAGE;
}

/* Report ERROR and return the exit status it means. */
static int report_error(struct penctl *p, const GError *error)
{
	int code = penctl_exit_code_for_error(error);
	g_autofree char *name = penctl_error_name(error);
	g_autofree char *message = penctl_error_message(error);

	if (p->json) {
		print_json_error(name, message, code);
		return code;
	}
	switch (code) {
	case PENCTL_EXIT_UNAVAILABLE:
		fprintf(stderr, "penctl: penctld cannot be reached: %s\n"
				"Is it running? systemctl status penctld; penctl doctor\n",
			message);
		break;
	case PENCTL_EXIT_NOPERM:
		fprintf(stderr, "penctl: permission denied: only root and members of group "
				"penctl may use penctld (%s)\n",
			message);
		break;
	default:
		fprintf(stderr, "penctl: %s\n", message);
	}
	return code;
}

static bool connect_bus(struct penctl *p, int *code)
{
	g_autoptr(GError) error = NULL;

	if (p->bus)
		return true;
	p->bus = penctl_bus_connect(&error);
	if (!p->bus) {
		*code = report_error(p, error);
		return false;
	}
	return true;
}

/* Parse the options of a subcommand; false (and *CODE) on a usage error.
 * Leaves the positional arguments in *ARGC and *ARGV (argv[0] first). */
static bool parse_options(struct penctl *p, const char *command, const GOptionEntry *entries,
			  int *argc, char ***argv, int *code)
{
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *name = g_strdup_printf("penctl %s", command);

	g_set_prgname(name);
	if (entries)
		g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, argc, argv, &error)) {
		*code = usage_error(p, "%s", error->message);
		return false;
	}
	return true;
}

static bool no_more_args(struct penctl *p, int argc, char **argv, int *code)
{
	if (argc > 1) {
		*code = usage_error(p, "unexpected argument \"%s\"", argv[1]);
		return false;
	}
	return true;
}

/* ---- subcommands ---- */

static int cmd_status(struct penctl *p, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) properties = NULL;
	int code = 0;

	if (!parse_options(p, "status", NULL, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code) || !connect_bus(p, &code))
		return code;
	properties = penctl_get_properties(p->bus, &error);
	if (!properties)
		return report_error(p, error);
	if (p->json) {
		struct json_out json;

		json_out_init(&json);
		json_out_variant(&json, properties);
		print_json(&json);
	} else {
		g_autofree char *text = penctl_format_status(properties);

		fputs(text, stdout);
	}
	return PENCTL_EXIT_OK;
}

static int cmd_scan(struct penctl *p, int argc, char **argv)
{
	int seconds = PENCTL_SCAN_DEFAULT_SECONDS;
	const GOptionEntry entries[] = {
		{ "seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "How long to look (1..60)", "N" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) pens = NULL;
	int code = 0;

	if (!parse_options(p, "scan", entries, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code))
		return code;
	if (seconds < (int)PENCTL_SCAN_SECONDS_MIN || seconds > (int)PENCTL_SCAN_SECONDS_MAX)
		return usage_error(p, "--seconds must be %u..%u", PENCTL_SCAN_SECONDS_MIN,
				   PENCTL_SCAN_SECONDS_MAX);
	if (!connect_bus(p, &code))
		return code;
	if (!p->json)
		fprintf(stderr, "Scanning for %d s...\n", seconds);
	reply = penctl_call(p->bus, "Scan", g_variant_new("(u)", (guint32)seconds),
			    (seconds + 30) * 1000, &error);
	if (!reply)
		return report_error(p, error);
	g_variant_get(reply, "(@a(ssn))", &pens);
	if (p->json) {
		struct json_out json;
		GVariantIter iter;
		const char *address, *name;
		gint16 rssi;

		json_out_init(&json);
		json_out_begin_object(&json);
		json_out_key(&json, "pens");
		json_out_begin_array(&json);
		g_variant_iter_init(&iter, pens);
		while (g_variant_iter_next(&iter, "(&s&sn)", &address, &name, &rssi)) {
			json_out_begin_object(&json);
			json_out_member_string(&json, "address", address);
			json_out_member_string(&json, "name", name);
			json_out_key(&json, "rssi");
			json_out_int(&json, rssi);
			json_out_end_object(&json);
		}
		json_out_end_array(&json);
		json_out_end_object(&json);
		print_json(&json);
	} else {
		g_autofree char *text = penctl_format_pens(pens);

		fputs(text, stdout);
	}
	return PENCTL_EXIT_OK;
}

/* A property's string value, "" when it cannot be read. */
static char *read_string_property(struct penctl *p, const char *name)
{
	g_autoptr(GVariant) value = penctl_get_property(p->bus, name, NULL);

	if (!value || !g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
		return g_strdup("");
	return g_variant_dup_string(value, NULL);
}

static int cmd_pair(struct penctl *p, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree char *paired = NULL;
	const char *address = "";
	int code = 0;

	if (!parse_options(p, "pair", NULL, &argc, &argv, &code))
		return code;
	if (argc > 2)
		return usage_error(p, "pair takes at most one address");
	if (argc == 2)
		address = argv[1];
	if (!connect_bus(p, &code))
		return code;
	if (!p->json)
		fprintf(stderr, "Pairing %s...\n", address[0] ? address : "the only pen in range");
	reply = penctl_call(p->bus, "Pair", g_variant_new("(s)", address), PENCTL_PAIR_TIMEOUT_MS,
			    &error);
	if (!reply)
		return report_error(p, error);
	g_variant_get(reply, "(s)", &paired);
	if (p->json) {
		struct json_out json;

		json_out_init(&json);
		json_out_begin_object(&json);
		json_out_member_string(&json, "address", paired);
		json_out_end_object(&json);
		print_json(&json);
	} else {
		printf("Paired %s.\n", paired);
	}
	return PENCTL_EXIT_OK;
}

/* A method whose reply is nothing or a message for a person: prints the
 * message, else DONE; with --json, JSON_RESULT plus the message. */
static int simple_call(struct penctl *p, const char *method, GVariant *parameters,
		       const char *done, struct json_out *json_result)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	const char *message = NULL;
	int code = 0;

	if (!connect_bus(p, &code)) {
		if (parameters)
			g_variant_unref(g_variant_ref_sink(parameters));
		return code;
	}
	reply = penctl_call(p->bus, method, parameters, PENCTL_CALL_TIMEOUT_MS, &error);
	if (!reply)
		return report_error(p, error);
	if (g_variant_is_of_type(reply, G_VARIANT_TYPE("(s)")))
		g_variant_get(reply, "(&s)", &message);
	if (p->json) {
		if (message) {
			json_out_member_string(json_result, "message", message);
		}
		json_out_end_object(json_result);
		print_json(json_result);
	} else {
		printf("%s\n", message && message[0] ? message : done);
	}
	return PENCTL_EXIT_OK;
}

static int cmd_forget(struct penctl *p, int argc, char **argv)
{
	struct json_out json;
	int code = 0, ret;

	if (!parse_options(p, "forget", NULL, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code))
		return code;
	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_member_bool(&json, "forgotten", true);
	ret = simple_call(p, "Forget", NULL, "Pen forgotten.", &json);
	g_free(json_out_finish(&json));
	return ret;
}

static int cmd_session_start(struct penctl *p, int argc, char **argv)
{
	g_autofree char *operator_name = NULL, *role = NULL, *area = NULL, *client = NULL;
	gboolean checked = FALSE;
	const GOptionEntry entries[] = {
		{ "operator", 'o', 0, G_OPTION_ARG_STRING, &operator_name, "Who treats", "NAME" },
		{ "role", 'r', 0, G_OPTION_ARG_STRING, &role, "The operator's role", "ROLE" },
		{ "area", 'a', 0, G_OPTION_ARG_STRING, &area, "The treatment area", "AREA" },
		{ "client", 'c', 0, G_OPTION_ARG_STRING, &client, "A client reference", "REF" },
		{ "contraindications-checked", 0, 0, G_OPTION_ARG_NONE, &checked,
		  "The client was asked about contraindications", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	GVariantBuilder options;
	const char *session_id;
	int code = 0;

	if (!parse_options(p, "session start", entries, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code))
		return code;
	if (!operator_name || !role || !area)
		return usage_error(p, "session start needs --operator, --role and --area");
	if (!connect_bus(p, &code))
		return code;
	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", PENCTL_OPTION_CONTRAINDICATIONS_CHECKED,
			      g_variant_new_boolean(checked));
	reply = penctl_call(p->bus, "StartSession",
			    g_variant_new("(ssssa{sv})", operator_name, role, area,
					  client ? client : "", &options),
			    PENCTL_CALL_TIMEOUT_MS, &error);
	if (!reply)
		return report_error(p, error);
	g_variant_get(reply, "(&s)", &session_id);
	if (p->json) {
		struct json_out json;

		json_out_init(&json);
		json_out_begin_object(&json);
		json_out_member_string(&json, "session_id", session_id);
		json_out_end_object(&json);
		print_json(&json);
	} else {
		printf("Session %s started: operator %s, role %s, area %s.\n", session_id,
		       operator_name, role, area);
	}
	return PENCTL_EXIT_OK;
}

static int cmd_session_stop(struct penctl *p, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) summary = NULL;
	g_autofree char *advisory = NULL;
	int code = 0;

	if (!parse_options(p, "session stop", NULL, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code) || !connect_bus(p, &code))
		return code;
	reply = penctl_call(p->bus, "StopSession", NULL, PENCTL_CALL_TIMEOUT_MS, &error);
	if (!reply)
		return report_error(p, error);
	g_variant_get(reply, "(@a{sv})", &summary);
	advisory = penctl_format_anesthetic_advisory(summary);
	if (p->json) {
		struct json_out json;

		json_out_init(&json);
		json_out_begin_object(&json);
		json_out_key(&json, "summary");
		json_out_variant(&json, summary);
		json_out_member_string(&json, "aftercare", penctl_aftercare_reminder());
		json_out_member_string(&json, "advisory", advisory);
		json_out_end_object(&json);
		print_json(&json);
	} else {
		g_autofree char *text = penctl_format_summary(summary);

		fputs(text, stdout);
		printf("\n%s\n", penctl_aftercare_reminder());
		if (advisory)
			printf("%s\n", advisory);
	}
	return PENCTL_EXIT_OK;
}

static int cmd_session(struct penctl *p, int argc, char **argv)
{
	if (argc < 2)
		return usage_error(p, "session needs start or stop");
	if (g_str_equal(argv[1], "start"))
		return cmd_session_start(p, argc - 1, argv + 1);
	if (g_str_equal(argv[1], "stop"))
		return cmd_session_stop(p, argc - 1, argv + 1);
	return usage_error(p, "unknown session command \"%s\" (start or stop)", argv[1]);
}

static int cmd_depth(struct penctl *p, int argc, char **argv)
{
	struct json_out json;
	g_autofree char *done = NULL;
	g_autofree char *depth_text = NULL;
	uint32_t depth_um;
	int code = 0, ret;

	if (!parse_options(p, "depth", NULL, &argc, &argv, &code))
		return code;
	if (argc != 2)
		return usage_error(p, "depth needs one value in mm, e.g. penctl depth 0.5");
	if (!penctl_parse_depth_mm(argv[1], &depth_um))
		return usage_error(p, "\"%s\" is not a depth in mm (e.g. 0.5 or 1.25)", argv[1]);
	depth_text = penctl_format_depth(depth_um);
	done = g_strdup_printf("Depth set to %s.", depth_text);
	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_member_uint(&json, "depth_um", depth_um);
	ret = simple_call(p, "SetDepth", g_variant_new("(u)", depth_um), done, &json);
	g_free(json_out_finish(&json));
	return ret;
}

static int cmd_speed(struct penctl *p, int argc, char **argv)
{
	struct json_out json;
	g_autofree char *done = NULL;
	guint64 speed;
	int code = 0, ret;

	if (!parse_options(p, "speed", NULL, &argc, &argv, &code))
		return code;
	if (argc != 2)
		return usage_error(p, "speed needs one value in strokes per second");
	if (!g_ascii_string_to_unsigned(argv[1], 10, 0, G_MAXUINT16, &speed, NULL))
		return usage_error(p, "\"%s\" is not a speed (a whole number of strokes per second)",
				   argv[1]);
	done = g_strdup_printf("Speed set to %u strokes/s.", (unsigned)speed);
	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_member_uint(&json, "speed", speed);
	ret = simple_call(p, "SetSpeed", g_variant_new("(q)", (guint16)speed), done, &json);
	g_free(json_out_finish(&json));
	return ret;
}

static int cmd_reload(struct penctl *p, int argc, char **argv)
{
	struct json_out json;
	int code = 0, ret;

	if (!parse_options(p, "reload", NULL, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code))
		return code;
	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_member_bool(&json, "reloaded", true);
	ret = simple_call(p, "Reload", NULL, "Configuration reloaded.", &json);
	g_free(json_out_finish(&json));
	return ret;
}

static int cmd_state_acknowledge(struct penctl *p, int argc, char **argv)
{
	struct json_out json;
	int code = 0, ret;

	if (!parse_options(p, "state acknowledge", NULL, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code))
		return code;
	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_member_bool(&json, "acknowledged", true);
	ret = simple_call(p, "AcknowledgeState", NULL,
			  "Acknowledged: new sessions may start again.", &json);
	g_free(json_out_finish(&json));
	return ret;
}

static int cmd_state(struct penctl *p, int argc, char **argv)
{
	if (argc < 2)
		return usage_error(p, "state needs acknowledge");
	if (g_str_equal(argv[1], "acknowledge"))
		return cmd_state_acknowledge(p, argc - 1, argv + 1);
	return usage_error(p, "unknown state command \"%s\" (acknowledge)", argv[1]);
}

/* The limits as the daemon's properties would show them, from the config
 * file: for when penctld is not running. */
static GVariant *limits_from_config(const char *path, GError **error)
{
	g_autoptr(penctl_config) config = penctl_config_load(path, NULL, error);
	struct engine_snapshot none = { .state = ENGINE_STATE_IDLE };

	if (!config)
		return NULL;
	return control_properties_build(&none, config, NULL);
}

static int cmd_limits(struct penctl *p, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) properties = NULL;
	bool from_daemon = true;
	int code = 0;

	if (!parse_options(p, "limits", NULL, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code))
		return code;
	p->bus = penctl_bus_connect(&error);
	if (p->bus)
		properties = penctl_get_properties(p->bus, &error);
	if (!properties && penctl_exit_code_for_error(error) == PENCTL_EXIT_UNAVAILABLE) {
		/* No daemon: the file says what it would enforce. */
		g_clear_error(&error);
		from_daemon = false;
		properties = limits_from_config(p->config_path, &error);
		if (!properties) {
			if (p->json)
				print_json_error("ConfigInvalid", error->message,
						 PENCTL_EXIT_REFUSED);
			else
				fprintf(stderr, "penctl: %s\n", error->message);
			return PENCTL_EXIT_REFUSED;
		}
	}
	if (!properties)
		return report_error(p, error);
	if (p->json) {
		static const char *const keys[] = { "Roles", "Areas", "AnestheticAdvisoryUm",
						    "MaxMinutes", "MaxNeedlingMinutes" };
		g_autoptr(GVariant) limits =
			g_variant_lookup_value(properties, "Limits", G_VARIANT_TYPE("a(ssu)"));
		struct json_out json;
		GVariantIter iter;
		const char *role, *area;
		guint32 um;

		json_out_init(&json);
		json_out_begin_object(&json);
		json_out_member_string(&json, "source", from_daemon ? "daemon" : "config");
		for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
			g_autoptr(GVariant) value = g_variant_lookup_value(properties, keys[i], NULL);

			json_out_key(&json, keys[i]);
			if (value)
				json_out_variant(&json, value);
			else
				json_out_null(&json);
		}
		json_out_key(&json, "Limits");
		json_out_begin_array(&json);
		if (limits) {
			g_variant_iter_init(&iter, limits);
			while (g_variant_iter_next(&iter, "(&s&su)", &role, &area, &um)) {
				json_out_begin_object(&json);
				json_out_member_string(&json, "role", role);
				json_out_member_string(&json, "area", area);
				json_out_member_uint(&json, "max_depth_um", um);
				json_out_end_object(&json);
			}
		}
		json_out_end_array(&json);
		json_out_end_object(&json);
		print_json(&json);
	} else {
		g_autofree char *text = penctl_format_limits(properties);

		if (!from_daemon)
			printf("(penctld is not running: limits from the configuration file)\n");
		fputs(text, stdout);
	}
	return PENCTL_EXIT_OK;
}

static int cmd_log(struct penctl *p, int argc, char **argv)
{
	g_autofree char *session = NULL;
	gboolean follow = FALSE;
	const GOptionEntry entries[] = {
		{ "session", 0, 0, G_OPTION_ARG_STRING, &session, "The session (default: the "
		  "open one, else the last)", "ID" },
		{ "follow", 'f', 0, G_OPTION_ARG_NONE, &follow, "Keep printing new records", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GError) error = NULL;
	int code = 0, printed;

	if (!parse_options(p, "log", entries, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code))
		return code;
	if (!session) {
		/* The open session, if the daemon is there and says so. */
		p->bus = penctl_bus_connect(NULL);
		if (p->bus)
			session = read_string_property(p, "SessionId");
		if (!session || !session[0]) {
			g_free(session);
			session = penctl_log_last_session(&error);
			if (error) {
				if (p->json)
					print_json_error("JournalUnavailable", error->message,
							 PENCTL_EXIT_UNAVAILABLE);
				else
					fprintf(stderr, "penctl: cannot read the journal: %s\n",
						error->message);
				return PENCTL_EXIT_UNAVAILABLE;
			}
		}
		if (!session) {
			if (p->json)
				print_json_error("NoSession", "the journal holds no session",
						 PENCTL_EXIT_REFUSED);
			else
				fprintf(stderr, "penctl: the journal holds no session\n");
			return PENCTL_EXIT_REFUSED;
		}
	}
	printed = penctl_log_session(session, follow, p->json, &error);
	if (printed < 0) {
		if (p->json)
			print_json_error("JournalUnavailable", error->message,
					 PENCTL_EXIT_UNAVAILABLE);
		else
			fprintf(stderr, "penctl: cannot read the journal: %s\n", error->message);
		return PENCTL_EXIT_UNAVAILABLE;
	}
	if (printed == 0) {
		g_autofree char *message =
			g_strdup_printf("the journal holds no record of session %s", session);

		if (p->json)
			print_json_error("NoSession", message, PENCTL_EXIT_REFUSED);
		else
			fprintf(stderr, "penctl: %s\n", message);
		return PENCTL_EXIT_REFUSED;
	}
	return PENCTL_EXIT_OK;
}

static int cmd_doctor(struct penctl *p, int argc, char **argv)
{
	g_autoptr(GError) bus_error = NULL;
	g_autoptr(GPtrArray) checks = NULL;
	struct json_out json;
	bool all_ok = true;
	int code = 0;

	if (!parse_options(p, "doctor", NULL, &argc, &argv, &code) ||
	    !no_more_args(p, argc, argv, &code))
		return code;
	p->bus = penctl_bus_connect(&bus_error);
	checks = penctl_doctor_run(p->bus, bus_error, p->config_path);
	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_key(&json, "checks");
	json_out_begin_array(&json);
	for (guint i = 0; i < checks->len; i++) {
		const struct doctor_check *check = g_ptr_array_index(checks, i);

		all_ok &= check->ok;
		json_out_begin_object(&json);
		json_out_member_string(&json, "check", check->name);
		json_out_member_bool(&json, "ok", check->ok);
		json_out_member_string(&json, "detail", check->detail);
		json_out_member_string(&json, "fix", check->fix);
		json_out_end_object(&json);
		if (!p->json) {
			if (check->ok)
				printf("ok    %s: %s\n", check->name, check->detail);
			else
				printf("FAIL  %s: %s; fix: %s\n", check->name, check->detail,
				       check->fix);
		}
	}
	json_out_end_array(&json);
	json_out_member_bool(&json, "ok", all_ok);
	json_out_end_object(&json);
	if (p->json)
		print_json(&json);
	else
		g_free(json_out_finish(&json));
	return all_ok ? PENCTL_EXIT_OK : PENCTL_EXIT_REFUSED;
}

/* penctl-report draws with cairo and pango, which a chair that never
 * prints goes without: it is a program of its own, looked for beside this
 * one (installed or in the build tree), then on PATH. */
static int cmd_report(struct penctl *p, int argc, char **argv)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
	g_autofree char *beside = dir ? g_build_filename(dir, "penctl-report", NULL) : NULL;

	(void)argc;  /* argv is NULL-ended: it goes to penctl-report whole */
	argv[0] = (char *)"penctl-report";
	if (beside && access(beside, X_OK) == 0)
		execv(beside, argv);
	execvp("penctl-report", argv);
	if (p->json)
		print_json_error("ReportUnavailable", g_strerror(errno), PENCTL_EXIT_UNAVAILABLE);
	else
		fprintf(stderr, "penctl: penctl report needs penctl-report, which is not "
				"installed (%s)\n", g_strerror(errno));
	return PENCTL_EXIT_UNAVAILABLE;
}

/* ---- main ---- */

struct command {
	const char *name;
	int (*run)(struct penctl *p, int argc, char **argv);
};

static const struct command commands[] = {
	{ "status", cmd_status },   { "scan", cmd_scan },     { "pair", cmd_pair },
	{ "forget", cmd_forget },   { "session", cmd_session }, { "depth", cmd_depth },
	{ "speed", cmd_speed },     { "limits", cmd_limits }, { "log", cmd_log },
	{ "doctor", cmd_doctor },   { "reload", cmd_reload }, { "state", cmd_state },
	{ "report", cmd_report },
};

int main(int argc, char **argv)
{
	struct penctl p = { 0 };
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	int code;

	setlocale(LC_ALL, "");
	/* Global options may stand anywhere before "--". */
	for (int i = 0; i < argc; i++) {
		if (g_str_equal(argv[i], "--json")) {
			p.json = true;
		} else if (g_str_equal(argv[i], "--config") && i + 1 < argc) {
			p.config_path = argv[++i];
		} else if (g_str_has_prefix(argv[i], "--config=")) {
			p.config_path = argv[i] + strlen("--config=");
		} else {
			g_ptr_array_add(args, argv[i]);
		}
	}
	g_ptr_array_add(args, NULL);
	argc = (int)args->len - 1;
	argv = (char **)args->pdata;

	if (argc < 2)
		return usage_error(&p, "no command given");
	if (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h") ||
	    g_str_equal(argv[1], "help")) {
		fputs(usage_text, stdout);
		return PENCTL_EXIT_OK;
	}
	if (g_str_equal(argv[1], "--version")) {
		printf("penctl %s\n", PENCTL_VERSION);
		return PENCTL_EXIT_OK;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (g_str_equal(argv[1], commands[i].name)) {
			code = commands[i].run(&p, argc - 1, argv + 1);
			g_clear_object(&p.bus);
			return code;
		}
	}
	return usage_error(&p, "unknown command \"%s\"", argv[1]);
}
