// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bluetoothd's answers to scan, pair and forget, as PEN_LINK_ERROR codes
 * (ble/pen_scan.c, pen_scan_error_from_bluez): the daemon maps each code to
 * one D-Bus error name, so each must come out right.  The paths that need
 * a bus (bluetoothd absent, no adapter, adapter off, device unknown, busy)
 * are tested end to end in tests/integration/test_pen_link.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pen_scan.h"

static void assert_code(GError *from, enum pen_link_error_code otherwise,
			enum pen_link_error_code expected)
{
	g_autoptr(GError) bluez = from;
	g_autoptr(GError) error = pen_scan_error_from_bluez(bluez, otherwise);

	assert_true(error->domain == PEN_LINK_ERROR);
	assert_int_equal(error->code, expected);
	/* The message is bluetoothd's, for a person to read. */
	assert_string_equal(error->message, bluez->message);
}

static GError *bluez_error(const char *name, const char *message)
{
	return g_dbus_error_new_for_dbus_error(name, message);
}

static void error_bluetoothd_absent_is_not_running(void **state)
{
	(void)state;
	assert_code(g_error_new(G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN, "no org.bluez"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_BLUEZ_NOT_RUNNING);
	assert_code(g_error_new(G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER, "no owner"),
		    PEN_LINK_ERROR_FAILED, PEN_LINK_ERROR_BLUEZ_NOT_RUNNING);
}

static void error_device_gone_is_device_unknown(void **state)
{
	(void)state;
	assert_code(g_error_new(G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, "no such object"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_DEVICE_UNKNOWN);
	assert_code(bluez_error("org.bluez.Error.DoesNotExist", "Does Not Exist"),
		    PEN_LINK_ERROR_FAILED, PEN_LINK_ERROR_DEVICE_UNKNOWN);
}

static void error_adapter_not_ready_is_adapter_off(void **state)
{
	(void)state;
	assert_code(bluez_error("org.bluez.Error.NotReady", "Resource Not Ready"),
		    PEN_LINK_ERROR_FAILED, PEN_LINK_ERROR_ADAPTER_OFF);
}

static void error_in_progress_is_busy(void **state)
{
	(void)state;
	assert_code(bluez_error("org.bluez.Error.InProgress", "In Progress"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_BUSY);
	assert_code(bluez_error("org.bluez.Error.InProgress", "Operation already in progress"),
		    PEN_LINK_ERROR_FAILED, PEN_LINK_ERROR_BUSY);
}

static void error_pairing_rejected_is_refused(void **state)
{
	(void)state;
	assert_code(bluez_error("org.bluez.Error.AuthenticationRejected", "Authentication Rejected"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_PAIRING_REFUSED);
	assert_code(bluez_error("org.bluez.Error.AuthenticationCanceled", "Authentication Canceled"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_PAIRING_REFUSED);
}

static void error_pairing_unanswered_is_timeout(void **state)
{
	(void)state;
	assert_code(bluez_error("org.bluez.Error.AuthenticationTimeout", "Authentication Timeout"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_PAIRING_TIMEOUT);
	assert_code(g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timeout was reached"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_PAIRING_TIMEOUT);
	assert_code(g_error_new(G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY, "no reply"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_PAIRING_TIMEOUT);
}

static void error_pairing_otherwise_failed(void **state)
{
	(void)state;
	assert_code(bluez_error("org.bluez.Error.AuthenticationFailed", "Authentication Failed"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_PAIRING_FAILED);
	assert_code(bluez_error("org.bluez.Error.ConnectionAttemptFailed", "Page Timeout"),
		    PEN_LINK_ERROR_PAIRING_FAILED, PEN_LINK_ERROR_PAIRING_FAILED);
}

static void error_scan_refused_otherwise_failed(void **state)
{
	(void)state;
	assert_code(bluez_error("org.bluez.Error.Failed", "Operation failed"),
		    PEN_LINK_ERROR_FAILED, PEN_LINK_ERROR_FAILED);
	/* A timeout outside pairing is not a pairing timeout. */
	assert_code(g_error_new(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timeout was reached"),
		    PEN_LINK_ERROR_FAILED, PEN_LINK_ERROR_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error_bluetoothd_absent_is_not_running),
		cmocka_unit_test(error_device_gone_is_device_unknown),
		cmocka_unit_test(error_adapter_not_ready_is_adapter_off),
		cmocka_unit_test(error_in_progress_is_busy),
		cmocka_unit_test(error_pairing_rejected_is_refused),
		cmocka_unit_test(error_pairing_unanswered_is_timeout),
		cmocka_unit_test(error_pairing_otherwise_failed),
		cmocka_unit_test(error_scan_refused_otherwise_failed),
	};

	return cmocka_run_group_tests_name("pen-link-errors", tests, NULL, NULL);
}
