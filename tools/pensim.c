// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pensim: a simulated penctl pen (docs/pensim.md).
 *
 * A BLE peripheral made of bluetoothd's own pieces: the GATT application of
 * pensim_gatt.c, the advertisement, agent and connection tracking of
 * pensim_bluez.c, and the pen's behaviour in pensim_model.c.  This file is
 * the program around them: options, the record file of motor starts/stops,
 * the control input for tests, the timer that runs the pen's watchdog, and
 * the orderly exit on SIGINT/SIGTERM.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include "penctl/pen_protocol.h"
#include "pensim_app.h"
#include "pensim_command.h"

void pensim_log(const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_printerr("pensim: [%.6f] %s\n", g_get_monotonic_time() / 1e6, msg);
}

/* Something pensim cannot go on without: say what and exit 1. */
void pensim_fatal(struct pensim *app, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_printerr("pensim: error: %s\n", msg);
	app->exit_code = 1;
	g_main_loop_quit(app->loop);
}

/* ---- record file and model housekeeping ---- */

static void record_motor_event(struct pensim *app, const struct pensim_motor_event *ev)
{
	const char *event = ev->started ? "motor-start" : "motor-stop";
	/* A start is always a RUN command; a stop says why. */
	const char *reason = ev->started ? "command" : pen_stop_cause_to_string(ev->cause);

	pensim_log("%s reason=%s seq=%u depth_um=%u", event, reason, ev->seq, ev->depth_um);
	if (!app->record)
		return;
	fprintf(app->record,
		"{\"t_us\": %" PRId64 ", \"event\": \"%s\", \"reason\": \"%s\", "
		"\"seq\": %u, \"depth_um\": %u}\n",
		ev->t_us, event, reason, ev->seq, ev->depth_um);
	/* A test reads the file while we run, and we may be killed. */
	if (fflush(app->record) != 0)
		pensim_log("cannot write the record file: %s", g_strerror(errno));
}

static gboolean on_tick(gpointer user_data);

static void schedule_tick(struct pensim *app)
{
	int64_t deadline = pensim_model_next_deadline_us(&app->model);
	int64_t delay_us;

	if (app->tick_id) {
		g_source_remove(app->tick_id);
		app->tick_id = 0;
	}
	if (deadline == INT64_MAX)
		return;
	delay_us = deadline - g_get_monotonic_time();
	if (delay_us < 0)
		delay_us = 0;
	/* Round up: waking early would find nothing due and re-arm. */
	app->tick_id = g_timeout_add((guint)((delay_us + 999) / 1000), on_tick, app);
}

/* After anything touched the model: record, notify, re-arm. */
void pensim_model_changed(void *user_data)
{
	struct pensim *app = user_data;
	struct pensim_motor_event ev;

	while (pensim_model_take_motor_event(&app->model, &ev))
		record_motor_event(app, &ev);
	if (app->gatt)
		pensim_gatt_notify_changes(app->gatt);
	schedule_tick(app);
}

static gboolean on_tick(gpointer user_data)
{
	struct pensim *app = user_data;

	app->tick_id = 0;
	pensim_model_advance(&app->model, g_get_monotonic_time());
	pensim_model_changed(app);
	return G_SOURCE_REMOVE;
}

static bool motor_running(const struct pensim *app)
{
	struct pen_status s;

	pensim_model_get_status(&app->model, &s);
	return s.motor_running;
}

static void log_status(struct pensim *app)
{
	struct pen_status s;
	struct pen_cartridge c;
	char id[PEN_CARTRIDGE_ID_STRLEN];

	pensim_model_advance(&app->model, g_get_monotonic_time());
	pensim_model_get_status(&app->model, &s);
	pensim_model_get_cartridge(&app->model, &c);
	pen_cartridge_id_format(c.id, id);
	pensim_log("status: motor=%s stop_cause=%s seq=%u depth_um=%u (set %u) speed=%u "
		 "faults=0x%04x battery=%u%% strokes=%" PRIu32 " watchdog=%ums%s "
		 "cartridge=%s needles=%u max_um=%u central=%s",
		 s.motor_running ? "running" : "stopped",
		 pen_stop_cause_to_string(s.stop_cause), s.control_seq, s.depth_um,
		 pensim_model_get_depth(&app->model), pensim_model_get_speed(&app->model),
		 s.fault_bits, s.battery_percent, s.strokes,
		 pensim_model_get_watchdog_ms(&app->model),
		 pensim_model_watchdog_armed(&app->model) ? " (armed)" : "", id,
		 c.needle_count, c.max_depth_um, app->central_path ? app->central_path : "none");
}

