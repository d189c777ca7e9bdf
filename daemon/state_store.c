/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The persistent state on disk: read at start, written atomically after
 * every change.  A bad file never stops the daemon, and never makes it
 * forget a used cartridge: the reader is our own line reader, not GKeyFile,
 * so that it can keep every valid id of every Used= line (GKeyFile keeps
 * only the last of two, and gives up on the whole file at the first bad
 * line) and tell which group a piece of damage touched.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "penctl/state_store.h"

#define STATE_GROUP_PEN "Pen"
#define STATE_KEY_ADDRESS "Address"
#define STATE_GROUP_CARTRIDGES "Cartridges"
#define STATE_KEY_UNTRUSTED "Untrusted"
#define STATE_KEY_USED "Used"
#define STATE_GROUP_SESSION "Session"

/* g_mkstemp() fills the X with [A-Za-z0-9]; only names of exactly this
 * shape are ours to remove. */
#define STATE_TEMP_PREFIX "." PENCTL_STATE_FILE_NAME "."
#define STATE_TEMP_TEMPLATE STATE_TEMP_PREFIX "XXXXXX"
#define STATE_TEMP_RANDOM 6

/* A state file is a few kilobytes; anything far larger is not ours. */
#define STATE_FILE_MAX (16 * 1024 * 1024)

/* How many pieces of damage a warning lists before "…". */
#define STATE_DAMAGE_LISTED 4

enum state_group {
	STATE_IN_NO_GROUP,     /* before the first group header */
	STATE_IN_PEN,
	STATE_IN_CARTRIDGES,
	STATE_IN_SESSION,
	STATE_IN_OTHER,        /* a group of a later version: ignored */
	STATE_IN_BROKEN,       /* after a broken group header: whose lines, unknown */
};

struct state_reader {
	struct penctl_state *state;
	enum state_group group;
	unsigned line;
	/* Why the used list cannot be trusted, and other damage (address,
	 * session, unknown lines) that leaves the list whole. */
	GPtrArray *list_damage;
	GPtrArray *other_damage;
	unsigned used_lines;
	unsigned cartridge_groups;
	char *persisted_why;
	bool address_seen;
	bool address_bad;
	char *address;
	unsigned session_groups;
	struct penctl_open_session session; /* strings owned */
	GHashTable *session_keys_seen;
};

/* As GKeyFile: space, \t, \n, \f, \r (not \v). */
static bool state_is_blank(char c)
{
	return g_ascii_isspace(c);
}

static void state_trim(const char **start, const char **end)
{
	while (*start < *end && state_is_blank(**start))
		(*start)++;
	while (*end > *start && state_is_blank((*end)[-1]))
		(*end)--;
}

