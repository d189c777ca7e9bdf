// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading and strict validation of penctld.conf and its drop-ins.
 *
 * The built-in defaults, the site's file and its drop-ins are merged key by
 * key into one GKeyFile (later wins), keeping
 * the origin of every key so that a refusal names the file that said it.
 * Then every group and key is checked against one schema table; nothing in
 * the file is silently ignored, because a typo in a safety limit must not
 * fall back to a default the practitioner did not choose.
 */
#include <errno.h>
#include <string.h>

#include "penctl/bt_address.h"
#include "penctl/config.h"
#include "penctl/pedal_evdev.h"

extern const char penctl_default_config_text[];

#define BUILTIN_ORIGIN "built-in defaults"
#define NAME_MAX_LEN 32
#define GROUP_NAME_MAX_LEN 32 /* useradd/groupadd's portable limit */
#define DEFAULT_ROLE_GROUP_PREFIX "penctl-"

G_DEFINE_QUARK(penctl-config-error-quark, penctl_config_error)

enum key_type {
	KEY_COUNT,   /* whole number within [min, max] */
	KEY_MINUTES, /* minutes with up to two decimals, within [min, max] ms */
	KEY_DEPTH,   /* mm with up to three decimals, within [min, max] µm */
	KEY_BOOL,
	KEY_TEXT,    /* free text, no control characters */
	KEY_SOURCE,  /* a pedal driver this build has */
	KEY_BIAS,
	KEY_MODE,
	KEY_ADDRESS, /* empty or a Bluetooth address */
	KEY_ADAPTER, /* empty or hciN */
	KEY_GROUP,   /* empty or a Unix group name */
};

struct key_spec {
	const char *group;
	const char *key;
	enum key_type type;
	uint32_t min;
	uint32_t max;
	const char *unit;
	size_t offset;
};

#define FIELD(f) offsetof(struct penctl_config, f)

static const struct key_spec scalar_keys[] = {
	{ "Session", "MaxMinutes", KEY_MINUTES, 6000, 480 * 60000, "minutes", FIELD(max_wall_ms) },
	{ "Session", "MaxNeedlingMinutes", KEY_MINUTES, 6000, 480 * 60000, "minutes",
	  FIELD(max_needling_ms) },
	{ "Session", "WarnPercent", KEY_COUNT, 1, 99, "percent", FIELD(warn_percent) },
	{ "Session", "StartDepthMm", KEY_DEPTH, 100, PENCTL_DEPTH_CEILING_UM, "mm",
	  FIELD(start_depth_um) },
	{ "Safety", "AnestheticAdvisoryAboveMm", KEY_DEPTH, 100, PENCTL_DEPTH_CEILING_UM, "mm",
	  FIELD(anesthetic_advisory_above_um) },
	{ "Safety", "HeartbeatIntervalMs", KEY_COUNT, 20, 5000, "ms",
	  FIELD(heartbeat_interval_ms) },
	{ "Safety", "PenWatchdogMs", KEY_COUNT, 100, 10000, "ms", FIELD(pen_watchdog_ms) },
	{ "Safety", "RequireContraindicationCheck", KEY_BOOL, 0, 0, NULL,
	  FIELD(require_contraindication_check) },
	{ "Pedal", "Source", KEY_SOURCE, 0, 0, NULL, FIELD(pedal_source) },
	{ "Pedal", "Chip", KEY_TEXT, 1, 64, NULL, FIELD(pedal_chip) },
	{ "Pedal", "Line", KEY_TEXT, 1, 64, NULL, FIELD(pedal_line) },
	{ "Pedal", "ActiveLow", KEY_BOOL, 0, 0, NULL, FIELD(pedal_active_low) },
	{ "Pedal", "Bias", KEY_BIAS, 0, 0, NULL, FIELD(pedal_bias) },
	{ "Pedal", "DebounceMs", KEY_COUNT, 0, 200, "ms", FIELD(pedal_debounce_ms) },
	{ "Pedal", "Mode", KEY_MODE, 0, 0, NULL, FIELD(pedal_mode) },
	{ "Pedal", "Device", KEY_TEXT, 0, 255, NULL, FIELD(pedal_device) },
	{ "Pedal", "Key", KEY_TEXT, 0, 64, NULL, FIELD(pedal_key) },
	{ "Pedal", "DepthDownKey", KEY_TEXT, 0, 64, NULL, FIELD(pedal_depth_down_key) },
	{ "Pedal", "DepthUpKey", KEY_TEXT, 0, 64, NULL, FIELD(pedal_depth_up_key) },
	{ "Pedal", "DepthStepMm", KEY_DEPTH, PEDAL_EVDEV_DEPTH_STEP_MIN_UM,
	  PEDAL_EVDEV_DEPTH_STEP_MAX_UM, "mm", FIELD(pedal_depth_step_um) },
	{ "Access", "SupervisorGroup", KEY_GROUP, 0, 0, NULL, FIELD(supervisor_group) },
	{ "Pen", "Address", KEY_ADDRESS, 0, 0, NULL, FIELD(pen_address) },
	{ "Pen", "Adapter", KEY_ADAPTER, 0, 0, NULL, FIELD(pen_adapter) },
};