/* ---- control input ---- */

struct cartridge_insertion {
	struct pensim *app;
	struct pen_cartridge cartridge;
};

static gboolean insert_cartridge(gpointer user_data)
{
	struct cartridge_insertion *ins = user_data;

	pensim_model_set_cartridge(&ins->app->model, &ins->cartridge, g_get_monotonic_time());
	pensim_model_changed(ins->app);
	return G_SOURCE_REMOVE;
}

/* A real swap takes the old cartridge out before the new one goes in: the
 * pen reports cartridge-missing in between, which is what tells the daemon
 * to read the Cartridge again.  The new one goes in 300 ms later. */
static int swap_cartridge(struct pensim *app, const struct pen_cartridge *cartridge, int64_t now)
{
	static const struct pen_cartridge none = { 0 };
	struct cartridge_insertion *ins;
	struct pen_cartridge current;
	int err;

	pensim_model_get_cartridge(&app->model, &current);
	if (current.id == 0 || cartridge->id == 0 ||
	    !memcmp(&current, cartridge, sizeof(current)))
		return pensim_model_set_cartridge(&app->model, cartridge, now);
	err = pensim_model_set_cartridge(&app->model, &none, now);
	if (err < 0)
		return err;
	ins = g_new(struct cartridge_insertion, 1);
	ins->app = app;
	ins->cartridge = *cartridge;
	g_timeout_add_full(G_PRIORITY_DEFAULT, 300, insert_cartridge, ins, g_free);
	return 0;
}

static void apply_command(struct pensim *app, const struct pensim_command *cmd)
{
	int64_t now = g_get_monotonic_time();
	struct pen_cartridge cartridge;
	int err = 0;

	switch (cmd->kind) {
	case PENSIM_COMMAND_NONE:
		return;
	case PENSIM_COMMAND_FAULT:
		err = pensim_model_set_faults(&app->model, cmd->fault_bits, now);
		break;
	case PENSIM_COMMAND_DIAL:
		err = pensim_model_set_dial(&app->model, cmd->dial_um, now);
		break;
	case PENSIM_COMMAND_CARTRIDGE:
		cartridge = cmd->cartridge;
		if (cmd->cartridge_keeps_geometry) {
			struct pen_cartridge current;

			pensim_model_get_cartridge(&app->model, &current);
			cartridge.needle_count = current.id ? current.needle_count
							    : (uint16_t)app->opt.needles;
			cartridge.max_depth_um = current.id ? current.max_depth_um : 0;
			if (!current.id &&
			    pensim_parse_mm(app->opt.cartridge_max_mm, PEN_DEPTH_MAX_UM,
					    &cartridge.max_depth_um) < 0)
				err = -EINVAL;
		}
		if (!err)
			err = swap_cartridge(app, &cartridge, now);
		break;
	case PENSIM_COMMAND_BATTERY:
		err = pensim_model_set_battery(&app->model, cmd->battery_percent, now);
		break;
	case PENSIM_COMMAND_BUTTON:
		pensim_model_press_button(&app->model, now);
		break;
	case PENSIM_COMMAND_DISCONNECT:
		pensim_bluez_disconnect_central(app);
		break;
	case PENSIM_COMMAND_STATUS:
		log_status(app);
		break;
	case PENSIM_COMMAND_QUIT:
		raise(SIGTERM);
		break;
	}
	if (err < 0)
		pensim_log("control: refused: %s", g_strerror(-err));
	pensim_model_changed(app);
}

static void read_next_line(struct pensim *app);

