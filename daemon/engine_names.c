// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The names the engine's enums carry into the journal (PENCTL_EVENT,
 * PENCTL_REASON) and onto D-Bus: stable strings, part of the interface.
 */
#include "penctl/engine.h"

/* One row per reason: its stable name (PENCTL_REASON, D-Bus) and the
 * condition it stands for, to complete "Motor stopped: ...", "Session
 * refused: ..." and the like. */
static const struct {
	const char *name;
	const char *phrase;
} reasons[ENGINE_REASON_COUNT] = {
	[ENGINE_REASON_NONE] = { "none", "no reason given" },
	[ENGINE_REASON_PEDAL_RELEASED] = { "pedal-released", "pedal released" },
	[ENGINE_REASON_PEDAL_LATCHED_OFF] = { "pedal-latched-off", "pedal latched off" },
	[ENGINE_REASON_PEDAL_LOST] = { "pedal-lost", "pedal lost" },
	[ENGINE_REASON_PEDAL_NOT_RELEASED] = { "pedal-not-released", "pedal not released since the last stop" },
	[ENGINE_REASON_PEN_DISCONNECTED] = { "pen-disconnected", "pen disconnected" },
	[ENGINE_REASON_PEN_INCOMPATIBLE] = { "pen-incompatible", "pen not compatible" },
	[ENGINE_REASON_PEN_FAULT] = { "pen-fault", "pen fault" },
	[ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT] = { "pen-depth-above-limit", "measured depth above the limit" },
	[ENGINE_REASON_PEN_STOPPED] = { "pen-stopped", "the pen stopped by itself" },
	[ENGINE_REASON_PEN_RUNAWAY] = { "pen-runaway", "the pen runs although told to stop" },
	[ENGINE_REASON_NO_CARTRIDGE] = { "no-cartridge", "no cartridge" },
	[ENGINE_REASON_CARTRIDGE_USED] = { "cartridge-used", "cartridge already used" },
	[ENGINE_REASON_NO_SESSION] = { "no-session", "no session open" },
	[ENGINE_REASON_SESSION_STOPPED] = { "session-stopped", "session stopped" },
	[ENGINE_REASON_SESSION_LOCKED] = { "session-locked", "session locked, a time budget is spent" },
	[ENGINE_REASON_SESSION_OPEN] = { "session-open", "a session is already open" },
	[ENGINE_REASON_DEPTH_ABOVE_LIMIT] = { "depth-above-limit", "above the limit" },
	[ENGINE_REASON_DEPTH_OUT_OF_RANGE] = { "depth-out-of-range", "out of range" },
	[ENGINE_REASON_SPEED_OUT_OF_RANGE] = { "speed-out-of-range", "out of range" },
	[ENGINE_REASON_LIMIT_LOWERED] = { "limit-lowered", "the reloaded configuration lowered the limit below the depth" },
	[ENGINE_REASON_WALL_BUDGET] = { "wall-budget", "session time budget spent" },
	[ENGINE_REASON_NEEDLING_BUDGET] = { "needling-budget", "needling budget spent" },
	[ENGINE_REASON_ABOVE_ANESTHETIC] = { "above-anesthetic", "depth above the anesthetic advisory threshold" },
	[ENGINE_REASON_NO_OPERATOR] = { "no-operator", "no operator named" },
	[ENGINE_REASON_UNKNOWN_ROLE] = { "unknown-role", "unknown role" },
	[ENGINE_REASON_UNKNOWN_AREA] = { "unknown-area", "unknown area" },
	[ENGINE_REASON_CONTRAINDICATIONS] = { "contraindications-not-checked", "contraindication check not confirmed" },
	[ENGINE_REASON_PEN_NOT_CONNECTED] = { "pen-not-connected", "pen not connected" },
	[ENGINE_REASON_PEN_REFUSED] = { "pen-refused", "the pen refused to run" },
	[ENGINE_REASON_PEN_LINK_ERROR] = { "pen-link-error", "a write could not reach the pen" },
	[ENGINE_REASON_CARTRIDGE_NOT_RECORDED] = { "cartridge-not-recorded", "the cartridge could not be saved as used" },
	[ENGINE_REASON_USED_LIST_UNTRUSTED] = { "used-list-untrusted", "the list of used cartridges is damaged" },
	[ENGINE_REASON_ROLE_NOT_PERMITTED] = { "role-not-permitted", "the caller may not take this role" },
};

