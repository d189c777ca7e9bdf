/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The persistent state in memory: a paired pen, a set of used cartridges,
 * whether that set can be trusted, and the open session.
 */
#include <string.h>

#include "penctl/bt_address.h"
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
	g_free(state->untrusted_why);
	penctl_state_clear_open_session(state);
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

bool penctl_state_set_pen_address(struct penctl_state *state, const char *address)
{
	if (!address)
		address = "";
	if (address[0] && !bt_address_is_valid(address))
		return false;
	g_free(state->pen_address);
	/* BlueZ writes addresses in upper case; compare them as it does. */
	state->pen_address = g_ascii_strup(address, -1);
	return true;
}

/* TEXT as it may be kept, written and shown (journal, D-Bus): valid UTF-8,
 * no control characters (one line), no surrounding blanks, bounded.  Doing
 * it again changes nothing, so a saved state reads back equal. */
static char *penctl_state_clean_text(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
	const char *end = valid;

	for (char *p = valid; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	g_strstrip(valid);
	/* Cut on a character boundary. */
	while (*end) {
		const char *next = g_utf8_next_char(end);

		if (next - valid > PENCTL_STATE_TEXT_MAX)
			break;
		end = next;
	}
	valid[end - valid] = '\0';
	return g_strdup(g_strchomp(valid));
}

void penctl_state_mark_untrusted(struct penctl_state *state, const char *why)
{
	state->used_list_untrusted = true;
	if (!state->untrusted_why || !state->untrusted_why[0]) {
		g_free(state->untrusted_why);
		state->untrusted_why = penctl_state_clean_text(why);
	}
	if (!state->untrusted_why[0]) {
		g_free(state->untrusted_why);
		state->untrusted_why = g_strdup("the list of used cartridges may be incomplete");
	}
}

void penctl_state_acknowledge(struct penctl_state *state)
{
	state->used_list_untrusted = false;
	g_clear_pointer(&state->untrusted_why, g_free);
}

void penctl_state_set_open_session(struct penctl_state *state,
				   const struct penctl_open_session *session)
{
	struct penctl_open_session *copy = g_new0(struct penctl_open_session, 1);

	copy->id = penctl_state_clean_text(session->id);
	copy->operator_name = penctl_state_clean_text(session->operator_name);
	copy->role = penctl_state_clean_text(session->role);
	copy->area = penctl_state_clean_text(session->area);
	copy->client_ref = penctl_state_clean_text(session->client_ref);
	copy->started_realtime_us = session->started_realtime_us;
	copy->needling_us = session->needling_us;
	copy->max_depth_um = session->max_depth_um;
	copy->last_depth_um = session->last_depth_um;
	penctl_state_clear_open_session(state);
	state->open_session = copy;
}

void penctl_state_clear_open_session(struct penctl_state *state)
{
	struct penctl_open_session *session = g_steal_pointer(&state->open_session);

	if (!session)
		return;
	g_free(session->id);
	g_free(session->operator_name);
	g_free(session->role);
	g_free(session->area);
	g_free(session->client_ref);
	g_free(session);
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
