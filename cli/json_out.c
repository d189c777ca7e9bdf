/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl's JSON writer: small, so that --json needs no extra library.
 */
#include "json_out.h"

void json_out_init(struct json_out *json)
{
	*json = (struct json_out){ .text = g_string_new(NULL) };
}

char *json_out_finish(struct json_out *json)
{
	char *text = json->text ? g_string_free(json->text, FALSE) : NULL;

	/* Empty, not re-initialised: a writer printed by one function and
	 * dropped by its owner is finished twice, and nothing may be left. */
	*json = (struct json_out){ .text = NULL };
	return text;
}

void json_append_escaped(GString *out, const char *value)
{
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		switch (*p) {
		case '"':  g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\b': g_string_append(out, "\\b"); break;
		case '\f': g_string_append(out, "\\f"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

/* A value (or a key) is about to be written at this level. */
static void before_value(struct json_out *json)
{
	if (json->after_key) {
		json->after_key = false;
		return;
	}
	if (json->need_comma[json->depth])
		g_string_append_c(json->text, ',');
	json->need_comma[json->depth] = true;
}

static void open_container(struct json_out *json, char bracket)
{
	before_value(json);
	g_string_append_c(json->text, bracket);
	if (json->depth < JSON_OUT_MAX_DEPTH)
		json->depth++;
	json->need_comma[json->depth] = false;
}

static void close_container(struct json_out *json, char bracket)
{
	g_string_append_c(json->text, bracket);
	if (json->depth > 0)
		json->depth--;
}

void json_out_begin_object(struct json_out *json)
{
	open_container(json, '{');
}

void json_out_end_object(struct json_out *json)
{
	close_container(json, '}');
}

void json_out_begin_array(struct json_out *json)
{
	open_container(json, '[');
}

void json_out_end_array(struct json_out *json)
{
	close_container(json, ']');
}

void json_out_key(struct json_out *json, const char *key)
{
	before_value(json);
	json_append_escaped(json->text, key);
	g_string_append_c(json->text, ':');
	json->after_key = true;
}

void json_out_string(struct json_out *json, const char *value)
{
	if (!value) {
		json_out_null(json);
		return;
	}
	before_value(json);
	if (g_utf8_validate(value, -1, NULL)) {
		json_append_escaped(json->text, value);
	} else {
		g_autofree char *valid = g_utf8_make_valid(value, -1);

		json_append_escaped(json->text, valid);
	}
}

void json_out_int(struct json_out *json, int64_t value)
{
	before_value(json);
	g_string_append_printf(json->text, "%" G_GINT64_FORMAT, (gint64)value);
}

void json_out_uint(struct json_out *json, uint64_t value)
{
	before_value(json);
	g_string_append_printf(json->text, "%" G_GUINT64_FORMAT, (guint64)value);
}

void json_out_bool(struct json_out *json, bool value)
{
	before_value(json);
	g_string_append(json->text, value ? "true" : "false");
}

void json_out_null(struct json_out *json)
{
	before_value(json);
	g_string_append(json->text, "null");
}

void json_out_member_string(struct json_out *json, const char *key, const char *value)
{
	json_out_key(json, key);
	json_out_string(json, value);
}

void json_out_member_uint(struct json_out *json, const char *key, uint64_t value)
{
	json_out_key(json, key);
	json_out_uint(json, value);
}

void json_out_member_bool(struct json_out *json, const char *key, bool value)
{
	json_out_key(json, key);
	json_out_bool(json, value);
}

static bool is_string_keyed_dict(GVariant *value)
{
	const GVariantType *type = g_variant_get_type(value);

	return g_variant_type_is_array(type) &&
	       g_variant_type_is_dict_entry(g_variant_type_element(type)) &&
	       g_variant_type_equal(g_variant_type_key(g_variant_type_element(type)),
				    G_VARIANT_TYPE_STRING);
}

void json_out_variant(struct json_out *json, GVariant *value)
{
	switch (g_variant_classify(value)) {
	case G_VARIANT_CLASS_BOOLEAN:
		json_out_bool(json, g_variant_get_boolean(value));
		return;
	case G_VARIANT_CLASS_BYTE:
		json_out_uint(json, g_variant_get_byte(value));
		return;
	case G_VARIANT_CLASS_INT16:
		json_out_int(json, g_variant_get_int16(value));
		return;
	case G_VARIANT_CLASS_UINT16:
		json_out_uint(json, g_variant_get_uint16(value));
		return;
	case G_VARIANT_CLASS_INT32:
		json_out_int(json, g_variant_get_int32(value));
		return;
	case G_VARIANT_CLASS_UINT32:
		json_out_uint(json, g_variant_get_uint32(value));
		return;
	case G_VARIANT_CLASS_INT64:
		json_out_int(json, g_variant_get_int64(value));
		return;
	case G_VARIANT_CLASS_UINT64:
		json_out_uint(json, g_variant_get_uint64(value));
		return;
	case G_VARIANT_CLASS_HANDLE:
		json_out_int(json, g_variant_get_handle(value));
		return;
	case G_VARIANT_CLASS_DOUBLE: {
		char buf[G_ASCII_DTOSTR_BUF_SIZE];

		before_value(json);
		g_string_append(json->text,
				g_ascii_dtostr(buf, sizeof(buf), g_variant_get_double(value)));
		return;
	}
	case G_VARIANT_CLASS_STRING:
	case G_VARIANT_CLASS_OBJECT_PATH:
	case G_VARIANT_CLASS_SIGNATURE:
		json_out_string(json, g_variant_get_string(value, NULL));
		return;
	case G_VARIANT_CLASS_VARIANT: {
		g_autoptr(GVariant) inner = g_variant_get_variant(value);

		json_out_variant(json, inner);
		return;
	}
	case G_VARIANT_CLASS_MAYBE: {
		g_autoptr(GVariant) inner = g_variant_get_maybe(value);

		if (inner)
			json_out_variant(json, inner);
		else
			json_out_null(json);
		return;
	}
	case G_VARIANT_CLASS_ARRAY:
		if (is_string_keyed_dict(value)) {
			GVariantIter iter;
			const char *key;
			GVariant *item;

			json_out_begin_object(json);
			g_variant_iter_init(&iter, value);
			while (g_variant_iter_loop(&iter, "{&s@*}", &key, &item)) {
				json_out_key(json, key);
				json_out_variant(json, item);
			}
			json_out_end_object(json);
			return;
		}
		/* other arrays are written like tuples */
		G_GNUC_FALLTHROUGH;
	case G_VARIANT_CLASS_TUPLE:
	case G_VARIANT_CLASS_DICT_ENTRY: {
		GVariantIter iter;
		GVariant *item;

		json_out_begin_array(json);
		g_variant_iter_init(&iter, value);
		while ((item = g_variant_iter_next_value(&iter))) {
			json_out_variant(json, item);
			g_variant_unref(item);
		}
		json_out_end_array(json);
		return;
	}
	}
	json_out_null(json);
}
