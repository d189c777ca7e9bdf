// SPDX-License-Identifier: GPL-2.0-or-later
/* The config loader: layering, defaults and strict validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "penctl/config.h"

struct tmp {
	char *dir;
	char *main_path;
	char *dropins;
};

static int tmp_setup(void **state)
{
	struct tmp *t = g_new0(struct tmp, 1);

	t->dir = g_dir_make_tmp("penctl-config-XXXXXX", NULL);
	assert_non_null(t->dir);
	t->main_path = g_build_filename(t->dir, "penctld.conf", NULL);
	t->dropins = g_build_filename(t->dir, "penctld.conf.d", NULL);
	assert_int_equal(g_mkdir(t->dropins, 0700), 0);
	*state = t;
	return 0;
}

static void remove_tree(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir && (name = g_dir_read_name(dir))) {
		g_autofree char *child = g_build_filename(path, name, NULL);

		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			remove_tree(child);
		else
			g_unlink(child);
	}
	if (dir)
		g_dir_close(dir);
	g_rmdir(path);
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;

	remove_tree(t->dir);
	g_free(t->dir);
	g_free(t->main_path);
	g_free(t->dropins);
	g_free(t);
	return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Load TEXT as the only file; expect a refusal whose message holds every NEEDLE. */
static void expect_refusal(const char *text, int code, ...)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = penctl_config_load_from_data(text, "/etc/test.conf", &error);
	const char *needle;
	va_list ap;

	assert_null(c);
	assert_non_null(error);
	if (!g_error_matches(error, PENCTL_CONFIG_ERROR, code))
		fail_msg("wrong error code %d for: %s", error->code, error->message);
	va_start(ap, code);
	while ((needle = va_arg(ap, const char *)))
		if (!strstr(error->message, needle))
			fail_msg("\"%s\" not in: %s", needle, error->message);
	va_end(ap);
}

static const char minimal[] = "[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n";

static void assert_same_config(const struct penctl_config *a, const struct penctl_config *b)
{
	assert_int_equal(a->max_wall_ms, b->max_wall_ms);
	assert_int_equal(a->max_needling_ms, b->max_needling_ms);
	assert_int_equal(a->warn_percent, b->warn_percent);
	assert_int_equal(a->start_depth_um, b->start_depth_um);
	assert_int_equal(a->anesthetic_advisory_above_um, b->anesthetic_advisory_above_um);
	assert_int_equal(a->heartbeat_interval_ms, b->heartbeat_interval_ms);
	assert_int_equal(a->pen_watchdog_ms, b->pen_watchdog_ms);
	assert_int_equal(a->require_contraindication_check, b->require_contraindication_check);
	assert_int_equal(a->roles->len, b->roles->len);
	assert_int_equal(a->areas->len, b->areas->len);
	for (guint i = 0; i < a->roles->len; i++) {
		const struct penctl_limit *x = a->roles->pdata[i], *y = b->roles->pdata[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->max_depth_um, y->max_depth_um);
	}
	for (guint i = 0; i < a->areas->len; i++) {
		const struct penctl_limit *x = a->areas->pdata[i], *y = b->areas->pdata[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->max_depth_um, y->max_depth_um);
	}
	assert_string_equal(a->pedal_chip, b->pedal_chip);
	assert_string_equal(a->pedal_line, b->pedal_line);
	assert_int_equal(a->pedal_active_low, b->pedal_active_low);
	assert_int_equal(a->pedal_bias, b->pedal_bias);
	assert_int_equal(a->pedal_debounce_ms, b->pedal_debounce_ms);
	assert_int_equal(a->pedal_mode, b->pedal_mode);
	assert_string_equal(a->pen_address, b->pen_address);
	assert_string_equal(a->pen_adapter, b->pen_adapter);
}

static void test_shipped_file_equals_builtin_defaults(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) shipped = penctl_config_load(PENCTL_SHIPPED_CONFIG, t->dropins, &error);
	g_autoptr(penctl_config) none = NULL;

	assert_non_null(shipped);
	/* No main file at all: the built-in defaults. */
	none = penctl_config_load_layered(t->main_path, false, t->dropins, &error);
	assert_non_null(none);
	assert_same_config(shipped, none);
}

static void test_defaults_follow_the_clinical_source(void **state)
{
	g_autoptr(penctl_config) c = penctl_config_new_default();

	(void)state;
	assert_int_equal(c->max_wall_ms, 60 * 60000);
	assert_int_equal(c->max_needling_ms, 20 * 60000);
	assert_int_equal(c->warn_percent, 80);
	assert_int_equal(c->start_depth_um, 300);
	assert_int_equal(c->anesthetic_advisory_above_um, 500);
	assert_int_equal(c->heartbeat_interval_ms, 200);
	assert_int_equal(c->pen_watchdog_ms, 1000);
	assert_true(c->require_contraindication_check);
	assert_int_equal(penctl_config_find_role(c, "home")->max_depth_um, 500);
	assert_int_equal(penctl_config_find_role(c, "aesthetician")->max_depth_um, 2000);
	assert_int_equal(penctl_config_find_role(c, "physiotherapist")->max_depth_um, 2000);
	assert_int_equal(penctl_config_find_role(c, "dermatologist")->max_depth_um, 3000);
	assert_int_equal(penctl_config_find_area(c, "forehead")->max_depth_um, 500);
	assert_int_equal(penctl_config_find_area(c, "face")->max_depth_um, 1500);
	assert_int_equal(penctl_config_find_area(c, "neck")->max_depth_um, 1000);
	assert_int_equal(penctl_config_find_area(c, "scalp")->max_depth_um, 1500);
	assert_int_equal(penctl_config_find_area(c, "body")->max_depth_um, 3000);
	assert_null(penctl_config_find_role(c, "surgeon"));
	assert_int_equal(c->pedal_debounce_ms, 15);
	assert_int_equal(c->pedal_mode, PENCTL_PEDAL_MOMENTARY);
	assert_int_equal(c->pedal_bias, PENCTL_PEDAL_BIAS_PULL_UP);
	assert_string_equal(c->pen_address, "");
}

