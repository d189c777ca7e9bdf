/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Layer (b): the pen link's states, transitions and decisions, pure (no
 * bus, no main loop, no timers), in the spirit of daemon/engine.c: facts
 * in, a decision out.  pen_link.c gathers the facts from bluetoothd's
 * object model, asks here, and carries the decision out.  Not a public
 * header.
 */
#pragma once

#include <stdbool.h>

enum pen_link_state {
	PEN_LINK_IDLE,          /* no link; connecting or waiting to retry */
	PEN_LINK_RESOLVING,     /* Connected, waiting for ServicesResolved and the pen service */
	PEN_LINK_SETUP,         /* the profile's connect-time sequence is running */
	PEN_LINK_READY,         /* on_connected(compatible) was reported */
	PEN_LINK_INCOMPATIBLE,  /* on_connected(!compatible) was reported */
	PEN_LINK_SETUP_FAILED,  /* a setup step failed; the retry timer runs */
};

enum pen_link_event {
	PEN_LINK_EVENT_LINK_UP,        /* bluetoothd holds a link to the pen */
	PEN_LINK_EVENT_SETUP_BEGIN,    /* resolved, the pen service complete */
	PEN_LINK_EVENT_READY,          /* the profile set the pen up */
	PEN_LINK_EVENT_INCOMPATIBLE,   /* the pen lacks something, or said something wrong */
	PEN_LINK_EVENT_SETUP_FAILED,   /* a setup step failed on the bus */
	PEN_LINK_EVENT_RETRY,          /* the retry timer fired */
	PEN_LINK_EVENT_LOST,           /* the link is gone (or dropped) */
};

/* The state after event in state. */
enum pen_link_state pen_link_fsm_next(enum pen_link_state state, enum pen_link_event event);
const char *pen_link_state_name(enum pen_link_state state);

/* What bluetoothd's object model says, gathered by pen_link.c. */
struct pen_link_facts {
	bool adapter;              /* the chosen adapter is present */
	bool powered;              /* ... and powered */
	bool device;               /* the pen's Device1 is on it */
	bool same_device;          /* ... at the object path the link holds */
	bool link_up;              /* Connected or ServicesResolved (see pen_link.c) */
	bool resolved;             /* ServicesResolved */
	bool characteristic_lost;  /* a characteristic the profile found has gone */
	bool gatt_incomplete;      /* reported incompatible for something missing */
	bool set_up_on_link;       /* the pen was READY on the radio link still held
				    * (its services may go before the link) */
	/* Asked last, only for a pen refused for something missing: whether
	 * it has everything now (finds the characteristics again). */
	bool (*now_complete)(void *context);
	void *context;
};

/* Why the link held in state is lost, or NULL while it holds. */
const char *pen_link_fsm_loss_reason(enum pen_link_state state, const struct pen_link_facts *facts);

enum pen_link_step {
	PEN_LINK_STEP_NONE,
	PEN_LINK_STEP_CONNECT,          /* call Device1.Connect */
	PEN_LINK_STEP_RESOLVE,          /* LINK_UP: hold the link, start the settle timer */
	PEN_LINK_STEP_RESOLVE_AND_SETUP,/* the same, then set up when the service is complete */
	PEN_LINK_STEP_SETUP,            /* set up when the service is complete */
};

/* What to do next about a device that is there (facts->device), after any
 * loss was handled: connect_pending, a Connect is unanswered; retry_pending,
 * the retry timer runs. */
enum pen_link_step pen_link_fsm_step(enum pen_link_state state, const struct pen_link_facts *facts,
				     bool connect_pending, bool retry_pending);

/* When the first Connect after a loss goes out. */
enum pen_link_retry {
	PEN_LINK_RETRY_AT_ONCE,   /* no timer: connect as soon as the device is there */
	PEN_LINK_RETRY_BACKOFF,   /* the retry timer connects (backoff) */
};

/* After the link held in state was lost: facts, what bluetoothd shows now
 * (after the loss); dropped, penctld ended the link itself. */
enum pen_link_retry pen_link_fsm_retry_after_loss(enum pen_link_state state,
						  const struct pen_link_facts *facts, bool dropped);

/* Whether a retry timer still has a use: not while bluetoothd, the adapter
 * or its power is missing, for their return connects (an event). */
bool pen_link_fsm_retry_timer_useful(const struct pen_link_facts *facts);
