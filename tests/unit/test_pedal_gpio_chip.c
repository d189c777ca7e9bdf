// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one GPIO chip lookup (gpio/pedal_gpio_chip.c) that both libgpiod back
 * ends and `penctl doctor` use, without GPIO hardware: what it says for a
 * path, a device name and a label that are not there, and for a device that
 * is not a GPIO chip.  (A label found on a real chip is tested against
 * gpio-sim in the VM test bed, where the pedal's Chip= is a label.)
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "penctl/pedal_gpio_chip.h"

static void test_missing_path_is_named(void **state)
{
	g_autofree char *path = NULL;
	struct gpiochip_info info;

	(void)state;
	assert_int_equal(pedal_gpio_chip_lookup("/dev/gpiochip-penctl-none", &path, &info),
			 -ENOENT);
	assert_string_equal(path, "/dev/gpiochip-penctl-none");
}

static void test_not_a_chip_is_refused(void **state)
{
	g_autofree char *path = NULL;

	(void)state;
	assert_int_equal(pedal_gpio_chip_lookup("/dev/null", &path, NULL), -ENOTTY);
	assert_string_equal(path, "/dev/null");
}

/* "gpiochip987" with no such device can only be a label, as in libgpiod's
 * own tools; so can any name without a '/'. */
static void test_unknown_name_or_label_is_not_found(void **state)
{
	const char *specs[] = { "gpiochip987", "no-such-pedal-chip" };

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
		g_autofree char *path = NULL;
		int r = pedal_gpio_chip_lookup(specs[i], &path, NULL);

		/* -EACCES: a chip this user cannot open might have the label. */
		if (r == -EACCES || r == -EPERM) {
			assert_string_equal(path, "/dev/gpiochip*");
			continue;
		}
		assert_int_equal(r, -ENOENT);
		assert_null(path);
	}
}

static void test_list_says_what_is_there(void **state)
{
	g_autofree char *list = pedal_gpio_chip_list();

	(void)state;
	assert_true(g_str_has_prefix(list, "gpiochip") ||
		    g_str_equal(list, "none (is the GPIO driver loaded?)"));
}

#define CHIP_TEST(name, fn) { (name), (fn), NULL, NULL, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		CHIP_TEST("/pedal/gpio-chip/missing-path-named", test_missing_path_is_named),
		CHIP_TEST("/pedal/gpio-chip/not-a-chip-refused", test_not_a_chip_is_refused),
		CHIP_TEST("/pedal/gpio-chip/unknown-name-or-label-not-found",
			  test_unknown_name_or_label_is_not_found),
		CHIP_TEST("/pedal/gpio-chip/list-says-what-is-there", test_list_says_what_is_there),
	};

	return cmocka_run_group_tests_name("pedal-gpio-chip", tests, NULL, NULL);
}
