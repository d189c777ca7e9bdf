/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Capped exponential backoff: first, 2 first, 4 first, ... max.  Pure: the
 * caller arms its own timer with what backoff_next() returns.
 */
#pragma once

struct backoff {
	unsigned first_ms;
	unsigned max_ms;
	unsigned next_ms;
};

void backoff_init(struct backoff *b, unsigned first_ms, unsigned max_ms);
/* The delay to wait now; the one after it doubles, up to max_ms. */
unsigned backoff_next(struct backoff *b);
/* Success: the next delay is first_ms again. */
void backoff_reset(struct backoff *b);
