/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd/penctld.catalog against the MESSAGE_ID table: every event kind has
 * exactly one catalog entry with the same id, and every entry is an event
 * kind.  The parser is as strict as journalctl --update-catalog or more, so
 * a catalog that journalctl would reject or misread fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <stdbool.h>
#include <string.h>

#include "penctl/message_ids.h"

#ifndef PENCTL_CATALOG_PATH
#error "PENCTL_CATALOG_PATH must name systemd/penctld.catalog"
#endif

struct catalog_entry {
	char *id;
	char *language;   /* NULL for the default entry */
	char *subject;
	bool defined_by_penctld;
	bool documented;
	unsigned body_lines;
	unsigned line;
};

static void catalog_entry_free(gpointer data)
{
	struct catalog_entry *entry = data;

	g_free(entry->id);
	g_free(entry->language);
	g_free(entry->subject);
	g_free(entry);
}

static bool is_lower_hex(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!g_ascii_isxdigit(text[i]) || g_ascii_isupper(text[i]))
			return false;
	}
	return true;
}

static bool catalog_entry_finish(struct catalog_entry *entry, GPtrArray *entries,
				 const char *origin, GError **error)
{
	const char *missing = !entry->subject ? "Subject:" :
			      !entry->defined_by_penctld ? "Defined-By: penctld" :
			      !entry->documented ? "Documentation:" :
			      entry->body_lines == 0 ? "a text" : NULL;

	if (missing) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s:%u: entry %s has no %s", origin, entry->line, entry->id, missing);
		catalog_entry_free(entry);
		return false;
	}
	for (guint i = 0; i < entries->len; i++) {
		const struct catalog_entry *other = entries->pdata[i];

		if (strcmp(other->id, entry->id) == 0 &&
		    g_strcmp0(other->language, entry->language) == 0) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "%s:%u: entry %s duplicates line %u", origin, entry->line,
				    entry->id, other->line);
			catalog_entry_free(entry);
			return false;
		}
	}
	g_ptr_array_add(entries, entry);
	return true;
}

static bool catalog_parse_header(struct catalog_entry *entry, const char *line,
				 const char *origin, unsigned number, GError **error)
{
	const char *colon = strstr(line, ": ");
	g_autofree char *key = colon ? g_strndup(line, (gsize)(colon - line)) : NULL;
	const char *value = colon ? colon + 2 : NULL;

	if (!key || !value[0]) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s:%u: header line is not \"Key: value\": %s", origin, number, line);
		return false;
	}
	if (strcmp(key, "Subject") == 0) {
		g_free(entry->subject);
		entry->subject = g_strdup(value);
	} else if (strcmp(key, "Defined-By") == 0) {
		entry->defined_by_penctld = strcmp(value, "penctld") == 0;
	} else if (strcmp(key, "Documentation") == 0) {
		entry->documented = true;
	} else if (strcmp(key, "Support") != 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s:%u: unknown header %s", origin, number, key);
		return false;
	}
	return true;
}

/* "-- <32 hex>[ <language>]" */
static struct catalog_entry *catalog_parse_entry_line(const char *line, const char *origin,
						      unsigned number, GError **error)
{
	const char *id = line + 3;
	size_t rest = strlen(id);
	struct catalog_entry *entry;

	if (rest < 32 || !is_lower_hex(id, 32) || (rest > 32 && id[32] != ' ') ||
	    (rest > 32 && !id[33])) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			    "%s:%u: not \"-- <32 lowercase hex digits>[ language]\": %s",
			    origin, number, line);
		return NULL;
	}
	entry = g_new0(struct catalog_entry, 1);
	entry->id = g_strndup(id, 32);
	entry->language = rest > 32 ? g_strdup(id + 33) : NULL;
	entry->line = number;
	return entry;
}