const char *engine_reason_to_string(enum engine_reason reason)
{
	return (unsigned)reason < G_N_ELEMENTS(reasons) && reasons[reason].name
		       ? reasons[reason].name : "unknown";
}

const char *engine_reason_phrase(enum engine_reason reason)
{
	return (unsigned)reason < G_N_ELEMENTS(reasons) && reasons[reason].phrase
		       ? reasons[reason].phrase : "unknown reason";
}

const char *engine_record_kind_to_string(enum engine_record_kind kind)
{
	switch (kind) {
	case ENGINE_RECORD_SESSION_START: return "session-start";
	case ENGINE_RECORD_SESSION_REFUSED: return "session-refused";
	case ENGINE_RECORD_SESSION_END: return "session-end";
	case ENGINE_RECORD_MOTOR_START: return "motor-start";
	case ENGINE_RECORD_MOTOR_STOP: return "motor-stop";
	case ENGINE_RECORD_MOTOR_REFUSED: return "motor-refused";
	case ENGINE_RECORD_DEPTH_SET: return "depth-set";
	case ENGINE_RECORD_DEPTH_REFUSED: return "depth-refused";
	case ENGINE_RECORD_SPEED_SET: return "speed-set";
	case ENGINE_RECORD_SPEED_REFUSED: return "speed-refused";
	case ENGINE_RECORD_LIMIT_WARNING: return "limit-warning";
	case ENGINE_RECORD_LIMIT_REACHED: return "limit-reached";
	case ENGINE_RECORD_PEN_CONNECTED: return "pen-connected";
	case ENGINE_RECORD_PEN_DISCONNECTED: return "pen-disconnected";
	case ENGINE_RECORD_PEDAL_LOST: return "pedal-lost";
	case ENGINE_RECORD_FAULT: return "fault";
	case ENGINE_RECORD_FAULT_CLEARED: return "fault-cleared";
	case ENGINE_RECORD_ADVISORY: return "advisory";
	case ENGINE_RECORD_CARTRIDGE_REFUSED: return "cartridge-refused";
	case ENGINE_RECORD_CONFIG_RELOADED: return "config-reloaded";
	case ENGINE_RECORD_STATE_ACKNOWLEDGED: return "state-acknowledged";
	}
	return "unknown";
}

const char *engine_event_kind_to_string(enum engine_event_kind kind)
{
	switch (kind) {
	case ENGINE_EVENT_PEDAL_DOWN: return "pedal-down";
	case ENGINE_EVENT_PEDAL_UP: return "pedal-up";
	case ENGINE_EVENT_PEDAL_PRESS_BEGAN: return "pedal-press-began";
	case ENGINE_EVENT_PEDAL_LOST: return "pedal-lost";
	case ENGINE_EVENT_PEN_CONNECTED: return "pen-connected";
	case ENGINE_EVENT_PEN_DISCONNECTED: return "pen-disconnected";
	case ENGINE_EVENT_PEN_STATUS: return "pen-status";
	case ENGINE_EVENT_PEN_CARTRIDGE: return "pen-cartridge";
	case ENGINE_EVENT_PEN_BATTERY: return "pen-battery";
	case ENGINE_EVENT_SESSION_START: return "session-start";
	case ENGINE_EVENT_SESSION_STOP: return "session-stop";
	case ENGINE_EVENT_DEPTH_REQUEST: return "depth-request";
	case ENGINE_EVENT_SPEED_REQUEST: return "speed-request";
	case ENGINE_EVENT_CONFIG_RELOAD: return "config-reload";
	case ENGINE_EVENT_TICK: return "tick";
	case ENGINE_EVENT_PEN_PROTOCOL_ERROR: return "pen-protocol-error";
	case ENGINE_EVENT_PEN_RUN_CONFIRMED: return "pen-run-confirmed";
	case ENGINE_EVENT_PEN_RUN_REFUSED: return "pen-run-refused";
	case ENGINE_EVENT_PEN_LINK_ERROR: return "pen-link-error";
	case ENGINE_EVENT_CARTRIDGE_RECORDED: return "cartridge-recorded";
	case ENGINE_EVENT_STATE_ACKNOWLEDGED: return "state-acknowledged";
	}
	return "unknown";
}

const char *engine_state_to_string(enum engine_state state)
{
	switch (state) {
	case ENGINE_STATE_IDLE: return "idle";
	case ENGINE_STATE_READY: return "ready";
	case ENGINE_STATE_RUNNING: return "running";
	case ENGINE_STATE_LOCKED: return "locked";
	}
	return "unknown";
}
