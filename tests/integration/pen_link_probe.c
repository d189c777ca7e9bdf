// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pen-link-probe: runs pen_link on the system bus (DBUS_SYSTEM_BUS_ADDRESS
 * points it at a mock bluetoothd in the tests) and makes it scriptable:
 *
 *   pen-link-probe [--address XX:..] [--adapter hciN] [--watchdog-ms N]
 *
 * stdout: one JSON object per line, {"event": ...}, for every callback and
 * every command's result.  Each error comes with "error" (its message) and
 * "code" (its PEN_LINK_ERROR code's name, "cancelled", or "other DOMAIN
 * CODE" for an error of another domain: pen_link promises its own).  stdin: one command per line:
 *   run SEQ | stop SEQ | depth UM | speed N | heartbeat N | watchdog MS | cartridge |
 *   scan SECONDS | pair ADDRESS | forget | address [ADDRESS] | quit
 * End of input quits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>

#include "penctl/pen_link.h"

struct probe {
	GMainLoop *loop;
	struct pen_link *link;
	GDataInputStream *input;
};

static void json_string(GString *out, const char *s)
{
	if (!s) {
		g_string_append(out, "null");
		return;
	}
	g_string_append_c(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c < 0x20)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (char)c);
	}
	g_string_append_c(out, '"');
}

/* Starts {"event": "name" — the caller appends fields and calls emit(). */
static GString *event_begin(const char *name)
{
	GString *out = g_string_new("{\"event\": ");

	json_string(out, name);
	return out;
}

static void field_string(GString *out, const char *key, const char *value)
{
	g_string_append_printf(out, ", \"%s\": ", key);
	json_string(out, value);
}

static void field_int(GString *out, const char *key, long long value)
{
	g_string_append_printf(out, ", \"%s\": %lld", key, value);
}

static void field_bool(GString *out, const char *key, bool value)
{
	g_string_append_printf(out, ", \"%s\": %s", key, value ? "true" : "false");
}

/* A switch, so that a new code without a name does not compile (-Wswitch). */
static const char *pen_link_error_name(enum pen_link_error_code code)
{
	switch (code) {
	case PEN_LINK_ERROR_FAILED:            return "failed";
	case PEN_LINK_ERROR_INVALID_ARGUMENT:  return "invalid-argument";
	case PEN_LINK_ERROR_BLUEZ_NOT_RUNNING: return "bluez-not-running";
	case PEN_LINK_ERROR_NO_ADAPTER:        return "no-adapter";
	case PEN_LINK_ERROR_ADAPTER_OFF:       return "adapter-off";
	case PEN_LINK_ERROR_DEVICE_UNKNOWN:    return "device-unknown";
	case PEN_LINK_ERROR_PAIRING_FAILED:    return "pairing-failed";
	case PEN_LINK_ERROR_PAIRING_REFUSED:   return "pairing-refused";
	case PEN_LINK_ERROR_PAIRING_TIMEOUT:   return "pairing-timeout";
	case PEN_LINK_ERROR_BUSY:              return "busy";
	case PEN_LINK_ERROR_LINK:              return "link";
	case PEN_LINK_ERROR_PEN_REFUSED:       return "pen-refused";
	case PEN_LINK_ERROR_INCOMPATIBLE:      return "incompatible";
	}
	return "unnamed";
}

/* "error" and "code" of error (both null without one). */
static void field_error(GString *out, const GError *error)
{
	g_autofree char *other = NULL;

	field_string(out, "error", error ? error->message : NULL);
	if (!error) {
		g_string_append(out, ", \"code\": null");
		return;
	}
	if (error->domain == PEN_LINK_ERROR) {
		field_string(out, "code", pen_link_error_name(error->code));
		return;
	}
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		field_string(out, "code", "cancelled");
		return;
	}
	other = g_strdup_printf("other %s %d", g_quark_to_string(error->domain), error->code);
	field_string(out, "code", other);
}

static void emit(GString *out)
{
	g_string_append(out, "}\n");
	fputs(out->str, stdout);
	fflush(stdout);
	g_string_free(out, TRUE);
}

