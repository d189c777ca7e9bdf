// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pen's and the pedal's news as engine events (engine_inputs.h).
 */
#include <syslog.h>

#include "engine_inputs.h"
#include "penctl/journal_record.h"

static void step(void *user_data, struct engine_event *ev)
{
	struct engine_inputs *in = user_data;

	action_executor_step(in->executor, ev, NULL, NULL);
}

static void step_simple(void *user_data, enum engine_event_kind kind, int64_t time_us,
			const char *reason)
{
	struct engine_event ev = { .kind = kind, .time_us = time_us };

	ev.lost.reason = reason;
	step(user_data, &ev);
}

/* ---- the pen ---- */

static void pen_watchdog_written(void *user_data, uint16_t watchdog_ms)
{
	struct engine_inputs *in = user_data;

	if (in->pen_watchdog_taken)
		in->pen_watchdog_taken(in->user_data, watchdog_ms);
}

static void pen_connected(void *user_data, const char *address, bool compatible,
			  const char *incompatibility, const struct pen_cartridge *cartridge)
{
	struct engine_inputs *in = user_data;
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CONNECTED };

	/* A connect writes the configured watchdog first (pen_link.h). */
	if (in->pen_watchdog_taken)
		in->pen_watchdog_taken(in->user_data, ENGINE_INPUTS_WATCHDOG_CONFIGURED);
	ev.pen_connected.address = address;
	ev.pen_connected.compatible = compatible;
	ev.pen_connected.incompatibility = incompatibility;
	if (cartridge)
		ev.pen_connected.cartridge = *cartridge;
	step(user_data, &ev);
}

static void pen_disconnected(void *user_data, const char *reason)
{
	step_simple(user_data, ENGINE_EVENT_PEN_DISCONNECTED, 0, reason);
}

static void pen_status(void *user_data, const struct pen_status *status)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_STATUS, .pen_status = *status };

	step(user_data, &ev);
}

static void pen_cartridge(void *user_data, const struct pen_cartridge *cartridge)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_CARTRIDGE, .pen_cartridge = *cartridge };

	step(user_data, &ev);
}

static void pen_battery(void *user_data, uint8_t percent)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_BATTERY, .pen_battery_percent = percent };

	step(user_data, &ev);
}

static void pen_protocol_error(void *user_data, const char *what, const char *verb,
			       const GError *error)
{
	g_autofree char *why = g_strdup_printf("%s %s: %s", what, verb,
					       error ? error->message : "unknown error");

	step_simple(user_data, ENGINE_EVENT_PEN_PROTOCOL_ERROR, 0, why);
}

static void pen_malformed(void *user_data, const char *what, const GError *error)
{
	pen_protocol_error(user_data, what, "value malformed", error);
}

static void pen_write_failed(void *user_data, const char *what, const GError *error)
{
	pen_protocol_error(user_data, what, "write refused", error);
}

static void pen_control_answered(void *user_data, bool run, uint16_t seq, uint8_t att_error)
{
	struct engine_event ev = { 0 };

	/* A STOP is always applied (docs/pen-protocol.md §3.1); a refused one
	 * comes as on_malformed. */
	if (!run)
		return;
	if (att_error == 0) {
		ev.kind = ENGINE_EVENT_PEN_RUN_CONFIRMED;
		ev.run_seq = seq;
	} else if (pen_att_error_is_run_refusal(att_error)) {
		ev.kind = ENGINE_EVENT_PEN_RUN_REFUSED;
		ev.pen_refusal = att_error;
	} else {
		/* pen_link reports any other answer as malformed; should one come
		 * here, it is still no documented refusal: the pen is not trusted. */
		g_autofree char *why = g_strdup_printf("control answered a RUN with ATT error "
						       "0x%02x", att_error);

		step_simple(user_data, ENGINE_EVENT_PEN_PROTOCOL_ERROR, 0, why);
		return;
	}
	step(user_data, &ev);
}

static void pen_link_error(void *user_data, const char *what, const GError *error)
{
	g_autofree char *why = g_strdup_printf("%s write not carried: %s", what,
					       error ? error->message : "unknown error");

	step_simple(user_data, ENGINE_EVENT_PEN_LINK_ERROR, 0, why);
}

static void conditions_changed(struct engine_inputs *in, bool changed)
{
	if (changed && in->conditions_changed)
		in->conditions_changed(in->user_data);
}

static void pen_adapter_changed(void *user_data, bool present, bool powered)
{
	struct engine_inputs *in = user_data;
	bool changed;

	if (!present)
		g_warning("No Bluetooth adapter: the pen cannot connect (check `penctl doctor`)");
	else if (!powered)
		g_warning("The Bluetooth adapter is powered off: the pen cannot connect");
	else
		g_message("Bluetooth adapter present and powered");
	changed = present ? penctl_conditions_clear(in->conditions, PENCTL_CONDITION_NO_ADAPTER)
			  : penctl_conditions_set(in->conditions, PENCTL_CONDITION_NO_ADAPTER, NULL);
	if (present && !powered)
		changed |= penctl_conditions_set(in->conditions, PENCTL_CONDITION_ADAPTER_OFF, NULL);
	else
		changed |= penctl_conditions_clear(in->conditions, PENCTL_CONDITION_ADAPTER_OFF);
	conditions_changed(in, changed);
}

