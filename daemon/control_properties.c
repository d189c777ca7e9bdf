/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Properties (and which of them changed), Event arguments, summary and
 * session id of io.penctld.Penctl1 (pure).
 */
#include <string.h>

#include "penctl/control_properties.h"
#include "penctl/depth_limit.h"
#include "penctl/dbus_interface.h"
#include "penctl/dbus_names.h"
#include "penctl/pen_protocol.h"

static const char *nonnull(const char *text)
{
	return text ? text : "";
}

const char *control_pedal_state(const struct engine_snapshot *snapshot)
{
	if (!snapshot->pedal_known)
		return "unknown";
	if (snapshot->pedal_latched)
		return "latched";
	if (snapshot->pedal_down && !snapshot->pedal_armed)
		return "held-not-armed";
	return snapshot->pedal_down ? "down" : "up";
}

uint64_t control_used_ms(int64_t used_us)
{
	if (used_us <= 0)
		return 0;
	return (uint64_t)(used_us / G_USEC_PER_SEC) * 1000u;
}

uint64_t control_remaining_ms(int64_t used_us, int64_t budget_us)
{
	uint64_t used = control_used_ms(used_us);
	uint64_t budget = budget_us > 0 ? (uint64_t)budget_us / 1000u : 0;

	return budget > used ? budget - used : 0;
}

/* The pen's fault names (enum pen_fault bits), lowest bit first. */
static void add_fault_names(GVariantBuilder *builder, uint16_t faults)
{
	for (unsigned bit = 0; bit < 16; bit++) {
		uint16_t mask = (uint16_t)(1u << bit);

		if (faults & mask)
			g_variant_builder_add(builder, "s",
					      pen_fault_to_string((enum pen_fault)mask));
	}
}

static GVariant *faults_variant(const struct engine_snapshot *snapshot)
{
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_STRING_ARRAY);
	add_fault_names(&builder, snapshot->pen_faults);
	if (snapshot->pen_connected && !snapshot->pen_compatible)
		g_variant_builder_add(&builder, "s", "pen-incompatible");
	if (snapshot->depth_fault)
		g_variant_builder_add(&builder, "s", "measured-depth-above-limit");
	return g_variant_builder_end(&builder);
}

static GVariant *names_variant(const GPtrArray *limits)
{
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_STRING_ARRAY);
	for (guint i = 0; limits && i < limits->len; i++) {
		const struct penctl_limit *limit = g_ptr_array_index(limits, i);

		g_variant_builder_add(&builder, "s", limit->name);
	}
	return g_variant_builder_end(&builder);
}

/* The effective limit of every (role, area) pair: the smaller of both. */
static GVariant *limits_variant(const struct penctl_config *config)
{
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE("a(ssu)"));
	for (guint r = 0; config->roles && r < config->roles->len; r++) {
		const struct penctl_limit *role = g_ptr_array_index(config->roles, r);

		for (guint a = 0; config->areas && a < config->areas->len; a++) {
			const struct penctl_limit *area = g_ptr_array_index(config->areas, a);

			g_variant_builder_add(&builder, "(ssu)", role->name, area->name,
					      penctl_depth_limit_um(role, area, 0));
		}
	}
	return g_variant_builder_end(&builder);
}

/* ---- one table: what each property derives from, and its value ---- */

struct source {
	const struct engine_snapshot *snapshot;
	const struct penctl_config *config;
	const char *config_problem;
	const struct penctl_conditions *conditions; /* may be NULL */
};

/* What a property's value derives from, found without building it: a
 * number (booleans and integers as themselves, a composite value as a
 * fingerprint of its parts) or a text. */
struct key {
	uint64_t number;
	const char *text;
};

/* FNV-1a over BYTES: a fingerprint of the configured names and limits,
 * which change only by a reload. */
static uint64_t fingerprint(uint64_t hash, const void *bytes, size_t n)
{
	const unsigned char *p = bytes;

	for (size_t i = 0; i < n; i++)
		hash = (hash ^ p[i]) * 0x100000001b3u;
	return hash;
}

/* The names of LIMITS, and their depths when WITH_DEPTHS. */
static uint64_t limits_fingerprint(const GPtrArray *limits, bool with_depths, uint64_t hash)
{
	for (guint i = 0; limits && i < limits->len; i++) {
		const struct penctl_limit *limit = g_ptr_array_index(limits, i);

		/* The terminator too, so that "ab","c" differs from "a","bc". */
		hash = fingerprint(hash, limit->name, strlen(limit->name) + 1);
		if (with_depths)
			hash = fingerprint(hash, &limit->max_depth_um,
					   sizeof(limit->max_depth_um));
	}
	return hash;
}

#define FNV_START 0xcbf29ce484222325u
#define SNAP (src->snapshot)
#define CONFIG (src->config)
#define NUMBER(fn, expr) \
	static void fn(const struct source *src, struct key *key) { key->number = (expr); }