static void cartridge_fields(GString *out, const struct pen_cartridge *cartridge)
{
	char id[PEN_CARTRIDGE_ID_STRLEN];

	pen_cartridge_id_format(cartridge->id, id);
	g_string_append(out, ", \"cartridge\": {\"id\": ");
	json_string(out, id);
	g_string_append_printf(out, ", \"needle_count\": %u, \"max_depth_um\": %u}",
			       cartridge->needle_count, cartridge->max_depth_um);
}

static void on_connected(void *user_data, const char *address, bool compatible,
			 const char *incompatibility, const struct pen_cartridge *cartridge)
{
	GString *out = event_begin("connected");

	(void)user_data;
	field_string(out, "address", address);
	field_bool(out, "compatible", compatible);
	field_string(out, "incompatibility", incompatibility);
	cartridge_fields(out, cartridge);
	emit(out);
}

static void on_disconnected(void *user_data, const char *reason)
{
	GString *out = event_begin("disconnected");

	(void)user_data;
	field_string(out, "reason", reason);
	emit(out);
}

static void on_status(void *user_data, const struct pen_status *status)
{
	GString *out = event_begin("status");

	(void)user_data;
	field_bool(out, "motor_running", status->motor_running);
	field_string(out, "stop_cause", pen_stop_cause_to_string(status->stop_cause));
	field_int(out, "control_seq", status->control_seq);
	field_int(out, "depth_um", status->depth_um);
	field_int(out, "speed", status->speed);
	field_int(out, "fault_bits", status->fault_bits);
	field_int(out, "battery_percent", status->battery_percent);
	field_int(out, "strokes", status->strokes);
	emit(out);
}

static void on_cartridge(void *user_data, const struct pen_cartridge *cartridge)
{
	GString *out = event_begin("cartridge");

	(void)user_data;
	cartridge_fields(out, cartridge);
	emit(out);
}

static void on_device_info(void *user_data, const char *model, const char *firmware)
{
	GString *out = event_begin("device_info");

	(void)user_data;
	field_string(out, "model", model);
	field_string(out, "firmware", firmware);
	emit(out);
}

static void on_battery(void *user_data, uint8_t percent)
{
	GString *out = event_begin("battery");

	(void)user_data;
	field_int(out, "percent", percent);
	emit(out);
}

static void on_depth(void *user_data, uint16_t depth_um)
{
	GString *out = event_begin("depth");

	(void)user_data;
	field_int(out, "depth_um", depth_um);
	emit(out);
}

static void on_malformed(void *user_data, const char *what, const GError *error)
{
	GString *out = event_begin("malformed");

	(void)user_data;
	field_string(out, "what", what);
	field_error(out, error);
	emit(out);
}

static void on_write_failed(void *user_data, const char *what, const GError *error)
{
	GString *out = event_begin("write_failed");

	(void)user_data;
	field_string(out, "what", what);
	field_error(out, error);
	emit(out);
}

static void on_control_answered(void *user_data, bool run, uint16_t seq, uint8_t att_error)
{
	GString *out = event_begin("control_answered");

	(void)user_data;
	field_bool(out, "run", run);
	field_int(out, "seq", seq);
	field_int(out, "att_error", att_error);
	emit(out);
}

static void on_link_error(void *user_data, const char *what, const GError *error)
{
	GString *out = event_begin("link_error");

	(void)user_data;
	field_string(out, "what", what);
	field_error(out, error);
	emit(out);
}

static void on_watchdog_written(void *user_data, uint16_t watchdog_ms)
{
	GString *out = event_begin("watchdog_written");

	(void)user_data;
	field_int(out, "watchdog_ms", watchdog_ms);
	emit(out);
}

static void on_discovered(void *user_data, const char *address, const char *name, int16_t rssi)
{
	GString *out = event_begin("discovered");

	(void)user_data;
	field_string(out, "address", address);
	field_string(out, "name", name);
	field_int(out, "rssi", rssi);
	emit(out);
}

