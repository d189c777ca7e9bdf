// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The model of bluetoothd's objects, fed with GetManagedObjects-shaped
 * GVariants written as text: adapter choice, device by address, the pen's
 * characteristics by UUID wherever they live, and distrust of values of
 * the wrong type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "penctl/bluez_objects.h"
#include "penctl/pen_protocol.h"

#define PEN "/org/bluez/hci1/dev_AA_BB_CC_DD_EE_FF"
/* Deliberately not the usual serviceXXXX/charYYYY layout under the device. */
#define SERVICE "/org/bluez/hci1/dev_AA_BB_CC_DD_EE_FF/service0042"
#define STATUS_CHAR "/somewhere/else/char00ab"
#define CONTROL_CHAR SERVICE "/char0099"

static const char tree_text[] =
	"{"
	" objectpath '/org/bluez': {'org.bluez.AgentManager1': @a{sv} {}},"
	" '/org/bluez/hci0': {'org.bluez.Adapter1': {'Address': <'00:01:02:03:04:05'>,"
	"                                           'Powered': <false>}},"
	" '/org/bluez/hci1': {'org.bluez.Adapter1': {'Address': <'01:02:03:04:05:06'>,"
	"                                           'Powered': <true>}},"
	" '/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF': {'org.bluez.Device1':"
	"     {'Address': <'AA:BB:CC:DD:EE:FF'>, 'Adapter': <objectpath '/org/bluez/hci0'>,"
	"      'Connected': <true>}},"
	" '" PEN "': {'org.bluez.Device1':"
	"     {'Address': <'aa:bb:cc:dd:ee:ff'>, 'Adapter': <objectpath '/org/bluez/hci1'>,"
	"      'Connected': <false>, 'RSSI': <int16 -60>, 'Name': <'pen'>,"
	"      'UUIDs': <['" PEN_SERVICE_UUID "']>}},"
	" '" SERVICE "': {'org.bluez.GattService1':"
	"     {'UUID': <'" PEN_SERVICE_UUID "'>, 'Device': <objectpath '" PEN "'>,"
	"      'Primary': <true>}},"
	" '" STATUS_CHAR "': {'org.bluez.GattCharacteristic1':"
	"     {'UUID': <'" PEN_STATUS_UUID "'>, 'Service': <objectpath '" SERVICE "'>,"
	"      'Value': <@ay [0x01, 0x02]>}},"
	" '" CONTROL_CHAR "': {'org.bluez.GattCharacteristic1':"
	"     {'UUID': <'7D1E0002-4C2B-4F6A-9A51-5E3C0D8F1A20'>,"
	"      'Service': <objectpath '" SERVICE "'>}}"
	"}";

static int setup_tree(void **state)
{
	struct bluez_objects *objects = bluez_objects_new();
	g_autoptr(GVariant) tree = g_variant_ref_sink(g_variant_new_parsed(tree_text));

	assert_true(bluez_objects_load(objects, tree));
	*state = objects;
	return 0;
}

static int teardown_tree(void **state)
{
	bluez_objects_free(*state);
	return 0;
}

static void address_of(const char *text, struct bt_address *out)
{
	assert_true(bt_address_parse(text, out));
}

static void adapter_by_name_even_when_off(void **state)
{
	struct bluez_objects *objects = *state;

	assert_string_equal(bluez_objects_find_adapter(objects, "hci0"), "/org/bluez/hci0");
	assert_string_equal(bluez_objects_find_adapter(objects, "hci1"), "/org/bluez/hci1");
	assert_null(bluez_objects_find_adapter(objects, "hci7"));
}

static void adapter_default_is_first_powered(void **state)
{
	struct bluez_objects *objects = *state;

	assert_string_equal(bluez_objects_find_adapter(objects, NULL), "/org/bluez/hci1");
	assert_string_equal(bluez_objects_find_adapter(objects, ""), "/org/bluez/hci1");
}

