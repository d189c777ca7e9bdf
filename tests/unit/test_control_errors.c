// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every refusal of io.penctld.Penctl1 is a named D-Bus error
 * (daemon/control_errors.c): one name per engine reason, one per
 * CONTROL_ERROR code, all under io.penctld.Penctl1.Error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "penctl/control_service.h"

/* A D-Bus name element: [A-Za-z_][A-Za-z0-9_]*, here CamelCase. */
static bool is_camel_case_name(const char *name)
{
	if (!name || !g_ascii_isupper(name[0]))
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_isalnum(*p))
			return false;
	return true;
}

static void test_every_engine_reason_has_an_error_name(void **state)
{
	(void)state;
	for (int reason = 0; reason < ENGINE_REASON_COUNT; reason++) {
		const char *name = control_error_name_for_reason((enum engine_reason)reason);
		g_autofree char *full = g_strconcat(PENCTL_DBUS_ERROR_PREFIX, name, NULL);

		if (!is_camel_case_name(name))
			fail_msg("reason %d has name \"%s\"", reason, name ? name : "(null)");
		assert_true(g_dbus_is_interface_name(full)); /* same grammar as error names */
	}
}

static void test_the_refusals_of_the_issue_have_their_names(void **state)
{
	(void)state;
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_DEPTH_ABOVE_LIMIT),
			    "DepthAboveLimit");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_NO_SESSION),
			    "NoSession");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_SESSION_LOCKED),
			    "SessionLocked");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_SESSION_OPEN),
			    "SessionOpen");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_PEN_NOT_CONNECTED),
			    "PenNotConnected");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_CARTRIDGE_USED),
			    "CartridgeUsed");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_UNKNOWN_ROLE),
			    "UnknownRole");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_UNKNOWN_AREA),
			    "UnknownArea");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_NO_OPERATOR),
			    "NoOperator");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_CONTRAINDICATIONS),
			    "ContraindicationsNotChecked");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_DEPTH_OUT_OF_RANGE),
			    "DepthOutOfRange");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_SPEED_OUT_OF_RANGE),
			    "SpeedOutOfRange");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_ROLE_NOT_PERMITTED),
			    "RoleNotPermitted");
	assert_string_equal(control_error_name_for_reason(ENGINE_REASON_USED_LIST_UNTRUSTED),
			    "UsedListUntrusted");
	assert_string_equal(control_error_name_for_code(CONTROL_ERROR_CONFIG_REJECTED),
			    "ConfigRejected");
	assert_string_equal(control_error_name_for_code(CONTROL_ERROR_NOT_PERMITTED),
			    "NotPermitted");
}

static void test_a_reason_outside_the_enum_is_failed(void **state)
{
	(void)state;
	assert_string_equal(control_error_name_for_reason((enum engine_reason)ENGINE_REASON_COUNT),
			    "Failed");
	assert_string_equal(control_error_name_for_reason((enum engine_reason)-1), "Failed");
}

static void test_control_errors_travel_under_their_names(void **state)
{
	(void)state;
	for (int code = 0; code < CONTROL_ERROR_CODE_COUNT; code++) {
		g_autoptr(GError) error = g_error_new(CONTROL_ERROR, code, "message %d", code);
		g_autofree char *encoded = g_dbus_error_encode_gerror(error);
		g_autofree char *expected = g_strconcat(
			PENCTL_DBUS_ERROR_PREFIX,
			control_error_name_for_code((enum control_error_code)code), NULL);

		assert_true(is_camel_case_name(
			control_error_name_for_code((enum control_error_code)code)));
		assert_string_equal(encoded, expected);
	}
	assert_string_equal(control_error_name_for_code(CONTROL_ERROR_NO_PEN_FOUND),
			    "NoPenFound");
}

static void test_named_errors_decode_back_to_their_codes(void **state)
{
	g_autoptr(GError) error = NULL;

	(void)state;
	(void)control_error_quark(); /* registers the names */
	error = g_dbus_error_new_for_dbus_error(PENCTL_DBUS_ERROR_PREFIX "SeveralPensFound",
						"two pens");
	assert_true(g_error_matches(error, CONTROL_ERROR, CONTROL_ERROR_SEVERAL_PENS_FOUND));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_engine_reason_has_an_error_name),
		cmocka_unit_test(test_the_refusals_of_the_issue_have_their_names),
		cmocka_unit_test(test_a_reason_outside_the_enum_is_failed),
		cmocka_unit_test(test_control_errors_travel_under_their_names),
		cmocka_unit_test(test_named_errors_decode_back_to_their_codes),
	};

	return cmocka_run_group_tests_name("control-errors", tests, NULL, NULL);
}