#define TEXT(fn, expr) \
	static void fn(const struct source *src, struct key *key) { key->text = (expr); }

TEXT(key_state, engine_state_to_string(SNAP->state))
NUMBER(key_motor_on, SNAP->motor_on)
TEXT(key_pen_address, nonnull(SNAP->pen_address))
NUMBER(key_pen_connected, SNAP->pen_connected)
NUMBER(key_pen_compatible, SNAP->pen_compatible)
NUMBER(key_battery, SNAP->battery_percent)
NUMBER(key_cartridge, SNAP->cartridge)
NUMBER(key_depth, SNAP->depth_um)
NUMBER(key_measured_depth, SNAP->measured_depth_um)
NUMBER(key_limit, SNAP->limit_um)
NUMBER(key_speed, SNAP->speed)
TEXT(key_session_id, nonnull(SNAP->session_id))
TEXT(key_operator, nonnull(SNAP->operator_name))
TEXT(key_role, nonnull(SNAP->role))
TEXT(key_area, nonnull(SNAP->area))
TEXT(key_client_ref, nonnull(SNAP->client_ref))
NUMBER(key_wall_used, control_used_ms(SNAP->wall_used_us))
NUMBER(key_wall_remaining, control_remaining_ms(SNAP->wall_used_us, SNAP->wall_budget_us))
NUMBER(key_needling_used, control_used_ms(SNAP->needling_used_us))
NUMBER(key_needling_remaining,
       control_remaining_ms(SNAP->needling_used_us, SNAP->needling_budget_us))
TEXT(key_pedal, control_pedal_state(SNAP))
/* Every input of faults_variant(). */
NUMBER(key_faults, (uint64_t)SNAP->pen_faults |
		   (uint64_t)(SNAP->pen_connected && !SNAP->pen_compatible) << 16 |
		   (uint64_t)SNAP->depth_fault << 17)
NUMBER(key_roles, limits_fingerprint(CONFIG->roles, false, FNV_START))
NUMBER(key_areas, limits_fingerprint(CONFIG->areas, false, FNV_START))
NUMBER(key_limits, limits_fingerprint(CONFIG->areas, true,
				      limits_fingerprint(CONFIG->roles, true, FNV_START)))
NUMBER(key_anesthetic, CONFIG->anesthetic_advisory_above_um)
/* Whole minutes, rounded up (the exact budgets: Wall/NeedlingRemainingMs). */
NUMBER(key_max_minutes, (CONFIG->max_wall_ms + 59999u) / 60000u)
NUMBER(key_max_needling_minutes, (CONFIG->max_needling_ms + 59999u) / 60000u)
TEXT(key_config_problem, nonnull(src->config_problem))
NUMBER(key_used_list_untrusted, SNAP->used_list_untrusted)
NUMBER(key_conditions, src->conditions ? penctl_conditions_generation(src->conditions) : 0)

static GVariant *value_conditions(const struct source *src, const struct key *key)
{
	(void)key;
	if (!src->conditions)
		return g_variant_new_array(G_VARIANT_TYPE("(sss)"), NULL, 0);
	return penctl_conditions_to_variant(src->conditions);
}

static GVariant *value_cartridge(const struct source *src, const struct key *key)
{
	char cartridge[PEN_CARTRIDGE_ID_STRLEN] = "";

	(void)src;
	if (key->number)
		pen_cartridge_id_format(key->number, cartridge);
	return g_variant_new_string(cartridge);
}

static GVariant *value_faults(const struct source *src, const struct key *key)
{
	(void)key;
	return faults_variant(src->snapshot);
}

static GVariant *value_roles(const struct source *src, const struct key *key)
{
	(void)key;
	return names_variant(src->config->roles);
}

static GVariant *value_areas(const struct source *src, const struct key *key)
{
	(void)key;
	return names_variant(src->config->areas);
}

static GVariant *value_limits(const struct source *src, const struct key *key)
{
	(void)key;
	return limits_variant(src->config);
}

struct property {
	const char *name;
	void (*key)(const struct source *src, struct key *key);
	/* NULL: a plain value made from the key, of the declared type. */
	GVariant *(*value)(const struct source *src, const struct key *key);
};

/* In the order of daemon/io.penctld.Penctl1.xml's declarations: entry I is
 * the generated interface's property I, whose signature types a plain
 * value (control_properties_table_matches() holds them together). */
