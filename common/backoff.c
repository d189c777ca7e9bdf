// SPDX-License-Identifier: GPL-2.0-or-later
#include "penctl/backoff.h"

void backoff_init(struct backoff *b, unsigned first_ms, unsigned max_ms)
{
	b->first_ms = first_ms;
	b->max_ms = max_ms < first_ms ? first_ms : max_ms;
	b->next_ms = first_ms;
}

unsigned backoff_next(struct backoff *b)
{
	unsigned now = b->next_ms;

	b->next_ms = now > b->max_ms / 2 ? b->max_ms : now * 2;
	return now;
}

void backoff_reset(struct backoff *b)
{
	b->next_ms = b->first_ms;
}