static GPtrArray *catalog_parse(const char *text, const char *origin, GError **error)
{
	g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(catalog_entry_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	struct catalog_entry *entry = NULL;
	bool in_header = false, after_blank = true;

	for (unsigned i = 0; lines[i]; i++) {
		const char *line = lines[i];
		unsigned number = i + 1;

		if (!line[0]) {
			in_header = false;
			after_blank = true;
			continue;
		}
		if (line[0] == '#')
			continue;
		if (g_str_has_prefix(line, "--")) {
			/* journalctl starts an entry only after an empty line and
			 * would read this as text: surely a mistake here. */
			if (!after_blank || !g_str_has_prefix(line, "-- ")) {
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					    "%s:%u: entry line not after an empty line: %s",
					    origin, number, line);
				goto fail;
			}
			if (entry && !catalog_entry_finish(g_steal_pointer(&entry), entries,
							   origin, error))
				goto fail;
			entry = catalog_parse_entry_line(line, origin, number, error);
			if (!entry)
				goto fail;
			in_header = true;
			after_blank = false;
			continue;
		}
		after_blank = false;
		if (!entry) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "%s:%u: text before the first entry", origin, number);
			goto fail;
		}
		if (in_header) {
			if (!catalog_parse_header(entry, line, origin, number, error))
				goto fail;
		} else {
			entry->body_lines++;
		}
	}
	if (entry && !catalog_entry_finish(g_steal_pointer(&entry), entries, origin, error))
		goto fail;
	if (entries->len == 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: no entries", origin);
		goto fail;
	}
	return g_steal_pointer(&entries);

fail:
	if (entry)
		catalog_entry_free(entry);
	return NULL;
}

/* Every event of the table has exactly one default entry with its id, and
 * every entry's id is one of the table's. */
static bool catalog_matches_table(const GPtrArray *entries, GError **error)
{
	size_t n;
	const struct penctl_message_id *ids = penctl_message_ids(&n);

	for (size_t i = 0; i < n; i++) {
		unsigned found = 0;

		for (guint j = 0; j < entries->len; j++) {
			const struct catalog_entry *entry = entries->pdata[j];

			if (!entry->language && strcmp(entry->id, ids[i].message_id) == 0)
				found++;
		}
		if (found != 1) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "event %s (%s) has %u catalog entries, not 1", ids[i].event,
				    ids[i].message_id, found);
			return false;
		}
	}
	for (guint j = 0; j < entries->len; j++) {
		const struct catalog_entry *entry = entries->pdata[j];
		bool known = false;

		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(entry->id, ids[i].message_id) == 0;
		if (!known) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				    "catalog entry %s (line %u, \"%s\") is no event's MESSAGE_ID",
				    entry->id, entry->line, entry->subject);
			return false;
		}
	}
	return true;
}

static char *read_catalog(void)
{
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	if (!g_file_get_contents(PENCTL_CATALOG_PATH, &text, NULL, &error))
		fail_msg("%s", error->message);
	return text;
}

static void shipped_catalog_explains_every_event_exactly_once(void **state)
{
	g_autofree char *text = read_catalog();
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = catalog_parse(text, PENCTL_CATALOG_PATH, &error);
	size_t n;

	(void)state;
	if (!entries)
		fail_msg("%s", error->message);
	if (!catalog_matches_table(entries, &error))
		fail_msg("%s", error->message);
	penctl_message_ids(&n);
	assert_int_equal(entries->len, n);
}

static void catalog_with_a_changed_id_does_not_match_the_table(void **state)
{
	g_autofree char *text = read_catalog();
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	char *id = strstr(text, "\n-- ");

	(void)state;
	assert_non_null(id);
	/* Change the first entry's last digit: still a well-formed catalog. */
	id[4 + 31] = id[4 + 31] == '0' ? '1' : '0';
	entries = catalog_parse(text, "changed", &error);
	if (!entries)
		fail_msg("%s", error->message);
	assert_false(catalog_matches_table(entries, &error));
	assert_non_null(error);
}