static void control_line_read(GObject *source, GAsyncResult *res, gpointer user_data)
{
	struct pensim *app = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_data_input_stream_read_line_finish_utf8(
		G_DATA_INPUT_STREAM(source), res, NULL, &error);
	struct pensim_command cmd;
	int err;

	if (!line) {
		if (error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		if (error)
			pensim_log("control: %s; no more commands", error->message);
		else
			pensim_log("control: end of input; no more commands");
		return;
	}
	err = pensim_command_parse(line, &cmd);
	if (err < 0) {
		pensim_log("control: \"%s\": %s", line,
			 err == -ERANGE ? "value out of range" : "not a command");
	} else if (cmd.kind != PENSIM_COMMAND_NONE) {
		pensim_log("control: %s", line);
		apply_command(app, &cmd);
	}
	read_next_line(app);
}

static void read_next_line(struct pensim *app)
{
	g_data_input_stream_read_line_async(app->control_in, G_PRIORITY_DEFAULT, app->cancel,
					    control_line_read, app);
}

static bool open_control(struct pensim *app, GError **error)
{
	int fd;

	if (!app->opt.control)
		return true;
	if (g_strcmp0(app->opt.control, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		if (mkfifo(app->opt.control, 0600) < 0 && errno != EEXIST) {
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
				    "cannot create FIFO %s: %s", app->opt.control,
				    g_strerror(errno));
			return false;
		}
		/* Read-write: the FIFO never reports end of file when a
		 * writer (echo cmd > fifo) closes, so it serves many. */
		fd = open(app->opt.control, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
				    "cannot open %s: %s", app->opt.control, g_strerror(errno));
			return false;
		}
	}
	app->control_stream = g_unix_input_stream_new(fd, fd != STDIN_FILENO);
	app->control_in = g_data_input_stream_new(app->control_stream);
	read_next_line(app);
	return true;
}

/* ---- shutdown ---- */

static gboolean on_shutdown_grace(gpointer user_data)
{
	struct pensim *app = user_data;

	pensim_log("bluetoothd did not answer in time; exiting anyway");
	g_main_loop_quit(app->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer user_data)
{
	struct pensim *app = user_data;

	if (app->shutting_down)
		return G_SOURCE_CONTINUE;
	app->shutting_down = true;
	pensim_log("shutting down");
	if (motor_running(app))
		pensim_log("note: exiting with the motor running (no motor-stop recorded)");
	pensim_bluez_shutdown(app);
	if (app->pending_shutdown == 0 && !app->adv_busy) {
		g_main_loop_quit(app->loop);
		return G_SOURCE_CONTINUE;
	}
	g_timeout_add(SHUTDOWN_GRACE_MS, on_shutdown_grace, app);
	return G_SOURCE_CONTINUE;
}

/* ---- options and main ---- */

static bool build_model_config(const struct options *opt, struct pensim_model_config *config,
			       GError **error)
{
	uint64_t id;
	uint16_t um;
	char *end = NULL;

	pensim_model_config_defaults(config);
	if (opt->cartridge) {
		const char *hex = opt->cartridge;

		if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
			hex += 2;
		errno = 0;
		id = g_ascii_strtoull(hex, &end, 16);
		if (!hex[0] || errno || *end || strlen(hex) > 16) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--cartridge: not a hexadecimal id of up to 16 digits: %s",
				    opt->cartridge);
			return false;
		}
		config->cartridge.id = id;
	}
	if (opt->needles < 1 || opt->needles > UINT16_MAX) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--needles: must be 1..65535");
		return false;
	}
	config->cartridge.needle_count = (uint16_t)opt->needles;
	if (pensim_parse_mm(opt->cartridge_max_mm, PEN_DEPTH_MAX_UM, &um) < 0 ||
	    um < PEN_DEPTH_MIN_UM) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--cartridge-max-mm: must be 0.1..3.0");
		return false;
	}
	config->cartridge.max_depth_um = um;
	if (config->cartridge.id == 0) {
		/* --cartridge 0: start with none inserted. */
		config->cartridge.needle_count = 0;
		config->cartridge.max_depth_um = 0;
	}
	if (pensim_parse_mm(opt->depth_mm, PEN_DEPTH_MAX_UM, &um) < 0 || um < PEN_DEPTH_MIN_UM) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--depth-mm: must be 0.1..3.0");
		return false;
	}
	config->depth_um = um;
	if (opt->speed < (int)PEN_SPEED_MIN || opt->speed > (int)PEN_SPEED_MAX) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--speed: must be %u..%u", PEN_SPEED_MIN, PEN_SPEED_MAX);
		return false;
	}
	config->speed = (uint16_t)opt->speed;
	if (opt->fault) {
		errno = 0;
		id = g_ascii_strtoull(opt->fault, &end, 0);
		if (!opt->fault[0] || errno || *end || (id & ~(uint64_t)PEN_FAULT_KNOWN_MASK)) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--fault: bits within 0x%04x", PEN_FAULT_KNOWN_MASK);
			return false;
		}
		config->fault_bits = (uint16_t)id;
	}
	if (opt->battery < 0 || opt->battery > 100) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--battery: must be 0..100");
		return false;
	}
	config->battery_percent = (uint8_t)opt->battery;
	if (!(opt->battery_drain >= 0 && opt->battery_drain <= 100)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--battery-drain: must be 0..100 %% per minute");
		return false;
	}
	config->battery_drain_us = opt->battery_drain > 0 ?
		(int64_t)(60e6 / opt->battery_drain) : 0;
	if (opt->readvertise_ms < 0) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--readvertise-ms: must be >= 0");
		return false;
	}
	if (config->cartridge.id != 0 && config->depth_um > config->cartridge.max_depth_um) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--depth-mm is above --cartridge-max-mm");
		return false;
	}
	return true;
}