static void on_adapter_changed(void *user_data, bool present, bool powered)
{
	GString *out = event_begin("adapter");

	(void)user_data;
	field_bool(out, "present", present);
	field_bool(out, "powered", powered);
	emit(out);
}

static void on_pairing_passkey(void *user_data, const char *address, uint32_t passkey)
{
	GString *out = event_begin("passkey");

	(void)user_data;
	field_string(out, "address", address);
	field_int(out, "passkey", passkey);
	emit(out);
}

static const struct pen_link_callbacks callbacks = {
	.on_connected = on_connected,
	.on_disconnected = on_disconnected,
	.on_status = on_status,
	.on_cartridge = on_cartridge,
	.on_battery = on_battery,
	.on_device_info = on_device_info,
	.on_depth = on_depth,
	.on_malformed = on_malformed,
	.on_write_failed = on_write_failed,
	.on_control_answered = on_control_answered,
	.on_link_error = on_link_error,
	.on_watchdog_written = on_watchdog_written,
	.on_discovered = on_discovered,
	.on_adapter_changed = on_adapter_changed,
	.on_pairing_passkey = on_pairing_passkey,
};

static void emit_done(const char *name, const GError *error)
{
	GString *out = event_begin(name);

	field_bool(out, "ok", error == NULL);
	field_error(out, error);
	emit(out);
}

static void scan_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	struct probe *probe = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) found = pen_link_scan_finish(probe->link, result, &error);
	GString *out = event_begin("scan_done");
	GVariantIter iter;
	const char *address, *name;
	gint16 rssi;
	bool first = true;

	(void)source;
	field_bool(out, "ok", found != NULL);
	field_error(out, error);
	g_string_append(out, ", \"found\": [");
	if (found) {
		g_variant_iter_init(&iter, found);
		while (g_variant_iter_next(&iter, "(&s&sn)", &address, &name, &rssi)) {
			g_string_append(out, first ? "{\"address\": " : ", {\"address\": ");
			json_string(out, address);
			g_string_append(out, ", \"name\": ");
			json_string(out, name);
			g_string_append_printf(out, ", \"rssi\": %d}", rssi);
			first = false;
		}
	}
	g_string_append(out, "]");
	emit(out);
}

static void pair_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	struct probe *probe = user_data;
	g_autoptr(GError) error = NULL;

	(void)source;
	pen_link_pair_finish(probe->link, result, &error);
	emit_done("pair_done", error);
}

static void forget_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	struct probe *probe = user_data;
	g_autoptr(GError) error = NULL;

	(void)source;
	pen_link_forget_finish(probe->link, result, &error);
	emit_done("forget_done", error);
}

static void emit_result(const char *command, int rc)
{
	GString *out = event_begin("result");

	field_string(out, "command", command);
	field_int(out, "rc", rc);
	emit(out);
}

/* A number argument, or -1 when absent or not a number. */
static long long number_arg(const char *arg)
{
	guint64 value;

	if (!arg || !g_ascii_string_to_unsigned(arg, 10, 0, 65535, &value, NULL))
		return -1;
	return (long long)value;
}

