// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A depth as a person types it (cli/penctl_input.c): a decimal comma, a
 * leading point and the unit are accepted; anything else is refused with a
 * message that says what to type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "penctl_input.h"

static void test_a_depth_as_a_person_types_it(void **state)
{
	static const struct {
		const char *text;
		uint32_t um;
	} accepted[] = {
		{ "0.5", 500 }, { "0,5", 500 }, { ".5", 500 }, { ",5", 500 },
		{ "0.5mm", 500 }, { "0.5 mm", 500 }, { "0,25MM", 250 }, { " 1.25 ", 1250 },
		{ "3", 3000 }, { "0.001", 1 },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(accepted); i++) {
		g_autoptr(GError) error = NULL;
		uint32_t um = 0;

		if (!penctl_input_depth_mm(accepted[i].text, &um, &error))
			fail_msg("\"%s\" refused: %s", accepted[i].text, error->message);
		assert_int_equal(um, accepted[i].um);
	}
}

static void test_garbage_is_refused_saying_what_to_type(void **state)
{
	static const char *const refused[] = {
		"", "mm", "deep", "-1", "1e3", "0.0001", "1.2.3", "0,5.1", "0.5 cm", "1.",
		"0..5", "5mm mm", "99999999999",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autoptr(GError) error = NULL;
		uint32_t um = 7;

		if (penctl_input_depth_mm(refused[i], &um, &error))
			fail_msg("\"%s\" accepted as %u um", refused[i], um);
		assert_int_equal(um, 7);
		assert_non_null(strstr(error->message, "0,5"));
		assert_non_null(strstr(error->message, refused[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_depth_as_a_person_types_it),
		cmocka_unit_test(test_garbage_is_refused_saying_what_to_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
