// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * [Pedal] keys of the USB foot switch (input/evdev_keys.c): key names, the
 * Device= spec and every refusal of pedal_evdev_validate_config(), which
 * daemon/config.c turns into exit 78 with the message checked here.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <linux/input.h>
#include <string.h>

#include "penctl/pedal_evdev.h"

static void test_key_names(void **state)
{
	unsigned code = 0;

	(void)state;
	assert_true(pedal_evdev_parse_key("KEY_B", &code, NULL));
	assert_int_equal(code, KEY_B);
	assert_true(pedal_evdev_parse_key("BTN_LEFT", &code, NULL));
	assert_int_equal(code, BTN_LEFT);
	assert_true(pedal_evdev_parse_key("KEY_F13", &code, NULL));
	assert_int_equal(code, KEY_F13);
}

static void test_key_names_refused(void **state)
{
	static const char *const bad[] = {
		"", "B", "key_b", "KEY_BB", "KEY_MAX", "KEY_CNT", "REL_X", "EV_KEY", "KEY_B ",
	};
	unsigned code = 12345;

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;

		assert_false(pedal_evdev_parse_key(bad[i], &code, &error));
		assert_non_null(error);
		assert_non_null(strstr(error->message, "is not a key name"));
		assert_int_equal(code, 12345);
	}
	assert_false(pedal_evdev_parse_key(NULL, &code, NULL));
}

static void test_device_specs(void **state)
{
	struct pedal_evdev_device_spec spec;

	(void)state;
	assert_true(pedal_evdev_parse_device("usb:0c45:7403", &spec, NULL));
	assert_null(spec.path);
	assert_int_equal(spec.vendor, 0x0c45);
	assert_int_equal(spec.product, 0x7403);
	assert_true(pedal_evdev_parse_device("usb:1A86:E026", &spec, NULL));
	assert_int_equal(spec.vendor, 0x1a86);
	assert_int_equal(spec.product, 0xe026);
	assert_true(pedal_evdev_parse_device("/dev/input/by-id/usb-PCsensor_FootSwitch-event-kbd",
					     &spec, NULL));
	assert_string_equal(spec.path, "/dev/input/by-id/usb-PCsensor_FootSwitch-event-kbd");
	pedal_evdev_device_spec_clear(&spec);
	assert_null(spec.path);
}

static void test_device_specs_refused(void **state)
{
	static const char *const bad[] = {
		"", "usb:", "usb:0c45", "usb:0c45:", "usb:c45:7403", "usb:0c45:74030",
		"usb:0g45:7403", "usb:0c45:7403:1", "event3", "input/by-id/x", "USB:0c45:7403",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		struct pedal_evdev_device_spec spec;

		assert_false(pedal_evdev_parse_device(bad[i], &spec, &error));
		assert_non_null(error);
		assert_non_null(strstr(error->message, "[Pedal] Device="));
		assert_null(spec.path);
	}
}

/* Source=evdev with DepthStepMm= at its default, or STEP µm. */
#define EVDEV(...) { .source_is_evdev = true, .depth_step_um = 100, __VA_ARGS__ }
#define EVDEV_STEP(step, ...) { .source_is_evdev = true, .depth_step_um = (step), __VA_ARGS__ }

static void expect_refused(const struct pedal_evdev_config_text *text, const char *words)
{
	g_autoptr(GError) error = NULL;

	assert_false(pedal_evdev_validate_config(text, NULL, &error));
	assert_non_null(error);
	if (!strstr(error->message, words))
		fail_msg("'%s' does not say '%s'", error->message, words);
}

