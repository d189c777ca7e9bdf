/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The field list of one structured journal record.  Pure: strings in,
 * strings out; emitting is one call at the end.
 */
#include <gio/gio.h>
#include <inttypes.h>
#include <string.h>
#include <syslog.h>

#include "penctl/journal_record.h"
#include "penctl/message_ids.h"

struct journal_record {
	GArray *fields;    /* GLogField; key and value point into strings */
	GPtrArray *strings; /* owned keys and values */
	int priority;
};

#define JOURNAL_FIELD_NAME_MAX 64

static bool journal_field_name_is_valid(const char *key)
{
	size_t len;

	if (!key || !key[0] || key[0] == '_' || g_ascii_isdigit(key[0]))
		return false;
	for (len = 0; key[len]; len++) {
		if (!(g_ascii_isupper(key[len]) || g_ascii_isdigit(key[len]) || key[len] == '_'))
			return false;
	}
	return len <= JOURNAL_FIELD_NAME_MAX;
}

static struct journal_record *journal_record_new(int priority)
{
	struct journal_record *record = g_new0(struct journal_record, 1);

	record->fields = g_array_new(FALSE, FALSE, sizeof(GLogField));
	record->strings = g_ptr_array_new_with_free_func(g_free);
	record->priority = priority;
	return record;
}

void journal_record_free(struct journal_record *record)
{
	if (!record)
		return;
	g_array_unref(record->fields);
	g_ptr_array_unref(record->strings);
	g_free(record);
}

/* Takes VALUE. */
static void journal_record_take_field(struct journal_record *record, const char *key, char *value)
{
	GLogField field;
	char *owned_key = g_strdup(key);

	g_ptr_array_add(record->strings, owned_key);
	g_ptr_array_add(record->strings, value);
	field.key = owned_key;
	field.value = value;
	field.length = -1;
	g_array_append_val(record->fields, field);
}

bool journal_record_add_field(struct journal_record *record, const char *key, const char *value)
{
	if (!journal_field_name_is_valid(key))
		return false;
	if (!value || !value[0])
		return true;
	journal_record_take_field(record, key, g_strdup(value));
	return true;
}

static void journal_record_add_number(struct journal_record *record, const char *key,
				      struct journal_number number)
{
	if (!number.set)
		return;
	journal_record_take_field(record, key, g_strdup_printf("%" PRIu64, number.value));
}

const GLogField *journal_record_get_fields(const struct journal_record *record, gsize *n_fields)
{
	*n_fields = record->fields->len;
	return (const GLogField *)(void *)record->fields->data;
}

const char *journal_record_get(const struct journal_record *record, const char *key)
{
	for (guint i = 0; i < record->fields->len; i++) {
		const GLogField *field = &g_array_index(record->fields, GLogField, i);

		if (strcmp(field->key, key) == 0)
			return field->value;
	}
	return NULL;
}

GLogLevelFlags journal_priority_to_log_level(int priority)
{
	if (priority <= LOG_WARNING)
		return G_LOG_LEVEL_WARNING;
	if (priority == LOG_NOTICE)
		return G_LOG_LEVEL_MESSAGE;
	if (priority == LOG_INFO)
		return G_LOG_LEVEL_INFO;
	return G_LOG_LEVEL_DEBUG;
}

struct journal_record *journal_record_build(const struct journal_record_input *in, GError **error)
{
	g_autoptr(journal_record) record = NULL;
	const struct penctl_message_id *known;
	const char *message_id = in->message_id;

