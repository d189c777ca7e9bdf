// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pedal driver table (gpio/pedal_drivers.c): [Pedal] Source= picks the
 * driver, and the configuration accepts exactly the drivers compiled in
 * (two facts CMake derives from the same libraries; here they must agree).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "penctl/pedal.h"
#include "penctl/pedal_driver.h"

static const enum penctl_pedal_source all_sources[] = {
	PENCTL_PEDAL_SOURCE_GPIO,
	PENCTL_PEDAL_SOURCE_EVDEV,
};

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static void test_table_matches_what_config_accepts(void **state)
{
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(all_sources); i++) {
		enum penctl_pedal_source source = all_sources[i];
		const struct pedal_driver *driver = pedal_driver_for_source(source);

		if ((driver != NULL) != penctl_pedal_source_built_in(source))
			fail_msg("Source=%s: driver %s, configuration says %s",
				 penctl_pedal_source_to_string(source),
				 driver ? "compiled" : "missing",
				 penctl_pedal_source_built_in(source) ? "built in" : "not built in");
		if (driver)
			assert_string_equal(driver->name, penctl_pedal_source_to_string(source));
	}
}

/* Source=gpio opens a GPIO line: the error is the gpio driver's, naming
 * the chip that is not there. */
static void test_gpio_chosen_by_config(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) config = penctl_config_load_from_data(
		"[Pedal]\nSource=gpio\nChip=/dev/gpiochip-penctl-none\nLine=17\n"
		"[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		"/etc/test.conf", &error);
	g_autoptr(PenctlPedal) pedal = NULL;

	(void)state;
	assert_null(error);
	if (!penctl_pedal_source_built_in(PENCTL_PEDAL_SOURCE_GPIO))
		skip();
	pedal = pedal_new(config, NULL, NULL);
	assert_string_equal(pedal_describe(pedal), "Chip=/dev/gpiochip-penctl-none Line=17");
	assert_false(pedal_start(pedal, &error));
	assert_true(g_error_matches(error, PEDAL_ERROR, PEDAL_ERROR_NO_CHIP));
	assert_contains(error->message, "no GPIO chip at /dev/gpiochip-penctl-none");
	assert_false(pedal_is_available(pedal));
}

/* A configuration made without validation (a program's own) that names a
 * driver this build lacks: pedal_start() refuses it, names it. */
static void test_driver_not_built_in_refused_at_start(void **state)
{
	g_autoptr(penctl_config) config = NULL;
	g_autoptr(PenctlPedal) pedal = NULL;
	g_autoptr(GError) error = NULL;

	(void)state;
	/* Before anything is allocated: skip() jumps out, past the cleanups. */
	if (penctl_pedal_source_built_in(PENCTL_PEDAL_SOURCE_EVDEV))
		skip();
	config = penctl_config_new_default();
	config->pedal_source = PENCTL_PEDAL_SOURCE_EVDEV;
	pedal = pedal_new(config, NULL, NULL);
	assert_false(pedal_start(pedal, &error));
	assert_true(g_error_matches(error, PEDAL_ERROR, PEDAL_ERROR_CONFIG));
	assert_contains(error->message, "pedal driver 'evdev' is not built in");
	assert_false(pedal_is_available(pedal));
}

#define DRIVER_TEST(name, fn) { (name), (fn), NULL, NULL, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		DRIVER_TEST("/pedal/driver/table-matches-what-config-accepts",
			    test_table_matches_what_config_accepts),
		DRIVER_TEST("/pedal/driver/gpio-chosen-by-config", test_gpio_chosen_by_config),
		DRIVER_TEST("/pedal/driver/not-built-in-refused-at-start",
			    test_driver_not_built_in_refused_at_start),
	};

	return cmocka_run_group_tests_name("pedal-driver", tests, NULL, NULL);
}
