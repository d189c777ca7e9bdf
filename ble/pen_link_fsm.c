// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pen link's transitions and decisions (pen_link_fsm.h), pure.
 *
 *   IDLE ──LINK_UP──▶ RESOLVING ──SETUP_BEGIN──▶ SETUP ──READY──▶ READY
 *     ▲                  │ INCOMPATIBLE (grace over)  ├──INCOMPATIBLE──▶ INCOMPATIBLE
 *     │                  ▼                            └──SETUP_FAILED──▶ SETUP_FAILED
 *     └────RETRY──── SETUP_FAILED
 *   any ──LOST──▶ IDLE
 */
#include <stddef.h>

#include "pen_link_fsm.h"

enum pen_link_state pen_link_fsm_next(enum pen_link_state state, enum pen_link_event event)
{
	switch (event) {
	case PEN_LINK_EVENT_LINK_UP:
		return state == PEN_LINK_IDLE ? PEN_LINK_RESOLVING : state;
	case PEN_LINK_EVENT_SETUP_BEGIN:
		return PEN_LINK_SETUP;
	case PEN_LINK_EVENT_READY:
		return PEN_LINK_READY;
	case PEN_LINK_EVENT_INCOMPATIBLE:
		return PEN_LINK_INCOMPATIBLE;
	case PEN_LINK_EVENT_SETUP_FAILED:
		return PEN_LINK_SETUP_FAILED;
	case PEN_LINK_EVENT_RETRY:
		return state == PEN_LINK_SETUP_FAILED ? PEN_LINK_IDLE : state;
	case PEN_LINK_EVENT_LOST:
		return PEN_LINK_IDLE;
	}
	return state;
}

const char *pen_link_state_name(enum pen_link_state state)
{
	switch (state) {
	case PEN_LINK_IDLE:         return "idle";
	case PEN_LINK_RESOLVING:    return "resolving";
	case PEN_LINK_SETUP:        return "setup";
	case PEN_LINK_READY:        return "ready";
	case PEN_LINK_INCOMPATIBLE: return "incompatible";
	case PEN_LINK_SETUP_FAILED: return "setup-failed";
	}
	return "unknown";
}

const char *pen_link_fsm_loss_reason(enum pen_link_state state, const struct pen_link_facts *facts)
{
	if (!facts->adapter)
		return "adapter removed";
	if (!facts->powered)
		return "adapter powered off";
	if (!facts->device || !facts->same_device)
		return "device removed";
	if (!facts->link_up)
		return "disconnected";
	switch (state) {
	case PEN_LINK_IDLE:
	case PEN_LINK_RESOLVING:
		return NULL;
	case PEN_LINK_SETUP:
	case PEN_LINK_READY:
	case PEN_LINK_INCOMPATIBLE:
	case PEN_LINK_SETUP_FAILED:
		if (!facts->resolved)
			return "services unresolved";
		if (facts->characteristic_lost)
			return "pen service removed";
		/* A pen refused for a missing service or characteristic that
		 * has it now (bluetoothd added it on the pen's Service
		 * Changed) is set up afresh. */
		if (state == PEN_LINK_INCOMPATIBLE && facts->gatt_incomplete && facts->now_complete &&
		    facts->now_complete(facts->context))
			return "pen services changed";
		return NULL;
	}
	return NULL;
}

enum pen_link_step pen_link_fsm_step(enum pen_link_state state, const struct pen_link_facts *facts,
				     bool connect_pending, bool retry_pending)
{
	switch (state) {
	case PEN_LINK_IDLE:
		if (facts->link_up)
			return facts->resolved ? PEN_LINK_STEP_RESOLVE_AND_SETUP : PEN_LINK_STEP_RESOLVE;
		return connect_pending || retry_pending ? PEN_LINK_STEP_NONE : PEN_LINK_STEP_CONNECT;
	case PEN_LINK_RESOLVING:
		return facts->resolved ? PEN_LINK_STEP_SETUP : PEN_LINK_STEP_NONE;
	case PEN_LINK_SETUP:
	case PEN_LINK_READY:
	case PEN_LINK_INCOMPATIBLE:
	case PEN_LINK_SETUP_FAILED:
		return PEN_LINK_STEP_NONE;
	}
	return PEN_LINK_STEP_NONE;
}