static const struct property properties[] = {
	{ "State", key_state, NULL },
	{ "MotorOn", key_motor_on, NULL },
	{ "PenAddress", key_pen_address, NULL },
	{ "PenConnected", key_pen_connected, NULL },
	{ "PenCompatible", key_pen_compatible, NULL },
	{ "Battery", key_battery, NULL },
	{ "Cartridge", key_cartridge, value_cartridge },
	{ "DepthUm", key_depth, NULL },
	{ "MeasuredDepthUm", key_measured_depth, NULL },
	{ "LimitUm", key_limit, NULL },
	{ "Speed", key_speed, NULL },
	{ "SessionId", key_session_id, NULL },
	{ "Operator", key_operator, NULL },
	{ "Role", key_role, NULL },
	{ "Area", key_area, NULL },
	{ "ClientRef", key_client_ref, NULL },
	{ "WallUsedMs", key_wall_used, NULL },
	{ "WallRemainingMs", key_wall_remaining, NULL },
	{ "NeedlingUsedMs", key_needling_used, NULL },
	{ "NeedlingRemainingMs", key_needling_remaining, NULL },
	{ "Pedal", key_pedal, NULL },
	{ "Faults", key_faults, value_faults },
	{ "Roles", key_roles, value_roles },
	{ "Areas", key_areas, value_areas },
	{ "Limits", key_limits, value_limits },
	{ "AnestheticAdvisoryUm", key_anesthetic, NULL },
	{ "MaxMinutes", key_max_minutes, NULL },
	{ "MaxNeedlingMinutes", key_max_needling_minutes, NULL },
	{ "ConfigProblem", key_config_problem, NULL },
	{ "UsedListUntrusted", key_used_list_untrusted, NULL },
	{ "Conditions", key_conditions, value_conditions },
};
#define N_PROPERTIES G_N_ELEMENTS(properties)

bool control_properties_table_matches(void)
{
	GDBusPropertyInfo *const *declared = io_penctld_penctl1_interface.properties;
	size_t i = 0;

	for (; declared && declared[i]; i++)
		if (i >= N_PROPERTIES || !g_str_equal(declared[i]->name, properties[i].name))
			return false;
	return i == N_PROPERTIES;
}

static GVariant *property_value(size_t i, const struct source *src, const struct key *key)
{
	const struct property *p = &properties[i];

	if (p->value)
		return p->value(src, key);
	switch (io_penctld_penctl1_interface.properties[i]->signature[0]) {
	case 's': return g_variant_new_string(key->text);
	case 'b': return g_variant_new_boolean(key->number != 0);
	case 'y': return g_variant_new_byte((guint8)key->number);
	case 'u': return g_variant_new_uint32((guint32)key->number);
	case 'q': return g_variant_new_uint16((guint16)key->number);
	case 't': return g_variant_new_uint64(key->number);
	default: return NULL; /* a type without a VALUE: the unit test fails */
	}
}

GVariant *control_properties_build(const struct engine_snapshot *snapshot,
				   const struct penctl_config *config,
				   const struct control_daemon_facts *facts)
{
	const struct source src = { snapshot, config, facts ? facts->config_problem : NULL,
				    facts ? facts->conditions : NULL };
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	for (size_t i = 0; i < N_PROPERTIES; i++) {
		struct key key = { 0 };

		properties[i].key(&src, &key);
		g_variant_builder_add(&builder, "{sv}", properties[i].name,
				      property_value(i, &src, &key));
	}
	return g_variant_ref_sink(g_variant_builder_end(&builder));
}

/* ---- what changed since the last look ---- */

struct control_properties_tracker {
	bool primed;               /* false: nothing signalled yet, all are new */
	uint64_t numbers[N_PROPERTIES];
	char *texts[N_PROPERTIES]; /* copies: the snapshot's strings do not last */
};

struct control_properties_tracker *control_properties_tracker_new(void)
{
	return g_new0(struct control_properties_tracker, 1);
}

void control_properties_tracker_free(struct control_properties_tracker *tracker)
{
	if (!tracker)
		return;
	for (size_t i = 0; i < N_PROPERTIES; i++)
		g_free(tracker->texts[i]);
	g_free(tracker);
}

/* The keys are compared, not the values: a step that changes nothing a
 * property shows (a heartbeat, a second that has not passed) builds no
 * GVariant and allocates nothing. */
GVariant *control_properties_changed(struct control_properties_tracker *tracker,
				     const struct engine_snapshot *snapshot,
				     const struct penctl_config *config,
				     const struct control_daemon_facts *facts)
{
	const struct source src = { snapshot, config, facts ? facts->config_problem : NULL,
				    facts ? facts->conditions : NULL };
	GVariantBuilder builder;
	bool any = false;

	for (size_t i = 0; i < N_PROPERTIES; i++) {
		const struct property *p = &properties[i];
		struct key key = { 0 };

		p->key(&src, &key);
		if (key.text) {
			if (tracker->primed && g_str_equal(key.text, tracker->texts[i]))
				continue;
			g_free(tracker->texts[i]);
			tracker->texts[i] = g_strdup(key.text);
		} else {
			if (tracker->primed && key.number == tracker->numbers[i])
				continue;
			tracker->numbers[i] = key.number;
		}
		if (!any)
			g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
		any = true;
		g_variant_builder_add(&builder, "{sv}", p->name, property_value(i, &src, &key));
	}
	tracker->primed = true;
	if (!any)
		return NULL;
	return g_variant_ref_sink(g_variant_builder_end(&builder));
}

