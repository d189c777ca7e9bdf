// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The conditions outside the engine that keep a treatment from running
 * (penctl/conditions.h).
 */
#include "penctl/conditions.h"

static const struct {
	const char *name;
	const char *meaning;
	const char *fix;
} table[PENCTL_CONDITION_COUNT] = {
	[PENCTL_CONDITION_BLUETOOTHD_GONE] = {
		"bluetoothd-gone", "Bluetooth is not running (no bluetoothd on the system bus)",
		"sudo systemctl start bluetooth; then penctl doctor" },
	[PENCTL_CONDITION_NO_ADAPTER] = {
		"no-adapter", "No Bluetooth adapter",
		"plug in or enable the adapter ([Pen] Adapter= names which); penctl doctor" },
	[PENCTL_CONDITION_ADAPTER_OFF] = {
		"adapter-off", "The Bluetooth adapter is powered off",
		"bluetoothctl power on (and check rfkill list)" },
	[PENCTL_CONDITION_PEN_NOT_PAIRED] = {
		"pen-not-paired", "No pen is paired",
		"switch the pen on, then: penctl pair" },
	[PENCTL_CONDITION_PEN_OUT_OF_REACH] = {
		"pen-out-of-reach", "The paired pen is not connected",
		"switch the pen on and bring it near; it connects by itself" },
	[PENCTL_CONDITION_PEDAL_MISSING] = {
		"pedal-missing", "The foot pedal cannot be opened",
		"check the pedal's cable and [Pedal] in penctld.conf; penctl doctor" },
	[PENCTL_CONDITION_PEDAL_LOST] = {
		"pedal-lost", "The foot pedal was lost; penctld is reopening it",
		"check the pedal's cable; it comes back by itself" },
	[PENCTL_CONDITION_CONFIG_REJECTED] = {
		"config-rejected",
		"The configuration file was rejected at the last reload; the previous one is "
		"in force",
		"fix the file, then: systemctl reload penctld" },
};

struct penctl_conditions {
	char *detail[PENCTL_CONDITION_COUNT]; /* set ⇔ non-NULL ("" without detail) */
	unsigned generation;
};

struct penctl_conditions *penctl_conditions_new(void)
{
	return g_new0(struct penctl_conditions, 1);
}

void penctl_conditions_free(struct penctl_conditions *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < PENCTL_CONDITION_COUNT; i++)
		g_free(c->detail[i]);
	g_free(c);
}

static bool valid(enum penctl_condition condition)
{
	return (unsigned)condition < PENCTL_CONDITION_COUNT;
}

bool penctl_conditions_set(struct penctl_conditions *c, enum penctl_condition condition,
			   const char *detail)
{
	if (!valid(condition))
		return false;
	if (!detail)
		detail = "";
	if (c->detail[condition] && g_strcmp0(c->detail[condition], detail) == 0)
		return false;
	g_free(c->detail[condition]);
	c->detail[condition] = g_strdup(detail);
	c->generation++;
	return true;
}

bool penctl_conditions_clear(struct penctl_conditions *c, enum penctl_condition condition)
{
	if (!valid(condition) || !c->detail[condition])
		return false;
	g_clear_pointer(&c->detail[condition], g_free);
	c->generation++;
	return true;
}

unsigned penctl_conditions_generation(const struct penctl_conditions *c)
{
	return c->generation;
}

bool penctl_conditions_has(const struct penctl_conditions *c, enum penctl_condition condition)
{
	return valid(condition) && c->detail[condition];
}

const char *penctl_condition_name(enum penctl_condition condition)
{
	return valid(condition) ? table[condition].name : "unknown";
}

const char *penctl_condition_meaning(enum penctl_condition condition)
{
	return valid(condition) ? table[condition].meaning : "unknown condition";
}

const char *penctl_condition_fix(enum penctl_condition condition)
{
	return valid(condition) ? table[condition].fix : "";
}

GVariant *penctl_conditions_to_variant(const struct penctl_conditions *c)
{
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sss)"));
	for (unsigned i = 0; i < PENCTL_CONDITION_COUNT; i++) {
		g_autofree char *meaning = NULL;

		if (!c->detail[i])
			continue;
		meaning = c->detail[i][0] ? g_strdup_printf("%s: %s", table[i].meaning,
							     c->detail[i])
					  : g_strdup(table[i].meaning);
		g_variant_builder_add(&builder, "(sss)", table[i].name, meaning, table[i].fix);
	}
	return g_variant_builder_end(&builder);
}