static void adapter_default_without_powered_is_first_present(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) off = g_variant_ref_sink(g_variant_new_parsed("{'Powered': <false>}"));

	assert_true(bluez_objects_properties_changed(objects, "/org/bluez/hci1",
						     BLUEZ_ADAPTER_INTERFACE, off, NULL));
	assert_string_equal(bluez_objects_find_adapter(objects, NULL), "/org/bluez/hci0");
}

static void device_found_by_address_under_its_adapter(void **state)
{
	struct bluez_objects *objects = *state;
	struct bt_address pen, other;

	address_of("AA:BB:CC:DD:EE:FF", &pen);
	address_of("AA:BB:CC:DD:EE:00", &other);
	assert_string_equal(bluez_objects_find_device(objects, "/org/bluez/hci1", &pen), PEN);
	assert_string_equal(bluez_objects_find_device(objects, "/org/bluez/hci0", &pen),
			    "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF");
	assert_null(bluez_objects_find_device(objects, "/org/bluez/hci1", &other));
	assert_null(bluez_objects_find_device(objects, NULL, &pen));
}

static void characteristics_found_by_uuid_not_path(void **state)
{
	struct bluez_objects *objects = *state;
	const char *service = bluez_objects_find_service(objects, PEN, PEN_SERVICE_UUID);

	assert_string_equal(service, SERVICE);
	assert_string_equal(bluez_objects_find_characteristic(objects, service, PEN_STATUS_UUID),
			    STATUS_CHAR);
	/* UUIDs compare case-insensitively. */
	assert_string_equal(bluez_objects_find_characteristic(objects, service, PEN_CONTROL_UUID),
			    CONTROL_CHAR);
	assert_null(bluez_objects_find_characteristic(objects, service, PEN_DEPTH_UUID));
	/* The service of another device is not the pen's. */
	assert_null(bluez_objects_find_service(objects, "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF",
					       PEN_SERVICE_UUID));
}

static void typed_getters_read_values(void **state)
{
	struct bluez_objects *objects = *state;
	const uint8_t *bytes;
	size_t len;
	int16_t rssi = 0;
	bool connected = true;

	assert_true(bluez_objects_get_bool(objects, PEN, BLUEZ_DEVICE_INTERFACE, "Connected",
					   &connected));
	assert_false(connected);
	assert_true(bluez_objects_get_int16(objects, PEN, BLUEZ_DEVICE_INTERFACE, "RSSI", &rssi));
	assert_int_equal(rssi, -60);
	assert_string_equal(bluez_objects_get_string(objects, PEN, BLUEZ_DEVICE_INTERFACE, "Name"),
			    "pen");
	assert_true(bluez_objects_strv_contains(objects, PEN, BLUEZ_DEVICE_INTERFACE,
						"UUIDs", PEN_SERVICE_UUID));
	bytes = bluez_objects_get_bytes(objects, STATUS_CHAR, BLUEZ_GATT_CHAR_INTERFACE, "Value",
					&len);
	assert_non_null(bytes);
	assert_int_equal(len, 2);
	assert_int_equal(bytes[1], 0x02);
}