static const struct key_spec limit_key = {
	NULL, "MaxDepthMm", KEY_DEPTH, 100, PENCTL_DEPTH_CEILING_UM, "mm", 0
};

static const struct key_spec role_group_key = { NULL, "Group", KEY_GROUP, 0, 0, NULL, 0 };

static const char *const source_names[] = {
	[PENCTL_PEDAL_SOURCE_GPIO] = "gpio",
	[PENCTL_PEDAL_SOURCE_EVDEV] = "evdev",
};

static const char *const bias_names[] = {
	[PENCTL_PEDAL_BIAS_AS_IS] = "as-is",
	[PENCTL_PEDAL_BIAS_DISABLED] = "disabled",
	[PENCTL_PEDAL_BIAS_PULL_UP] = "pull-up",
	[PENCTL_PEDAL_BIAS_PULL_DOWN] = "pull-down",
};

static const char *const mode_names[] = {
	[PENCTL_PEDAL_MOMENTARY] = "momentary",
	[PENCTL_PEDAL_LATCHING] = "latching",
};

const char *penctl_pedal_source_to_string(enum penctl_pedal_source source)
{
	return (unsigned)source < G_N_ELEMENTS(source_names) ? source_names[source] : "?";
}

/* "gpio" or "gpio, evdev": the Source values this build accepts. */
static char *sources_built_in(void)
{
	g_autoptr(GString) names = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(source_names); i++)
		if (penctl_pedal_source_built_in((enum penctl_pedal_source)i))
			g_string_append_printf(names, "%s%s", names->len ? ", " : "",
					       source_names[i]);
	return g_string_free(g_steal_pointer(&names), FALSE);
}

const char *penctl_pedal_bias_to_string(enum penctl_pedal_bias bias)
{
	return (unsigned)bias < G_N_ELEMENTS(bias_names) ? bias_names[bias] : "?";
}

const char *penctl_pedal_mode_to_string(enum penctl_pedal_mode mode)
{
	return (unsigned)mode < G_N_ELEMENTS(mode_names) ? mode_names[mode] : "?";
}

bool penctl_parse_depth_mm(const char *text, uint32_t *depth_um)
{
	uint64_t whole = 0;
	uint32_t fraction = 0;
	unsigned decimals = 0;
	const char *p = text;

	if (!text || !g_ascii_isdigit(*p))
		return false;
	for (; g_ascii_isdigit(*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 1000000)
			return false;
	}
	if (*p == '.') {
		p++;
		if (!g_ascii_isdigit(*p))
			return false;
		for (; g_ascii_isdigit(*p); p++) {
			if (++decimals > 3)
				return false;
			fraction = fraction * 10 + (uint32_t)(*p - '0');
		}
	}
	if (*p != '\0')
		return false;
	for (; decimals < 3; decimals++)
		fraction *= 10;
	*depth_um = (uint32_t)(whole * 1000 + fraction);
	return true;
}

/* The same grammar as depths: "0.25" is 25 hundredths, as "0.250" is 250 µm.
 * The product is taken in 64 bits: 71600 minutes is more milliseconds than
 * 32 bits hold, and a wrapped value would land inside the allowed range. */
bool penctl_parse_minutes(const char *text, uint32_t *ms)
{
	uint32_t thousandths;
	uint64_t product;

	if (!penctl_parse_depth_mm(text, &thousandths) || thousandths % 10)
		return false;
	product = (uint64_t)thousandths * 60; /* a thousandth of a minute is 60 ms */
	if (product > UINT32_MAX)
		return false;
	*ms = (uint32_t)product;
	return true;
}

void penctl_format_minutes(uint32_t ms, char out[16])
{
	uint32_t hundredths = ms / 600;

	if (hundredths % 100 == 0)
		g_snprintf(out, 16, "%u", hundredths / 100);
	else if (hundredths % 10 == 0)
		g_snprintf(out, 16, "%u.%u", hundredths / 100, (hundredths % 100) / 10);
	else
		g_snprintf(out, 16, "%u.%02u", hundredths / 100, hundredths % 100);
}

void penctl_format_depth_mm(uint32_t depth_um, char out[16])
{
	if (depth_um % 10)
		g_snprintf(out, 16, "%u.%03u", depth_um / 1000, depth_um % 1000);
	else
		g_snprintf(out, 16, "%u.%02u", depth_um / 1000, (depth_um % 1000) / 10);
}

static void limit_free(gpointer data)
{
	struct penctl_limit *limit = data;

	g_free(limit->name);
	g_free(limit->group);
	g_free(limit);
}

