/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The persistent state in memory: a paired pen and a set of used cartridges.
 */
#include <string.h>

#include "penctl/state_store.h"

struct penctl_state *penctl_state_new(void)
{
	struct penctl_state *state = g_new0(struct penctl_state, 1);

	state->pen_address = g_strdup("");
	state->used_cartridges = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	return state;
}

void penctl_state_free(struct penctl_state *state)
{
	if (!state)
		return;
	g_free(state->pen_address);
	g_array_unref(state->used_cartridges);
	g_free(state);
}

/* The index of CARTRIDGE, or where it would go to keep the order. */
static guint penctl_state_find_cartridge(const struct penctl_state *state, uint64_t cartridge)
{
	guint low = 0, high = state->used_cartridges->len;

	while (low < high) {
		guint mid = low + (high - low) / 2;

		if (g_array_index(state->used_cartridges, uint64_t, mid) < cartridge)
			low = mid + 1;
		else
			high = mid;
	}
	return low;
}

bool penctl_state_has_cartridge(const struct penctl_state *state, uint64_t cartridge)
{
	guint i = penctl_state_find_cartridge(state, cartridge);

	return i < state->used_cartridges->len &&
	       g_array_index(state->used_cartridges, uint64_t, i) == cartridge;
}

bool penctl_state_add_cartridge(struct penctl_state *state, uint64_t cartridge)
{
	guint i;

	if (cartridge == 0 || penctl_state_has_cartridge(state, cartridge))
		return false;
	i = penctl_state_find_cartridge(state, cartridge);
	g_array_insert_val(state->used_cartridges, i, cartridge);
	return true;
}

static bool bluetooth_address_is_valid(const char *address)
{
	if (strlen(address) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? address[i] != ':' : !g_ascii_isxdigit(address[i]))
			return false;
	}
	return true;
}

bool penctl_state_set_pen_address(struct penctl_state *state, const char *address)
{
	if (!address)
		address = "";
	if (address[0] && !bluetooth_address_is_valid(address))
		return false;
	g_free(state->pen_address);
	/* BlueZ writes addresses in upper case; compare them as it does. */
	state->pen_address = g_ascii_strup(address, -1);
	return true;
}

char *penctl_state_dir(void)
{
	const char *env = g_getenv("STATE_DIRECTORY");
	const char *colon;

	/* StateDirectory=a b gives "/var/lib/a:/var/lib/b"; ours is first. */
	colon = env ? strchr(env, ':') : NULL;
	if (!env || !env[0] || colon == env)
		return g_strdup(PENCTL_STATE_DIR_DEFAULT);
	return colon ? g_strndup(env, (gsize)(colon - env)) : g_strdup(env);
}