GVariant *control_event_to_variant(const struct engine_record *record)
{
	GVariantBuilder fields;

	g_variant_builder_init(&fields, G_VARIANT_TYPE_VARDICT);
	if (record->depth_um)
		g_variant_builder_add(&fields, "{sv}", PENCTL_EVENT_DEPTH_UM,
				      g_variant_new_uint32(record->depth_um));
	if (record->limit_um)
		g_variant_builder_add(&fields, "{sv}", PENCTL_EVENT_LIMIT_UM,
				      g_variant_new_uint32(record->limit_um));
	if (record->used_us > 0)
		g_variant_builder_add(&fields, "{sv}", PENCTL_EVENT_USED_MS,
				      g_variant_new_uint64((guint64)record->used_us / 1000u));
	if (record->budget_us > 0)
		g_variant_builder_add(&fields, "{sv}", PENCTL_EVENT_BUDGET_MS,
				      g_variant_new_uint64((guint64)record->budget_us / 1000u));
	if (record->percent)
		g_variant_builder_add(&fields, "{sv}", PENCTL_EVENT_PERCENT,
				      g_variant_new_uint32(record->percent));
	if (record->cartridge) {
		char id[PEN_CARTRIDGE_ID_STRLEN];

		pen_cartridge_id_format(record->cartridge, id);
		g_variant_builder_add(&fields, "{sv}", PENCTL_EVENT_CARTRIDGE,
				      g_variant_new_string(id));
	}
	if (record->pen_faults) {
		GVariantBuilder faults;

		g_variant_builder_init(&faults, G_VARIANT_TYPE_STRING_ARRAY);
		add_fault_names(&faults, record->pen_faults);
		g_variant_builder_add(&fields, "{sv}", PENCTL_EVENT_FAULTS,
				      g_variant_builder_end(&faults));
	}
	if (record->detail && record->detail[0] && g_utf8_validate(record->detail, -1, NULL))
		g_variant_builder_add(&fields, "{sv}", PENCTL_EVENT_DETAIL,
				      g_variant_new_string(record->detail));
	return g_variant_new("(ss@a{sv})", engine_record_kind_to_string(record->kind),
			     engine_reason_to_string(record->reason),
			     g_variant_builder_end(&fields));
}

GVariant *control_summary_to_variant(const struct engine_session_summary *summary,
				     uint32_t anesthetic_advisory_um)
{
	GVariantBuilder builder, cartridges, stops;

	g_variant_builder_init(&cartridges, G_VARIANT_TYPE_STRING_ARRAY);
	for (unsigned i = 0; i < summary->n_cartridges && i < ENGINE_MAX_CARTRIDGES; i++) {
		char id[PEN_CARTRIDGE_ID_STRLEN];

		pen_cartridge_id_format(summary->cartridges[i], id);
		g_variant_builder_add(&cartridges, "s", id);
	}
	g_variant_builder_init(&stops, G_VARIANT_TYPE("a{su}"));
	for (unsigned reason = 0; reason < ENGINE_REASON_COUNT; reason++) {
		if (summary->stops[reason])
			g_variant_builder_add(&stops, "{su}",
					      engine_reason_to_string((enum engine_reason)reason),
					      summary->stops[reason]);
	}

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_SESSION_ID,
			      g_variant_new_string(summary->session_id));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_WALL_MS,
			      g_variant_new_uint64(summary->wall_us > 0 ?
						   (guint64)summary->wall_us / 1000u : 0));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_NEEDLING_MS,
			      g_variant_new_uint64(summary->needling_us > 0 ?
						   (guint64)summary->needling_us / 1000u : 0));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_MAX_DEPTH_UM,
			      g_variant_new_uint32(summary->max_depth_um));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_STROKES,
			      g_variant_new_uint32(summary->strokes));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_ABOVE_ANESTHETIC,
			      g_variant_new_boolean(summary->above_anesthetic));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_ANESTHETIC_UM,
			      g_variant_new_uint32(anesthetic_advisory_um));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_CARTRIDGES,
			      g_variant_builder_end(&cartridges));
	g_variant_builder_add(&builder, "{sv}", PENCTL_SUMMARY_STOPS,
			      g_variant_builder_end(&stops));
	return g_variant_ref_sink(g_variant_builder_end(&builder));
}

char *control_session_id_new(GDateTime *now, uint32_t random)
{
	g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");

	return g_strdup_printf("%s-%04x", stamp ? stamp : "00000000-000000",
			       (unsigned)(random & 0xffffu));
}
