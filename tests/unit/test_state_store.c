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
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

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

/* The single state.corrupt-* in DIR, removed after checking it holds TEXT
 * unchanged; its name must appear in WARNING. */
static void check_copy_aside(const struct fixture *fx, const char *text, const GError *warning)
{
	g_autofree char *names = NULL;
	g_autofree char *aside_path = NULL;
	g_autofree char *aside_text = NULL;
	g_auto(GStrv) parts = NULL;
	const char *aside = NULL;

	names = list_dir(fx->dir);
	parts = g_strsplit(names, " ", -1);
	assert_int_equal(g_strv_length(parts), 2);
	for (int i = 0; parts[i]; i++) {
		if (g_str_has_prefix(parts[i], "state.corrupt-"))
			aside = parts[i];
		else
			assert_string_equal(parts[i], "state");
	}
	assert_non_null(aside);
	assert_non_null(strstr(warning->message, aside));
	aside_path = g_build_filename(fx->dir, aside, NULL);
	assert_true(g_file_get_contents(aside_path, &aside_text, NULL, NULL));
	assert_string_equal(aside_text, text);
	assert_int_equal(g_remove(aside_path), 0);
}

/* Load a damaged TEXT: reported, copied aside unchanged, repaired in place
 * (a second load reads the same state back whole, without a new copy). */
static struct penctl_state *load_damaged(const struct fixture *fx, const char *text,
					 const char *expected_in_warning, bool untrusted)
{
	struct penctl_state *loaded = NULL;
	g_autoptr(penctl_state) again = NULL;
	g_autoptr(GError) warning = NULL;
	g_autoptr(GError) again_warning = NULL;
	g_autofree char *names = NULL;

	write_state_file(fx, text);
	assert_false(state_store_load(fx->dir, &loaded, &warning));
	assert_non_null(loaded);
	assert_non_null(warning);
	if (!strstr(warning->message, expected_in_warning))
		fail_msg("warning \"%s\" does not mention \"%s\"", warning->message,
			 expected_in_warning);
	assert_int_equal(loaded->used_list_untrusted, untrusted);
	assert_int_equal(loaded->untrusted_why != NULL, untrusted);
	assert_false(loaded->file_unreadable);
	check_copy_aside(fx, text, warning);

	assert_true(state_store_load(fx->dir, &again, &again_warning));
	assert_null(again_warning);
	assert_int_equal(again->used_list_untrusted, untrusted);
	if (untrusted)
		assert_string_equal(again->untrusted_why, loaded->untrusted_why);
	assert_int_equal(again->used_cartridges->len, loaded->used_cartridges->len);
	for (guint i = 0; i < loaded->used_cartridges->len; i++)
		assert_true(penctl_state_has_cartridge(
			again, g_array_index(loaded->used_cartridges, uint64_t, i)));
	assert_string_equal(again->pen_address, loaded->pen_address);
	names = list_dir(fx->dir);
	assert_string_equal(names, "state");
	return loaded;
}

static void corrupt_file_is_reported_copied_aside_and_repaired(void **state)
{
	struct fixture *fx = *state;
	const struct {
		const char *text, *warning;
		bool untrusted;
		uint64_t kept; /* 0: none */
	} cases[] = {
		{ "this is not a key file\n", "neither a group header nor a key", true, 0 },
		{ "[Pen]\nAddress=AA:BB:CC:DD:EE\n[Cartridges]\nUsed=4d2;\n",
		  "not a Bluetooth address", false, 0x4d2 },
		{ "[Pen]\nAddress=AA:BB:CC:DD:EE:GG\n[Cartridges]\nUsed=4d2;\n",
		  "not a Bluetooth address", false, 0x4d2 },
		{ "[Pen]\nAddress=AA:BB:CC:DD:EE:01\n", "no Used= list", true, 0 },
		{ "", "no Used= list", true, 0 },
		{ "[Cartridges]\nUsed=00000000000004d2;xyz;\n", "\"xyz\"", true, 0x4d2 },
		{ "[Cartridges]\nUsed=0000000000000000;4d2;\n", "not a cartridge id", true, 0x4d2 },
		{ "[Cartridges]\nUsed=-1;4d2;\n", "not a cartridge id", true, 0x4d2 },
		{ "[Cartridges]\nUsed=10000000000000000;4d2;\n", "not a cartridge id", true, 0x4d2 },
		/* Cut at an id's end: whole ids, but the ones after are gone. */
		{ "[Cartridges]\nUsed=00000000000004d2;", "cut short", true, 0x4d2 },
		{ "[Cartridges]\nUsed=00000000000004d2;0000\n", "cut short", true, 0x4d2 },
		{ "[Cartridges]\nUsed=4d2;\nCount=3\n", "unknown key \"Count\"", true, 0x4d2 },
		{ "Used=4d2;\n[Cartridges]\nUsed=\n", "outside [Cartridges]", true, 0x4d2 },
		{ "[Cartridges]\nUsed=4d2;\n[Session]\nId=s\nNeedlingUs=x\n", "not a number", false,
		  0x4d2 },
	};

	g_autofree char *path = state_path(fx);

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(penctl_state) loaded = NULL;

		print_message("case %zu\n", i);
		loaded = load_damaged(fx, cases[i].text, cases[i].warning, cases[i].untrusted);
		assert_int_equal(loaded->used_cartridges->len, cases[i].kept ? 1 : 0);
		if (cases[i].kept)
			assert_true(penctl_state_has_cartridge(loaded, cases[i].kept));
		assert_int_equal(g_remove(path), 0);
	}
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
	assert_int_equal(g_strv_length(parts), 4); /* three copies and the state */
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
	assert_true(loaded->file_unreadable);
	assert_true(loaded->used_list_untrusted);
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