static void test_dropins_apply_in_lexical_order(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = NULL;

	write_file(t->dir, "penctld.conf", minimal);
	write_file(t->dropins, "20-later.conf", "[Session]\nMaxMinutes=40\n");
	write_file(t->dropins, "10-early.conf", "[Session]\nMaxMinutes=30\nWarnPercent=70\n");
	write_file(t->dropins, "30-ignored.conf.bak", "[Session]\nMaxMinutes=nonsense\n");
	write_file(t->dropins, "15-roles.conf", "[Role student]\nMaxDepthMm=0.35\n");
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	assert_non_null(c);
	assert_int_equal(c->max_wall_ms, 40 * 60000);
	assert_int_equal(c->warn_percent, 70);
	/* Keys no file sets keep the shipped defaults. */
	assert_int_equal(c->max_needling_ms, 20 * 60000);
	assert_int_equal(penctl_config_find_role(c, "student")->max_depth_um, 350);
	/* The four built-in roles and the drop-in's student (the site's home overlays one). */
	assert_int_equal(c->roles->len, 5);
	/* Built-in defaults, the site's file and three drop-ins. */
	assert_int_equal(c->sources->len, 5);
}

static void test_missing_main_file_means_defaults_plus_dropins(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = NULL;

	write_file(t->dropins, "50-short.conf", "[Session]\nMaxNeedlingMinutes=5\n");
	c = penctl_config_load_layered(t->main_path, false, t->dropins, &error);
	assert_non_null(c);
	assert_int_equal(c->max_needling_ms, 5 * 60000);
	assert_int_equal(c->roles->len, 4);
}

static void test_explicit_config_file_must_exist(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = penctl_config_load(t->main_path, NULL, &error);

	assert_null(c);
	assert_true(g_error_matches(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_READ));
	assert_non_null(strstr(error->message, t->main_path));
}

static void test_main_file_sets_the_role_and_area_sets(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = penctl_config_load_from_data(
		"[Session]\nStartDepthMm=0.5\n[Role dermatologist]\nMaxDepthMm=3\n"
		"[Area body]\nMaxDepthMm=2.75\n", "test", &error);

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->roles->len, 1);
	assert_int_equal(c->areas->len, 1);
	assert_null(penctl_config_find_role(c, "home"));
	assert_int_equal(penctl_config_find_area(c, "body")->max_depth_um, 2750);
}

