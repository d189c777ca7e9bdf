// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The names the engine's enums carry into the journal (PENCTL_EVENT,
 * PENCTL_REASON) and onto D-Bus: stable strings, part of the interface.
 */
#include "penctl/engine.h"

const char *engine_reason_to_string(enum engine_reason reason)
{
	switch (reason) {
	case ENGINE_REASON_NONE: return "none";
	case ENGINE_REASON_PEDAL_RELEASED: return "pedal-released";
	case ENGINE_REASON_PEDAL_LATCHED_OFF: return "pedal-latched-off";
	case ENGINE_REASON_PEDAL_LOST: return "pedal-lost";
	case ENGINE_REASON_PEDAL_NOT_RELEASED: return "pedal-not-released";
	case ENGINE_REASON_PEN_DISCONNECTED: return "pen-disconnected";
	case ENGINE_REASON_PEN_INCOMPATIBLE: return "pen-incompatible";
	case ENGINE_REASON_PEN_FAULT: return "pen-fault";
	case ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT: return "pen-depth-above-limit";
	case ENGINE_REASON_PEN_STOPPED: return "pen-stopped";
	case ENGINE_REASON_PEN_RUNAWAY: return "pen-runaway";
	case ENGINE_REASON_NO_CARTRIDGE: return "no-cartridge";
	case ENGINE_REASON_CARTRIDGE_USED: return "cartridge-used";
	case ENGINE_REASON_NO_SESSION: return "no-session";
	case ENGINE_REASON_SESSION_STOPPED: return "session-stopped";
	case ENGINE_REASON_SESSION_LOCKED: return "session-locked";
	case ENGINE_REASON_SESSION_OPEN: return "session-open";
	case ENGINE_REASON_DEPTH_ABOVE_LIMIT: return "depth-above-limit";
	case ENGINE_REASON_DEPTH_OUT_OF_RANGE: return "depth-out-of-range";
	case ENGINE_REASON_SPEED_OUT_OF_RANGE: return "speed-out-of-range";
	case ENGINE_REASON_LIMIT_LOWERED: return "limit-lowered";
	case ENGINE_REASON_WALL_BUDGET: return "wall-budget";
	case ENGINE_REASON_NEEDLING_BUDGET: return "needling-budget";
	case ENGINE_REASON_ABOVE_ANESTHETIC: return "above-anesthetic";
	case ENGINE_REASON_NO_OPERATOR: return "no-operator";
	case ENGINE_REASON_UNKNOWN_ROLE: return "unknown-role";
	case ENGINE_REASON_UNKNOWN_AREA: return "unknown-area";
	case ENGINE_REASON_CONTRAINDICATIONS: return "contraindications-not-checked";
	case ENGINE_REASON_PEN_NOT_CONNECTED: return "pen-not-connected";
	case ENGINE_REASON_PEN_REFUSED: return "pen-refused";
	case ENGINE_REASON_PEN_LINK_ERROR: return "pen-link-error";
	case ENGINE_REASON_CARTRIDGE_NOT_RECORDED: return "cartridge-not-recorded";
	case ENGINE_REASON_USED_LIST_UNTRUSTED: return "used-list-untrusted";
	case ENGINE_REASON_ROLE_NOT_PERMITTED: return "role-not-permitted";
	}
	return "unknown";
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