void penctl_config_free(struct penctl_config *config)
{
	if (!config)
		return;
	g_clear_pointer(&config->roles, g_ptr_array_unref);
	g_clear_pointer(&config->areas, g_ptr_array_unref);
	g_clear_pointer(&config->sources, g_ptr_array_unref);
	g_free(config->pedal_chip);
	g_free(config->pedal_line);
	g_free(config->pedal_device);
	g_free(config->pedal_key);
	g_free(config->pedal_depth_down_key);
	g_free(config->pedal_depth_up_key);
	g_free(config->pen_address);
	g_free(config->pen_adapter);
	g_free(config->supervisor_group);
	g_free(config);
}

/* Merged key file plus, for each "group\x1fkey", the file it came from. */
struct merged {
	GKeyFile *keys;
	GHashTable *origin;
	GHashTable *empty_groups; /* groups without keys: GKeyFile cannot hold them */
	GPtrArray *sources;
};

static void merged_clear(struct merged *m)
{
	g_clear_pointer(&m->keys, g_key_file_unref);
	g_clear_pointer(&m->origin, g_hash_table_unref);
	g_clear_pointer(&m->empty_groups, g_hash_table_unref);
	g_clear_pointer(&m->sources, g_ptr_array_unref);
}

static char *origin_key(const char *group, const char *key)
{
	return g_strconcat(group, "\x1f", key, NULL);
}

static const char *origin_of(const struct merged *m, const char *group, const char *key)
{
	g_autofree char *k = origin_key(group, key);
	const char *o = g_hash_table_lookup(m->origin, k);

	return o ? o : BUILTIN_ORIGIN;
}

/* Copy every key of FROM over INTO, remembering ORIGIN for each. */
static void merge_key_file(struct merged *m, GKeyFile *from, const char *origin)
{
	g_auto(GStrv) groups = g_key_file_get_groups(from, NULL);
	const char *stored = g_intern_string(origin);

	g_ptr_array_add(m->sources, g_strdup(origin));
	for (char **g = groups; *g; g++) {
		g_auto(GStrv) keys = g_key_file_get_keys(from, *g, NULL, NULL);

		/* The group itself comes from the last file that names it, so that
		 * a refusal of the group (unknown, bad name) blames that file. */
		g_hash_table_replace(m->origin, origin_key(*g, ""), (gpointer)stored);
		if (!keys || !keys[0]) {
			/* An empty group still counts: "[Role x]" without a limit is an error. */
			g_hash_table_add(m->empty_groups, g_strdup(*g));
			continue;
		}
		for (char **k = keys; *k; k++) {
			g_autofree char *value = g_key_file_get_value(from, *g, *k, NULL);

			g_key_file_set_value(m->keys, *g, *k, value ? value : "");
			g_hash_table_replace(m->origin, origin_key(*g, *k), (gpointer)stored);
		}
	}
}

static bool load_key_file(GKeyFile *kf, const char *path, const char *data, GError **error)
{
	g_autoptr(GError) local = NULL;
	bool ok;

	if (data)
		ok = g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE, &local);
	else
		ok = g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local);
	if (!ok)
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_READ, "%s: %s",
			    path, local->message);
	return ok;
}

static bool merge_file(struct merged *m, const char *path, const char *data, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	if (!load_key_file(kf, path, data, error))
		return false;
	merge_key_file(m, kf, path);
	return true;
}

static gint compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool merge_dropins(struct merged *m, const char *dir_path, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &local);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (!dir) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true;
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_READ, "%s: %s",
			    dir_path, local->message);
		return false;
	}
	while ((name = g_dir_read_name(dir)))
		if (g_str_has_suffix(name, ".conf") && name[0] != '.')
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_strings);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(dir_path, names->pdata[i], NULL);

		if (!merge_file(m, path, NULL, error))
			return false;
	}
	return true;
}

static void merged_init(struct merged *m)
{
	m->keys = g_key_file_new();
	m->origin = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->empty_groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	m->sources = g_ptr_array_new_with_free_func(g_free);
}

static const struct key_spec *find_scalar_key(const char *group, const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(scalar_keys); i++)
		if (!strcmp(scalar_keys[i].group, group) && !strcmp(scalar_keys[i].key, key))
			return &scalar_keys[i];
	return NULL;
}

static bool is_scalar_group(const char *group)
{
	for (size_t i = 0; i < G_N_ELEMENTS(scalar_keys); i++)
		if (!strcmp(scalar_keys[i].group, group))
			return true;
	return false;
}

static char *allowed_keys_of(const char *group)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(scalar_keys); i++)
		if (!strcmp(scalar_keys[i].group, group))
			g_string_append_printf(s, "%s%s", s->len ? ", " : "", scalar_keys[i].key);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static bool valid_limit_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