/* Bytes from the file, fit to be quoted in a message. */
static char *state_quote(const char *start, gsize length)
{
	g_autofree char *raw = g_strndup(start, MIN(length, 40));
	g_autofree char *valid = NULL;

	/* g_strndup stops at a NUL byte; show it as what it is. */
	if (memchr(start, '\0', MIN(length, 40)))
		return g_strdup("\"…\" (with a NUL byte)");
	valid = g_utf8_make_valid(raw, -1);
	for (char *p = valid; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return g_strdup_printf("\"%s%s\"", valid, length > 40 ? "…" : "");
}

static void G_GNUC_PRINTF(2, 3) state_damage(GPtrArray *list, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	g_ptr_array_add(list, g_strdup_vprintf(format, args));
	va_end(args);
}

/* A cartridge id as written (16 hex digits) or shortened by hand: 1 to 16
 * hex digits, not 0.  By length: the bytes may hold anything, NUL included. */
static bool state_parse_id(const char *start, gsize length, uint64_t *cartridge)
{
	uint64_t value = 0;

	if (length < 1 || length > 16)
		return false;
	for (gsize i = 0; i < length; i++) {
		if (!g_ascii_isxdigit(start[i]))
			return false;
		value = value << 4 | (uint64_t)g_ascii_xdigit_value(start[i]);
	}
	*cartridge = value;
	return value != 0;
}

/* A Used= line, wherever it stands: every valid id is kept, whatever else
 * is wrong with the line or the file. */
static void state_read_used(struct state_reader *r, const char *value, const char *end,
			    bool terminated)
{
	g_autofree char *bad = NULL;
	unsigned bad_ids = 0;
	const char *token = value;

	r->used_lines++;
	if (r->used_lines == 2)
		state_damage(r->list_damage, "more than one " STATE_KEY_USED "= line (line %u)",
			     r->line);
	if (r->group != STATE_IN_CARTRIDGES)
		state_damage(r->list_damage, "line %u: " STATE_KEY_USED "= outside [%s]", r->line,
			     STATE_GROUP_CARTRIDGES);
	/* Written whole, the line ends with ";\n"; without them it was cut
	 * short and its last id may be a piece of a longer one, or the ids
	 * that followed are gone. */
	if (!terminated || (value < end && end[-1] != ';'))
		state_damage(r->list_damage, "line %u: the " STATE_KEY_USED "= list is cut short",
			     r->line);

	while (token < end) {
		const char *sep = memchr(token, ';', (gsize)(end - token));
		const char *token_end = sep ? sep : end;
		const char *id_start = token, *id_end = token_end;
		uint64_t cartridge;

		state_trim(&id_start, &id_end);
		if (state_parse_id(id_start, (gsize)(id_end - id_start), &cartridge))
			penctl_state_add_cartridge(r->state, cartridge);
		else if (bad_ids++ == 0)
			bad = state_quote(id_start, (gsize)(id_end - id_start));
		token = sep ? sep + 1 : end;
	}
	if (bad_ids)
		state_damage(r->list_damage,
			     "line %u: %u entr%s of " STATE_KEY_USED
			     "= not a cartridge id (1 to 16 hex digits, not 0), first %s",
			     r->line, bad_ids, bad_ids == 1 ? "y" : "ies", bad);
}

/* GKeyFile's escapes (\s \n \t \r \\); NULL on a bad one.  GLib's own
 * unescaping sets a GError twice on "\q\" (a GLib warning): not used. */
static char *state_unescape(const char *value)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (const char *p = value; *p; p++) {
		if (*p != '\\') {
			g_string_append_c(out, *p);
			continue;
		}
		switch (*++p) {
		case 's': g_string_append_c(out, ' '); break;
		case 'n': g_string_append_c(out, '\n'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case '\\': g_string_append_c(out, '\\'); break;
		default: return NULL; /* also a backslash at the end */
		}
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void state_read_session_key(struct state_reader *r, const char *key, const char *value)
{
	struct penctl_open_session *s = &r->session;
	char **text = NULL;
	int64_t *signed_number = NULL;
	uint32_t *depth = NULL;
	guint64 unsigned_value;
	gint64 signed_value;

	if (!strcmp(key, "Id"))
		text = &s->id;
	else if (!strcmp(key, "Operator"))
		text = &s->operator_name;
	else if (!strcmp(key, "Role"))
		text = &s->role;
	else if (!strcmp(key, "Area"))
		text = &s->area;
	else if (!strcmp(key, "ClientRef"))
		text = &s->client_ref;
	else if (!strcmp(key, "StartedRealtimeUs"))
		signed_number = &s->started_realtime_us;
	else if (!strcmp(key, "NeedlingUs"))
		signed_number = &s->needling_us;
	else if (!strcmp(key, "MaxDepthUm"))
		depth = &s->max_depth_um;
	else if (!strcmp(key, "LastDepthUm"))
		depth = &s->last_depth_um;
	else
		return; /* a later version's */

	if (!g_hash_table_add(r->session_keys_seen, g_strdup(key)))
		state_damage(r->other_damage, "line %u: [%s] %s= twice", r->line,
			     STATE_GROUP_SESSION, key);
	if (text) {
		char *unescaped = state_unescape(value);

		if (!unescaped) {
			g_autofree char *quoted = state_quote(value, strlen(value));

			state_damage(r->other_damage, "line %u: [%s] %s=%s has a bad escape", r->line,
				     STATE_GROUP_SESSION, key, quoted);
			return;
		}
		g_free(*text);
		*text = unescaped;
	} else if (signed_number) {
		if (!g_ascii_string_to_signed(value, 10, 0, G_MAXINT64, &signed_value, NULL)) {
			g_autofree char *quoted = state_quote(value, strlen(value));

			state_damage(r->other_damage, "line %u: [%s] %s=%s is not a number", r->line,
				     STATE_GROUP_SESSION, key, quoted);
			return;
		}
		*signed_number = signed_value;
	} else {
		if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT32, &unsigned_value, NULL)) {
			g_autofree char *quoted = state_quote(value, strlen(value));

			state_damage(r->other_damage, "line %u: [%s] %s=%s is not a depth", r->line,
				     STATE_GROUP_SESSION, key, quoted);
			return;
		}
		*depth = (uint32_t)unsigned_value;
	}
}

static void state_read_key(struct state_reader *r, const char *key, const char *value)
{
	g_autofree char *quoted = NULL;

	switch (r->group) {
	case STATE_IN_PEN:
		if (strcmp(key, STATE_KEY_ADDRESS))
			return; /* a later version's */
		if (r->address_seen) {
			state_damage(r->other_damage, "line %u: [%s] %s= twice", r->line,
				     STATE_GROUP_PEN, STATE_KEY_ADDRESS);
			r->address_bad = true;
		}
		r->address_seen = true;
		g_free(r->address);
		r->address = g_strdup(value);
		return;
	case STATE_IN_CARTRIDGES:
		if (!strcmp(key, STATE_KEY_UNTRUSTED)) {
			g_autofree char *why = state_unescape(value);

			/* Even a damaged mark is a mark. */
			if (!r->persisted_why)
				r->persisted_why = g_strdup(why ? why : value);
			return;
		}
		/* What we do not understand here may be about the list. */
		quoted = state_quote(key, strlen(key));
		state_damage(r->list_damage, "line %u: unknown key %s in [%s]", r->line, quoted,
			     STATE_GROUP_CARTRIDGES);
		return;
	case STATE_IN_SESSION:
		state_read_session_key(r, key, value);
		return;
	case STATE_IN_NO_GROUP:
		state_damage(r->list_damage, "line %u: a key before any group", r->line);
		return;
	case STATE_IN_OTHER:
	case STATE_IN_BROKEN:
		return;
	}
}

/* Damage on line LINE that is not a key: whom it touches depends on where. */
static void state_bad_line(struct state_reader *r, const char *what)
{
	switch (r->group) {
	case STATE_IN_SESSION:
	case STATE_IN_PEN:
	case STATE_IN_OTHER:
		state_damage(r->other_damage, "line %u: %s", r->line, what);
		return;
	case STATE_IN_NO_GROUP:
	case STATE_IN_CARTRIDGES:
	case STATE_IN_BROKEN:
		state_damage(r->list_damage, "line %u: %s", r->line, what);
		return;
	}
}

static void state_read_line(struct state_reader *r, const char *start, const char *end,
			    bool terminated)
{
	const char *eq, *key_end, *value;
	g_autofree char *key = NULL;
	g_autofree char *value_text = NULL;

	state_trim(&start, &end);
	if (start == end || *start == '#')
		return;

	if (*start == '[') {
		g_autofree char *name = NULL;

		if (end[-1] != ']' || memchr(start, '\0', (gsize)(end - start)) ||
		    memchr(start, '=', (gsize)(end - start))) {
			r->group = STATE_IN_BROKEN;
			state_bad_line(r, "not a group header");
			return;
		}
		name = g_strndup(start + 1, (gsize)(end - start - 2));
		if (!strcmp(name, STATE_GROUP_PEN)) {
			r->group = STATE_IN_PEN;
		} else if (!strcmp(name, STATE_GROUP_CARTRIDGES)) {
			r->group = STATE_IN_CARTRIDGES;
			r->cartridge_groups++;
		} else if (!strcmp(name, STATE_GROUP_SESSION)) {
			r->group = STATE_IN_SESSION;
			if (++r->session_groups == 2)
				state_damage(r->other_damage, "line %u: [%s] twice", r->line,
					     STATE_GROUP_SESSION);
		} else {
			r->group = STATE_IN_OTHER;
		}
		return;
	}

	eq = memchr(start, '=', (gsize)(end - start));
	if (!eq) {
		state_bad_line(r, "neither a group header nor a key=value");
		return;
	}
	key_end = eq;
	state_trim(&start, &key_end);
	value = eq + 1;
	while (value < end && state_is_blank(*value))
		value++;
	if (key_end - start == (ptrdiff_t)strlen(STATE_KEY_USED) &&
	    !memcmp(start, STATE_KEY_USED, strlen(STATE_KEY_USED))) {
		state_read_used(r, value, end, terminated);
		return;
	}
	if (memchr(start, '\0', (gsize)(end - start))) {
		state_bad_line(r, "a NUL byte");
		return;
	}
	if (!terminated)
		state_bad_line(r, "the file is cut short");
	key = g_strndup(start, (gsize)(key_end - start));
	value_text = g_strndup(value, (gsize)(end - value));
	state_read_key(r, key, value_text);
}

/* Read the file's text into STATE; the damage found goes to R's lists. */
static void state_read(struct state_reader *r, const char *data, gsize length)
{
	const char *p = data, *end = data + length;

	while (p < end) {
		const char *nl = memchr(p, '\n', (gsize)(end - p));

		r->line++;
		state_read_line(r, p, nl ? nl : end, nl != NULL);
		p = nl ? nl + 1 : end;
	}

	if (r->used_lines == 0)
		state_damage(r->list_damage, "no " STATE_KEY_USED "= list of used cartridges");
	if (r->cartridge_groups > 1)
		state_damage(r->list_damage, "[%s] more than once", STATE_GROUP_CARTRIDGES);

	if (r->address) {
		if (r->address_bad || !penctl_state_set_pen_address(r->state, r->address)) {
			g_autofree char *quoted = state_quote(r->address, strlen(r->address));

			state_damage(r->other_damage, "[%s] %s=%s is not a Bluetooth address, forgotten",
				     STATE_GROUP_PEN, STATE_KEY_ADDRESS, quoted);
			penctl_state_set_pen_address(r->state, "");
		}
	}

	if (r->session_groups) {
		if (!g_hash_table_contains(r->session_keys_seen, "Id"))
			state_damage(r->other_damage, "[%s] without Id=", STATE_GROUP_SESSION);
		penctl_state_set_open_session(r->state, &r->session);
	}

	/* The mark a person has not acknowledged yet comes first. */
	if (r->persisted_why)
		penctl_state_mark_untrusted(r->state, r->persisted_why);
	if (r->list_damage->len) {
		g_autofree char *why = g_strdup_printf("the state file was damaged: %s",
						      (char *)r->list_damage->pdata[0]);

		penctl_state_mark_untrusted(r->state, why);
	}
}

static void state_reader_clear(struct state_reader *r)
{
	g_ptr_array_unref(r->list_damage);
	g_ptr_array_unref(r->other_damage);
	g_free(r->persisted_why);
	g_free(r->address);
	g_free(r->session.id);
	g_free(r->session.operator_name);
	g_free(r->session.role);
	g_free(r->session.area);
	g_free(r->session.client_ref);
	g_hash_table_unref(r->session_keys_seen);
}

/* "a; b; c; …" from the damage lists, list damage first. */
static char *state_describe_damage(const struct state_reader *r)
{
	g_autoptr(GString) text = g_string_new(NULL);
	const GPtrArray *lists[] = { r->list_damage, r->other_damage };
	guint listed = 0, total = r->list_damage->len + r->other_damage->len;

	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len && listed < STATE_DAMAGE_LISTED; i++, listed++)
			g_string_append_printf(text, "%s%s", listed ? "; " : "",
					       (char *)lists[l]->pdata[i]);
	}
	if (total > listed)
		g_string_append_printf(text, "; and %u more", total - listed);
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static bool state_write_all(int fd, const char *data, gsize length);