static void run_command(struct probe *probe, const char *line)
{
	g_auto(GStrv) words = g_strsplit_set(g_strstrip((char *)line), " \t", 3);
	const char *cmd = words[0];
	const char *arg = cmd && *cmd ? words[1] : NULL;
	long long n = number_arg(arg);

	if (!cmd || !*cmd)
		return;
	if (strcmp(cmd, "quit") == 0) {
		g_main_loop_quit(probe->loop);
	} else if (strcmp(cmd, "run") == 0 || strcmp(cmd, "stop") == 0) {
		emit_result(cmd, n < 0 ? -EINVAL :
			    pen_link_write_control(probe->link, strcmp(cmd, "run") == 0,
						   (uint16_t)n));
	} else if (strcmp(cmd, "depth") == 0) {
		emit_result(cmd, n < 0 ? -EINVAL : pen_link_write_depth(probe->link, (uint16_t)n));
	} else if (strcmp(cmd, "speed") == 0) {
		emit_result(cmd, n < 0 ? -EINVAL : pen_link_write_speed(probe->link, (uint16_t)n));
	} else if (strcmp(cmd, "heartbeat") == 0) {
		emit_result(cmd, n < 0 ? -EINVAL :
			    pen_link_write_heartbeat(probe->link, (uint16_t)n));
	} else if (strcmp(cmd, "watchdog") == 0) {
		emit_result(cmd, n < 0 ? -EINVAL :
			    pen_link_write_watchdog(probe->link, (uint16_t)n));
	} else if (strcmp(cmd, "cartridge") == 0) {
		emit_result(cmd, pen_link_read_cartridge(probe->link));
	} else if (strcmp(cmd, "drop") == 0) {
		pen_link_drop(probe->link, "dropped by the probe");
		emit_result(cmd, 0);
	} else if (strcmp(cmd, "scan") == 0) {
		pen_link_scan(probe->link, n < 0 ? 0 : (unsigned)n, NULL, scan_done, probe);
	} else if (strcmp(cmd, "pair") == 0) {
		pen_link_pair(probe->link, arg ? arg : "", NULL, pair_done, probe);
	} else if (strcmp(cmd, "forget") == 0) {
		pen_link_forget(probe->link, NULL, forget_done, probe);
	} else if (strcmp(cmd, "address") == 0) {
		g_autoptr(GError) error = NULL;

		pen_link_set_address(probe->link, arg, &error);
		emit_done("address_done", error);
	} else {
		emit_result(cmd, -ENOSYS);
	}
}

static void read_next_line(struct probe *probe);

static void line_read(GObject *source, GAsyncResult *result, gpointer user_data)
{
	struct probe *probe = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = g_data_input_stream_read_line_finish_utf8(
		G_DATA_INPUT_STREAM(source), result, NULL, &error);

	if (!line) {
		g_main_loop_quit(probe->loop);
		return;
	}
	run_command(probe, line);
	if (g_main_loop_is_running(probe->loop))
		read_next_line(probe);
}

static void read_next_line(struct probe *probe)
{
	g_data_input_stream_read_line_async(probe->input, G_PRIORITY_DEFAULT, NULL, line_read,
					    probe);
}

int main(int argc, char **argv)
{
	g_autofree char *address = NULL;
	g_autofree char *adapter = NULL;
	int watchdog_ms = 500;
	const GOptionEntry options[] = {
		{ "address", 0, 0, G_OPTION_ARG_STRING, &address, "the pen", "XX:XX:XX:XX:XX:XX" },
		{ "adapter", 0, 0, G_OPTION_ARG_STRING, &adapter, "the adapter", "hciN" },
		{ "watchdog-ms", 0, 0, G_OPTION_ARG_INT, &watchdog_ms, "pen watchdog", "MS" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- drive pen_link");
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GInputStream) stdin_stream = NULL;
	struct pen_link_config cfg;
	struct probe probe = { 0 };

	g_option_context_add_main_entries(context, options, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("%s\n", error->message);
		return 2;
	}
	bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, &error);
	if (!bus) {
		g_printerr("system bus: %s\n", error->message);
		return 1;
	}
	cfg.address = address;
	cfg.adapter = adapter;
	cfg.watchdog_ms = watchdog_ms < 0 ? 0 : (uint32_t)watchdog_ms;
	probe.link = pen_link_new(bus, &cfg, &callbacks, &probe, &error);
	if (!probe.link) {
		g_printerr("%s\n", error->message);
		return 2;
	}
	probe.loop = g_main_loop_new(NULL, FALSE);
	stdin_stream = g_unix_input_stream_new(0, FALSE);
	probe.input = g_data_input_stream_new(stdin_stream);
	pen_link_start(probe.link);
	emit(event_begin("started"));
	read_next_line(&probe);
	g_main_loop_run(probe.loop);

	pen_link_free(probe.link);
	/* What pen_link sent last (a STOP) must leave before we exit. */
	g_dbus_connection_flush_sync(bus, NULL, NULL);
	g_object_unref(probe.input);
	g_main_loop_unref(probe.loop);
	return 0;
}