static void pen_bluez_changed(void *user_data, bool running)
{
	struct engine_inputs *in = user_data;

	if (!running)
		g_warning("bluetoothd left the system bus: the pen cannot connect until it is back");
	conditions_changed(in, running ? penctl_conditions_clear(in->conditions,
								 PENCTL_CONDITION_BLUETOOTHD_GONE)
				       : penctl_conditions_set(in->conditions,
							       PENCTL_CONDITION_BLUETOOTHD_GONE,
							       NULL));
}

static void pen_device_info(void *user_data, const char *model, const char *firmware)
{
	struct engine_event ev = { .kind = ENGINE_EVENT_PEN_IDENTITY };

	ev.pen_identity.model = model;
	ev.pen_identity.firmware = firmware;
	step(user_data, &ev);
}

static void pen_pairing_passkey(void *user_data, const char *address, uint32_t passkey)
{
	(void)user_data;
	g_message("Pairing with %s: passkey %06u confirmed", address, passkey);
}

const struct pen_link_callbacks engine_inputs_pen_callbacks = {
	.on_connected = pen_connected,
	.on_disconnected = pen_disconnected,
	.on_status = pen_status,
	.on_cartridge = pen_cartridge,
	.on_battery = pen_battery,
	.on_malformed = pen_malformed,
	.on_write_failed = pen_write_failed,
	.on_control_answered = pen_control_answered,
	.on_link_error = pen_link_error,
	.on_watchdog_written = pen_watchdog_written,
	.on_adapter_changed = pen_adapter_changed,
	.on_bluez_changed = pen_bluez_changed,
	.on_device_info = pen_device_info,
	.on_pairing_passkey = pen_pairing_passkey,
};

/* ---- the pedal ---- */

/* The pedal reported a level: it is there. */
static void pedal_present(struct engine_inputs *in)
{
	penctl_conditions_clear(in->conditions, PENCTL_CONDITION_PEDAL_MISSING);
	penctl_conditions_clear(in->conditions, PENCTL_CONDITION_PEDAL_LOST);
}

static void pedal_pressed(int64_t time_us, bool held_at_start, void *user_data)
{
	pedal_present(user_data);
	if (held_at_start)
		g_message("The pedal is held down: it is ignored until released");
	step_simple(user_data, ENGINE_EVENT_PEDAL_DOWN, time_us, NULL);
}

static void pedal_released(int64_t time_us, void *user_data)
{
	pedal_present(user_data);
	step_simple(user_data, ENGINE_EVENT_PEDAL_UP, time_us, NULL);
}

static void pedal_press_began(int64_t time_us, void *user_data)
{
	step_simple(user_data, ENGINE_EVENT_PEDAL_PRESS_BEGAN, time_us, NULL);
}

/* A depth pedal: the requested depth plus or minus [Pedal] DepthStepMm,
 * asked for exactly as `penctl depth` asks (ENGINE_EVENT_DEPTH_REQUEST: the
 * same limits, refusals and records), with no D-Bus caller.  A step below
 * 0 asks for 0, which the pen's range refuses. */
static void pedal_depth_key(int32_t step_um, int64_t time_us, void *user_data)
{
	struct engine_inputs *in = user_data;
	struct engine_event ev = { .kind = ENGINE_EVENT_DEPTH_REQUEST, .time_us = time_us };
	struct engine_snapshot now;
	int64_t depth_um;

	action_executor_snapshot(in->executor, &now);
	depth_um = (int64_t)now.depth_um + step_um;
	ev.depth_um = depth_um < 0 ? 0u : (uint32_t)MIN(depth_um, (int64_t)UINT32_MAX);
	g_message("Depth pedal: %s %u.%03u mm", step_um < 0 ? "shallower by" : "deeper by",
		  (unsigned)ABS(step_um) / 1000u, (unsigned)ABS(step_um) % 1000u);
	step(user_data, &ev);
}

static void pedal_lost(const char *reason, void *user_data)
{
	struct engine_inputs *in = user_data;

	penctl_conditions_set(in->conditions, PENCTL_CONDITION_PEDAL_LOST, reason);
	step_simple(user_data, ENGINE_EVENT_PEDAL_LOST, 0, reason);
}

void engine_inputs_pedal_unavailable(struct engine_inputs *in, const GError *error)
{
	struct journal_record_input record = {
		.event = "pedal-unavailable",
		.priority = LOG_ERR,
		.message = error->message,
		.reason = "pedal-unavailable",
	};

	journal_record_log(&record);
	penctl_conditions_clear(in->conditions, PENCTL_CONDITION_PEDAL_LOST);
	conditions_changed(in, penctl_conditions_set(in->conditions,
						     PENCTL_CONDITION_PEDAL_MISSING,
						     error->message));
}

static void pedal_unavailable(const GError *error, void *user_data)
{
	engine_inputs_pedal_unavailable(user_data, error);
}

const struct pedal_callbacks engine_inputs_pedal_callbacks = {
	.on_pressed = pedal_pressed,
	.on_released = pedal_released,
	.on_press_began = pedal_press_began,
	.on_lost = pedal_lost,
	.on_unavailable = pedal_unavailable,
	.on_depth_key = pedal_depth_key,
};