bool penctl_config_valid_group_name(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	/* Debian's adduser NAME_REGEX and systemd's strict rule, without the
	 * trailing '$' of Samba machine accounts: nothing a shell or a
	 * polkit rule could misread. */
	if (len == 0 || len > GROUP_NAME_MAX_LEN)
		return false;
	if (!g_ascii_islower(name[0]) && name[0] != '_')
		return false;
	for (const char *p = name; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

static bool refuse_value(const struct merged *m, const char *group, const struct key_spec *spec,
			 const char *value, const char *allowed, GError **error)
{
	g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_VALUE,
		    "%s: [%s] %s=%s is not allowed: %s", origin_of(m, group, spec->key), group,
		    spec->key, value, allowed);
	return false;
}

static bool parse_count(const char *value, uint32_t *out)
{
	guint64 n;

	if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT32, &n, NULL))
		return false;
	*out = (uint32_t)n;
	return true;
}

static bool parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (!g_ascii_strcasecmp(value, yes[i])) {
			*out = true;
			return true;
		}
		if (!g_ascii_strcasecmp(value, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_name(const char *value, const char *const *names, size_t n, int *out)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(value, names[i])) {
			*out = (int)i;
			return true;
		}
	}
	return false;
}

static bool parse_adapter(const char *value)
{
	guint64 n;

	return value[0] == '\0' || (g_str_has_prefix(value, "hci") && value[3] &&
				   g_ascii_string_to_unsigned(value + 3, 10, 0, 255, &n, NULL));
}

static bool text_is_clean(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return g_utf8_validate(value, -1, NULL);
}

/* Parse VALUE of SPEC into the field at FIELD; refuse with a message otherwise. */
static bool parse_value(const struct merged *m, const char *group, const struct key_spec *spec,
			const char *value, void *field, GError **error)
{
	g_autofree char *allowed = NULL;
	char lo[16], hi[16];
	uint32_t u;
	bool b;
	int e;

	switch (spec->type) {
	case KEY_COUNT:
		if (!parse_count(value, &u) || u < spec->min || u > spec->max) {
			allowed = g_strdup_printf("a whole number of %s from %u to %u", spec->unit,
						  spec->min, spec->max);
			return refuse_value(m, group, spec, value, allowed, error);
		}
		*(uint32_t *)field = u;
		return true;
	case KEY_MINUTES:
		if (!penctl_parse_minutes(value, &u) || u < spec->min || u > spec->max) {
			penctl_format_minutes(spec->min, lo);
			penctl_format_minutes(spec->max, hi);
			allowed = g_strdup_printf("minutes from %s to %s, at most two decimals",
						  lo, hi);
			return refuse_value(m, group, spec, value, allowed, error);
		}
		*(uint32_t *)field = u;
		return true;
	case KEY_DEPTH:
		if (!penctl_parse_depth_mm(value, &u) || u < spec->min || u > spec->max) {
			penctl_format_depth_mm(spec->min, lo);
			penctl_format_depth_mm(spec->max, hi);
			allowed = g_strdup_printf("a depth in mm from %s to %s (the absolute "
						  "ceiling), at most three decimals", lo, hi);
			return refuse_value(m, group, spec, value, allowed, error);
		}
		*(uint32_t *)field = u;
		return true;
	case KEY_BOOL:
		if (!parse_bool(value, &b))
			return refuse_value(m, group, spec, value, "true or false", error);
		*(bool *)field = b;
		return true;
	case KEY_TEXT:
		if (strlen(value) < spec->min || strlen(value) > spec->max || !text_is_clean(value)) {
			allowed = g_strdup_printf("%u to %u printable characters", spec->min,
						  spec->max);
			return refuse_value(m, group, spec, value, allowed, error);
		}
		*(char **)field = g_strdup(value);
		return true;
	case KEY_SOURCE:
		if (!parse_name(value, source_names, G_N_ELEMENTS(source_names), &e))
			return refuse_value(m, group, spec, value, "gpio or evdev", error);
		if (!penctl_pedal_source_built_in((enum penctl_pedal_source)e)) {
			g_autofree char *built = sources_built_in();

			allowed = g_strdup_printf("pedal driver '%s' is not built in (this "
						  "build has: %s)", value,
						  built[0] ? built : "none");
			return refuse_value(m, group, spec, value, allowed, error);
		}
		*(enum penctl_pedal_source *)field = (enum penctl_pedal_source)e;
		return true;
	case KEY_BIAS:
		if (!parse_name(value, bias_names, G_N_ELEMENTS(bias_names), &e))
			return refuse_value(m, group, spec, value,
					    "pull-up, pull-down, disabled or as-is", error);
		*(enum penctl_pedal_bias *)field = (enum penctl_pedal_bias)e;
		return true;
	case KEY_MODE:
		if (!parse_name(value, mode_names, G_N_ELEMENTS(mode_names), &e))
			return refuse_value(m, group, spec, value, "momentary or latching", error);
		*(enum penctl_pedal_mode *)field = (enum penctl_pedal_mode)e;
		return true;
	case KEY_ADDRESS:
		if (value[0] != '\0' && !bt_address_is_valid(value))
			return refuse_value(m, group, spec, value,
					    "empty, or a Bluetooth address like 00:11:22:33:44:55",
					    error);
		*(char **)field = g_ascii_strup(value, -1);
		return true;
	case KEY_ADAPTER:
		if (!parse_adapter(value))
			return refuse_value(m, group, spec, value,
					    "empty (the first powered adapter), or hciN", error);
		*(char **)field = g_strdup(value);
		return true;
	case KEY_GROUP:
		if (value[0] != '\0' && !penctl_config_valid_group_name(value)) {
			allowed = g_strdup_printf("empty, or a Unix group name: 1 to %d characters "
						  "of a-z, 0-9, _ and -, not starting with a "
						  "digit or -", GROUP_NAME_MAX_LEN);
			return refuse_value(m, group, spec, value, allowed, error);
		}
		*(char **)field = g_strdup(value);
		return true;
	}
	return false;
}