static void catalog_missing_an_entry_does_not_match_the_table(void **state)
{
	g_autofree char *text = read_catalog();
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	char *last = g_strrstr(text, "\n-- ");

	(void)state;
	assert_non_null(last);
	last[1] = '\0';
	entries = catalog_parse(text, "truncated", &error);
	if (!entries)
		fail_msg("%s", error->message);
	assert_false(catalog_matches_table(entries, &error));
}

#define GOOD_ENTRY(id) \
	"-- " id "\n" \
	"Subject: Something happened\n" \
	"Defined-By: penctld\n" \
	"Documentation: man:penctld(8)\n" \
	"\n" \
	"What happened, why, what to do.\n"
#define ID_A "0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210"

static void well_formed_sample_parses(void **state)
{
	static const char sample[] =
		"# comment\n\n" GOOD_ENTRY(ID_A) "\n" GOOD_ENTRY(ID_B) "\n"
		"-- " ID_A " de\nSubject: Etwas\nDefined-By: penctld\n"
		"Documentation: man:penctld(8)\n\nText.\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = catalog_parse(sample, "sample", &error);
	const struct catalog_entry *first;

	(void)state;
	if (!entries)
		fail_msg("%s", error->message);
	assert_int_equal(entries->len, 3);
	first = entries->pdata[0];
	assert_string_equal(first->id, ID_A);
	assert_string_equal(first->subject, "Something happened");
	assert_null(first->language);
	assert_string_equal(((const struct catalog_entry *)entries->pdata[2])->language, "de");
}

static void broken_catalogs_are_rejected(void **state)
{
	static const char *const broken[] = {
		/* text before the first entry */
		"stray text\n\n" GOOD_ENTRY(ID_A),
		/* id too short */
		"-- 0123456789abcdef\nSubject: x\nDefined-By: penctld\nDocumentation: man:penctld(8)\n\nText.\n",
		/* id not hex */
		"-- 0123456789abcdef0123456789abcdeg\nSubject: x\nDefined-By: penctld\nDocumentation: man:penctld(8)\n\nText.\n",
		/* upper case id: journalctl takes it, the table would not match */
		"-- 0123456789ABCDEF0123456789ABCDEF\nSubject: x\nDefined-By: penctld\nDocumentation: man:penctld(8)\n\nText.\n",
		/* no Subject */
		"-- " ID_A "\nDefined-By: penctld\nDocumentation: man:penctld(8)\n\nText.\n",
		/* defined by someone else */
		"-- " ID_A "\nSubject: x\nDefined-By: systemd\nDocumentation: man:penctld(8)\n\nText.\n",
		/* no Documentation */
		"-- " ID_A "\nSubject: x\nDefined-By: penctld\n\nText.\n",
		/* no text */
		"-- " ID_A "\nSubject: x\nDefined-By: penctld\nDocumentation: man:penctld(8)\n",
		/* header line without a colon */
		"-- " ID_A "\nSubject x\nDefined-By: penctld\nDocumentation: man:penctld(8)\n\nText.\n",
		/* misspelt header */
		"-- " ID_A "\nSubjet: x\nDefined-By: penctld\nDocumentation: man:penctld(8)\n\nText.\n",
		/* an entry line glued to the previous text */
		GOOD_ENTRY(ID_A) "-- " ID_B "\nSubject: x\nDefined-By: penctld\nDocumentation: man:penctld(8)\n\nText.\n",
		/* the same id twice */
		GOOD_ENTRY(ID_A) "\n" GOOD_ENTRY(ID_A),
		/* nothing at all */
		"# only a comment\n",
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(broken); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) entries = catalog_parse(broken[i], "broken", &error);

		if (entries)
			fail_msg("broken sample %zu accepted", i);
		assert_non_null(error);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_catalog_explains_every_event_exactly_once),
		cmocka_unit_test(catalog_with_a_changed_id_does_not_match_the_table),
		cmocka_unit_test(catalog_missing_an_entry_does_not_match_the_table),
		cmocka_unit_test(well_formed_sample_parses),
		cmocka_unit_test(broken_catalogs_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
