/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny JSON writer for penctl --json: objects, arrays, strings (escaped
 * per RFC 8259), numbers, booleans, null, and GVariant values.  Commas are
 * placed by the writer, so callers only say what comes next.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define JSON_OUT_MAX_DEPTH 16

struct json_out {
	GString *text;
	unsigned depth;
	bool need_comma[JSON_OUT_MAX_DEPTH + 1];
	bool after_key;
};

void json_out_init(struct json_out *json);
/* The text written so far, handed over; the writer is left empty and holds
 * nothing (json_out_init() it again to reuse it).  Finishing an empty
 * writer returns NULL, so the owner may always finish what it began. */
char *json_out_finish(struct json_out *json);

void json_out_begin_object(struct json_out *json);
void json_out_end_object(struct json_out *json);
void json_out_begin_array(struct json_out *json);
void json_out_end_array(struct json_out *json);
void json_out_key(struct json_out *json, const char *key);
void json_out_string(struct json_out *json, const char *value); /* NULL = null */
void json_out_int(struct json_out *json, int64_t value);
void json_out_uint(struct json_out *json, uint64_t value);
void json_out_bool(struct json_out *json, bool value);
void json_out_null(struct json_out *json);

/* Any GVariant: numbers, booleans, strings; arrays and tuples as arrays;
 * dictionaries with string keys (a{s*}) as objects; variants unwrapped. */
void json_out_variant(struct json_out *json, GVariant *value);

/* Shorthands: a key and its value. */
void json_out_member_string(struct json_out *json, const char *key, const char *value);
void json_out_member_uint(struct json_out *json, const char *key, uint64_t value);
void json_out_member_bool(struct json_out *json, const char *key, bool value);

/* VALUE as a JSON string literal (with quotes) appended to OUT. */
void json_append_escaped(GString *out, const char *value);