static gint compare_limits(gconstpointer a, gconstpointer b)
{
	const struct penctl_limit *la = *(struct penctl_limit *const *)a;
	const struct penctl_limit *lb = *(struct penctl_limit *const *)b;

	return strcmp(la->name, lb->name);
}

/* [Role NAME] Group=: empty means no group beyond penctl; left out, the role
 * is a professional one and needs penctl-NAME (the shipped home role says
 * Group= explicitly), so a role a site adds is closed until it says who. */
static bool parse_role_group(const struct merged *m, const char *group, const char *name,
			     char **out, GError **error)
{
	g_autofree char *value = g_key_file_get_value(m->keys, group, role_group_key.key, NULL);
	g_autofree char *parsed = NULL;

	if (!value) {
		g_autofree char *fallback = g_strconcat(DEFAULT_ROLE_GROUP_PREFIX, name, NULL);

		if (!penctl_config_valid_group_name(fallback)) {
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_VALUE,
				    "%s: [%s]: Group= is missing and the default group %s is "
				    "longer than %d characters: set Group= to the group whose "
				    "members may take this role", origin_of(m, group, ""), group,
				    fallback, GROUP_NAME_MAX_LEN);
			return false;
		}
		*out = g_steal_pointer(&fallback);
		return true;
	}
	if (!parse_value(m, group, &role_group_key, value, &parsed, error))
		return false;
	*out = parsed[0] ? g_steal_pointer(&parsed) : NULL;
	return true;
}

static bool parse_limit_group(const struct merged *m, const char *group, const char *kind,
			      GPtrArray *into, GError **error)
{
	const char *name = group + strlen(kind) + 1;
	g_auto(GStrv) keys = g_key_file_get_keys(m->keys, group, NULL, NULL);
	g_autofree char *value = NULL;
	g_autofree char *role_group = NULL;
	bool is_role = !strcmp(kind, "Role");
	struct penctl_limit *limit;
	uint32_t depth;

	if (!valid_limit_name(name)) {
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_UNKNOWN,
			    "%s: [%s]: the %s name \"%s\" is not allowed: 1 to %d characters of "
			    "a-z, 0-9, _ and -", origin_of(m, group, ""), group, kind, name,
			    NAME_MAX_LEN);
		return false;
	}
	for (char **k = keys; k && *k; k++) {
		if (strcmp(*k, limit_key.key) && (!is_role || strcmp(*k, role_group_key.key))) {
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_UNKNOWN,
				    "%s: [%s] %s: unknown key; allowed: %s%s%s",
				    origin_of(m, group, *k), group, *k, limit_key.key,
				    is_role ? ", " : "", is_role ? role_group_key.key : "");
			return false;
		}
	}
	value = g_key_file_get_value(m->keys, group, limit_key.key, NULL);
	if (!value) {
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_VALUE,
			    "%s: [%s]: %s is missing", origin_of(m, group, ""), group,
			    limit_key.key);
		return false;
	}
	if (!parse_value(m, group, &limit_key, value, &depth, error))
		return false;
	if (is_role && !parse_role_group(m, group, name, &role_group, error))
		return false;
	limit = g_new0(struct penctl_limit, 1);
	limit->name = g_strdup(name);
	limit->max_depth_um = depth;
	limit->group = g_steal_pointer(&role_group);
	g_ptr_array_add(into, limit);
	return true;
}

/* Every group of the merged files, empty ones included. */
static GPtrArray *all_groups(const struct merged *m)
{
	g_auto(GStrv) groups = g_key_file_get_groups(m->keys, NULL);
	GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer group;

	for (char **g = groups; *g; g++)
		g_ptr_array_add(all, g_strdup(*g));
	g_hash_table_iter_init(&iter, m->empty_groups);
	while (g_hash_table_iter_next(&iter, &group, NULL))
		if (!g_key_file_has_group(m->keys, group))
			g_ptr_array_add(all, g_strdup(group));
	g_ptr_array_add(all, NULL);
	return all;
}