/* Keep an unchanged copy of a damaged file as evidence, never over an
 * earlier one; the name of the copy, or NULL with *ERRSV set. */
static char *state_copy_aside(const char *dir, const char *data, gsize length, int *errsv)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	for (int attempt = 0; attempt < 100; attempt++) {
		g_autofree char *name = attempt ?
			g_strdup_printf(PENCTL_STATE_FILE_NAME ".corrupt-%" G_GINT64_FORMAT ".%d", now, attempt) :
			g_strdup_printf(PENCTL_STATE_FILE_NAME ".corrupt-%" G_GINT64_FORMAT, now);
		g_autofree char *aside = g_build_filename(dir, name, NULL);
		int fd = open(aside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0) {
			*errsv = errno;
			return NULL;
		}
		if (!state_write_all(fd, data, length) || fsync(fd) < 0) {
			*errsv = errno;
			close(fd);
			g_unlink(aside);
			return NULL;
		}
		close(fd);
		return g_steal_pointer(&aside);
	}
	*errsv = EEXIST;
	return NULL;
}

/* Our pattern exactly: STATE_TEMP_PREFIX and g_mkstemp()'s random part. */
static bool state_is_temporary_name(const char *name)
{
	if (!g_str_has_prefix(name, STATE_TEMP_PREFIX) ||
	    strlen(name) != strlen(STATE_TEMP_PREFIX) + STATE_TEMP_RANDOM)
		return false;
	for (const char *p = name + strlen(STATE_TEMP_PREFIX); *p; p++) {
		if (!g_ascii_isalnum(*p))
			return false;
	}
	return true;
}