/* ---- damage never reopens a used cartridge ---- */

/* Load TEXT as the state file; the state, whatever load said. */
static struct penctl_state *load_text(const struct fixture *fx, const char *text)
{
	struct penctl_state *loaded = NULL;
	g_autoptr(GError) warning = NULL;

	write_state_file(fx, text);
	state_store_load(fx->dir, &loaded, &warning);
	assert_non_null(loaded);
	return loaded;
}

static void bad_address_keeps_every_used_cartridge(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) loaded =
		load_text(fx, "[Pen]\nAddress=not-an-address\n"
			      "[Cartridges]\nUsed=00000000000004d2;000000000000162e;\n");

	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
	assert_true(penctl_state_has_cartridge(loaded, 0x162e));
	assert_string_equal(loaded->pen_address, "");
	/* A bad address forgets only the address: the list is whole. */
	assert_false(loaded->used_list_untrusted);
}

static void truncated_list_keeps_every_whole_id(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) loaded =
		load_text(fx, "[Pen]\nAddress=AA:BB:CC:DD:EE:01\n"
			      "[Cartridges]\nUsed=00000000000004d2;000000000000162e;0000");

	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
	assert_true(penctl_state_has_cartridge(loaded, 0x162e));
	assert_string_equal(loaded->pen_address, "AA:BB:CC:DD:EE:01");
	assert_true(loaded->used_list_untrusted);
	assert_non_null(strstr(loaded->untrusted_why, "cut short"));
}

static void one_bad_id_keeps_the_ids_around_it(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) loaded =
		load_text(fx, "[Cartridges]\nUsed=00000000000004d2;zz;000000000000162e;\n");

	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
	assert_true(penctl_state_has_cartridge(loaded, 0x162e));
	assert_true(loaded->used_list_untrusted);
	assert_non_null(strstr(loaded->untrusted_why, "\"zz\""));
}

static void two_used_lines_keep_the_union(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) loaded =
		load_text(fx, "[Cartridges]\nUsed=00000000000004d2;\n"
			      "[Cartridges]\nUsed=000000000000162e;\n"
			      "[Other]\nUsed=0000000000000099;\n");

	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
	assert_true(penctl_state_has_cartridge(loaded, 0x162e));
	assert_true(penctl_state_has_cartridge(loaded, 0x99));
	assert_true(loaded->used_list_untrusted);
}

static void not_a_key_file_still_keeps_the_used_ids(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) loaded =
		load_text(fx, "garbage line\n[Cartridges]\nUsed=00000000000004d2;\n");

	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
	assert_true(loaded->used_list_untrusted);
}

static int glib_warnings;

static void count_glib_warning(const char *domain, GLogLevelFlags level, const char *message,
			       gpointer user_data)
{
	(void)domain;
	(void)level;
	(void)user_data;
	print_message("GLib said: %s\n", message);
	glib_warnings++;
}