static void test_refuses_unknown_key_typo(void **state)
{
	(void)state;
	expect_refusal("[Role home]\nMaxDeptMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_UNKNOWN, "/etc/test.conf", "[Role home]", "MaxDeptMm",
		       "MaxDepthMm", NULL);
	expect_refusal("[Session]\nMaxMinute=5\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_UNKNOWN, "[Session] MaxMinute", "MaxMinutes", NULL);
}

static void test_refuses_unknown_group(void **state)
{
	(void)state;
	expect_refusal("[Sesion]\nMaxMinutes=5\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_UNKNOWN, "[Sesion]", "unknown group", NULL);
	expect_refusal("[Role Home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_UNKNOWN, "Home", "a-z", NULL);
}

static void test_refuses_values_that_do_not_parse(void **state)
{
	(void)state;
	expect_refusal("[Session]\nMaxMinutes=abc\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "[Session] MaxMinutes=abc", "0.1 to 480", NULL);
	expect_refusal("[Safety]\nRequireContraindicationCheck=maybe\n[Role home]\n"
		       "MaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "maybe", "true or false", NULL);
	expect_refusal("[Pedal]\nBias=pull-sideways\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "pull-sideways", "pull-up", NULL);
	expect_refusal("[Pedal]\nMode=sticky\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "sticky", "latching", NULL);
	expect_refusal("not a key file\n", PENCTL_CONFIG_ERROR_READ, "/etc/test.conf", NULL);
}

/* [Pedal] Source= picks the pedal driver: the default is gpio; a driver
 * this build does not have is refused as such, an unknown one as unknown. */
static void test_pedal_source_names_a_driver_built_in(void **state)
{
	g_autoptr(penctl_config) defaults = penctl_config_new_default();
	g_autoptr(penctl_config) gpio = NULL;
	g_autoptr(GError) error = NULL;

	(void)state;
	assert_int_equal(defaults->pedal_source, PENCTL_PEDAL_SOURCE_GPIO);
	assert_string_equal(penctl_pedal_source_to_string(defaults->pedal_source), "gpio");
	gpio = penctl_config_load_from_data("[Pedal]\nSource=gpio\n[Role home]\nMaxDepthMm=0.5\n"
					    "[Area face]\nMaxDepthMm=1.5\n",
					    "/etc/test.conf", &error);
	assert_null(error);
	assert_int_equal(gpio->pedal_source, PENCTL_PEDAL_SOURCE_GPIO);
	if (!penctl_pedal_source_built_in(PENCTL_PEDAL_SOURCE_EVDEV))
		expect_refusal("[Pedal]\nSource=evdev\n[Role home]\nMaxDepthMm=0.5\n"
			       "[Area face]\nMaxDepthMm=1.5\n",
			       PENCTL_CONFIG_ERROR_VALUE, "/etc/test.conf: [Pedal] Source=evdev",
			       "pedal driver 'evdev' is not built in", "this build has: gpio",
			       NULL);
	expect_refusal("[Pedal]\nSource=usb\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "[Pedal] Source=usb", "gpio or evdev", NULL);
	expect_refusal("[Pedal]\nSource=GPIO\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "[Pedal] Source=GPIO", "gpio or evdev", NULL);
}

static void test_refuses_zero_negative_and_above_ceiling_limits(void **state)
{
	(void)state;
	expect_refusal("[Role home]\nMaxDepthMm=0\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "MaxDepthMm=0", "3.00", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=-0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "MaxDepthMm=-0.5", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=3.01\n",
		       PENCTL_CONFIG_ERROR_VALUE, "[Area face] MaxDepthMm=3.01", "ceiling", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=0.5001\n[Area face]\nMaxDepthMm=1\n",
		       PENCTL_CONFIG_ERROR_VALUE, "0.5001", "three decimals", NULL);
	expect_refusal("[Session]\nMaxMinutes=0\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "MaxMinutes=0", NULL);
	expect_refusal("[Session]\nStartDepthMm=3.5\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "StartDepthMm=3.5", NULL);
}

static void test_refuses_start_depth_above_a_role_limit(void **state)
{
	(void)state;
	expect_refusal("[Session]\nStartDepthMm=0.6\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Role dermatologist]\nMaxDepthMm=3\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "StartDepthMm=0.60", "[Role home]",
		       "0.50", NULL);
}

static void test_refuses_empty_role_or_area_set(void **state)
{
	(void)state;
	expect_refusal("[Session]\nMaxMinutes=30\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "Role NAME", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=0.5\n", PENCTL_CONFIG_ERROR_INCONSISTENT,
		       "Area NAME", NULL);
	expect_refusal("[Role home]\n[Area face]\nMaxDepthMm=1.5\n", PENCTL_CONFIG_ERROR_VALUE,
		       "[Role home]", "MaxDepthMm is missing", NULL);
}

static void test_refuses_contradicting_times(void **state)
{
	(void)state;
	expect_refusal("[Session]\nMaxMinutes=10\nMaxNeedlingMinutes=20\n[Role home]\n"
		       "MaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "MaxNeedlingMinutes=20", "MaxMinutes (10)",
		       NULL);
	expect_refusal("[Session]\nMaxNeedlingMinutes=0.05\n[Role home]\n"
		       "MaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "MaxNeedlingMinutes=0.05", "0.1 to 480", NULL);
	expect_refusal("[Session]\nMaxNeedlingMinutes=0.255\n[Role home]\n"
		       "MaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "0.255", "two decimals", NULL);
	expect_refusal("[Safety]\nHeartbeatIntervalMs=600\nPenWatchdogMs=1000\n[Role home]\n"
		       "MaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "PenWatchdogMs=1000", "1800", NULL);
	/* /safety/heartbeat-well-under-watchdog: 2.5 intervals do not survive a lost one. */
	expect_refusal("[Safety]\nHeartbeatIntervalMs=400\nPenWatchdogMs=1000\n[Role home]\n"
		       "MaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "PenWatchdogMs=1000", "1200",
		       "one lost heartbeat", NULL);
}

static void test_pen_address_is_validated_and_normalised(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strconcat(minimal, "[Pen]\nAddress=aa:bb:cc:dd:ee:0f\n"
						     "Adapter=hci1\n", NULL);
	g_autoptr(penctl_config) c = penctl_config_load_from_data(text, "test", &error);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->pen_address, "AA:BB:CC:DD:EE:0F");
	assert_string_equal(c->pen_adapter, "hci1");
	expect_refusal("[Pen]\nAddress=AA:BB:CC:DD:EE\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "AA:BB:CC:DD:EE", "Bluetooth address", NULL);
	expect_refusal("[Pen]\nAdapter=usb0\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "usb0", "hciN", NULL);
}

static void test_refusal_names_the_dropin_that_said_it(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = NULL;
	g_autofree char *bad = g_build_filename(t->dropins, "60-bad.conf", NULL);

	write_file(t->dir, "penctld.conf", minimal);
	write_file(t->dropins, "60-bad.conf", "[Role home]\nMaxDepthMm=4\n");
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	assert_null(c);
	assert_non_null(strstr(error->message, bad));
}

static void test_minutes_may_be_fractional(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = penctl_config_load_from_data(
		"[Session]\nMaxMinutes=2.5\nMaxNeedlingMinutes=0.25\n[Role home]\n"
		"MaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n", "test", &error);
	char out[16];

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->max_wall_ms, 150000);
	assert_int_equal(c->max_needling_ms, 15000);
	penctl_format_minutes(15000, out);
	assert_string_equal(out, "0.25");
	penctl_format_minutes(150000, out);
	assert_string_equal(out, "2.5");
	penctl_format_minutes(20 * 60000, out);
	assert_string_equal(out, "20");
}

/* /budget/no-wrap: 71600 min is 4 296 000 000 ms, above 2^32; it wrapped to 17.21 min. */
static void test_minutes_too_large_for_milliseconds_are_refused(void **state)
{
	uint32_t ms = 0;

	(void)state;
	assert_false(penctl_parse_minutes("71600", &ms));
	assert_false(penctl_parse_minutes("71582.79", &ms)); /* 4 294 967 400 ms */
	assert_true(penctl_parse_minutes("71582.78", &ms));  /* 4 294 966 800 ms */
	assert_int_equal(ms, 4294966800u);
	assert_false(penctl_parse_minutes("100000", &ms));
	expect_refusal("[Session]\nMaxMinutes=71600\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "MaxMinutes=71600", "0.1 to 480", NULL);
	expect_refusal("[Session]\nMaxNeedlingMinutes=71600\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "MaxNeedlingMinutes=71600", NULL);
}

/* The other numeric parsers at their edges: no wrap into range either. */
static void test_counts_and_depths_do_not_wrap(void **state)
{
	uint32_t um = 0;

	(void)state;
	assert_false(penctl_parse_depth_mm("4294967.296", &um));
	assert_false(penctl_parse_depth_mm("1000001", &um));
	assert_true(penctl_parse_depth_mm("1000000.999", &um));
	assert_int_equal(um, 1000000999u);
	expect_refusal("[Safety]\nHeartbeatIntervalMs=4294967496\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "HeartbeatIntervalMs=4294967496", NULL);
	expect_refusal("[Session]\nWarnPercent=4294967376\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "WarnPercent=4294967376", NULL);
	expect_refusal("[Pedal]\nDebounceMs=-1\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "DebounceMs=-1", NULL);
	expect_refusal("[Pen]\nAdapter=hci256\n[Role home]\nMaxDepthMm=0.5\n"
		       "[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "hci256", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=4294967.796\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "MaxDepthMm=4294967.796", NULL);
}

static void test_parse_depth_mm(void **state)
{
	static const struct {
		const char *text;
		bool ok;
		uint32_t um;
	} cases[] = {
		{ "0.3", true, 300 }, { "3", true, 3000 }, { "1.25", true, 1250 },
		{ "0.001", true, 1 }, { "0.0001", false, 0 }, { "", false, 0 },
		{ ".5", false, 0 }, { "1.", false, 0 }, { "-1", false, 0 },
		{ "1e3", false, 0 }, { " 1", false, 0 }, { "1 ", false, 0 },
		{ "99999999999", false, 0 }, { "0,5", false, 0 },
	};
	char out[16];

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint32_t um = 0;

		if (penctl_parse_depth_mm(cases[i].text, &um) != cases[i].ok)
			fail_msg("parsing \"%s\"", cases[i].text);
		if (cases[i].ok)
			assert_int_equal(um, cases[i].um);
	}
	penctl_format_depth_mm(500, out);
	assert_string_equal(out, "0.50");
	penctl_format_depth_mm(1250, out);
	assert_string_equal(out, "1.25");
	penctl_format_depth_mm(1, out);
	assert_string_equal(out, "0.001");
}

static void test_describe_prints_the_effective_limits_table(void **state)
{
	g_autoptr(penctl_config) c = penctl_config_new_default();
	g_autofree char *text = penctl_config_describe(c);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	bool found_home = false, found_derm = false;

	(void)state;
	for (char **l = lines; *l; l++) {
		/* Columns sorted: body face forehead neck scalp. */
		if (g_str_has_prefix(*l, "  home ")) {
			found_home = true;
			assert_non_null(strstr(*l, "0.50  0.50      0.50  0.50   0.50"));
		}
		if (g_str_has_prefix(*l, "  dermatologist")) {
			found_derm = true;
			assert_non_null(strstr(*l, "3.00  1.50      0.50  1.00   1.50"));
		}
	}
	assert_true(found_home);
	assert_true(found_derm);
	assert_non_null(strstr(text, "needling time (motor running)    20 min"));
}

/* /overlay/empty-site-file: an empty or all-commented site file means the defaults. */
static void test_empty_or_commented_site_file_means_the_defaults(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) defaults = penctl_config_new_default();
	g_autoptr(penctl_config) empty = NULL;
	g_autoptr(penctl_config) commented = NULL;
	g_autofree char *example = NULL;

	write_file(t->dir, "penctld.conf", "");
	empty = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	if (!empty)
		fail_msg("an empty site file is refused: %s", error->message);
	assert_same_config(empty, defaults);

	write_file(t->dir, "penctld.conf", "# [Session]\n# MaxMinutes=30\n\n#[Role home]\n");
	commented = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	if (!commented)
		fail_msg("an all-commented site file is refused: %s", error->message);
	assert_same_config(commented, defaults);
}

/* /overlay/group-adds-or-replaces-keys: a named group changes only the keys it names. */
static void test_site_file_overlays_the_defaults(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = NULL;

	write_file(t->dir, "penctld.conf", "[Role aesthetician]\nMaxDepthMm=1.0\n"
					   "[Role nurse]\nMaxDepthMm=0.8\nGroup=staff\n"
					   "[Session]\nMaxMinutes=45\n");
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	if (!c)
		fail_msg("refused: %s", error->message);
	assert_int_equal(c->max_wall_ms, 45 * 60000);
	assert_int_equal(c->max_needling_ms, 20 * 60000);
	assert_int_equal(c->roles->len, 5);
	assert_int_equal(penctl_config_find_role(c, "aesthetician")->max_depth_um, 1000);
	/* The key the site left out of the group keeps its default. */
	assert_string_equal(penctl_config_role_group(c, "aesthetician"), "penctl-aesthetician");
	assert_int_equal(penctl_config_find_role(c, "dermatologist")->max_depth_um, 3000);
	assert_string_equal(penctl_config_role_group(c, "nurse"), "staff");
	assert_int_equal(c->areas->len, 5);
	assert_string_equal(c->sources->pdata[0], "built-in defaults");
	assert_string_equal(c->sources->pdata[1], t->main_path);
}

/* /overlay/consistency-on-merged: checks run on the merged result and blame the file at fault. */
static void test_consistency_is_checked_on_the_merged_result(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = NULL;
	g_autofree char *dropin = g_build_filename(t->dropins, "50-lower.conf", NULL);

	/* StartDepthMm=0.3 comes from the defaults; the drop-in lowers home below it. */
	write_file(t->dir, "penctld.conf", "[Session]\nMaxMinutes=45\n");
	write_file(t->dropins, "50-lower.conf", "[Role home]\nMaxDepthMm=0.2\n");
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	assert_null(c);
	assert_true(g_error_matches(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT));
	if (!g_str_has_prefix(error->message, dropin) ||
	    !strstr(error->message, "[Role home] MaxDepthMm=0.20") ||
	    !strstr(error->message, "StartDepthMm"))
		fail_msg("does not blame the drop-in's key: %s", error->message);
	g_clear_error(&error);

	/* The site's MaxNeedlingMinutes against the default MaxMinutes: the site's key. */
	g_unlink(dropin);
	write_file(t->dir, "penctld.conf", "[Session]\nMaxNeedlingMinutes=90\n");
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	assert_null(c);
	if (!g_str_has_prefix(error->message, t->main_path) ||
	    !strstr(error->message, "MaxNeedlingMinutes=90"))
		fail_msg("does not blame the site file's key: %s", error->message);
	g_clear_error(&error);

	/* A drop-in that lowers MaxMinutes under the site's needling budget: the drop-in. */
	write_file(t->dir, "penctld.conf", "[Session]\nMaxNeedlingMinutes=30\n");
	write_file(t->dropins, "50-lower.conf", "[Session]\nMaxMinutes=25\n");
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	assert_null(c);
	if (!g_str_has_prefix(error->message, dropin) || !strstr(error->message, "MaxMinutes=25"))
		fail_msg("does not blame the drop-in's key: %s", error->message);
	g_clear_error(&error);

	/* A drop-in raising the heartbeat against the default watchdog. */
	write_file(t->dropins, "50-lower.conf", "[Safety]\nHeartbeatIntervalMs=900\n");
	write_file(t->dir, "penctld.conf", "");
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	assert_null(c);
	if (!g_str_has_prefix(error->message, dropin) ||
	    !strstr(error->message, "HeartbeatIntervalMs=900"))
		fail_msg("does not blame the drop-in's key: %s", error->message);
}

/* /overlay/typo-names-the-dropin: never "built-in defaults" for what a drop-in said. */
static void test_typo_in_a_dropin_names_the_dropin(void **state)
{
	struct tmp *t = *state;
	static const char *const typos[] = {
		"[Sesion]\nMaxMinutes=30\n",
		"[Role Nurse]\nMaxDepthMm=1\n",
		"[Role nurse]\nGroup=staff\n",
		"[Role abcdefghijklmnopqrstuvwxyz]\nMaxDepthMm=1\n",
		"[Area face]\nMaxDeptMm=1\n",
	};
	g_autofree char *dropin = g_build_filename(t->dropins, "70-typo.conf", NULL);

	write_file(t->dir, "penctld.conf", "[Session]\nMaxMinutes=45\n");
	for (size_t i = 0; i < G_N_ELEMENTS(typos); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(penctl_config) c = NULL;

		write_file(t->dropins, "70-typo.conf", typos[i]);
		c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
		assert_null(c);
		if (!g_str_has_prefix(error->message, dropin))
			fail_msg("\"%s\" is blamed on: %s", typos[i], error->message);
	}
}

static struct penctl_config *config_with(const char *extra)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strconcat("[Role home]\nMaxDepthMm=0.5\n[Area face]\n"
					    "MaxDepthMm=1.5\n", extra, NULL);
	struct penctl_config *c = penctl_config_load_from_data(text, "test", &error);

	if (!c)
		fail_msg("refused: %s", error->message);
	return c;
}

static void expect_reload(const char *old_text, const char *fresh_text, bool allowed,
			  const char *needle)
{
	g_autoptr(penctl_config) old = config_with(old_text);
	g_autoptr(penctl_config) fresh = config_with(fresh_text);
	g_autoptr(GError) error = NULL;

	if (penctl_config_reload_allowed(old, fresh, &error) != allowed)
		fail_msg("reload from \"%s\" to \"%s\": expected %s%s%s", old_text, fresh_text,
			 allowed ? "allowed, got: " : "refused", error ? error->message : "",
			 "");
	if (allowed)
		return;
	assert_true(g_error_matches(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_NEEDS_RESTART));
	if (!strstr(error->message, needle))
		fail_msg("\"%s\" not in: %s", needle, error->message);
}

/* /reload/what-applies: everything but the pen's adapter and a paired pen's address,
 * and a watchdog the old heartbeat could not keep alive while the new one is written. */
/* Which reloads reopen the pedal: how it is read, not the session's limits
 * nor the latching mode (the engine applies that). */
static void test_pedal_differs_only_for_how_it_is_read(void **state)
{
	static const struct {
		const char *fresh;
		bool differs;
	} cases[] = {
		{ "", false },
		{ "[Session]\nMaxMinutes=30\n", false },
		{ "[Pedal]\nMode=latching\n", false },
		{ "[Pedal]\nChip=gpiochip1\n", true },
		{ "[Pedal]\nLine=GPIO27\n", true },
		{ "[Pedal]\nActiveLow=false\n", true },
		{ "[Pedal]\nDebounceMs=40\n", true },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(penctl_config) old = config_with("");
		g_autoptr(penctl_config) fresh = config_with(cases[i].fresh);

		if (penctl_config_pedal_differs(old, fresh) != cases[i].differs)
			fail_msg("\"%s\": expected %s", cases[i].fresh,
				 cases[i].differs ? "a reopen" : "none");
	}
}

static void test_reload_allowed_says_what_needs_a_restart(void **state)
{
	(void)state;
	expect_reload("", "", true, NULL);
	expect_reload("", "[Session]\nMaxMinutes=30\nStartDepthMm=0.2\n[Role home]\n"
		      "MaxDepthMm=0.4\nGroup=staff\n[Pedal]\nMode=latching\nDebounceMs=40\n"
		      "[Access]\nSupervisorGroup=\n", true, NULL);
	/* The pen gets the new watchdog before the heartbeat changes. */
	expect_reload("", "[Safety]\nPenWatchdogMs=3000\nHeartbeatIntervalMs=1000\n", true,
		      NULL);
	expect_reload("[Safety]\nPenWatchdogMs=3000\nHeartbeatIntervalMs=1000\n",
		      "[Safety]\nPenWatchdogMs=3000\nHeartbeatIntervalMs=500\n", true, NULL);
	expect_reload("[Safety]\nPenWatchdogMs=3000\nHeartbeatIntervalMs=500\n",
		      "[Safety]\nPenWatchdogMs=1500\nHeartbeatIntervalMs=500\n", true, NULL);
	/* 2000 ms with heartbeats still 1000 ms apart: one lost one stops the pen. */
	expect_reload("[Safety]\nPenWatchdogMs=3000\nHeartbeatIntervalMs=1000\n",
		      "[Safety]\nPenWatchdogMs=2000\nHeartbeatIntervalMs=500\n", false,
		      "PenWatchdogMs=2000");
	/* 600 ms with heartbeats still 1000 ms apart stops the pen: two reloads. */
	expect_reload("[Safety]\nPenWatchdogMs=3000\nHeartbeatIntervalMs=1000\n",
		      "[Safety]\nPenWatchdogMs=600\nHeartbeatIntervalMs=200\n", false,
		      "HeartbeatIntervalMs=200");
	/* Pairing a pen (empty → address) applies; another pen or adapter needs a restart. */
	expect_reload("", "[Pen]\nAddress=00:11:22:33:44:55\n", true, NULL);
	expect_reload("[Pen]\nAddress=00:11:22:33:44:55\n",
		      "[Pen]\nAddress=00:11:22:33:44:66\n", false, "[Pen] Address");
	expect_reload("[Pen]\nAddress=00:11:22:33:44:55\n", "", false, "[Pen] Address");
	expect_reload("", "[Pen]\nAdapter=hci1\n", false, "[Pen] Adapter");
}

/* /access/role-groups: who may take a role is a Unix group, fail-closed. */
static void test_role_groups_default_to_penctl_role(void **state)
{
	g_autoptr(penctl_config) c = penctl_config_new_default();
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) added = NULL;

	(void)state;
	assert_null(penctl_config_role_group(c, "home"));
	assert_string_equal(penctl_config_role_group(c, "aesthetician"), "penctl-aesthetician");
	assert_string_equal(penctl_config_role_group(c, "physiotherapist"),
			    "penctl-physiotherapist");
	assert_string_equal(penctl_config_role_group(c, "dermatologist"), "penctl-dermatologist");
	assert_null(penctl_config_role_group(c, "surgeon"));
	assert_string_equal(penctl_config_supervisor_group(c), "penctl-supervisor");

	/* A role a file adds without Group= is closed to all but penctl-NAME. */
	added = penctl_config_load_from_data("[Role nurse]\nMaxDepthMm=1\n[Role tech]\n"
					     "MaxDepthMm=0.5\nGroup=\n[Area face]\n"
					     "MaxDepthMm=1.5\n[Access]\nSupervisorGroup=\n",
					     "test", &error);
	assert_non_null(added);
	assert_string_equal(penctl_config_role_group(added, "nurse"), "penctl-nurse");
	assert_null(penctl_config_role_group(added, "tech"));
	assert_null(penctl_config_supervisor_group(added));
}

static void test_role_group_names_are_validated(void **state)
{
	(void)state;
	expect_refusal("[Role home]\nMaxDepthMm=0.5\nGroup=Clinic Staff\n[Area face]\n"
		       "MaxDepthMm=1.5\n", PENCTL_CONFIG_ERROR_VALUE, "/etc/test.conf",
		       "[Role home] Group=Clinic Staff", "Unix group name", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=0.5\nGroup=1staff\n[Area face]\n"
		       "MaxDepthMm=1.5\n", PENCTL_CONFIG_ERROR_VALUE, "Group=1staff", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=0.5\nGroup=-staff\n[Area face]\n"
		       "MaxDepthMm=1.5\n", PENCTL_CONFIG_ERROR_VALUE, "Group=-staff", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=0.5\n"
		       "Group=abcdefghijklmnopqrstuvwxyz0123456\n[Area face]\nMaxDepthMm=1.5\n",
		       PENCTL_CONFIG_ERROR_VALUE, "Group=abcdefghij", NULL);
	expect_refusal("[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n"
		       "[Access]\nSupervisorGroup=wheel;rm\n", PENCTL_CONFIG_ERROR_VALUE,
		       "[Access] SupervisorGroup=wheel;rm", NULL);
	/* Areas have no group. */
	expect_refusal("[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n"
		       "Group=staff\n", PENCTL_CONFIG_ERROR_UNKNOWN, "[Area face] Group",
		       NULL);
	/* penctl- plus a 26-character role name is too long for a default group. */
	expect_refusal("[Role abcdefghijklmnopqrstuvwxyz]\nMaxDepthMm=0.5\n[Area face]\n"
		       "MaxDepthMm=1.5\n", PENCTL_CONFIG_ERROR_VALUE, "Group= is missing",
		       NULL);
	assert_true(penctl_config_valid_group_name("penctl-supervisor"));
	assert_true(penctl_config_valid_group_name("_staff2"));
	assert_false(penctl_config_valid_group_name(""));
	assert_false(penctl_config_valid_group_name("staff$"));
	assert_false(penctl_config_valid_group_name("Staff"));
}

static void test_describe_names_who_may_take_each_role(void **state)
{
	g_autoptr(penctl_config) c = penctl_config_new_default();
	g_autofree char *text = penctl_config_describe(c);

	(void)state;
	assert_non_null(strstr(text, "    dermatologist    members of penctl-dermatologist\n"));
	assert_non_null(strstr(text, "    home             any member of penctl\n"));
	assert_non_null(strstr(text, "a session: its owner, root and members of penctl-supervisor"));
}

/* ---- [Pedal] Source=evdev: the USB foot switch (issue 14) ---- */

#define EVDEV_PEDAL "[Pedal]\nSource=evdev\nDevice=usb:0c45:7403\nKey=KEY_B\n"
#define LIMITS "[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n"

static bool evdev_built_in(void)
{
	if (penctl_pedal_source_built_in(PENCTL_PEDAL_SOURCE_EVDEV))
		return true;
	print_message("evdev pedal not built in (no libevdev-dev/libudev-dev): skipped\n");
	return false;
}

static void test_evdev_pedal_keys_are_read(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = NULL;
	g_autoptr(penctl_config) defaults = penctl_config_new_default();

	(void)state;
	assert_string_equal(defaults->pedal_device, "");
	assert_string_equal(defaults->pedal_key, "");
	assert_int_equal(defaults->pedal_depth_step_um, 100);
	if (!evdev_built_in())
		return;
	c = penctl_config_load_from_data(EVDEV_PEDAL "DepthDownKey=KEY_A\nDepthUpKey=KEY_C\n"
					 "DepthStepMm=0.25\n" LIMITS, "/etc/test.conf", &error);
	if (!c)
		fail_msg("refused: %s", error->message);
	assert_int_equal(c->pedal_source, PENCTL_PEDAL_SOURCE_EVDEV);
	assert_string_equal(c->pedal_device, "usb:0c45:7403");
	assert_string_equal(c->pedal_key, "KEY_B");
	assert_string_equal(c->pedal_depth_down_key, "KEY_A");
	assert_string_equal(c->pedal_depth_up_key, "KEY_C");
	assert_int_equal(c->pedal_depth_step_um, 250);
	g_clear_pointer(&c, penctl_config_free);
	c = penctl_config_load_from_data("[Pedal]\nSource=evdev\n"
					 "Device=/dev/input/by-id/usb-PCsensor_FootSwitch-event-kbd\n"
					 "Key=BTN_LEFT\n" LIMITS, "/etc/test.conf", &error);
	if (!c)
		fail_msg("refused: %s", error->message);
	assert_int_equal(c->pedal_depth_step_um, 100);
}

/* Every refusal names the file and the key, and says why. */
static void test_evdev_pedal_keys_are_validated(void **state)
{
	(void)state;
	/* In every build: the foot switch's keys are not for a GPIO pedal. */
	expect_refusal("[Pedal]\nDevice=usb:0c45:7403\n" LIMITS, PENCTL_CONFIG_ERROR_INCONSISTENT,
		       "/etc/test.conf: [Pedal] Device=usb:0c45:7403 is only for Source=evdev",
		       NULL);
	expect_refusal("[Pedal]\nSource=gpio\nKey=KEY_B\n" LIMITS,
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "[Pedal] Key=KEY_B is only for Source=evdev",
		       NULL);
	expect_refusal("[Pedal]\nDepthStepMm=2\n" LIMITS, PENCTL_CONFIG_ERROR_VALUE,
		       "/etc/test.conf: [Pedal] DepthStepMm=2 is not allowed", "0.01 to 1.00",
		       NULL);
	expect_refusal("[Pedal]\nDepthStepMm=0.005\n" LIMITS, PENCTL_CONFIG_ERROR_VALUE,
		       "[Pedal] DepthStepMm=0.005 is not allowed", NULL);
	expect_refusal("[Pedal]\nDevise=usb:0c45:7403\n" LIMITS, PENCTL_CONFIG_ERROR_UNKNOWN,
		       "Devise", NULL);
	if (!evdev_built_in())
		return;
	expect_refusal("[Pedal]\nSource=evdev\nKey=KEY_B\n" LIMITS,
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "/etc/test.conf: [Pedal] Source=evdev needs",
		       "Device= missing", NULL);
	expect_refusal("[Pedal]\nSource=evdev\nDevice=usb:0c45:7403\n" LIMITS,
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "Key= missing", NULL);
	expect_refusal("[Pedal]\nSource=evdev\nDevice=usb:0c45:7403\nKey=KEY_BB\n" LIMITS,
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "/etc/test.conf: [Pedal] Key=KEY_BB",
		       "not a key name", NULL);
	expect_refusal(EVDEV_PEDAL "DepthUpKey=KEY_CC\n" LIMITS, PENCTL_CONFIG_ERROR_INCONSISTENT,
		       "[Pedal] DepthUpKey=KEY_CC", "not a key name", NULL);
	expect_refusal(EVDEV_PEDAL "DepthDownKey=REL_X\n" LIMITS,
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "[Pedal] DepthDownKey=REL_X",
		       "not a key name", NULL);
	expect_refusal(EVDEV_PEDAL "DepthUpKey=KEY_B\n" LIMITS, PENCTL_CONFIG_ERROR_INCONSISTENT,
		       "[Pedal] DepthUpKey is the same key as Key", NULL);
	expect_refusal("[Pedal]\nSource=evdev\nDevice=usb:0c45\nKey=KEY_B\n" LIMITS,
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "[Pedal] Device=usb:0c45",
		       "four hexadecimal digits", NULL);
	expect_refusal("[Pedal]\nSource=evdev\nDevice=event3\nKey=KEY_B\n" LIMITS,
		       PENCTL_CONFIG_ERROR_INCONSISTENT, "[Pedal] Device=event3",
		       "absolute path", NULL);
	expect_refusal(EVDEV_PEDAL "Chip=gpiochip0\n" LIMITS, PENCTL_CONFIG_ERROR_INCONSISTENT,
		       "/etc/test.conf: [Pedal] Chip=gpiochip0 is for Source=gpio", NULL);
	expect_refusal(EVDEV_PEDAL "Line=GPIO17\n" LIMITS, PENCTL_CONFIG_ERROR_INCONSISTENT,
		       "[Pedal] Line=GPIO17 is for Source=gpio", NULL);
}

/* A drop-in that chooses the foot switch overrides an earlier file's GPIO
 * line; a later file that adds Chip= to it contradicts it, and is named. */
static void test_evdev_pedal_over_an_earlier_gpio_file(void **state)
{
	struct tmp *t = *state;
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_config) c = NULL;
	g_autofree char *late = g_build_filename(t->dropins, "60-chip.conf", NULL);

	if (!evdev_built_in())
		return;
	write_file(t->dir, "penctld.conf", "[Pedal]\nChip=gpiochip1\nLine=GPIO27\n" LIMITS);
	write_file(t->dropins, "50-footswitch.conf", EVDEV_PEDAL);
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	if (!c)
		fail_msg("refused: %s", error->message);
	assert_int_equal(c->pedal_source, PENCTL_PEDAL_SOURCE_EVDEV);
	g_clear_pointer(&c, penctl_config_free);
	write_file(t->dropins, "60-chip.conf", "[Pedal]\nChip=gpiochip0\n");
	c = penctl_config_load_layered(t->main_path, true, t->dropins, &error);
	assert_null(c);
	assert_non_null(error);
	if (!strstr(error->message, late) || !strstr(error->message, "Chip=gpiochip0"))
		fail_msg("does not name %s and Chip=: %s", late, error->message);
}

/* A reload that changes the foot switch's device, keys or step reopens it. */
static void test_pedal_differs_for_the_foot_switch(void **state)
{
	static const struct {
		const char *fresh;
		bool differs;
	} cases[] = {
		{ EVDEV_PEDAL, false },
		{ EVDEV_PEDAL "Mode=latching\n", false },
		{ "[Pedal]\nSource=evdev\nDevice=usb:1a86:e026\nKey=KEY_B\n", true },
		{ "[Pedal]\nSource=evdev\nDevice=usb:0c45:7403\nKey=KEY_A\n", true },
		{ EVDEV_PEDAL "DepthDownKey=KEY_A\n", true },
		{ EVDEV_PEDAL "DepthUpKey=KEY_C\n", true },
		{ EVDEV_PEDAL "DepthUpKey=KEY_C\nDepthStepMm=0.2\n", true },
		{ "", true }, /* back to the GPIO line */
	};

	(void)state;
	if (!evdev_built_in())
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(penctl_config) old = config_with(EVDEV_PEDAL);
		g_autoptr(penctl_config) fresh = config_with(cases[i].fresh);

		if (penctl_config_pedal_differs(old, fresh) != cases[i].differs)
			fail_msg("\"%s\": expected %s", cases[i].fresh,
				 cases[i].differs ? "a reopen" : "none");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shipped_file_equals_builtin_defaults,
						tmp_setup, tmp_teardown),
		cmocka_unit_test(test_defaults_follow_the_clinical_source),
		cmocka_unit_test_setup_teardown(test_dropins_apply_in_lexical_order, tmp_setup,
						tmp_teardown),
		cmocka_unit_test_setup_teardown(test_missing_main_file_means_defaults_plus_dropins,
						tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_explicit_config_file_must_exist, tmp_setup,
						tmp_teardown),
		cmocka_unit_test(test_main_file_sets_the_role_and_area_sets),
		cmocka_unit_test(test_refuses_unknown_key_typo),
		cmocka_unit_test(test_refuses_unknown_group),
		cmocka_unit_test(test_refuses_values_that_do_not_parse),
		cmocka_unit_test(test_pedal_source_names_a_driver_built_in),
		cmocka_unit_test(test_refuses_zero_negative_and_above_ceiling_limits),
		cmocka_unit_test(test_refuses_start_depth_above_a_role_limit),
		cmocka_unit_test(test_refuses_empty_role_or_area_set),
		cmocka_unit_test(test_refuses_contradicting_times),
		cmocka_unit_test(test_pen_address_is_validated_and_normalised),
		cmocka_unit_test_setup_teardown(test_refusal_names_the_dropin_that_said_it,
						tmp_setup, tmp_teardown),
		cmocka_unit_test(test_minutes_may_be_fractional),
		cmocka_unit_test(test_minutes_too_large_for_milliseconds_are_refused),
		cmocka_unit_test(test_counts_and_depths_do_not_wrap),
		cmocka_unit_test(test_parse_depth_mm),
		cmocka_unit_test(test_describe_prints_the_effective_limits_table),
		cmocka_unit_test_setup_teardown(test_empty_or_commented_site_file_means_the_defaults,
						tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_site_file_overlays_the_defaults, tmp_setup,
						tmp_teardown),
		cmocka_unit_test_setup_teardown(test_consistency_is_checked_on_the_merged_result,
						tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_typo_in_a_dropin_names_the_dropin, tmp_setup,
						tmp_teardown),
		cmocka_unit_test(test_reload_allowed_says_what_needs_a_restart),
		cmocka_unit_test(test_pedal_differs_only_for_how_it_is_read),
		cmocka_unit_test(test_role_groups_default_to_penctl_role),
		cmocka_unit_test(test_role_group_names_are_validated),
		cmocka_unit_test(test_describe_names_who_may_take_each_role),
		cmocka_unit_test(test_evdev_pedal_keys_are_read),
		cmocka_unit_test(test_evdev_pedal_keys_are_validated),
		cmocka_unit_test_setup_teardown(test_evdev_pedal_over_an_earlier_gpio_file,
						tmp_setup, tmp_teardown),
		cmocka_unit_test(test_pedal_differs_for_the_foot_switch),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
