/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The persistent state store: round trip, atomic write, corrupt files set
 * aside, missing or unusable directories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "penctl/state_store.h"

struct fixture {
	char *dir;
};

static int fixture_setup(void **state)
{
	struct fixture *fx = g_new0(struct fixture, 1);
	g_autoptr(GError) error = NULL;

	fx->dir = g_dir_make_tmp("penctl-state-XXXXXX", &error);
	if (!fx->dir)
		fail_msg("%s", error->message);
	*state = fx;
	return 0;
}

static void remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir) {
		while ((name = g_dir_read_name(dir))) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		g_dir_close(dir);
	}
	g_remove(path);
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	remove_tree(fx->dir);
	g_free(fx->dir);
	g_free(fx);
	return 0;
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in DIR, sorted, space separated. */
static char *list_dir(const char *path)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	assert_non_null(dir);
	while ((name = g_dir_read_name(dir)))
		g_ptr_array_add(names, g_strdup(name));
	g_dir_close(dir);
	g_ptr_array_sort(names, compare_names);
	g_ptr_array_add(names, NULL);
	return g_strjoinv(" ", (char **)names->pdata);
}

static char *state_path(const struct fixture *fx)
{
	return g_build_filename(fx->dir, PENCTL_STATE_FILE_NAME, NULL);
}

static void write_state_file(const struct fixture *fx, const char *text)
{
	g_autofree char *path = state_path(fx);

	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static struct penctl_state *sample_state(void)
{
	struct penctl_state *state = penctl_state_new();

	assert_true(penctl_state_set_pen_address(state, "aa:bb:cc:dd:ee:01"));
	assert_true(penctl_state_add_cartridge(state, 0x162e));
	assert_true(penctl_state_add_cartridge(state, 0x4d2));
	assert_true(penctl_state_add_cartridge(state, UINT64_C(0xfedcba9876543210)));
	return state;
}

static void save_or_fail(const char *dir, const struct penctl_state *state)
{
	g_autoptr(GError) error = NULL;

	if (!state_store_save(dir, state, &error))
		fail_msg("state_store_save: %s", error->message);
}

static void assert_empty_state(const struct penctl_state *state)
{
	assert_non_null(state);
	assert_string_equal(state->pen_address, "");
	assert_int_equal(state->used_cartridges->len, 0);
}

static void saved_state_reads_back_the_same(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) saved = sample_state();
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;
	g_autofree char *path = state_path(fx);
	g_autofree char *text = NULL;

	save_or_fail(fx->dir, saved);
	assert_true(state_store_load(fx->dir, &loaded, &warning));
	assert_null(warning);
	assert_string_equal(loaded->pen_address, "AA:BB:CC:DD:EE:01");
	assert_int_equal(loaded->used_cartridges->len, 3);
	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
	assert_true(penctl_state_has_cartridge(loaded, 0x162e));
	assert_true(penctl_state_has_cartridge(loaded, UINT64_C(0xfedcba9876543210)));
	assert_false(penctl_state_has_cartridge(loaded, 0x4d3));

	/* The documented format, for people and for older versions. */
	assert_true(g_file_get_contents(path, &text, NULL, NULL));
	assert_non_null(strstr(text, "[Pen]\nAddress=AA:BB:CC:DD:EE:01\n"));
	assert_non_null(strstr(text, "[Cartridges]\nUsed=00000000000004d2;000000000000162e;"
				     "fedcba9876543210;\n"));
}

static void empty_state_round_trips(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) empty = penctl_state_new();
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;

	save_or_fail(fx->dir, empty);
	assert_true(state_store_load(fx->dir, &loaded, &warning));
	assert_null(warning);
	assert_empty_state(loaded);
}