static void bad_escape_in_the_address_sets_no_error_twice(void **state)
{
	struct fixture *fx = *state;
	guint handler = g_log_set_handler("GLib", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL |
						  G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
					  count_glib_warning, NULL);
	g_autoptr(penctl_state) loaded = NULL;

	glib_warnings = 0;
	loaded = load_text(fx, "[Pen]\nAddress=\\q\\\n[Cartridges]\nUsed=00000000000004d2;\n");
	g_log_remove_handler("GLib", handler);
	assert_int_equal(glib_warnings, 0);
	assert_string_equal(loaded->pen_address, "");
	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
}

/* ---- an unreadable file is never overwritten ---- */

/* A socket where the file should be: open() fails with ENXIO for anyone,
 * root included, and rename() would happily replace it. */
static int bind_socket_at(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(addr.sun_path));
	strcpy(addr.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	return fd;
}

static void unreadable_file_is_never_overwritten(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *path = state_path(fx);
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;
	g_autoptr(GError) error = NULL;
	int fd = bind_socket_at(path);
	GStatBuf st;

	assert_false(state_store_load(fx->dir, &loaded, &warning));
	assert_non_null(warning);
	assert_true(penctl_state_add_cartridge(loaded, 0x4d2));
	assert_true(loaded->file_unreadable);
	assert_true(loaded->used_list_untrusted);
	assert_false(state_store_save(fx->dir, loaded, &error));
	assert_non_null(error);
	assert_non_null(strstr(error->message, "could not be read at start"));
	assert_non_null(strstr(error->message, "not overwritten"));
	/* Acknowledging the list does not make the file writable. */
	penctl_state_acknowledge(loaded);
	g_clear_error(&error);
	assert_false(state_store_save(fx->dir, loaded, &error));
	assert_int_equal(g_lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	close(fd);
}


static void fifo_state_neither_hangs_nor_is_overwritten(void **state)
{
	struct fixture *fx = *state;
	g_autofree char *path = state_path(fx);
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;
	g_autoptr(GError) error = NULL;
	GStatBuf st;

	/* Nobody writes to it: a blocking open would wait forever. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_false(state_store_load(fx->dir, &loaded, &warning));
	assert_non_null(strstr(warning->message, "not a regular file"));
	assert_true(loaded->file_unreadable);
	assert_false(state_store_save(fx->dir, loaded, &error));
	assert_int_equal(g_lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

/* ---- interrupted saves leave nothing behind for long ---- */

static void stale_temporary_files_are_removed_at_load(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) saved = sample_state();
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(GError) warning = NULL;
	g_autofree char *names = NULL;
	const char *const leftovers[] = { ".state.AbC123", ".state.zzzzzz", NULL };
	const char *const others[] = { ".state.toolong1", "state.AbC123", ".statex", NULL };

	save_or_fail(fx->dir, saved);
	for (int i = 0; leftovers[i]; i++) {
		g_autofree char *p = g_build_filename(fx->dir, leftovers[i], NULL);

		assert_true(g_file_set_contents(p, "[Cartridges]\nUsed=", -1, NULL));
	}
	for (int i = 0; others[i]; i++) {
		g_autofree char *p = g_build_filename(fx->dir, others[i], NULL);

		assert_true(g_file_set_contents(p, "not ours", -1, NULL));
	}
	assert_true(state_store_load(fx->dir, &loaded, &warning));
	names = list_dir(fx->dir);
	/* Only names of our own pattern go: someone else's file is not ours. */
	assert_string_equal(names, ".state.toolong1 .statex state state.AbC123");
}


/* ---- distrust outlives a restart, until acknowledged ---- */

static void untrusted_mark_is_kept_until_acknowledged(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) damaged = NULL;
	g_autoptr(penctl_state) restarted = NULL;
	g_autoptr(penctl_state) acknowledged = NULL;
	g_autoptr(GError) warning = NULL;

	damaged = load_text(fx, "[Cartridges]\nUsed=00000000000004d2;zz;\n");
	assert_true(damaged->used_list_untrusted);
	/* The daemon saves a new cartridge: the mark goes along. */
	assert_true(penctl_state_add_cartridge(damaged, 0x99));
	save_or_fail(fx->dir, damaged);
	assert_true(state_store_load(fx->dir, &restarted, &warning));
	assert_null(warning);
	assert_true(restarted->used_list_untrusted);
	assert_string_equal(restarted->untrusted_why, damaged->untrusted_why);
	assert_true(penctl_state_has_cartridge(restarted, 0x4d2));
	assert_true(penctl_state_has_cartridge(restarted, 0x99));

	penctl_state_acknowledge(restarted);
	assert_false(restarted->used_list_untrusted);
	assert_null(restarted->untrusted_why);
	save_or_fail(fx->dir, restarted);
	assert_true(state_store_load(fx->dir, &acknowledged, &warning));
	assert_false(acknowledged->used_list_untrusted);
	assert_null(acknowledged->untrusted_why);
	assert_int_equal(acknowledged->used_cartridges->len, 2);
}

