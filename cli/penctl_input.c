/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a person types to penctl, read into numbers (penctl_input.h).
 */
#include <string.h>

#include "penctl/config.h"

#include "penctl_input.h"

/* TEXT in the configuration's grammar ("0.5"): spaces around it and the
 * unit dropped, a decimal comma made a point, a leading point given its 0.
 * NULL when what is left has more than one separator or is empty. */
static char *depth_in_config_grammar(const char *text)
{
	g_autofree char *copy = g_strstrip(g_strdup(text));
	size_t n = strlen(copy);
	GString *out;

	if (n >= 2 && g_ascii_strcasecmp(copy + n - 2, "mm") == 0) {
		copy[n - 2] = '\0';
		g_strchomp(copy);
	}
	if (!copy[0] || (strchr(copy, ',') && strchr(copy, '.')))
		return NULL;
	out = g_string_new(copy[0] == '.' || copy[0] == ',' ? "0" : "");
	for (const char *c = copy; *c; c++)
		g_string_append_c(out, *c == ',' ? '.' : *c);
	return g_string_free(out, FALSE);
}

bool penctl_input_depth_mm(const char *text, uint32_t *depth_um, GError **error)
{
	g_autofree char *plain = text ? depth_in_config_grammar(text) : NULL;

	if (plain && penctl_parse_depth_mm(plain, depth_um))
		return true;
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "\"%s\" is not a depth in mm: write a number such as 0.5, 0,5, .5 or 0.5mm "
		    "(at most three decimals)", text ? text : "");
	return false;
}
