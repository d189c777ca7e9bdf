// SPDX-License-Identifier: GPL-2.0-or-later
/* The conditions set: words for each, set/clear report changes, the
 * variant lists what holds in root-cause order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "penctl/conditions.h"

static void every_condition_has_words(void **state)
{
	(void)state;
	for (int i = 0; i < PENCTL_CONDITION_COUNT; i++) {
		assert_string_not_equal(penctl_condition_name((enum penctl_condition)i), "unknown");
		assert_true(penctl_condition_meaning((enum penctl_condition)i)[0]);
		assert_true(penctl_condition_fix((enum penctl_condition)i)[0]);
	}
	assert_string_equal(penctl_condition_name(PENCTL_CONDITION_COUNT), "unknown");
}

static void set_and_clear_say_whether_anything_changed(void **state)
{
	struct penctl_conditions *c = penctl_conditions_new();

	(void)state;
	assert_true(penctl_conditions_set(c, PENCTL_CONDITION_PEDAL_MISSING, "no gpiochip0"));
	assert_false(penctl_conditions_set(c, PENCTL_CONDITION_PEDAL_MISSING, "no gpiochip0"));
	assert_true(penctl_conditions_set(c, PENCTL_CONDITION_PEDAL_MISSING, "EACCES"));
	assert_true(penctl_conditions_has(c, PENCTL_CONDITION_PEDAL_MISSING));
	assert_true(penctl_conditions_clear(c, PENCTL_CONDITION_PEDAL_MISSING));
	assert_false(penctl_conditions_clear(c, PENCTL_CONDITION_PEDAL_MISSING));
	assert_false(penctl_conditions_has(c, PENCTL_CONDITION_PEDAL_MISSING));
	assert_false(penctl_conditions_set(c, PENCTL_CONDITION_COUNT, NULL));
	penctl_conditions_free(c);
}

static void the_variant_lists_root_causes_first_with_the_detail(void **state)
{
	struct penctl_conditions *c = penctl_conditions_new();
	g_autoptr(GVariant) v = NULL;
	const char *name, *meaning, *fix;

	(void)state;
	penctl_conditions_set(c, PENCTL_CONDITION_PEDAL_MISSING, "no gpiochip0");
	penctl_conditions_set(c, PENCTL_CONDITION_BLUETOOTHD_GONE, NULL);
	v = g_variant_ref_sink(penctl_conditions_to_variant(c));
	assert_int_equal(g_variant_n_children(v), 2);
	g_variant_get_child(v, 0, "(&s&s&s)", &name, &meaning, &fix);
	assert_string_equal(name, "bluetoothd-gone");
	g_variant_get_child(v, 1, "(&s&s&s)", &name, &meaning, &fix);
	assert_string_equal(name, "pedal-missing");
	assert_non_null(g_strstr_len(meaning, -1, "no gpiochip0"));
	assert_true(fix[0]);
	penctl_conditions_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_condition_has_words),
		cmocka_unit_test(set_and_clear_say_whether_anything_changed),
		cmocka_unit_test(the_variant_lists_root_causes_first_with_the_detail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