static void save_leaves_only_the_state_file_private_to_the_daemon(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) saved = sample_state();
	g_autofree char *names = NULL;
	g_autofree char *path = state_path(fx);
	GStatBuf st;

	save_or_fail(fx->dir, saved);
	assert_true(penctl_state_add_cartridge(saved, 99));
	save_or_fail(fx->dir, saved); /* replaces the first */
	names = list_dir(fx->dir);
	assert_string_equal(names, "state");
	assert_int_equal(g_stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void missing_file_is_an_empty_state_without_warning(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;

	assert_true(state_store_load(fx->dir, &loaded, &warning));
	assert_null(warning);
	assert_empty_state(loaded);
}

static void missing_directory_is_an_empty_state_on_read(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *missing = g_build_filename(fx->dir, "no-such-dir", NULL);
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;

	assert_true(state_store_load(missing, &loaded, &warning));
	assert_null(warning);
	assert_empty_state(loaded);
}

static void load_corrupt_and_check_set_aside(const struct fixture *fx, const char *text,
					     const char *expected_in_warning)
{
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;
	g_autofree char *path = state_path(fx);
	g_autofree char *names = NULL;
	g_autofree char *aside_path = NULL;
	g_autofree char *aside_text = NULL;
	g_auto(GStrv) parts = NULL;

	write_state_file(fx, text);
	assert_false(state_store_load(fx->dir, &loaded, &warning));
	assert_empty_state(loaded);
	assert_non_null(warning);
	if (!strstr(warning->message, expected_in_warning))
		fail_msg("warning \"%s\" does not mention \"%s\"", warning->message,
			 expected_in_warning);
	assert_non_null(strstr(warning->message, "state.corrupt-"));

	/* The bad file is gone from its place and kept, unchanged, aside. */
	assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	names = list_dir(fx->dir);
	parts = g_strsplit(names, " ", -1);
	assert_int_equal(g_strv_length(parts), 1);
	assert_true(g_str_has_prefix(parts[0], "state.corrupt-"));
	assert_non_null(strstr(warning->message, parts[0]));
	aside_path = g_build_filename(fx->dir, parts[0], NULL);
	assert_true(g_file_get_contents(aside_path, &aside_text, NULL, NULL));
	assert_string_equal(aside_text, text);
	assert_int_equal(g_remove(aside_path), 0);
}

static void corrupt_file_is_reported_and_set_aside(void **state)
{
	struct fixture *fx = *state;

	load_corrupt_and_check_set_aside(fx, "this is not a key file\n", "not a key file");
	load_corrupt_and_check_set_aside(fx, "[Pen]\nAddress=AA:BB:CC:DD:EE\n",
					 "not a Bluetooth address");
	load_corrupt_and_check_set_aside(fx, "[Pen]\nAddress=AA:BB:CC:DD:EE:GG\n",
					 "not a Bluetooth address");
	load_corrupt_and_check_set_aside(fx, "[Cartridges]\nUsed=00000000000004d2;xyz;\n",
					 "\"xyz\"");
	load_corrupt_and_check_set_aside(fx, "[Cartridges]\nUsed=0000000000000000;\n",
					 "not a cartridge id");
	load_corrupt_and_check_set_aside(fx, "[Cartridges]\nUsed=-1;\n", "not a cartridge id");
	load_corrupt_and_check_set_aside(fx, "[Cartridges]\nUsed=10000000000000000;\n",
					 "not a cartridge id");
}

static void corrupt_files_never_overwrite_each_other(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *names = NULL;
	g_auto(GStrv) parts = NULL;

	for (int i = 0; i < 3; i++) {
		g_autoptr(penctl_state) loaded = NULL;
		g_autoptr(GError) warning = NULL;
		g_autofree char *text = g_strdup_printf("garbage %d\n", i);

		write_state_file(fx, text);
		assert_false(state_store_load(fx->dir, &loaded, &warning));
	}
	names = list_dir(fx->dir);
	parts = g_strsplit(names, " ", -1);
	assert_int_equal(g_strv_length(parts), 3);
}

static void unreadable_state_is_reported_and_left_in_place(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *path = state_path(fx);
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;

	/* A directory where the file should be: read fails, root or not. */
	assert_int_equal(g_mkdir(path, 0700), 0);
	assert_false(state_store_load(fx->dir, &loaded, &warning));
	assert_non_null(warning);
	assert_empty_state(loaded);
	assert_true(g_file_test(path, G_FILE_TEST_IS_DIR));
}

static void unknown_groups_and_short_ids_are_accepted(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;

	write_state_file(fx, "[Pen]\nAddress=\n[Cartridges]\nUsed=4d2;4D2;\n[Later]\nKey=1\n");
	assert_true(state_store_load(fx->dir, &loaded, &warning));
	assert_null(warning);
	assert_string_equal(loaded->pen_address, "");
	assert_int_equal(loaded->used_cartridges->len, 1);
	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
}

static void save_to_a_missing_directory_fails_naming_it(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *missing = g_build_filename(fx->dir, "no-such-dir", NULL);
	g_autoptr(penctl_state) saved = sample_state();
	g_autoptr(GError) error = NULL;

	assert_false(state_store_save(missing, saved, &error));
	assert_non_null(error);
	assert_non_null(strstr(error->message, missing));
	assert_non_null(strstr(error->message, "does not exist"));
	assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
}

static void save_below_a_regular_file_fails_naming_the_directory(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *file = g_build_filename(fx->dir, "plain-file", NULL);
	g_autofree char *below = g_build_filename(file, "sub", NULL);
	g_autoptr(penctl_state) saved = sample_state();
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;

	/* Root ignores permissions; a file as a path component stops it. */
	assert_true(g_file_set_contents(file, "x", -1, NULL));
	assert_false(state_store_save(file, saved, &error));
	assert_non_null(error);
	assert_non_null(strstr(error->message, file));
	g_clear_error(&error);
	assert_false(state_store_save(below, saved, &error));
	assert_non_null(error);
	assert_non_null(strstr(error->message, below));
	names = list_dir(fx->dir);
	assert_string_equal(names, "plain-file");
}

static void failed_replace_keeps_the_old_state_and_no_temporary_file(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *path = state_path(fx);
	g_autofree char *inside = g_build_filename(path, "keep", NULL);
	g_autoptr(penctl_state) saved = sample_state();
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;

	/* "state" is a non-empty directory: the temporary file is written
	 * and synced, then the rename over it fails. */
	assert_int_equal(g_mkdir(path, 0700), 0);
	assert_true(g_file_set_contents(inside, "x", -1, NULL));
	assert_false(state_store_save(fx->dir, saved, &error));
	assert_non_null(error);
	assert_non_null(strstr(error->message, path));
	names = list_dir(fx->dir);
	assert_string_equal(names, "state");
	assert_true(g_file_test(inside, G_FILE_TEST_IS_REGULAR));
}

static void cartridge_set_keeps_each_id_once_and_never_zero(void **state)
{
	g_autoptr(penctl_state) set = penctl_state_new();

	(void)state;
	assert_true(penctl_state_add_cartridge(set, 30));
	assert_true(penctl_state_add_cartridge(set, 10));
	assert_true(penctl_state_add_cartridge(set, 20));
	assert_false(penctl_state_add_cartridge(set, 20));
	assert_false(penctl_state_add_cartridge(set, 0));
	assert_int_equal(set->used_cartridges->len, 3);
	assert_int_equal(g_array_index(set->used_cartridges, uint64_t, 0), 10);
	assert_int_equal(g_array_index(set->used_cartridges, uint64_t, 1), 20);
	assert_int_equal(g_array_index(set->used_cartridges, uint64_t, 2), 30);
	assert_false(penctl_state_has_cartridge(set, 0));
	assert_false(penctl_state_has_cartridge(set, 25));
	assert_false(penctl_state_has_cartridge(set, 40));
}

static void pen_address_must_be_a_bluetooth_address(void **state)
{
	g_autoptr(penctl_state) st = penctl_state_new();

	(void)state;
	assert_true(penctl_state_set_pen_address(st, "aa:bb:cc:dd:ee:ff"));
	assert_string_equal(st->pen_address, "AA:BB:CC:DD:EE:FF");
	assert_false(penctl_state_set_pen_address(st, "AA:BB:CC:DD:EE:FF:00"));
	assert_false(penctl_state_set_pen_address(st, "AA-BB-CC-DD-EE-FF"));
	assert_false(penctl_state_set_pen_address(st, "AA:BB:CC:DD:EE:F"));
	assert_string_equal(st->pen_address, "AA:BB:CC:DD:EE:FF");
	assert_true(penctl_state_set_pen_address(st, NULL));
	assert_string_equal(st->pen_address, "");
}

static void state_directory_comes_from_systemd(void **state)
{
	g_autofree char *unset = NULL, *single = NULL, *listed = NULL, *empty = NULL;

	(void)state;
	g_unsetenv("STATE_DIRECTORY");
	unset = penctl_state_dir();
	assert_string_equal(unset, PENCTL_STATE_DIR_DEFAULT);
	g_setenv("STATE_DIRECTORY", "/run/x/penctld", TRUE);
	single = penctl_state_dir();
	assert_string_equal(single, "/run/x/penctld");
	g_setenv("STATE_DIRECTORY", "/var/lib/penctld:/var/lib/other", TRUE);
	listed = penctl_state_dir();
	assert_string_equal(listed, "/var/lib/penctld");
	g_setenv("STATE_DIRECTORY", "", TRUE);
	empty = penctl_state_dir();
	assert_string_equal(empty, PENCTL_STATE_DIR_DEFAULT);
	g_unsetenv("STATE_DIRECTORY");
}

#define FIXTURE_TEST(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FIXTURE_TEST(saved_state_reads_back_the_same),
		FIXTURE_TEST(empty_state_round_trips),
		FIXTURE_TEST(save_leaves_only_the_state_file_private_to_the_daemon),
		FIXTURE_TEST(missing_file_is_an_empty_state_without_warning),
		FIXTURE_TEST(missing_directory_is_an_empty_state_on_read),
		FIXTURE_TEST(corrupt_file_is_reported_and_set_aside),
		FIXTURE_TEST(corrupt_files_never_overwrite_each_other),
		FIXTURE_TEST(unreadable_state_is_reported_and_left_in_place),
		FIXTURE_TEST(unknown_groups_and_short_ids_are_accepted),
		FIXTURE_TEST(save_to_a_missing_directory_fails_naming_it),
		FIXTURE_TEST(save_below_a_regular_file_fails_naming_the_directory),
		FIXTURE_TEST(failed_replace_keeps_the_old_state_and_no_temporary_file),
		cmocka_unit_test(cartridge_set_keeps_each_id_once_and_never_zero),
		cmocka_unit_test(pen_address_must_be_a_bluetooth_address),
		cmocka_unit_test(state_directory_comes_from_systemd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
