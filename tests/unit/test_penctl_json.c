// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * penctl's machine side: the JSON writer (cli/json_out.c), the journal
 * export reader (cli/journal_export.c) and the exit status of each kind of
 * D-Bus error (cli/penctl_client.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <gio/gio.h>

#include "journal_export.h"
#include "json_out.h"
#include "penctl_client.h"

static void test_json_escapes_quotes_controls_and_backslashes(void **state)
{
	g_autoptr(GString) out = g_string_new(NULL);

	(void)state;
	json_append_escaped(out, "a\"b\\c\nd\x01" "e\t");
	assert_string_equal(out->str, "\"a\\\"b\\\\c\\nd\\u0001e\\t\"");
}

static void test_json_places_commas_between_members(void **state)
{
	struct json_out json;
	g_autofree char *text = NULL;

	(void)state;
	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_member_string(&json, "a", "x");
	json_out_member_uint(&json, "b", 2);
	json_out_key(&json, "c");
	json_out_begin_array(&json);
	json_out_bool(&json, true);
	json_out_null(&json);
	json_out_begin_object(&json);
	json_out_end_object(&json);
	json_out_end_array(&json);
	json_out_key(&json, "d");
	json_out_int(&json, -3);
	json_out_end_object(&json);
	text = json_out_finish(&json);
	assert_string_equal(text, "{\"a\":\"x\",\"b\":2,\"c\":[true,null,{}],\"d\":-3}");
}

/* penctl --json: a command's writer is printed (finished) by one function
 * and finished again by its owner; the second finish must not leave a new
 * buffer behind (it did: one GString per call, exit 23 under LSan). */
static void test_json_finished_twice_holds_nothing(void **state)
{
	struct json_out json;
	g_autofree char *text = NULL;

	(void)state;
	json_out_init(&json);
	json_out_begin_object(&json);
	json_out_member_bool(&json, "forgotten", true);
	json_out_end_object(&json);
	text = json_out_finish(&json);
	assert_string_equal(text, "{\"forgotten\":true}");
	assert_null(json_out_finish(&json));
	assert_null(json.text);
}

static void test_json_writes_variants_dicts_as_objects_and_tuples_as_arrays(void **state)
{
	g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_new_parsed(
		"{'State': <'ready'>, 'Battery': <byte 80>, 'Limits': <[('home', 'face', uint32 500)]>,"
		" 'Faults': <@as []>, 'Used': <uint64 65000>, 'Rssi': <int16 -60>}"));
	struct json_out json;
	g_autofree char *text = NULL;

	(void)state;
	json_out_init(&json);
	json_out_variant(&json, v);
	text = json_out_finish(&json);
	assert_string_equal(text, "{\"State\":\"ready\",\"Battery\":80,"
				  "\"Limits\":[[\"home\",\"face\",500]],\"Faults\":[],"
				  "\"Used\":65000,\"Rssi\":-60}");
}

struct collected {
	int n;
	char *event[4];
	char *binary;
};

static void collect(GHashTable *fields, void *user_data)
{
	struct collected *c = user_data;

	if (c->n < 4)
		c->event[c->n] = g_strdup(g_hash_table_lookup(fields, "PENCTL_EVENT"));
	if (g_hash_table_lookup(fields, "BIN"))
		c->binary = g_strdup(g_hash_table_lookup(fields, "BIN"));
	c->n++;
}

static void collected_clear(struct collected *c)
{
	for (int i = 0; i < 4; i++)
		g_free(c->event[i]);
	g_free(c->binary);
}

static const char export_stream[] =
	"__REALTIME_TIMESTAMP=1\nPENCTL_EVENT=session-start\nMESSAGE=a=b\n\n"
	"PENCTL_EVENT=depth-set\nBIN\n\x05\0\0\0\0\0\0\0" "hello\n\n"
	"PENCTL_EVENT=session-end\n";

static void test_journal_export_reads_records_in_any_chunking(void **state)
{
	(void)state;
	/* Every split point, so a field cut anywhere is waited for. */
	for (size_t split = 0; split <= sizeof(export_stream) - 1; split++) {
		struct collected c = { 0 };
		g_autoptr(journal_export_parser) parser = journal_export_parser_new(collect, &c);
		g_autoptr(GError) error = NULL;

		assert_true(journal_export_parser_feed(parser, export_stream, split, &error));
		assert_true(journal_export_parser_feed(parser, export_stream + split,
						       sizeof(export_stream) - 1 - split, &error));
		assert_true(journal_export_parser_finish(parser, &error));
		assert_int_equal(c.n, 3);
		assert_string_equal(c.event[0], "session-start");
		assert_string_equal(c.event[1], "depth-set");
		assert_string_equal(c.event[2], "session-end");
		assert_string_equal(c.binary, "hello");
		collected_clear(&c);
	}
}