static void a_later_damage_keeps_the_first_reason(void **state)
{
	g_autoptr(penctl_state) st = penctl_state_new();

	(void)state;
	penctl_state_mark_untrusted(st, "first\nreason\\ ");
	penctl_state_mark_untrusted(st, "second");
	assert_true(st->used_list_untrusted);
	assert_string_equal(st->untrusted_why, "first reason\\");
}

/* ---- the open session ---- */

static const struct penctl_open_session sample_session = {
	.id = "s-0042",
	.operator_name = " Dr. Jürgen \\ O'Brien\t",
	.role = "clinic",
	.area = "face",
	.client_ref = "",
	.started_realtime_us = INT64_C(1796061180123456),
	.needling_us = 93000000,
	.max_depth_um = 1500,
	.last_depth_um = 1250,
};

static void open_session_round_trips_and_clears(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) saved = sample_state();
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(penctl_state) cleared = NULL;
	g_autoptr(GError) warning = NULL;
	const struct penctl_open_session *s;

	assert_null(saved->open_session);
	penctl_state_set_open_session(saved, &sample_session);
	/* Cleaned on the way in: one line, no surrounding blanks. */
	assert_string_equal(saved->open_session->operator_name, "Dr. Jürgen \\ O'Brien");
	save_or_fail(fx->dir, saved);
	assert_true(state_store_load(fx->dir, &loaded, &warning));
	assert_null(warning);
	s = loaded->open_session;
	assert_non_null(s);
	assert_string_equal(s->id, "s-0042");
	assert_string_equal(s->operator_name, "Dr. Jürgen \\ O'Brien");
	assert_string_equal(s->role, "clinic");
	assert_string_equal(s->area, "face");
	assert_string_equal(s->client_ref, "");
	assert_true(s->started_realtime_us == INT64_C(1796061180123456));
	assert_int_equal(s->needling_us, 93000000);
	assert_int_equal(s->max_depth_um, 1500);
	assert_int_equal(s->last_depth_um, 1250);
	assert_int_equal(loaded->used_cartridges->len, 3);

	penctl_state_clear_open_session(loaded);
	assert_null(loaded->open_session);
	save_or_fail(fx->dir, loaded);
	assert_true(state_store_load(fx->dir, &cleared, &warning));
	assert_null(cleared->open_session);
}

static void damaged_session_never_touches_the_used_list(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(penctl_state) cut = NULL;
	g_autoptr(GError) warning = NULL;

	loaded = load_text(fx, "[Cartridges]\nUsed=00000000000004d2;\n[Session]\nId=s-1\n"
			       "Operator=\\q\\\nMaxDepthUm=-5\nnonsense\n[Session]\nArea=x\n");
	assert_false(loaded->used_list_untrusted);
	assert_true(penctl_state_has_cartridge(loaded, 0x4d2));
	/* What could be read of it is kept: it still tells a session was cut short. */
	assert_non_null(loaded->open_session);
	assert_string_equal(loaded->open_session->id, "s-1");
	assert_string_equal(loaded->open_session->operator_name, "");
	assert_int_equal(loaded->open_session->max_depth_um, 0);

	/* A file cut short inside [Session] (after the list) is the same. */
	write_state_file(fx, "[Cartridges]\nUsed=00000000000004d2;\n[Session]\nId=s-2\nNeedli");
	assert_false(state_store_load(fx->dir, &cut, &warning));
	assert_false(cut->used_list_untrusted);
	assert_true(penctl_state_has_cartridge(cut, 0x4d2));
	assert_string_equal(cut->open_session->id, "s-2");
}


/* ---- killed at any moment, the file stays whole ---- */