static bool parse_options(struct options *opt, int *argc, char ***argv, GError **error)
{
	const GOptionEntry entries[] = {
		{ "adapter", 'a', 0, G_OPTION_ARG_STRING, &opt->adapter,
		  "Adapter to use (default: the first powered one)", "hciN" },
		{ "cartridge", 0, 0, G_OPTION_ARG_STRING, &opt->cartridge,
		  "Inserted cartridge id, hexadecimal; 0 = none (default 00c0ffee00000001)", "ID" },
		{ "needles", 0, 0, G_OPTION_ARG_INT, &opt->needles,
		  "Cartridge needle count (default 12)", "N" },
		{ "cartridge-max-mm", 0, 0, G_OPTION_ARG_STRING, &opt->cartridge_max_mm,
		  "Cartridge max depth in mm (default 2.5)", "MM" },
		{ "depth-mm", 0, 0, G_OPTION_ARG_STRING, &opt->depth_mm,
		  "Set depth at power-up in mm (default 0.5)", "MM" },
		{ "speed", 0, 0, G_OPTION_ARG_INT, &opt->speed,
		  "Stroke rate at power-up, strokes/s (default 100)", "N" },
		{ "manual-depth-mm", 0, 0, G_OPTION_ARG_STRING, &opt->manual_depth_mm,
		  "Simulate a manual dial: Status reports this measured depth (0..6)", "MM" },
		{ "fault", 0, 0, G_OPTION_ARG_STRING, &opt->fault,
		  "Fault bits raised at power-up (e.g. 0x2 = overtemp)", "BITS" },
		{ "battery", 0, 0, G_OPTION_ARG_INT, &opt->battery,
		  "Battery charge at power-up, % (default 100)", "PCT" },
		{ "battery-drain", 0, 0, G_OPTION_ARG_DOUBLE, &opt->battery_drain,
		  "Battery drain while the motor runs, % per minute (default 1; 0 = none)",
		  "PCT" },
		{ "record", 'r', 0, G_OPTION_ARG_FILENAME, &opt->record,
		  "Append a JSON line per motor start/stop to FILE", "FILE" },
		{ "control", 'c', 0, G_OPTION_ARG_FILENAME, &opt->control,
		  "Read control commands from a FIFO (created if missing) or - for stdin",
		  "FIFO|-" },
		{ "readvertise-ms", 0, 0, G_OPTION_ARG_INT, &opt->readvertise_ms,
		  "Re-register the advertisement this often (default 3000; 0 = once)", "MS" },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &opt->name,
		  "Advertised local name (default penctl-sim)", "NAME" },
		{ "no-encryption", 0, 0, G_OPTION_ARG_NONE, &opt->no_encryption,
		  "Allow writes on an unencrypted link (the protocol requires encryption)",
		  NULL },
		{ "no-agent", 0, 0, G_OPTION_ARG_NONE, &opt->no_agent,
		  "Do not register a pairing agent", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt->verbose,
		  "Log every heartbeat", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- simulated penctl pen");

	g_option_context_set_summary(
		context,
		"A Bluetooth LE peripheral that behaves like a pen implementing\n"
		"docs/pen-protocol.md, through bluetoothd on the system bus.\n"
		"Control commands (one per line): fault BITS | dial MM |\n"
		"cartridge ID [NEEDLES MAX_MM] | battery PCT | button | disconnect |\n"
		"status | quit.  See docs/pensim.md.");
	g_option_context_add_main_entries(context, entries, NULL);
	return g_option_context_parse(context, argc, argv, error);
}

static void set_default_options(struct options *opt)
{
	opt->needles = 12;
	opt->cartridge_max_mm = g_strdup("2.5");
	opt->depth_mm = g_strdup("0.5");
	opt->speed = 100;
	opt->battery = 100;
	opt->battery_drain = 1.0;
	opt->readvertise_ms = 3000;
	opt->name = g_strdup("penctl-sim");
}

static void free_options(struct options *opt)
{
	g_free(opt->adapter);
	g_free(opt->cartridge);
	g_free(opt->cartridge_max_mm);
	g_free(opt->depth_mm);
	g_free(opt->record);
	g_free(opt->manual_depth_mm);
	g_free(opt->fault);
	g_free(opt->control);
	g_free(opt->name);
}

static bool export_objects(struct pensim *app, GError **error)
{
	struct pensim_gatt_info info = {
		.require_encryption = !app->opt.no_encryption,
		.manufacturer = "penctl project",
		.model_number = "penctl-sim",
		.serial_number = "SIM-0001",
		.firmware_revision = "pensim " PENSIM_VERSION,
		.verbose = app->opt.verbose,
	};

	app->gatt = pensim_gatt_new(app->bus, &app->model, &info, pensim_model_changed, app, error);
	if (!app->gatt)
		return false;
	return pensim_bluez_export(app, error);
}

/* Exit codes: 0 after SIGINT/SIGTERM/quit, 1 when pensim cannot work
 * (no bus, no bluetoothd, no adapter, registration refused), 2 for bad
 * options. */
static int run(struct pensim *app, int *argc, char ***argv)
{
	struct pensim_model_config config;
	g_autoptr(GError) error = NULL;
	guint16 dial_um = 0;
	int rc;

	if (!parse_options(&app->opt, argc, argv, &error) ||
	    !build_model_config(&app->opt, &config, &error)) {
		g_printerr("pensim: %s (try --help)\n", error->message);
		return 2;
	}
	if (app->opt.manual_depth_mm &&
	    pensim_parse_mm(app->opt.manual_depth_mm, PEN_STATUS_DEPTH_MAX_UM, &dial_um) < 0) {
		g_printerr("pensim: --manual-depth-mm: must be 0..6 (try --help)\n");
		return 2;
	}
	if (*argc > 1) {
		g_printerr("pensim: unexpected argument %s (try --help)\n", (*argv)[1]);
		return 2;
	}
	rc = pensim_model_init(&app->model, &config, g_get_monotonic_time());
	if (rc < 0) {
		g_printerr("pensim: impossible pen configuration: %s\n", g_strerror(-rc));
		return 2;
	}
	if (dial_um)
		pensim_model_set_dial(&app->model, dial_um, g_get_monotonic_time());

	if (app->opt.record) {
		app->record = fopen(app->opt.record, "ae");
		if (!app->record) {
			g_printerr("pensim: error: cannot open record file %s: %s\n",
				   app->opt.record, g_strerror(errno));
			return 1;
		}
	}

	app->loop = g_main_loop_new(NULL, FALSE);
	app->cancel = g_cancellable_new();
	app->bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (!app->bus) {
		g_printerr("pensim: error: cannot connect to the system bus: %s\n",
			   error->message);
		return 1;
	}
	if (!export_objects(app, &error)) {
		g_printerr("pensim: error: cannot export the D-Bus objects: %s\n",
			   error->message);
		return 1;
	}
	if (!open_control(app, &error)) {
		g_printerr("pensim: error: %s\n", error->message);
		return 1;
	}

	g_unix_signal_add(SIGINT, on_signal, app);
	g_unix_signal_add(SIGTERM, on_signal, app);
	pensim_bluez_start(app);
	log_status(app);
	g_main_loop_run(app->loop);
	pensim_log("exit %d", app->exit_code);
	return app->exit_code;
}

/* Everything run() may have set up, in reverse; safe on partial setup. */
static void teardown(struct pensim *app)
{
	if (app->cancel)
		g_cancellable_cancel(app->cancel);
	pensim_bluez_teardown(app);
	if (app->tick_id)
		g_source_remove(app->tick_id);
	pensim_gatt_free(app->gatt);
	g_clear_object(&app->control_in);
	g_clear_object(&app->control_stream);
	g_clear_object(&app->cancel);
	if (app->bus) {
		g_dbus_connection_flush_sync(app->bus, NULL, NULL);
		g_object_unref(app->bus);
	}
	if (app->loop)
		g_main_loop_unref(app->loop);
	if (app->record)
		fclose(app->record);
	g_free(app->adapter_path);
	g_free(app->central_path);
	free_options(&app->opt);
}

int main(int argc, char **argv)
{
	struct pensim app = { 0 };
	int rc;

	setlocale(LC_ALL, "C"); /* "1.5" means one and a half */
	set_default_options(&app.opt);
	app.adv_with_name = true;
	rc = run(&app, &argc, &argv);
	teardown(&app);
	return rc;
}