static bool check_groups(const struct merged *m, struct penctl_config *config, GError **error)
{
	g_autoptr(GPtrArray) all = all_groups(m);
	char **groups = (char **)all->pdata;

	for (char **g = groups; *g; g++) {
		if (g_str_has_prefix(*g, "Role ")) {
			if (!parse_limit_group(m, *g, "Role", config->roles, error))
				return false;
		} else if (g_str_has_prefix(*g, "Area ")) {
			if (!parse_limit_group(m, *g, "Area", config->areas, error))
				return false;
		} else if (is_scalar_group(*g)) {
			g_auto(GStrv) keys = g_key_file_get_keys(m->keys, *g, NULL, NULL);

			for (char **k = keys; k && *k; k++) {
				g_autofree char *allowed = NULL;

				if (find_scalar_key(*g, *k))
					continue;
				allowed = allowed_keys_of(*g);
				g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_UNKNOWN,
					    "%s: [%s] %s: unknown key; allowed: %s",
					    origin_of(m, *g, *k), *g, *k, allowed);
				return false;
			}
		} else {
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_UNKNOWN,
				    "%s: [%s]: unknown group; allowed: [Session], [Safety], "
				    "[Access], [Pedal], [Pen], [Role NAME], [Area NAME]",
				    origin_of(m, *g, ""), *g);
			return false;
		}
	}
	g_ptr_array_sort(config->roles, compare_limits);
	g_ptr_array_sort(config->areas, compare_limits);
	return true;
}

/* Position of ORIGIN in the layering (built-in defaults first). */
static guint origin_rank(const struct merged *m, const char *origin)
{
	guint rank = 0;

	for (guint i = 0; i < m->sources->len; i++)
		if (!strcmp(m->sources->pdata[i], origin))
			rank = i;
	return rank;
}

/* Of two keys that contradict each other, the one a later file set is at
 * fault: the earlier one was consistent until that file changed the other.
 * Equal rank (one file said both): the first one given. */
static bool later_is_second(const struct merged *m, const char *first, const char *second)
{
	return origin_rank(m, second) > origin_rank(m, first);
}

/* The pen stops by itself after PenWatchdogMs without a heartbeat: it must
 * survive one lost heartbeat and the next one late by up to an interval. */
#define WATCHDOG_HEARTBEATS 3u

/* The GPIO keys count against Source=evdev only when the file that chose
 * evdev (or a later one) set them too: the defaults' Chip= and Line=, or a
 * GPIO drop-in that an evdev drop-in overrides, are not the site's
 * contradiction. */
static const char *gpio_key_against_evdev(const struct merged *m, const char *key,
					  const char *value)
{
	const char *key_from = origin_of(m, "Pedal", key);
	const char *source_from = origin_of(m, "Pedal", "Source");

	if (!strcmp(key_from, BUILTIN_ORIGIN) || later_is_second(m, key_from, source_from))
		return NULL;
	return value;
}

/* The evdev pedal's keys: the rules are input/evdev_keys.c's. */
static bool check_pedal_evdev(const struct merged *m, const struct penctl_config *c,
			      GError **error)
{
	bool evdev = c->pedal_source == PENCTL_PEDAL_SOURCE_EVDEV;
	struct pedal_evdev_config_text text = {
		.source_is_evdev = evdev,
		.chip = evdev ? gpio_key_against_evdev(m, "Chip", c->pedal_chip) : NULL,
		.line = evdev ? gpio_key_against_evdev(m, "Line", c->pedal_line) : NULL,
		.device = c->pedal_device,
		.key = c->pedal_key,
		.depth_down_key = c->pedal_depth_down_key,
		.depth_up_key = c->pedal_depth_up_key,
		.depth_step_um = c->pedal_depth_step_um,
	};
	g_autoptr(GError) local = NULL;
	const char *key = "Source";

	if (pedal_evdev_validate_config(&text, &key, &local))
		return true;
	g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT, "%s: %s",
		    origin_of(m, "Pedal", key), local->message);
	return false;
}

