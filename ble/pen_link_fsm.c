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

bool pen_link_fsm_retry_timer_useful(const struct pen_link_facts *facts)
{
	return facts->adapter && facts->powered;
}

enum pen_link_retry pen_link_fsm_retry_after_loss(enum pen_link_state state,
						  const struct pen_link_facts *facts, bool dropped)
{
	/* bluetoothd gone, the adapter removed or off: their return is the
	 * event (the name watch, InterfacesAdded, Powered); a timer could
	 * only hold the Connect back then. */
	if (!pen_link_fsm_retry_timer_useful(facts))
		return PEN_LINK_RETRY_AT_ONCE;
	/* penctld gave up on the link (not set up in time, a state it
	 * cannot trust, another pen): try again only after a pause. */
	if (dropped)
		return PEN_LINK_RETRY_BACKOFF;
	/* The pen dropped a link that worked: connect again at once.
	 * bluetoothd's Device1.Connect on LE is an L2CAP connect, for which
	 * the kernel scans passively and connects on the pen's first
	 * advertisement, so the Connect waits for the pen, not penctld for a
	 * timer.  Each such Connect follows a link that was set up again,
	 * and one that fails backs off: no loop.  bluetoothd may announce
	 * ServicesResolved=false before Connected=false: that first loss
	 * found the link READY and left it RESOLVING, set_up_on_link. */
	if ((state == PEN_LINK_READY || facts->set_up_on_link) && facts->device)
		return PEN_LINK_RETRY_AT_ONCE;
	/* Lost while setting up, or a pen refused: the backoff paces it. */
	return PEN_LINK_RETRY_BACKOFF;
}
