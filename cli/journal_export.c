/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * journalctl -o export, parsed incrementally.
 */
#include <stdint.h>
#include <string.h>

#include <gio/gio.h>

#include "journal_export.h"

/* No penctld field comes near this; anything larger is not our journal. */
#define JOURNAL_EXPORT_MAX_VALUE (16u * 1024u * 1024u)

struct journal_export_parser {
	journal_export_record_fn on_record;
	void *user_data;
	GByteArray *pending;  /* bytes not yet consumed */
	GHashTable *fields;   /* the record being read */
	bool failed;
};

static GHashTable *new_fields(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

struct journal_export_parser *journal_export_parser_new(journal_export_record_fn on_record,
							void *user_data)
{
	struct journal_export_parser *parser = g_new0(struct journal_export_parser, 1);

	parser->on_record = on_record;
	parser->user_data = user_data;
	parser->pending = g_byte_array_new();
	parser->fields = new_fields();
	return parser;
}

void journal_export_parser_free(struct journal_export_parser *parser)
{
	if (!parser)
		return;
	g_byte_array_unref(parser->pending);
	g_hash_table_unref(parser->fields);
	g_free(parser);
}

static void emit_record(struct journal_export_parser *parser)
{
	g_autoptr(GHashTable) fields = parser->fields;

	parser->fields = new_fields();
	if (g_hash_table_size(fields) > 0)
		parser->on_record(fields, parser->user_data);
}

static bool fail(struct journal_export_parser *parser, GError **error, const char *why)
{
	parser->failed = true;
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		    "journalctl output is not in export format: %s", why);
	return false;
}

/* Consume one complete field or record end from the front of PENDING.
 * 1: consumed, 0: needs more bytes, -1: malformed. */
static int consume_one(struct journal_export_parser *parser, GError **error)
{
	const guint8 *data = parser->pending->data;
	size_t len = parser->pending->len;
	const guint8 *newline;
	size_t line_len;
	const guint8 *equals;

	if (len == 0)
		return 0;
	newline = memchr(data, '\n', len);
	if (!newline)
		return 0;
	line_len = (size_t)(newline - data);
	if (line_len == 0) {
		emit_record(parser);
		g_byte_array_remove_range(parser->pending, 0, 1);
		return 1;
	}
	equals = memchr(data, '=', line_len);
	if (equals) {
		g_hash_table_replace(parser->fields, g_strndup((const char *)data,
							       (gsize)(equals - data)),
				     g_strndup((const char *)equals + 1,
					       line_len - (size_t)(equals - data) - 1));
		g_byte_array_remove_range(parser->pending, 0, (guint)line_len + 1);
		return 1;
	}

	/* Binary field: KEY\n, le64 size, value, \n. */
	{
		uint64_t size = 0;
		size_t need;

		if (len < line_len + 1 + 8)
			return 0;
		for (int i = 7; i >= 0; i--)
			size = (size << 8) | data[line_len + 1 + (size_t)i];
		if (size > (uint64_t)JOURNAL_EXPORT_MAX_VALUE) {
			fail(parser, error, "a binary field is too large");
			return -1;
		}
		need = line_len + 1 + 8 + (size_t)size + 1;
		if (len < need)
			return 0;
		if (data[need - 1] != '\n') {
			fail(parser, error, "a binary field does not end with a newline");
			return -1;
		}
		g_hash_table_replace(parser->fields, g_strndup((const char *)data, line_len),
				     g_strndup((const char *)data + line_len + 1 + 8, (gsize)size));
		g_byte_array_remove_range(parser->pending, 0, (guint)need);
		return 1;
	}
}

bool journal_export_parser_feed(struct journal_export_parser *parser, const void *data,
				size_t len, GError **error)
{
	int ret;

	if (parser->failed)
		return fail(parser, error, "earlier input was malformed");
	g_byte_array_append(parser->pending, data, (guint)len);
	while ((ret = consume_one(parser, error)) > 0)
		;
	return ret == 0;
}

bool journal_export_parser_finish(struct journal_export_parser *parser, GError **error)
{
	if (parser->failed)
		return fail(parser, error, "earlier input was malformed");
	if (parser->pending->len > 0)
		return fail(parser, error, "the stream ended inside a field");
	emit_record(parser);
	return true;
}