static void wrong_property_types_are_not_trusted(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) bad = g_variant_ref_sink(g_variant_new_parsed(
		"{objectpath '" PEN "': {'org.bluez.Device1': {'Address': <uint32 7>,"
		"   'Adapter': <'/org/bluez/hci1'>, 'Connected': <'yes'>, 'RSSI': <int32 -5>,"
		"   'UUIDs': <'" PEN_SERVICE_UUID "'>}},"
		" '/org/bluez/hci1': {'org.bluez.Adapter1': {'Powered': <uint32 1>}},"
		" '" SERVICE "': {'org.bluez.GattService1': {'UUID': <'" PEN_SERVICE_UUID "'>,"
		"   'Device': <'" PEN "'>}},"
		" '" STATUS_CHAR "': {'org.bluez.GattCharacteristic1': {"
		"   'UUID': <@ay [0x7d]>, 'Service': <objectpath '" SERVICE "'>,"
		"   'Value': <'not bytes'>}}}"));
	struct bt_address pen;
	bool b = true;
	int16_t rssi = 1;
	size_t len = 99;

	assert_true(bluez_objects_load(objects, bad));
	address_of("AA:BB:CC:DD:EE:FF", &pen);
	/* Adapter as a string, not an object path: the device is nobody's. */
	assert_null(bluez_objects_find_device(objects, "/org/bluez/hci1", &pen));
	assert_false(bluez_objects_get_bool(objects, PEN, BLUEZ_DEVICE_INTERFACE, "Connected", &b));
	assert_true(b); /* untouched */
	assert_false(bluez_objects_get_int16(objects, PEN, BLUEZ_DEVICE_INTERFACE, "RSSI", &rssi));
	assert_false(bluez_objects_strv_contains(objects, PEN, BLUEZ_DEVICE_INTERFACE,
						 "UUIDs", PEN_SERVICE_UUID));
	assert_null(bluez_objects_get_string(objects, PEN, BLUEZ_DEVICE_INTERFACE, "Address"));
	/* Powered as a number is not "powered". */
	assert_false(bluez_objects_get_bool(objects, "/org/bluez/hci1", BLUEZ_ADAPTER_INTERFACE,
					    "Powered", &b));
	assert_null(bluez_objects_find_service(objects, PEN, PEN_SERVICE_UUID));
	assert_null(bluez_objects_find_characteristic(objects, SERVICE, PEN_STATUS_UUID));
	assert_null(bluez_objects_get_bytes(objects, STATUS_CHAR, BLUEZ_GATT_CHAR_INTERFACE,
					    "Value", &len));
	assert_int_equal(len, 0);
}

static void load_of_wrong_shape_clears_model(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) wrong = g_variant_ref_sink(g_variant_new_parsed("{'a': <1>}"));

	assert_false(bluez_objects_load(objects, wrong));
	assert_null(bluez_objects_find_adapter(objects, NULL));
	assert_false(bluez_objects_load(objects, NULL));
}

static void load_accepts_reply_tuple(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) reply = g_variant_ref_sink(g_variant_new_parsed(
		"({objectpath '/org/bluez/hci3': {'org.bluez.Adapter1': {'Powered': <true>}}},)"));

	assert_true(bluez_objects_load(objects, reply));
	assert_string_equal(bluez_objects_find_adapter(objects, NULL), "/org/bluez/hci3");
	assert_null(bluez_objects_find_adapter(objects, "hci1")); /* replaced, not merged */
}

static void interfaces_removed_drops_device_and_empty_objects(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) ifaces = g_variant_ref_sink(g_variant_new_parsed(
		"['org.bluez.Device1']"));
	struct bt_address pen;

	address_of("AA:BB:CC:DD:EE:FF", &pen);
	assert_true(bluez_objects_interfaces_removed(objects, PEN, ifaces));
	assert_null(bluez_objects_find_device(objects, "/org/bluez/hci1", &pen));
	assert_false(bluez_objects_has_interface(objects, PEN, BLUEZ_DEVICE_INTERFACE));
	/* Removing again is harmless. */
	assert_false(bluez_objects_interfaces_removed(objects, PEN, ifaces));
}

static void interfaces_removed_keeps_other_interfaces(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) add = g_variant_ref_sink(g_variant_new_parsed(
		"{'org.bluez.Battery1': {'Percentage': <byte 50>}}"));
	g_autoptr(GVariant) remove = g_variant_ref_sink(g_variant_new_parsed(
		"['org.bluez.Battery1']"));

	assert_true(bluez_objects_interfaces_added(objects, PEN, add));
	assert_true(bluez_objects_has_interface(objects, PEN, "org.bluez.Battery1"));
	assert_true(bluez_objects_interfaces_removed(objects, PEN, remove));
	assert_false(bluez_objects_has_interface(objects, PEN, "org.bluez.Battery1"));
	assert_true(bluez_objects_has_interface(objects, PEN, BLUEZ_DEVICE_INTERFACE));
}

