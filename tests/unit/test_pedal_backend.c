// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The libgpiod back end compiled into this build (v1 or v2), without GPIO
 * hardware: a chip or line that is not there must give an error that names
 * the chip and the line and says what is there.  (The back end with a real
 * line is tested against gpio-sim in the VM test bed.)
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pedal_backend.h"
#include "penctl/pedal.h"
#include "penctl/pedal_driver.h"
#include "penctl/pedal_gpio_chip.h"

static struct pedal_backend_params params_for(const char *chip, const char *line)
{
	return (struct pedal_backend_params){
		.chip = chip,
		.line = line,
		.active_low = true,
		.bias = PENCTL_PEDAL_BIAS_PULL_UP,
		.consumer = "penctld-test",
	};
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static GError *open_expecting_failure(const char *chip, const char *line)
{
	struct pedal_backend_params params = params_for(chip, line);
	GError *error = NULL;
	struct pedal_backend *backend = pedal_backend_open(&params, &error);

	if (backend) {
		pedal_backend_close(backend);
		fail_msg("opening Chip=%s Line=%s succeeded", chip, line);
	}
	assert_non_null(error);
	assert_true(error->domain == PEDAL_ERROR);
	return error;
}

static void test_unknown_label_lists_chips_present(void **state)
{
	g_autoptr(GError) error = open_expecting_failure("no-such-pedal-chip", "17");

	(void)state;
	assert_int_equal(error->code, PEDAL_ERROR_NO_CHIP);
	assert_contains(error->message, "Chip=no-such-pedal-chip");
	assert_contains(error->message, "Line=17");
	assert_contains(error->message, "GPIO chips present: ");
}

static void test_missing_chip_path_named(void **state)
{
	g_autoptr(GError) error = open_expecting_failure("/dev/gpiochip-penctl-none", "GPIO17");

	(void)state;
	assert_int_equal(error->code, PEDAL_ERROR_NO_CHIP);
	assert_contains(error->message, "no GPIO chip at /dev/gpiochip-penctl-none");
	assert_contains(error->message, "Line=GPIO17");
	assert_contains(error->message, "GPIO chips present: ");
}

static void test_not_a_chip_refused(void **state)
{
	g_autoptr(GError) error = open_expecting_failure("/dev/null", "0");

	(void)state;
	assert_int_equal(error->code, PEDAL_ERROR_NO_CHIP);
	assert_contains(error->message, "/dev/null is not a GPIO chip");
}

static void test_empty_line_is_a_config_error(void **state)
{
	g_autoptr(GError) error = open_expecting_failure("gpiochip0", "");

	(void)state;
	assert_int_equal(error->code, PEDAL_ERROR_CONFIG);
	assert_contains(error->message, "Chip=gpiochip0");
}

static void test_offset_parsing(void **state)
{
	unsigned offset = 12345;

	(void)state;
	assert_true(pedal_backend_parse_offset("17", &offset));
	assert_int_equal(offset, 17);
	assert_true(pedal_backend_parse_offset("0", &offset));
	assert_int_equal(offset, 0);
	assert_false(pedal_backend_parse_offset("GPIO17", &offset));
	assert_false(pedal_backend_parse_offset("-1", &offset));
	assert_false(pedal_backend_parse_offset("+1", &offset));
	assert_false(pedal_backend_parse_offset("17 ", &offset));
	assert_false(pedal_backend_parse_offset("", &offset));
	assert_false(pedal_backend_parse_offset("9999999999", &offset));
}

static void test_chip_spec_forms(void **state)
{
	g_autofree char *path = NULL;
	g_autofree char *label = NULL;

	(void)state;
	pedal_gpio_chip_lookup("/dev/gpiochip3", &path, NULL);
	pedal_gpio_chip_lookup("pinctrl-bcm2711", &label, NULL);
	assert_string_equal(path, "/dev/gpiochip3");
	assert_null(label);
}

static void test_api_named(void **state)
{
	(void)state;
	assert_true(g_str_has_prefix(pedal_backend_api(), "libgpiod "));
	assert_string_equal(pedal_gpiod_api(), pedal_backend_api());
}

#define PEDAL_TEST(name, fn) { (name), (fn), NULL, NULL, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		PEDAL_TEST("/pedal/backend/unknown-chip-lists-chips-present",
			   test_unknown_label_lists_chips_present),
		PEDAL_TEST("/pedal/backend/missing-chip-path-named", test_missing_chip_path_named),
		PEDAL_TEST("/pedal/backend/not-a-chip-refused", test_not_a_chip_refused),
		PEDAL_TEST("/pedal/backend/empty-line-is-a-config-error",
			   test_empty_line_is_a_config_error),
		PEDAL_TEST("/pedal/backend/line-offset-or-name", test_offset_parsing),
		PEDAL_TEST("/pedal/backend/chip-path-name-or-label", test_chip_spec_forms),
		PEDAL_TEST("/pedal/backend/api-named", test_api_named),
	};

	return cmocka_run_group_tests_name("pedal-backend", tests, NULL, NULL);
}
