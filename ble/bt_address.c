// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bluetooth address helpers: the one file that talks to libbluetooth's
 * address functions (str2ba, ba2str, bacmp, bachk).
 */
#include <string.h>

#include <bluetooth/bluetooth.h>

#include "penctl/bt_address.h"

_Static_assert(sizeof(struct bt_address) == sizeof(bdaddr_t),
	       "struct bt_address must mirror bdaddr_t");

bool bt_address_is_valid(const char *text)
{
	/* bachk() accepts exactly 17 characters of "XX:" groups. */
	return text && bachk(text) == 0;
}

bool bt_address_parse(const char *text, struct bt_address *out)
{
	bdaddr_t ba;

	if (!bt_address_is_valid(text))
		return false;
	if (str2ba(text, &ba) < 0)
		return false;
	memcpy(out->b, ba.b, sizeof(out->b));
	return true;
}

void bt_address_format(const struct bt_address *address, char out[BT_ADDRESS_STRLEN])
{
	bdaddr_t ba;

	memcpy(ba.b, address->b, sizeof(ba.b));
	ba2str(&ba, out);
}

bool bt_address_equal(const struct bt_address *a, const struct bt_address *b)
{
	bdaddr_t ba, bb;

	memcpy(ba.b, a->b, sizeof(ba.b));
	memcpy(bb.b, b->b, sizeof(bb.b));
	return bacmp(&ba, &bb) == 0;
}

bool bt_address_text_equal(const char *a, const char *b)
{
	struct bt_address pa, pb;

	if (!bt_address_parse(a, &pa) || !bt_address_parse(b, &pb))
		return false;
	return bt_address_equal(&pa, &pb);
}