/* A save killed between creating its temporary file and the rename leaves
 * the file behind; only one daemon saves, and it is not saving while it
 * loads, so every such file is stale. */
static void state_remove_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;

	if (!d)
		return;
	/* readdir() says an error only through errno (a 32-bit build without
	 * large-file offsets gets EOVERFLOW): the end of the list is NULL
	 * with errno untouched. */
	for (errno = 0; (entry = readdir(d)); errno = 0) {
		if (state_is_temporary_name(entry->d_name))
			(void)unlinkat(dirfd(d), entry->d_name, 0);
	}
	if (errno)
		g_warning("Could not list %s for stale temporary files: %s", dir, g_strerror(errno));
	closedir(d);
}

/* The whole of PATH in *DATA; 0 or a negative errno.  ENOENT means there is
 * no file; anything else means there is one we could not read. */
static int state_read_file(const char *path, char **data, gsize *length)
{
	g_autoptr(GString) text = NULL;
	struct stat st;
	int fd, errsv;

	/* O_NONBLOCK: a FIFO put there must not hang the daemon's start. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		errsv = errno;
		close(fd);
		return -errsv;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if (st.st_size > STATE_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	text = g_string_sized_new((gsize)st.st_size + 1);
	for (;;) {
		char buffer[4096];
		ssize_t n = read(fd, buffer, sizeof(buffer));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errsv = errno;
			close(fd);
			return -errsv;
		}
		if (n == 0)
			break;
		if (text->len + (gsize)n > STATE_FILE_MAX) {
			close(fd);
			return -EFBIG;
		}
		g_string_append_len(text, buffer, n);
	}
	close(fd);
	*length = text->len;
	*data = g_string_free(g_steal_pointer(&text), FALSE);
	return 0;
}

bool state_store_load(const char *dir, struct penctl_state **out, GError **warning)
{
	g_autoptr(penctl_state) state = penctl_state_new();
	g_autofree char *path = g_build_filename(dir, PENCTL_STATE_FILE_NAME, NULL);
	g_autofree char *data = NULL;
	g_autofree char *aside = NULL;
	g_autofree char *damage = NULL;
	g_autoptr(GError) repair_error = NULL;
	struct state_reader reader = { 0 };
	gsize length = 0;
	int err, errsv = 0;

	state_remove_temporaries(dir);

	err = state_read_file(path, &data, &length);
	if (err == -ENOENT) {
		*out = g_steal_pointer(&state);
		return true; /* first start, or the directory is not there yet */
	}
	if (err < 0) {
		g_autofree char *why = g_strdup_printf(
			"the state file %s could not be read: %s", path,
			err == -EINVAL ? "not a regular file" :
			err == -EFBIG ? "larger than any state file" : g_strerror(-err));

		/* Nothing is known of the list: refuse until someone looks,
		 * and never write over what may still be the only copy. */
		state->file_unreadable = true;
		penctl_state_mark_untrusted(state, why);
		g_set_error(warning, G_FILE_ERROR, g_file_error_from_errno(-err),
			    "%s; it is left as it is and will not be overwritten, the list of used "
			    "cartridges is unknown", why);
		*out = g_steal_pointer(&state);
		return false;
	}

	reader.state = state;
	reader.list_damage = g_ptr_array_new_with_free_func(g_free);
	reader.other_damage = g_ptr_array_new_with_free_func(g_free);
	reader.session_keys_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	state_read(&reader, data, length);
	if (!reader.list_damage->len && !reader.other_damage->len) {
		state_reader_clear(&reader);
		*out = g_steal_pointer(&state);
		return true;
	}
	damage = state_describe_damage(&reader);
	state_reader_clear(&reader);

	aside = state_copy_aside(dir, data, length, &errsv);
	if (!aside) {
		/* Without a copy the damaged file is the only evidence: left
		 * in place, read the same way at the next start. */
		g_set_error(warning, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "%s is damaged: %s; %u used cartridge%s kept%s; could not keep a copy (%s)",
			    path, damage, state->used_cartridges->len,
			    state->used_cartridges->len == 1 ? "" : "s",
			    state->used_list_untrusted ? ", the list is untrusted" : "",
			    g_strerror(errsv));
		*out = g_steal_pointer(&state);
		return false;
	}
	/* The repaired state, untrusted mark included, replaces the damaged
	 * file now: a crash before the daemon's next save must not lose the
	 * mark.  If this fails the damaged file stays and is read again. */
	if (!state_store_save(dir, state, &repair_error))
		g_prefix_error(&repair_error, "the repaired state was not saved: ");
	g_set_error(warning, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		    "%s was damaged: %s; %u used cartridge%s kept%s; the damaged file is kept as %s%s%s",
		    path, damage, state->used_cartridges->len,
		    state->used_cartridges->len == 1 ? "" : "s",
		    state->used_list_untrusted ? ", the list is untrusted until acknowledged" : "",
		    aside, repair_error ? "; " : "", repair_error ? repair_error->message : "");
	*out = g_steal_pointer(&state);
	return false;
}