static bool check_consistency(const struct merged *m, const struct penctl_config *c,
			      GError **error)
{
	char a[16], b[16];

	if (!check_pedal_evdev(m, c, error))
		return false;

	if (c->roles->len == 0 || c->areas->len == 0) {
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT,
			    "%s: no [%s NAME] group: at least one is needed",
			    (const char *)m->sources->pdata[0], c->roles->len ? "Area" : "Role");
		return false;
	}
	if (c->max_needling_ms > c->max_wall_ms) {
		const char *needling_from = origin_of(m, "Session", "MaxNeedlingMinutes");
		const char *wall_from = origin_of(m, "Session", "MaxMinutes");

		penctl_format_minutes(c->max_needling_ms, a);
		penctl_format_minutes(c->max_wall_ms, b);
		if (later_is_second(m, needling_from, wall_from))
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT,
				    "%s: [Session] MaxMinutes=%s is not allowed: at least "
				    "MaxNeedlingMinutes (%s) set in %s", wall_from, b, a,
				    needling_from);
		else
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT,
				    "%s: [Session] MaxNeedlingMinutes=%s is not allowed: at most "
				    "MaxMinutes (%s) set in %s", needling_from, a, b, wall_from);
		return false;
	}
	if (c->pen_watchdog_ms < WATCHDOG_HEARTBEATS * c->heartbeat_interval_ms) {
		const char *watchdog_from = origin_of(m, "Safety", "PenWatchdogMs");
		const char *heartbeat_from = origin_of(m, "Safety", "HeartbeatIntervalMs");

		if (later_is_second(m, watchdog_from, heartbeat_from))
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT,
				    "%s: [Safety] HeartbeatIntervalMs=%u is not allowed: at most "
				    "%u, a third of PenWatchdogMs (%u) set in %s, or one lost "
				    "heartbeat stops the pen", heartbeat_from,
				    c->heartbeat_interval_ms,
				    c->pen_watchdog_ms / WATCHDOG_HEARTBEATS, c->pen_watchdog_ms,
				    watchdog_from);
		else
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT,
				    "%s: [Safety] PenWatchdogMs=%u is not allowed: at least %u, "
				    "three times HeartbeatIntervalMs (%u) set in %s, or one lost "
				    "heartbeat stops the pen", watchdog_from, c->pen_watchdog_ms,
				    WATCHDOG_HEARTBEATS * c->heartbeat_interval_ms,
				    c->heartbeat_interval_ms, heartbeat_from);
		return false;
	}
	for (guint i = 0; i < c->roles->len; i++) {
		const struct penctl_limit *role = c->roles->pdata[i];
		g_autofree char *role_group = NULL;
		const char *start_from, *role_from;

		if (c->start_depth_um <= role->max_depth_um)
			continue;
		role_group = g_strconcat("Role ", role->name, NULL);
		start_from = origin_of(m, "Session", "StartDepthMm");
		role_from = origin_of(m, role_group, limit_key.key);
		penctl_format_depth_mm(c->start_depth_um, a);
		penctl_format_depth_mm(role->max_depth_um, b);
		if (later_is_second(m, start_from, role_from))
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT,
				    "%s: [Role %s] MaxDepthMm=%s is not allowed: below "
				    "[Session] StartDepthMm (%s) set in %s", role_from, role->name,
				    b, a, start_from);
		else
			g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_INCONSISTENT,
				    "%s: [Session] StartDepthMm=%s is not allowed: above the limit "
				    "%s mm of [Role %s] set in %s", start_from, a, b, role->name,
				    role_from);
		return false;
	}
	return true;
}

static struct penctl_config *config_from_merged(struct merged *m, GError **error)
{
	g_autoptr(penctl_config) config = g_new0(struct penctl_config, 1);
	g_autoptr(GKeyFile) defaults = g_key_file_new();

	config->roles = g_ptr_array_new_with_free_func(limit_free);
	config->areas = g_ptr_array_new_with_free_func(limit_free);
	if (!check_groups(m, config, error))
		return NULL;

	/* Scalar keys a file leaves out take the shipped file's value. */
	if (!g_key_file_load_from_data(defaults, penctl_default_config_text, (gsize)-1,
				       G_KEY_FILE_NONE, error))
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(scalar_keys); i++) {
		const struct key_spec *spec = &scalar_keys[i];
		g_autofree char *value = g_key_file_get_value(m->keys, spec->group, spec->key, NULL);

		if (!value)
			value = g_key_file_get_value(defaults, spec->group, spec->key, error);
		if (!value)
			return NULL;
		if (!parse_value(m, spec->group, spec, value, (char *)config + spec->offset, error))
			return NULL;
	}
	if (!check_consistency(m, config, error))
		return NULL;
	config->sources = g_steal_pointer(&m->sources);
	return g_steal_pointer(&config);
}

struct penctl_config *penctl_config_load_layered(const char *main_path, bool main_required,
						 const char *dropin_dir, GError **error)
{
	struct merged m = { 0 };
	struct penctl_config *config = NULL;

	merged_init(&m);
	/* The site's file overlays the defaults key by key: an empty file is
	 * the defaults, and what a site names changes only what it names. */
	if (!merge_file(&m, BUILTIN_ORIGIN, penctl_default_config_text, error))
		goto out;
	if (g_file_test(main_path, G_FILE_TEST_EXISTS)) {
		if (!merge_file(&m, main_path, NULL, error))
			goto out;
	} else if (main_required) {
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_READ,
			    "%s: no such file", main_path);
		goto out;
	}
	if (dropin_dir && !merge_dropins(&m, dropin_dir, error))
		goto out;
	config = config_from_merged(&m, error);
out:
	merged_clear(&m);
	return config;
}

