// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulator's control lines (tools/pensim_command.c): each command a
 * test harness sends is understood, and anything malformed is refused
 * without touching the output.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pensim_command.h"

static struct pensim_command parse_ok(const char *line)
{
	struct pensim_command cmd;

	memset(&cmd, 0xa5, sizeof(cmd));
	assert_int_equal(pensim_command_parse(line, &cmd), 0);
	return cmd;
}

static void assert_refused(const char *line, int err)
{
	struct pensim_command cmd, before;

	memset(&cmd, 0x5a, sizeof(cmd));
	before = cmd;
	assert_int_equal(pensim_command_parse(line, &cmd), err);
	assert_memory_equal(&cmd, &before, sizeof(cmd));
}

static void test_fault_bits_decimal_and_hex(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("fault 1").kind, PENSIM_COMMAND_FAULT);
	assert_int_equal(parse_ok("fault 1").fault_bits, 1);
	assert_int_equal(parse_ok("fault 0x12\n").fault_bits, 0x12);
	assert_int_equal(parse_ok("  fault\t0 ").fault_bits, 0);
	assert_refused("fault 0x40", -ERANGE);
	assert_refused("fault", -EINVAL);
	assert_refused("fault -1", -EINVAL);
	assert_refused("fault 1x", -EINVAL);
}

static void test_dial_in_millimetres(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("dial 1.2").dial_um, 1200);
	assert_int_equal(parse_ok("dial 0").dial_um, 0);
	assert_int_equal(parse_ok("dial 6").dial_um, 6000);
	assert_refused("dial 6.001", -ERANGE);
	assert_refused("dial abc", -EINVAL);
	assert_refused("dial nan", -EINVAL);
	assert_refused("dial 1 2", -EINVAL);
}

static void test_cartridge_forms(void **state)
{
	struct pensim_command cmd;

	(void)state;
	cmd = parse_ok("cartridge 1a2b3c4d5e6f7081");
	assert_int_equal(cmd.kind, PENSIM_COMMAND_CARTRIDGE);
	assert_true(cmd.cartridge.id == 0x1a2b3c4d5e6f7081ull);
	assert_true(cmd.cartridge_keeps_geometry);

	cmd = parse_ok("cartridge 0xBEEF 36 1.5");
	assert_true(cmd.cartridge.id == 0xbeef);
	assert_false(cmd.cartridge_keeps_geometry);
	assert_int_equal(cmd.cartridge.needle_count, 36);
	assert_int_equal(cmd.cartridge.max_depth_um, 1500);

	cmd = parse_ok("cartridge none");
	assert_true(cmd.cartridge.id == 0);
	assert_false(cmd.cartridge_keeps_geometry);
	assert_true(parse_ok("cartridge 0").cartridge.id == 0);

	assert_refused("cartridge 1a2b3c4d5e6f70812", -ERANGE);
	assert_refused("cartridge 12 0 1.0", -ERANGE);
	assert_refused("cartridge 12 3 3.1", -ERANGE);
	assert_refused("cartridge 12 3 0.05", -ERANGE);
	assert_refused("cartridge 0 3 1.0", -EINVAL);
	assert_refused("cartridge 12 3", -EINVAL);
	assert_refused("cartridge xyz", -EINVAL);
}

static void test_battery_percent(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("battery 5").battery_percent, 5);
	assert_int_equal(parse_ok("battery 100").battery_percent, 100);
	assert_refused("battery 101", -ERANGE);
	assert_refused("battery", -EINVAL);
}

static void test_words_without_arguments(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("button").kind, PENSIM_COMMAND_BUTTON);
	assert_int_equal(parse_ok("disconnect\n").kind, PENSIM_COMMAND_DISCONNECT);
	assert_int_equal(parse_ok("status").kind, PENSIM_COMMAND_STATUS);
	assert_int_equal(parse_ok("quit").kind, PENSIM_COMMAND_QUIT);
	assert_int_equal(parse_ok("").kind, PENSIM_COMMAND_NONE);
	assert_int_equal(parse_ok("   \n").kind, PENSIM_COMMAND_NONE);
	assert_int_equal(parse_ok("# a comment").kind, PENSIM_COMMAND_NONE);
	assert_refused("button now", -EINVAL);
	assert_refused("explode", -EINVAL);
	assert_refused("a b c d e f", -EINVAL);
}

static void test_overlong_line_refused(void **state)
{
	char line[600];

	(void)state;
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_refused(line, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		{ "/pensim/command/fault", test_fault_bits_decimal_and_hex, NULL, NULL, NULL },
		{ "/pensim/command/dial", test_dial_in_millimetres, NULL, NULL, NULL },
		{ "/pensim/command/cartridge", test_cartridge_forms, NULL, NULL, NULL },
		{ "/pensim/command/battery", test_battery_percent, NULL, NULL, NULL },
		{ "/pensim/command/bare-words", test_words_without_arguments, NULL, NULL, NULL },
		{ "/pensim/command/overlong", test_overlong_line_refused, NULL, NULL, NULL },
	};

	return cmocka_run_group_tests_name("pensim-command", tests, NULL, NULL);
}
