/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bluetooth device addresses (XX:XX:XX:XX:XX:XX): parsed, validated,
 * formatted and compared by one small pure library (penctl-bt-address,
 * ble/bt_address.c, libc only), so every layer treats them the same way
 * without linking libbluetooth.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* "AA:BB:CC:DD:EE:FF" + NUL */
#define BT_ADDRESS_STRLEN 18

struct bt_address {
	uint8_t b[6]; /* bdaddr_t layout: least significant byte first */
};

/* Whether text is exactly six colon-separated pairs of hex digits
 * (either case).  NULL and "" are not addresses. */
bool bt_address_is_valid(const char *text);

/* Parses text; false (and *out untouched) when it is not an address. */
bool bt_address_parse(const char *text, struct bt_address *out);

/* The canonical upper-case form BlueZ uses in Device1.Address. */
void bt_address_format(const struct bt_address *address, char out[BT_ADDRESS_STRLEN]);

bool bt_address_equal(const struct bt_address *a, const struct bt_address *b);

/* Whether two texts name the same address (case-insensitive); false when
 * either is not an address. */
bool bt_address_text_equal(const char *a, const char *b);