static void test_journal_export_rejects_an_absurd_binary_length(void **state)
{
	static const char bad[] = "BIN\n\xff\xff\xff\xff\xff\xff\xff\x7f" "x\n";
	struct collected c = { 0 };
	g_autoptr(journal_export_parser) parser = journal_export_parser_new(collect, &c);
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_false(journal_export_parser_feed(parser, bad, sizeof(bad) - 1, &error));
	assert_non_null(error);
	assert_int_equal(c.n, 0);
}

static void test_journal_export_reports_a_stream_cut_inside_a_field(void **state)
{
	static const char cut[] = "PENCTL_EVENT=session-start\nBIN\n\x05\0\0";
	struct collected c = { 0 };
	g_autoptr(journal_export_parser) parser = journal_export_parser_new(collect, &c);
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_true(journal_export_parser_feed(parser, cut, sizeof(cut) - 1, &error));
	assert_false(journal_export_parser_finish(parser, &error));
	collected_clear(&c);
}

static int exit_for_remote(const char *name)
{
	g_autoptr(GError) error = g_dbus_error_new_for_dbus_error(name, "message");

	return penctl_exit_code_for_error(error);
}

static void test_exit_status_tells_refused_unreachable_and_denied_apart(void **state)
{
	g_autoptr(GError) io = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no socket");
	g_autoptr(GError) perm = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "x");

	(void)state;
	assert_int_equal(penctl_exit_code_for_error(NULL), PENCTL_EXIT_OK);
	assert_int_equal(exit_for_remote("io.penctld.Penctl1.Error.DepthAboveLimit"),
			 PENCTL_EXIT_REFUSED);
	assert_int_equal(exit_for_remote("io.penctld.Penctl1.Error.NoSession"),
			 PENCTL_EXIT_REFUSED);
	assert_int_equal(exit_for_remote("org.freedesktop.DBus.Error.AccessDenied"),
			 PENCTL_EXIT_NOPERM);
	assert_int_equal(exit_for_remote("org.freedesktop.DBus.Error.ServiceUnknown"),
			 PENCTL_EXIT_UNAVAILABLE);
	assert_int_equal(exit_for_remote("org.freedesktop.DBus.Error.NameHasNoOwner"),
			 PENCTL_EXIT_UNAVAILABLE);
	assert_int_equal(exit_for_remote("org.freedesktop.DBus.Error.NoServer"),
			 PENCTL_EXIT_UNAVAILABLE);
	assert_int_equal(penctl_exit_code_for_error(io), PENCTL_EXIT_UNAVAILABLE);
	assert_int_equal(penctl_exit_code_for_error(perm), PENCTL_EXIT_NOPERM);
}

static void test_error_names_are_short_for_penctld_errors(void **state)
{
	g_autoptr(GError) own = g_dbus_error_new_for_dbus_error(
		"io.penctld.Penctl1.Error.DepthAboveLimit",
		"1.20 mm is above the limit 0.50 mm for role home");
	g_autoptr(GError) other = g_dbus_error_new_for_dbus_error(
		"org.freedesktop.DBus.Error.AccessDenied", "denied");
	g_autofree char *own_name = penctl_error_name(own);
	g_autofree char *other_name = penctl_error_name(other);
	g_autofree char *message = penctl_error_message(own);

	(void)state;
	assert_string_equal(own_name, "DepthAboveLimit");
	assert_string_equal(other_name, "org.freedesktop.DBus.Error.AccessDenied");
	assert_string_equal(message, "1.20 mm is above the limit 0.50 mm for role home");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escapes_quotes_controls_and_backslashes),
		cmocka_unit_test(test_json_places_commas_between_members),
		cmocka_unit_test(test_json_finished_twice_holds_nothing),
		cmocka_unit_test(test_json_writes_variants_dicts_as_objects_and_tuples_as_arrays),
		cmocka_unit_test(test_journal_export_reads_records_in_any_chunking),
		cmocka_unit_test(test_journal_export_rejects_an_absurd_binary_length),
		cmocka_unit_test(test_journal_export_reports_a_stream_cut_inside_a_field),
		cmocka_unit_test(test_exit_status_tells_refused_unreachable_and_denied_apart),
		cmocka_unit_test(test_error_names_are_short_for_penctld_errors),
	};

	return cmocka_run_group_tests_name("penctl-json", tests, NULL, NULL);
}