/* Escape as GKeyFile does (\\ and a leading \s): the text is already
 * clean, one line without control characters. */
static void state_append_text(GString *out, const char *key, const char *text)
{
	g_string_append_printf(out, "%s=", key);
	for (const char *p = text; *p; p++) {
		if (*p == '\\')
			g_string_append(out, "\\\\");
		else if (*p == ' ' && p == text)
			g_string_append(out, "\\s");
		else
			g_string_append_c(out, *p);
	}
	g_string_append_c(out, '\n');
}

/* Written by hand, not by GKeyFile, to fix the order of lines: Untrusted=
 * before Used=, so that a file cut short cannot keep the list and lose the
 * mark. */
static char *state_serialize(const struct penctl_state *state, gsize *length)
{
	GString *out = g_string_new(
		"# penctld persistent state: the paired pen, the used cartridges and the\n"
		"# session that was open.  Written by penctld; a used cartridge must never\n"
		"# be removed.\n");
	const struct penctl_open_session *s = state->open_session;

	g_string_append_printf(out, "[%s]\n%s=%s\n\n[%s]\n", STATE_GROUP_PEN, STATE_KEY_ADDRESS,
			       state->pen_address, STATE_GROUP_CARTRIDGES);
	if (state->used_list_untrusted)
		state_append_text(out, STATE_KEY_UNTRUSTED,
				  state->untrusted_why ? state->untrusted_why : "");
	g_string_append(out, STATE_KEY_USED "=");
	for (guint i = 0; i < state->used_cartridges->len; i++)
		g_string_append_printf(out, "%016" PRIx64 ";",
				       g_array_index(state->used_cartridges, uint64_t, i));
	g_string_append_c(out, '\n');
	if (s) {
		g_string_append_printf(out, "\n[%s]\n", STATE_GROUP_SESSION);
		state_append_text(out, "Id", s->id);
		state_append_text(out, "Operator", s->operator_name);
		state_append_text(out, "Role", s->role);
		state_append_text(out, "Area", s->area);
		state_append_text(out, "ClientRef", s->client_ref);
		g_string_append_printf(out,
				       "StartedRealtimeUs=%" PRId64 "\nNeedlingUs=%" PRId64
				       "\nMaxDepthUm=%" PRIu32 "\nLastDepthUm=%" PRIu32 "\n",
				       s->started_realtime_us, s->needling_us, s->max_depth_um,
				       s->last_depth_um);
	}
	*length = out->len;
	return g_string_free(out, FALSE);
}