static void interfaces_added_makes_new_device_findable(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) add = g_variant_ref_sink(g_variant_new_parsed(
		"{'org.bluez.Device1': {'Address': <'11:22:33:44:55:66'>,"
		" 'Adapter': <objectpath '/org/bluez/hci1'>}}"));
	struct bt_address other;

	address_of("11:22:33:44:55:66", &other);
	assert_null(bluez_objects_find_device(objects, "/org/bluez/hci1", &other));
	assert_true(bluez_objects_interfaces_added(objects, "/org/bluez/hci1/dev_x", add));
	assert_string_equal(bluez_objects_find_device(objects, "/org/bluez/hci1", &other),
			    "/org/bluez/hci1/dev_x");
	assert_false(bluez_objects_interfaces_added(objects, "not a path", add));
}

static void properties_changed_updates_and_invalidates(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) changed = g_variant_ref_sink(g_variant_new_parsed(
		"{'Connected': <true>}"));
	g_autoptr(GVariant) invalidated = g_variant_ref_sink(g_variant_new_parsed("['RSSI']"));
	g_autoptr(GVariant) none = g_variant_ref_sink(g_variant_new_parsed("@as []"));
	int16_t rssi;
	bool connected = false;

	assert_true(bluez_objects_properties_changed(objects, PEN, BLUEZ_DEVICE_INTERFACE,
						     changed, invalidated));
	assert_true(bluez_objects_get_bool(objects, PEN, BLUEZ_DEVICE_INTERFACE, "Connected",
					   &connected));
	assert_true(connected);
	assert_false(bluez_objects_get_int16(objects, PEN, BLUEZ_DEVICE_INTERFACE, "RSSI", &rssi));
	/* Other properties stay. */
	assert_non_null(bluez_objects_get_string(objects, PEN, BLUEZ_DEVICE_INTERFACE, "Name"));
	/* Unknown objects and interfaces are not invented. */
	assert_false(bluez_objects_properties_changed(objects, "/org/bluez/hci9",
						      BLUEZ_ADAPTER_INTERFACE, changed, none));
	assert_false(bluez_objects_properties_changed(objects, PEN, BLUEZ_ADAPTER_INTERFACE,
						      changed, none));
	assert_false(bluez_objects_has_interface(objects, PEN, BLUEZ_ADAPTER_INTERFACE));
}

static void properties_changed_to_wrong_type_is_not_trusted(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GVariant) changed = g_variant_ref_sink(g_variant_new_parsed(
		"{'Connected': <byte 1>}"));
	bool connected = true;

	assert_true(bluez_objects_properties_changed(objects, PEN, BLUEZ_DEVICE_INTERFACE,
						     changed, NULL));
	assert_false(bluez_objects_get_bool(objects, PEN, BLUEZ_DEVICE_INTERFACE, "Connected",
					    &connected));
}

static void device_list_holds_only_that_adapter(void **state)
{
	struct bluez_objects *objects = *state;
	g_autoptr(GPtrArray) devices = bluez_objects_list_devices(objects, "/org/bluez/hci1");

	assert_int_equal(devices->len, 1);
	assert_string_equal(devices->pdata[0], PEN);
}

static void clear_forgets_everything(void **state)
{
	struct bluez_objects *objects = *state;

	bluez_objects_clear(objects);
	assert_null(bluez_objects_find_adapter(objects, NULL));
	assert_false(bluez_objects_has_interface(objects, PEN, BLUEZ_DEVICE_INTERFACE));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tree, teardown_tree)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(adapter_by_name_even_when_off),
		T(adapter_default_is_first_powered),
		T(adapter_default_without_powered_is_first_present),
		T(device_found_by_address_under_its_adapter),
		T(characteristics_found_by_uuid_not_path),
		T(typed_getters_read_values),
		T(wrong_property_types_are_not_trusted),
		T(load_of_wrong_shape_clears_model),
		T(load_accepts_reply_tuple),
		T(interfaces_removed_drops_device_and_empty_objects),
		T(interfaces_removed_keeps_other_interfaces),
		T(interfaces_added_makes_new_device_findable),
		T(properties_changed_updates_and_invalidates),
		T(properties_changed_to_wrong_type_is_not_trusted),
		T(device_list_holds_only_that_adapter),
		T(clear_forgets_everything),
	};

	return cmocka_run_group_tests_name("bluez-objects", tests, NULL, NULL);
}