	if (!in->event || !in->event[0]) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "journal record without an event name");
		return NULL;
	}
	if (!message_id) {
		known = penctl_message_id_lookup(in->event);
		message_id = known ? known->message_id : NULL;
	}
	if (!penctl_message_id_is_valid(message_id)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "journal record %s: no valid MESSAGE_ID (%s)", in->event,
			    message_id ? message_id : "unknown event");
		return NULL;
	}
	if (!in->message || !in->message[0]) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "journal record %s without a message", in->event);
		return NULL;
	}
	if (in->priority < LOG_EMERG || in->priority > LOG_DEBUG) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "journal record %s: priority %d is not a syslog priority",
			    in->event, in->priority);
		return NULL;
	}

	record = journal_record_new(in->priority);
	journal_record_add_field(record, "MESSAGE", in->message);
	journal_record_add_field(record, "MESSAGE_ID", message_id);
	journal_record_take_field(record, "PRIORITY", g_strdup_printf("%d", in->priority));
	journal_record_add_field(record, "SYSLOG_IDENTIFIER", PENCTL_LOG_DOMAIN);
	/* GLib reads the domain from this field to filter G_MESSAGES_DEBUG. */
	journal_record_add_field(record, "GLIB_DOMAIN", PENCTL_LOG_DOMAIN);
	journal_record_add_field(record, "PENCTL_EVENT", in->event);
	journal_record_add_field(record, "PENCTL_REASON", in->reason);

	journal_record_add_field(record, "PENCTL_SESSION", in->session);
	journal_record_add_field(record, "PENCTL_OPERATOR", in->operator_name);
	journal_record_add_field(record, "PENCTL_ROLE", in->role);
	journal_record_add_field(record, "PENCTL_AREA", in->area);
	journal_record_add_field(record, "PENCTL_CLIENT_REF", in->client_ref);
	journal_record_add_field(record, "PENCTL_PEN", in->pen);
	if (in->cartridge)
		journal_record_take_field(record, "PENCTL_CARTRIDGE",
					  g_strdup_printf("%016" PRIx64, in->cartridge));

	journal_record_add_number(record, "PENCTL_DEPTH_UM", in->depth_um);
	journal_record_add_number(record, "PENCTL_LIMIT_UM", in->limit_um);
	journal_record_add_number(record, "PENCTL_SPEED", in->speed);
	journal_record_add_number(record, "PENCTL_USED_MS", in->used_ms);
	journal_record_add_number(record, "PENCTL_BUDGET_MS", in->budget_ms);
	journal_record_add_number(record, "PENCTL_PERCENT", in->percent);
	if (in->pen_faults.set)
		journal_record_take_field(record, "PENCTL_PEN_FAULTS",
					  g_strdup_printf("0x%04" PRIx64, in->pen_faults.value));
	journal_record_add_field(record, "PENCTL_DETAIL", in->detail);

	journal_record_add_number(record, "PENCTL_CALLER_UID", in->caller_uid);
	journal_record_add_field(record, "PENCTL_CALLER", in->caller);

	journal_record_add_field(record, "PENCTL_CONTRAINDICATIONS", in->contraindications);
	journal_record_add_number(record, "PENCTL_WALL_BUDGET_MS", in->wall_budget_ms);
	journal_record_add_number(record, "PENCTL_NEEDLING_BUDGET_MS", in->needling_budget_ms);
	journal_record_add_number(record, "PENCTL_ANESTHETIC_UM", in->anesthetic_um);

	journal_record_add_number(record, "PENCTL_WALL_MS", in->wall_ms);
	journal_record_add_number(record, "PENCTL_NEEDLING_MS", in->needling_ms);
	journal_record_add_number(record, "PENCTL_MAX_DEPTH_UM", in->max_depth_um);
	journal_record_add_number(record, "PENCTL_STROKES", in->strokes);
	journal_record_add_field(record, "PENCTL_CARTRIDGES", in->cartridges);
	journal_record_add_field(record, "PENCTL_STOPS", in->stops);

	return g_steal_pointer(&record);
}

void journal_record_emit(const struct journal_record *record)
{
	gsize n_fields;
	const GLogField *fields = journal_record_get_fields(record, &n_fields);

	g_log_structured_array(journal_priority_to_log_level(record->priority), fields, n_fields);
}

void journal_record_log(const struct journal_record_input *input)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(journal_record) record = journal_record_build(input, &error);

	if (!record) {
		/* A record we cannot build is a bug, but the treatment goes on:
		 * keep what we know in the journal rather than nothing. */
		g_warning("%s (message: %s)", error->message,
			  input->message ? input->message : "none");
		return;
	}
	journal_record_emit(record);
}