static void test_config_accepted(void **state)
{
	const struct pedal_evdev_config_text ok[] = {
		{ .source_is_evdev = false, .chip = "gpiochip0" },
		EVDEV(.device = "usb:0c45:7403", .key = "KEY_B"),
		EVDEV(.device = "/dev/input/by-id/x-event-kbd", .key = "BTN_LEFT"),
		EVDEV(.device = "usb:0c45:7403", .key = "KEY_B", .depth_down_key = "KEY_A",
		      .depth_up_key = "KEY_C"),
		EVDEV_STEP(1000, .device = "usb:0c45:7403", .key = "KEY_B", .depth_up_key = "KEY_C"),
		EVDEV_STEP(0, .device = "usb:0c45:7403", .key = "KEY_B"),
		/* The shipped file lists them empty: not given. */
		{ .source_is_evdev = false, .chip = "gpiochip0", .device = "", .key = "",
		  .depth_down_key = "", .depth_up_key = "" },
		EVDEV(.chip = "", .device = "usb:0c45:7403", .key = "KEY_B", .depth_up_key = ""),
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++)
		assert_true(pedal_evdev_validate_config(&ok[i], NULL, NULL));
}

static void test_config_refused(void **state)
{
	(void)state;
	expect_refused(&(struct pedal_evdev_config_text){ .device = "usb:0c45:7403" },
		       "[Pedal] Device=usb:0c45:7403 is only for Source=evdev");
	expect_refused(&(struct pedal_evdev_config_text){ .key = "KEY_B" },
		       "[Pedal] Key=KEY_B is only for Source=evdev");
	expect_refused(&(struct pedal_evdev_config_text){ .depth_up_key = "KEY_C" },
		       "DepthUpKey=KEY_C is only for Source=evdev");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.chip = "gpiochip0",
							      .device = "usb:0c45:7403",
							      .key = "KEY_B"),
		       "[Pedal] Chip=gpiochip0 is for Source=gpio");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.key = "KEY_B"),
		       "needs Device= (/dev/input/by-id/... or usb:VVVV:PPPP) and Key= (e.g. "
		       "KEY_B): Device= missing");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.device = "usb:0c45:7403"),
		       "Key= missing");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.device = "usb:0c45:7403", .key = ""),
		       "Key= missing");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.device = "usb:0c45", .key = "KEY_B"),
		       "[Pedal] Device=usb:0c45: usb: takes vendor and product");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.device = "usb:0c45:7403",
							      .key = "KEY_BB"),
		       "[Pedal] Key=KEY_BB: 'KEY_BB' is not a key name");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.device = "usb:0c45:7403",
							      .key = "KEY_B",
							      .depth_down_key = "A"),
		       "[Pedal] DepthDownKey=A: 'A' is not a key name");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.device = "usb:0c45:7403",
							      .key = "KEY_B",
							      .depth_up_key = "KEY_B"),
		       "[Pedal] DepthUpKey is the same key as Key");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.device = "usb:0c45:7403",
							      .key = "KEY_B",
							      .depth_down_key = "KEY_B"),
		       "[Pedal] DepthDownKey is the same key as Key");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV(.device = "usb:0c45:7403",
							      .key = "KEY_B",
							      .depth_down_key = "KEY_A",
							      .depth_up_key = "KEY_A"),
		       "[Pedal] DepthUpKey is the same key as DepthDownKey");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV_STEP(1500, .device = "usb:0c45:7403",
							      .key = "KEY_B",
							      .depth_up_key = "KEY_C"),
		       "[Pedal] DepthStepMm=1.500 is not allowed: 0.01 to 1.000 mm");
	expect_refused(&(struct pedal_evdev_config_text)EVDEV_STEP(5, .device = "usb:0c45:7403",
							      .key = "KEY_B",
							      .depth_up_key = "KEY_C"),
		       "DepthStepMm=0.005 is not allowed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_key_names_refused),
		cmocka_unit_test(test_device_specs),
		cmocka_unit_test(test_device_specs_refused),
		cmocka_unit_test(test_config_accepted),
		cmocka_unit_test(test_config_refused),
	};

	return cmocka_run_group_tests_name("evdev-keys", tests, NULL, NULL);
}
