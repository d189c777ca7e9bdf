/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the state store: any bytes as DIR/state.
 *
 * Checks the promises of state_store_load(): no crash or GLib warning, the
 * list holds exactly the valid ids of the input's Used= lines (a used
 * cartridge is never silently lost, nothing is made up), the rest of the
 * state is well formed, and what it saves reads back whole and equal.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "penctl/state_store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fuzz_dir;
static char *fuzz_path;

static void fuzz_empty_dir(void)
{
	GDir *dir = g_dir_open(fuzz_dir, 0, NULL);
	const char *name;

	if (!dir)
		abort();
	while ((name = g_dir_read_name(dir))) {
		g_autofree char *child = g_build_filename(fuzz_dir, name, NULL);

		g_remove(child);
	}
	g_dir_close(dir);
}

static void fuzz_cleanup(void)
{
	fuzz_empty_dir();
	g_rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* A GLib warning is a bug (a GError set twice, a bad argument). */
	g_log_set_always_fatal(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
	/* One directory for the whole run: tmpfs keeps the fsyncs cheap. */
	fuzz_dir = g_dir_make_tmp("penctl-fuzz-state-XXXXXX", NULL);
	if (!fuzz_dir)
		abort();
	fuzz_path = g_build_filename(fuzz_dir, PENCTL_STATE_FILE_NAME, NULL);
	atexit(fuzz_cleanup);
	return 0;
}

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);         \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* Blanks as key files know them (g_ascii_isspace): no vertical tab. */
static bool fuzz_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* An id token as the header documents it: 1 to 16 hex digits, not 0. */
static bool fuzz_id(const char *s, size_t n, uint64_t *id)
{
	uint64_t v = 0;

	while (n && fuzz_is_blank(*s))
		s++, n--;
	while (n && fuzz_is_blank(s[n - 1]))
		n--;
	if (n < 1 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!g_ascii_isxdigit(s[i]))
			return false;
		v = v << 4 | (uint64_t)g_ascii_xdigit_value(s[i]);
	}
	*id = v;
	return v != 0;
}

/* Every valid id token of every line whose key is Used, in any group: an
 * independent reading of the format, not the store's own. */
static GHashTable *fuzz_used_ids(const char *data, size_t size)
{
	GHashTable *ids = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	const char *p = data, *end = data + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *key = p, *eq, *key_end;

		p = nl ? nl + 1 : end;
		while (key < line_end && fuzz_is_blank(*key))
			key++;
		if (key == line_end || *key == '[' || *key == '#')
			continue;
		eq = memchr(key, '=', (size_t)(line_end - key));
		if (!eq)
			continue;
		key_end = eq;
		while (key_end > key && fuzz_is_blank(key_end[-1]))
			key_end--;
		if (key_end - key != 4 || memcmp(key, "Used", 4))
			continue;
		for (const char *t = eq + 1; t < line_end;) {
			const char *semi = memchr(t, ';', (size_t)(line_end - t));
			const char *t_end = semi ? semi : line_end;
			uint64_t id;

			if (fuzz_id(t, (size_t)(t_end - t), &id))
				g_hash_table_add(ids, g_memdup2(&id, sizeof(id)));
			t = semi ? semi + 1 : line_end;
		}
	}
	return ids;
}

static void fuzz_check_text(const char *text)
{
	CHECK(text);
	CHECK(g_utf8_validate(text, -1, NULL));
	CHECK(strlen(text) <= PENCTL_STATE_TEXT_MAX);
	for (const char *c = text; *c; c++)
		CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
}

static void fuzz_check_state(const struct penctl_state *st)
{
	const char *a = st->pen_address;

	CHECK(!st->file_unreadable);
	CHECK(a[0] == '\0' || strlen(a) == 17);
	for (int i = 0; a[0] && i < 17; i++)
		CHECK(i % 3 == 2 ? a[i] == ':' : g_ascii_isxdigit(a[i]) && !g_ascii_islower(a[i]));
	for (guint i = 0; i < st->used_cartridges->len; i++) {
		uint64_t id = g_array_index(st->used_cartridges, uint64_t, i);

		CHECK(id != 0);
		CHECK(i == 0 || g_array_index(st->used_cartridges, uint64_t, i - 1) < id);
	}
	CHECK(st->used_list_untrusted == (st->untrusted_why != NULL));
	if (st->untrusted_why) {
		fuzz_check_text(st->untrusted_why);
		CHECK(st->untrusted_why[0]);
	}
	if (st->open_session) {
		fuzz_check_text(st->open_session->id);
		fuzz_check_text(st->open_session->operator_name);
		fuzz_check_text(st->open_session->role);
		fuzz_check_text(st->open_session->area);
		fuzz_check_text(st->open_session->client_ref);
	}
}

static void fuzz_check_equal(const struct penctl_state *a, const struct penctl_state *b)
{
	const struct penctl_open_session *x = a->open_session, *y = b->open_session;

	CHECK(!strcmp(a->pen_address, b->pen_address));
	CHECK(a->used_cartridges->len == b->used_cartridges->len);
	CHECK(!a->used_cartridges->len || !memcmp(a->used_cartridges->data, b->used_cartridges->data,
		      a->used_cartridges->len * sizeof(uint64_t)));
	CHECK(a->used_list_untrusted == b->used_list_untrusted);
	CHECK(g_strcmp0(a->untrusted_why, b->untrusted_why) == 0);
	CHECK(!x == !y);
	if (x) {
		CHECK(!strcmp(x->id, y->id));
		CHECK(!strcmp(x->operator_name, y->operator_name));
		CHECK(!strcmp(x->role, y->role));
		CHECK(!strcmp(x->area, y->area));
		CHECK(!strcmp(x->client_ref, y->client_ref));
		CHECK(x->started_realtime_us == y->started_realtime_us);
		CHECK(x->needling_us == y->needling_us);
		CHECK(x->max_depth_um == y->max_depth_um);
		CHECK(x->last_depth_um == y->last_depth_um);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(penctl_state) loaded = NULL;
	g_autoptr(penctl_state) reloaded = NULL;
	g_autoptr(GError) warning = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) reload_warning = NULL;
	g_autoptr(GHashTable) ids = fuzz_used_ids((const char *)data, size);
	GHashTableIter iter;
	gpointer key;
	bool whole;

	fuzz_empty_dir();
	CHECK(g_file_set_contents(fuzz_path, (const char *)data, (gssize)size, NULL));

	whole = state_store_load(fuzz_dir, &loaded, &warning);
	CHECK(loaded);
	CHECK(whole == (warning == NULL));
	if (warning)
		CHECK(g_utf8_validate(warning->message, -1, NULL));
	fuzz_check_state(loaded);

	/* Never silently lost: kept, or at the very least the list is
	 * untrusted.  The store promises more (always kept), checked too. */
	g_hash_table_iter_init(&iter, ids);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		uint64_t id = *(uint64_t *)key;

		CHECK(penctl_state_has_cartridge(loaded, id) || loaded->used_list_untrusted);
		CHECK(penctl_state_has_cartridge(loaded, id));
	}
	/* Nothing made up: every id kept is one of the input's. */
	CHECK(loaded->used_cartridges->len == g_hash_table_size(ids));

	CHECK(state_store_save(fuzz_dir, loaded, &error));
	whole = state_store_load(fuzz_dir, &reloaded, &reload_warning);
	if (!whole)
		fprintf(stderr, "reload: %s\n", reload_warning->message);
	CHECK(whole);
	fuzz_check_state(reloaded);
	fuzz_check_equal(loaded, reloaded);
	return 0;
}
