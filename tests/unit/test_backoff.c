// SPDX-License-Identifier: GPL-2.0-or-later
/* The shared backoff (common/backoff.c): doubles, caps, resets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "penctl/backoff.h"

static void backoff_doubles_up_to_the_cap(void **state)
{
	static const unsigned expected[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000 };
	struct backoff b;

	(void)state;
	backoff_init(&b, 1000, 30000);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		assert_int_equal(backoff_next(&b), expected[i]);
}

static void backoff_reset_starts_again_at_the_first_delay(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 500, 30000);
	backoff_next(&b);
	backoff_next(&b);
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b), 500);
	assert_int_equal(backoff_next(&b), 1000);
}

static void backoff_never_overflows_near_the_top(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 3000000000u, 4000000000u);
	assert_int_equal(backoff_next(&b), 3000000000u);
	assert_int_equal(backoff_next(&b), 4000000000u);
	assert_int_equal(backoff_next(&b), 4000000000u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_doubles_up_to_the_cap),
		cmocka_unit_test(backoff_reset_starts_again_at_the_first_delay),
		cmocka_unit_test(backoff_never_overflows_near_the_top),
	};

	return cmocka_run_group_tests_name("ble-backoff", tests, NULL, NULL);
}
