/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A streaming reader of journalctl's export format (systemd's "Journal
 * Export Format"): records of KEY=value lines, or KEY, a 64-bit
 * little-endian length and the raw value for binary fields, each record
 * ended by an empty line.  Fed in chunks of any size (penctl log --follow
 * reads a pipe); pure, no I/O.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* FIELDS maps char * keys to char * values (binary values are cut at
 * their first NUL); it is freed after the call. */
typedef void (*journal_export_record_fn)(GHashTable *fields, void *user_data);

struct journal_export_parser;

struct journal_export_parser *journal_export_parser_new(journal_export_record_fn on_record,
							void *user_data);
void journal_export_parser_free(struct journal_export_parser *parser);
typedef struct journal_export_parser journal_export_parser;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(journal_export_parser, journal_export_parser_free)

/* False and ERROR when the stream is not export format (a line without
 * '=' whose length field is missing or absurd); nothing more is read. */
bool journal_export_parser_feed(struct journal_export_parser *parser, const void *data,
				size_t len, GError **error);
/* The end of the stream: emits a last record not ended by an empty line;
 * false and ERROR when the stream stopped in the middle of a field. */
bool journal_export_parser_finish(struct journal_export_parser *parser, GError **error);