static bool state_write_all(int fd, const char *data, gsize length)
{
	while (length > 0) {
		ssize_t n = write(fd, data, length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return false;
		data += n;
		length -= (gsize)n;
	}
	return true;
}

static bool state_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved_errno;
	bool ok;

	if (fd < 0)
		return false;
	ok = fsync(fd) == 0;
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return ok;
}

static void state_set_errno_error(GError **error, int errsv, const char *what, const char *path)
{
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv), "%s %s: %s", what, path,
		    g_strerror(errsv));
}

bool state_store_save(const char *dir, const struct penctl_state *state, GError **error)
{
	g_autofree char *path = g_build_filename(dir, PENCTL_STATE_FILE_NAME, NULL);
	g_autofree char *tmp = g_build_filename(dir, STATE_TEMP_TEMPLATE, NULL);
	g_autofree char *data = NULL;
	gsize length;
	int fd, errsv;

	if (state->file_unreadable) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
			    "cannot save state: %s could not be read at start and is not overwritten; "
			    "repair or remove it and restart penctld", path);
		return false;
	}
	data = state_serialize(state, &length);
	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		errsv = errno;
		if (errsv == ENOENT || errsv == ENOTDIR)
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv),
				    "cannot save state: state directory %s %s", dir,
				    errsv == ENOENT ? "does not exist" : "is not a directory");
		else
			state_set_errno_error(error, errsv, "cannot save state: cannot create a file in",
					      dir);
		return false;
	}

	if (!state_write_all(fd, data, length) || fsync(fd) < 0) {
		errsv = errno;
		close(fd);
		g_unlink(tmp);
		state_set_errno_error(error, errsv, "cannot save state: cannot write", tmp);
		return false;
	}
	/* close() reports delayed write errors on some file systems (NFS). */
	if (close(fd) < 0) {
		errsv = errno;
		g_unlink(tmp);
		state_set_errno_error(error, errsv, "cannot save state: cannot write", tmp);
		return false;
	}
	if (g_rename(tmp, path) < 0) {
		errsv = errno;
		g_unlink(tmp);
		state_set_errno_error(error, errsv, "cannot save state: cannot replace", path);
		return false;
	}
	/* The rename is only durable once the directory entry is on disk. */
	if (!state_fsync_dir(dir)) {
		state_set_errno_error(error, errno,
				      "state saved but may not survive a power cut: cannot sync", dir);
		return false;
	}
	return true;
}
