// SPDX-License-Identifier: GPL-2.0-or-later
/* Bluetooth addresses: one way to parse, validate, format and compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "penctl/bt_address.h"

static void address_well_formed_is_valid(void **state)
{
	(void)state;
	assert_true(bt_address_is_valid("AA:BB:CC:DD:EE:FF"));
	assert_true(bt_address_is_valid("aa:bb:cc:dd:ee:0f"));
	assert_true(bt_address_is_valid("00:00:00:00:00:00"));
}

static void address_malformed_is_rejected(void **state)
{
	static const char *const bad[] = {
		"", "AA:BB:CC:DD:EE", "AA:BB:CC:DD:EE:FF:00", "AA-BB-CC-DD-EE-FF",
		"GG:BB:CC:DD:EE:FF", "AA:BB:CC:DD:EE:F", " AA:BB:CC:DD:EE:FF",
		"AA:BB:CC:DD:EE:FF ", "AABBCCDDEEFF", "A:ABB:CC:DD:EE:FF",
	};
	struct bt_address parsed;

	(void)state;
	assert_false(bt_address_is_valid(NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(bt_address_is_valid(bad[i]));
		assert_false(bt_address_parse(bad[i], &parsed));
	}
}

static void address_parse_format_round_trips_upper_case(void **state)
{
	struct bt_address parsed;
	char text[BT_ADDRESS_STRLEN];

	(void)state;
	assert_true(bt_address_parse("0a:1b:2c:3d:4e:5f", &parsed));
	/* bdaddr_t keeps the least significant byte first. */
	assert_int_equal(parsed.b[0], 0x5f);
	assert_int_equal(parsed.b[5], 0x0a);
	bt_address_format(&parsed, text);
	assert_string_equal(text, "0A:1B:2C:3D:4E:5F");
}

static void address_compare_ignores_case(void **state)
{
	struct bt_address a, b;

	(void)state;
	assert_true(bt_address_parse("AA:BB:CC:DD:EE:FF", &a));
	assert_true(bt_address_parse("aa:bb:cc:dd:ee:ff", &b));
	assert_true(bt_address_equal(&a, &b));
	assert_true(bt_address_parse("AA:BB:CC:DD:EE:FE", &b));
	assert_false(bt_address_equal(&a, &b));
	assert_true(bt_address_text_equal("AA:BB:CC:DD:EE:FF", "aa:bb:cc:dd:ee:ff"));
	assert_false(bt_address_text_equal("AA:BB:CC:DD:EE:FF", "not an address"));
	assert_false(bt_address_text_equal(NULL, NULL));
}

/* The parser is written by hand (no libbluetooth): nothing a number
 * parser would let through passes, and every hex digit maps right. */
static void address_hand_parser_is_strict(void **state)
{
	static const char *const bad[] = {
		"+A:BB:CC:DD:EE:FF", "AA:BB:CC:DD:EE:FF\n", "AA:BB:CC:DD:EE:-1", "AA:BB:CC:DD:EE;FF",
		"0x:BB:CC:DD:EE:FF", "AA:BB:CC:DD:EE:F\xc3", "AA::BB:CC:DD:EE:F",
	};
	struct bt_address parsed;
	char text[BT_ADDRESS_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(bt_address_parse(bad[i], &parsed));
	assert_true(bt_address_parse("01:23:45:67:89:aB", &parsed));
	assert_int_equal(parsed.b[0], 0xab);
	assert_int_equal(parsed.b[1], 0x89);
	assert_int_equal(parsed.b[5], 0x01);
	bt_address_format(&parsed, text);
	assert_string_equal(text, "01:23:45:67:89:AB");
	assert_true(bt_address_parse("FF:FF:FF:FF:FF:FF", &parsed));
	bt_address_format(&parsed, text);
	assert_string_equal(text, "FF:FF:FF:FF:FF:FF");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(address_well_formed_is_valid),
		cmocka_unit_test(address_malformed_is_rejected),
		cmocka_unit_test(address_parse_format_round_trips_upper_case),
		cmocka_unit_test(address_compare_ignores_case),
		cmocka_unit_test(address_hand_parser_is_strict),
	};

	return cmocka_run_group_tests_name("bt-address", tests, NULL, NULL);
}