struct penctl_config *penctl_config_load(const char *path, const char *dropin_dir, GError **error)
{
	/* A file named on the command line must exist: a typo there would
	 * otherwise run the pen on defaults nobody chose. */
	if (path)
		return penctl_config_load_layered(path, true, dropin_dir, error);
	return penctl_config_load_layered(PENCTL_CONFIG_PATH, false,
					  dropin_dir ? dropin_dir : PENCTL_CONFIG_DROPIN_DIR, error);
}

struct penctl_config *penctl_config_load_from_data(const char *data, const char *origin,
						   GError **error)
{
	struct merged m = { 0 };
	struct penctl_config *config = NULL;

	merged_init(&m);
	if (merge_file(&m, origin, data, error))
		config = config_from_merged(&m, error);
	merged_clear(&m);
	return config;
}

struct penctl_config *penctl_config_new_default(void)
{
	g_autoptr(GError) error = NULL;
	struct penctl_config *config =
		penctl_config_load_from_data(penctl_default_config_text, BUILTIN_ORIGIN, &error);

	/* The shipped file is validated by the unit tests; failing here is a build bug. */
	g_assert_no_error(error);
	return config;
}

static const struct penctl_limit *find_limit(const GPtrArray *limits, const char *name)
{
	if (!name)
		return NULL;
	for (guint i = 0; i < limits->len; i++) {
		const struct penctl_limit *limit = limits->pdata[i];

		if (!strcmp(limit->name, name))
			return limit;
	}
	return NULL;
}

const struct penctl_limit *penctl_config_find_role(const struct penctl_config *config,
						   const char *name)
{
	return find_limit(config->roles, name);
}

const struct penctl_limit *penctl_config_find_area(const struct penctl_config *config,
						   const char *name)
{
	return find_limit(config->areas, name);
}

const char *penctl_config_role_group(const struct penctl_config *config, const char *role)
{
	const struct penctl_limit *limit = penctl_config_find_role(config, role);

	return limit ? limit->group : NULL;
}

const char *penctl_config_supervisor_group(const struct penctl_config *config)
{
	return config->supervisor_group && config->supervisor_group[0] ? config->supervisor_group
								       : NULL;
}

bool penctl_config_pedal_differs(const struct penctl_config *a, const struct penctl_config *b)
{
	return a->pedal_source != b->pedal_source || g_strcmp0(a->pedal_chip, b->pedal_chip) ||
	       g_strcmp0(a->pedal_line, b->pedal_line) ||
	       a->pedal_active_low != b->pedal_active_low || a->pedal_bias != b->pedal_bias ||
	       a->pedal_debounce_ms != b->pedal_debounce_ms ||
	       g_strcmp0(a->pedal_device, b->pedal_device) || g_strcmp0(a->pedal_key, b->pedal_key) ||
	       g_strcmp0(a->pedal_depth_down_key, b->pedal_depth_down_key) ||
	       g_strcmp0(a->pedal_depth_up_key, b->pedal_depth_up_key) ||
	       a->pedal_depth_step_um != b->pedal_depth_step_um;
}

bool penctl_config_reload_allowed(const struct penctl_config *old,
				  const struct penctl_config *fresh, GError **error)
{
	/* The pen link is bound to its adapter when it is made. */
	if (g_strcmp0(old->pen_adapter, fresh->pen_adapter)) {
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_NEEDS_RESTART,
			    "[Pen] Adapter=%s (now %s) takes a restart: systemctl restart "
			    "penctld", fresh->pen_adapter[0] ? fresh->pen_adapter : "(empty)",
			    old->pen_adapter[0] ? old->pen_adapter : "(empty)");
		return false;
	}
	/* A session may be running on the pen in force; only pairing one applies. */
	if (old->pen_address[0] && g_strcmp0(old->pen_address, fresh->pen_address)) {
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_NEEDS_RESTART,
			    "[Pen] Address=%s (now %s) takes a restart: systemctl restart "
			    "penctld", fresh->pen_address[0] ? fresh->pen_address : "(empty)",
			    old->pen_address);
		return false;
	}
	/* Between the watchdog write and the new interval the pen hears the old
	 * heartbeat against the new watchdog. Lowering both at once cannot be
	 * done safely in that order; two reloads can (heartbeat first). */
	if (fresh->pen_watchdog_ms < WATCHDOG_HEARTBEATS * old->heartbeat_interval_ms) {
		g_set_error(error, PENCTL_CONFIG_ERROR, PENCTL_CONFIG_ERROR_NEEDS_RESTART,
			    "[Safety] PenWatchdogMs=%u cannot be applied while heartbeats are "
			    "still %u ms apart (it needs at most %u): reload with "
			    "HeartbeatIntervalMs=%u and the old PenWatchdogMs=%u first, then "
			    "with the new PenWatchdogMs, or restart penctld",
			    fresh->pen_watchdog_ms, old->heartbeat_interval_ms,
			    fresh->pen_watchdog_ms / WATCHDOG_HEARTBEATS,
			    fresh->heartbeat_interval_ms, old->pen_watchdog_ms);
		return false;
	}
	return true;
}
