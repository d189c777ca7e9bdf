/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The named D-Bus errors of io.penctld.Penctl1: one for every engine reason
 * (a refusal carries the reason) and one for every CONTROL_ERROR code.
 * A switch, not an array, so that a new enum value without a name does not
 * compile (-Wswitch).
 */
#include <string.h>

#include "penctl/control_service.h"

const char *control_error_name_for_reason(enum engine_reason reason)
{
	switch (reason) {
	case ENGINE_REASON_NONE:                  return "Failed";
	case ENGINE_REASON_PEDAL_RELEASED:        return "PedalReleased";
	case ENGINE_REASON_PEDAL_LATCHED_OFF:     return "PedalLatchedOff";
	case ENGINE_REASON_PEDAL_LOST:            return "PedalLost";
	case ENGINE_REASON_PEDAL_NOT_RELEASED:    return "PedalNotReleased";
	case ENGINE_REASON_PEN_DISCONNECTED:      return "PenNotConnected";
	case ENGINE_REASON_PEN_INCOMPATIBLE:      return "PenIncompatible";
	case ENGINE_REASON_PEN_FAULT:             return "PenFault";
	case ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT: return "MeasuredDepthAboveLimit";
	case ENGINE_REASON_PEN_STOPPED:           return "PenStopped";
	case ENGINE_REASON_PEN_RUNAWAY:           return "PenRunaway";
	case ENGINE_REASON_NO_CARTRIDGE:          return "NoCartridge";
	case ENGINE_REASON_CARTRIDGE_USED:        return "CartridgeUsed";
	case ENGINE_REASON_NO_SESSION:            return "NoSession";
	case ENGINE_REASON_SESSION_STOPPED:       return "NoSession";
	case ENGINE_REASON_SESSION_LOCKED:        return "SessionLocked";
	case ENGINE_REASON_SESSION_OPEN:          return "SessionOpen";
	case ENGINE_REASON_DEPTH_ABOVE_LIMIT:     return "DepthAboveLimit";
	case ENGINE_REASON_DEPTH_OUT_OF_RANGE:    return "DepthOutOfRange";
	case ENGINE_REASON_SPEED_OUT_OF_RANGE:    return "SpeedOutOfRange";
	case ENGINE_REASON_LIMIT_LOWERED:         return "LimitLowered";
	case ENGINE_REASON_WALL_BUDGET:           return "WallBudgetSpent";
	case ENGINE_REASON_NEEDLING_BUDGET:       return "NeedlingBudgetSpent";
	case ENGINE_REASON_ABOVE_ANESTHETIC:      return "AboveAnestheticThreshold";
	case ENGINE_REASON_NO_OPERATOR:           return "NoOperator";
	case ENGINE_REASON_UNKNOWN_ROLE:          return "UnknownRole";
	case ENGINE_REASON_UNKNOWN_AREA:          return "UnknownArea";
	case ENGINE_REASON_CONTRAINDICATIONS:     return "ContraindicationsNotChecked";
	case ENGINE_REASON_PEN_NOT_CONNECTED:     return "PenNotConnected";
	case ENGINE_REASON_PEN_REFUSED:           return "PenRefused";
	case ENGINE_REASON_PEN_LINK_ERROR:        return "PenLinkError";
	case ENGINE_REASON_CARTRIDGE_NOT_RECORDED: return "CartridgeNotRecorded";
	case ENGINE_REASON_USED_LIST_UNTRUSTED:   return "UsedListUntrusted";
	case ENGINE_REASON_ROLE_NOT_PERMITTED:    return "RoleNotPermitted";
	}
	return "Failed";
}

/* Registered with GDBus so that g_dbus_method_invocation_return_gerror()
 * sends CONTROL_ERROR codes under their names. */
static const GDBusErrorEntry control_error_entries[] = {
	{ CONTROL_ERROR_FAILED,                PENCTL_DBUS_ERROR_PREFIX "Failed" },
	{ CONTROL_ERROR_INVALID_ARGUMENT,      PENCTL_DBUS_ERROR_PREFIX "InvalidArgument" },
	{ CONTROL_ERROR_NO_PEN_FOUND,          PENCTL_DBUS_ERROR_PREFIX "NoPenFound" },
	{ CONTROL_ERROR_SEVERAL_PENS_FOUND,    PENCTL_DBUS_ERROR_PREFIX "SeveralPensFound" },
	{ CONTROL_ERROR_NO_PEN_PAIRED,         PENCTL_DBUS_ERROR_PREFIX "NoPenPaired" },
	{ CONTROL_ERROR_BLUETOOTH_UNAVAILABLE, PENCTL_DBUS_ERROR_PREFIX "BluetoothUnavailable" },
	{ CONTROL_ERROR_BUSY,                  PENCTL_DBUS_ERROR_PREFIX "Busy" },
	{ CONTROL_ERROR_SESSION_OPEN,          PENCTL_DBUS_ERROR_PREFIX "SessionOpen" },
	{ CONTROL_ERROR_CALLER_UNKNOWN,        PENCTL_DBUS_ERROR_PREFIX "CallerUnknown" },
	{ CONTROL_ERROR_CONFIG_REJECTED,       PENCTL_DBUS_ERROR_PREFIX "ConfigRejected" },
	{ CONTROL_ERROR_NOT_PERMITTED,         PENCTL_DBUS_ERROR_PREFIX "NotPermitted" },
};
G_STATIC_ASSERT(G_N_ELEMENTS(control_error_entries) == CONTROL_ERROR_CODE_COUNT);

const char *control_error_name_for_code(enum control_error_code code)
{
	for (gsize i = 0; i < G_N_ELEMENTS(control_error_entries); i++) {
		if (control_error_entries[i].error_code == (gint)code)
			return control_error_entries[i].dbus_error_name +
			       strlen(PENCTL_DBUS_ERROR_PREFIX);
	}
	return "Failed";
}

GQuark control_error_quark(void)
{
	static gsize quark;

	g_dbus_error_register_error_domain("penctl-control-error-quark", &quark,
					   control_error_entries,
					   G_N_ELEMENTS(control_error_entries));
	return (GQuark)quark;
}
