// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bluetooth address helpers, by hand: an address is six colon-separated
 * pairs of hex digits, and that is all libbluetooth's bachk()/str2ba()
 * checked.  Pure libc, so the core can validate an address without
 * linking libbluetooth.
 */
#include <stdio.h>
#include <string.h>

#include "penctl/bt_address.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool bt_address_parse(const char *text, struct bt_address *out)
{
	struct bt_address parsed;

	if (!text || strlen(text) != BT_ADDRESS_STRLEN - 1)
		return false;
	for (unsigned i = 0; i < 6; i++) {
		const char *pair = text + 3 * i;
		int high = hex_digit(pair[0]), low = hex_digit(pair[1]);

		if (high < 0 || low < 0 || (i < 5 && pair[2] != ':'))
			return false;
		/* Text is most significant first; bdaddr_t is stored the other way. */
		parsed.b[5 - i] = (uint8_t)(high << 4 | low);
	}
	*out = parsed;
	return true;
}

bool bt_address_is_valid(const char *text)
{
	struct bt_address ignored;

	return bt_address_parse(text, &ignored);
}

void bt_address_format(const struct bt_address *address, char out[BT_ADDRESS_STRLEN])
{
	const uint8_t *b = address->b;

	snprintf(out, BT_ADDRESS_STRLEN, "%02X:%02X:%02X:%02X:%02X:%02X", b[5], b[4], b[3], b[2],
		 b[1], b[0]);
}

bool bt_address_equal(const struct bt_address *a, const struct bt_address *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

bool bt_address_text_equal(const char *a, const char *b)
{
	struct bt_address pa, pb;

	if (!bt_address_parse(a, &pa) || !bt_address_parse(b, &pb))
		return false;
	return bt_address_equal(&pa, &pb);
}