/* Save one more cartridge after another, saying on FD which were saved. */
static G_GNUC_NORETURN void save_forever(const char *dir, int fd)
{
	struct penctl_state *st = NULL;
	uint64_t next;

	state_store_load(dir, &st, NULL);
	next = st->used_cartridges->len ?
	       g_array_index(st->used_cartridges, uint64_t, st->used_cartridges->len - 1) + 1 : 1;
	for (;; next++) {
		penctl_state_add_cartridge(st, next);
		if (!state_store_save(dir, st, NULL) || write(fd, &next, sizeof(next)) != sizeof(next))
			_exit(1);
	}
}

static void killed_saves_never_lose_a_saved_cartridge(void **state)
{
	struct fixture *fx = *state;
	g_autoptr(GArray) saved = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	GRand *rand = g_rand_new_with_seed(20261130);
	unsigned temporaries_seen = 0;

	for (int kill_no = 0; kill_no < 200; kill_no++) {
		g_autoptr(penctl_state) loaded = NULL;
		g_autoptr(GError) warning = NULL;
		g_autofree char *names = NULL;
		int fds[2], status;
		uint64_t id;
		pid_t child;

		assert_int_equal(pipe(fds), 0);
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			close(fds[0]);
			save_forever(fx->dir, fds[1]);
		}
		close(fds[1]);
		g_usleep(g_rand_int_range(rand, 0, 30000));
		assert_int_equal(kill(child, SIGKILL), 0);
		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFSIGNALED(status));
		while (read(fds[0], &id, sizeof(id)) == sizeof(id))
			g_array_append_val(saved, id);
		close(fds[0]);

		names = list_dir(fx->dir);
		if (strstr(names, ".state."))
			temporaries_seen++;
		if (!state_store_load(fx->dir, &loaded, &warning))
			fail_msg("after kill %d: %s", kill_no, warning->message);
		assert_false(loaded->used_list_untrusted);
		for (guint i = 0; i < saved->len; i++) {
			if (!penctl_state_has_cartridge(loaded, g_array_index(saved, uint64_t, i)))
				fail_msg("after kill %d: cartridge %" G_GUINT64_FORMAT " was saved "
					 "and is gone", kill_no, g_array_index(saved, uint64_t, i));
		}
		g_free(names);
		names = list_dir(fx->dir);
		if (strcmp(names, "") && strcmp(names, "state"))
			fail_msg("after kill %d and a load: %s", kill_no, names);
	}
	print_message("200 kills: %u cartridges saved, a temporary file left %u times\n",
		      saved->len, temporaries_seen);
	assert_true(saved->len > 0);
	g_rand_free(rand);
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
		FIXTURE_TEST(corrupt_file_is_reported_copied_aside_and_repaired),
		FIXTURE_TEST(corrupt_files_never_overwrite_each_other),
		FIXTURE_TEST(unreadable_state_is_reported_and_left_in_place),
		FIXTURE_TEST(unknown_groups_and_short_ids_are_accepted),
		FIXTURE_TEST(save_to_a_missing_directory_fails_naming_it),
		FIXTURE_TEST(save_below_a_regular_file_fails_naming_the_directory),
		FIXTURE_TEST(failed_replace_keeps_the_old_state_and_no_temporary_file),
		FIXTURE_TEST(bad_address_keeps_every_used_cartridge),
		FIXTURE_TEST(truncated_list_keeps_every_whole_id),
		FIXTURE_TEST(one_bad_id_keeps_the_ids_around_it),
		FIXTURE_TEST(two_used_lines_keep_the_union),
		FIXTURE_TEST(not_a_key_file_still_keeps_the_used_ids),
		FIXTURE_TEST(bad_escape_in_the_address_sets_no_error_twice),
		FIXTURE_TEST(unreadable_file_is_never_overwritten),
		FIXTURE_TEST(fifo_state_neither_hangs_nor_is_overwritten),
		FIXTURE_TEST(stale_temporary_files_are_removed_at_load),
		FIXTURE_TEST(untrusted_mark_is_kept_until_acknowledged),
		cmocka_unit_test(a_later_damage_keeps_the_first_reason),
		FIXTURE_TEST(open_session_round_trips_and_clears),
		FIXTURE_TEST(damaged_session_never_touches_the_used_list),
		FIXTURE_TEST(killed_saves_never_lose_a_saved_cartridge),
		cmocka_unit_test(cartridge_set_keeps_each_id_once_and_never_zero),
		cmocka_unit_test(pen_address_must_be_a_bluetooth_address),
		cmocka_unit_test(state_directory_comes_from_systemd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
