// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Input events -> pedal edges and depth-key presses
 * (include/penctl/pedal_evdev.h).  Pure: the device layer reads with
 * libevdev and feeds each result here, the unit test feeds a script.
 */

#include <linux/input.h>

#include "penctl/pedal_evdev.h"

void pedal_evdev_translator_init(struct pedal_evdev_translator *t,
				 const struct pedal_evdev_keys *keys, int level, uint64_t open_ns,
				 uint32_t depth_debounce_ms)
{
	t->keys = *keys;
	t->level = level;
	t->settle_until_ns = open_ns + PEDAL_EVDEV_PLUG_SETTLE_NS;
	t->held_at_plug = false;
	t->depth_debounce_ns = (uint64_t)depth_debounce_ms * 1000000u;
	t->depth_up_ns[0] = t->depth_up_ns[1] = 0;
}

static uint64_t event_ns(const struct input_event *ev)
{
	return (uint64_t)ev->input_event_sec * 1000000000u + (uint64_t)ev->input_event_usec * 1000u;
}

bool pedal_evdev_translate(struct pedal_evdev_translator *t, enum pedal_evdev_read read,
			   const struct input_event *ev, struct pedal_evdev_event *out)
{
	unsigned which;

	switch (read) {
	case PEDAL_EVDEV_READ_EVENT:
	case PEDAL_EVDEV_READ_SYNC:
		break;
	case PEDAL_EVDEV_READ_AGAIN:
	case PEDAL_EVDEV_READ_ERROR:
		return false;
	}
	if (!ev || ev->type != EV_KEY || ev->code == 0)
		return false;
	out->timestamp_ns = event_ns(ev);
	if (ev->code == t->keys.pedal) {
		/* 2 is the kernel's autorepeat while held: not an edge. */
		if (ev->value != 0 && ev->value != 1)
			return false;
		/* Held at the plug: neither the down nor its release is an
		 * edge; the pedal stays up until pressed afresh. */
		if (t->held_at_plug) {
			t->held_at_plug = ev->value == 1;
			return false;
		}
		if (ev->value == 1 && t->level != 1 && out->timestamp_ns < t->settle_until_ns) {
			t->held_at_plug = true;
			return false;
		}
		if (ev->value == t->level)
			return false;
		t->level = ev->value;
		out->kind = ev->value ? PEDAL_EVDEV_PEDAL_DOWN : PEDAL_EVDEV_PEDAL_UP;
		return true;
	}
	if (ev->code != t->keys.depth_down && ev->code != t->keys.depth_up)
		return false;
	which = ev->code == t->keys.depth_up;
	if (ev->value == 0) {
		t->depth_up_ns[which] = out->timestamp_ns;
		return false;
	}
	/* A depth step only for a press seen as it happened: a resync's
	 * "the key is down now" may be a press long past. */
	if (ev->value != 1 || read == PEDAL_EVDEV_READ_SYNC)
		return false;
	/* Down again right after going up: the contact bouncing (on the
	 * press or on the release), which would step the depth twice. */
	if (t->depth_up_ns[which] && out->timestamp_ns >= t->depth_up_ns[which] &&
	    out->timestamp_ns - t->depth_up_ns[which] < t->depth_debounce_ns)
		return false;
	out->kind = which ? PEDAL_EVDEV_DEPTH_UP : PEDAL_EVDEV_DEPTH_DOWN;
	return true;
}
