/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The journal record of an engine record: the fields for machines, the
 * message for a person.
 */
#include <inttypes.h>
#include <syslog.h>

#include "penctl/config.h"
#include "penctl/journal_engine_record.h"
#include "penctl/message_ids.h"
#include "penctl/pen_protocol.h"


/* A pedal release or a session stop is the operator's choice; every other
 * stop was forced on them and deserves a higher priority. */
static bool motor_stop_is_normal(enum engine_reason reason)
{
	return reason == ENGINE_REASON_PEDAL_RELEASED ||
	       reason == ENGINE_REASON_PEDAL_LATCHED_OFF ||
	       reason == ENGINE_REASON_SESSION_STOPPED;
}

/* "1.20 mm" */
static void append_depth(GString *text, uint32_t depth_um)
{
	char mm[16];

	penctl_format_depth_mm(depth_um, mm);
	g_string_append_printf(text, "%s mm", mm);
}

/* "20:00", "1:05:00": how the budgets are set and shown to the operator. */
static void append_duration(GString *text, int64_t us)
{
	int64_t s = us > 0 ? us / G_USEC_PER_SEC : 0;

	if (s >= 3600)
		g_string_append_printf(text, "%" PRId64 ":%02d:%02d", s / 3600,
				       (int)(s / 60 % 60), (int)(s % 60));
	else
		g_string_append_printf(text, "%" PRId64 ":%02d", s / 60, (int)(s % 60));
}

/* " (20:00 of 20:00)", " (needling 20:00 of 20:00)" */
static void append_used_of_budget(GString *text, const struct engine_record *record,
				  const char *label)
{
	if (record->budget_us <= 0)
		return;
	g_string_append(text, " (");
	if (label)
		g_string_append_printf(text, "%s ", label);
	append_duration(text, record->used_us);
	g_string_append(text, " of ");
	append_duration(text, record->budget_us);
	g_string_append_c(text, ')');
}

static void append_detail(GString *text, const char *detail)
{
	if (detail && detail[0])
		g_string_append_printf(text, ": %s", detail);
}

static const char *or_unknown(const char *text)
{
	return text && text[0] ? text : "(none)";
}

static void append_role_area(GString *text, const struct engine_snapshot *snapshot)
{
	g_string_append_printf(text, " (role %s, area %s)", or_unknown(snapshot->role),
			       or_unknown(snapshot->area));
}

static void append_cartridge_id(GString *text, uint64_t cartridge)
{
	g_string_append_printf(text, "%016" PRIx64, cartridge);
}

static void append_pen_faults(GString *text, uint16_t bits)
{
	const char *separator = "";

	for (unsigned bit = 0; bit < 16; bit++) {
		if (!(bits & (1u << bit)))
			continue;
		if (PEN_FAULT_KNOWN_MASK & (1u << bit))
			g_string_append_printf(text, "%s%s", separator,
					       pen_fault_to_string((enum pen_fault)(1u << bit)));
		else
			g_string_append_printf(text, "%sbit %u", separator, bit);
		separator = ", ";
	}
}

/* "motor-stall, overtemp" or "measured depth 1.20 mm above the limit 0.50 mm" */
static void append_fault(GString *text, const struct engine_record *record)
{
	if (record->pen_faults) {
		append_pen_faults(text, record->pen_faults);
	} else if (record->reason == ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT && record->limit_um) {
		g_string_append(text, "measured depth ");
		append_depth(text, record->depth_um);
		g_string_append(text, " above the limit ");
		append_depth(text, record->limit_um);
	} else {
		g_string_append(text, engine_reason_phrase(record->reason));
	}
}

static char *summary_cartridges(const struct engine_session_summary *summary)
{
	GString *text = g_string_new(NULL);
	unsigned n = summary->n_cartridges < ENGINE_MAX_CARTRIDGES ?
		     summary->n_cartridges : ENGINE_MAX_CARTRIDGES;

	for (unsigned i = 0; i < n; i++) {
		if (i)
			g_string_append_c(text, ' ');
		append_cartridge_id(text, summary->cartridges[i]);
	}
	return g_string_free(text, FALSE);
}

/* "pedal-released=4 needling-budget=1" */
static char *summary_stops(const struct engine_session_summary *summary)
{
	GString *text = g_string_new(NULL);

	for (unsigned reason = 0; reason < ENGINE_REASON_COUNT; reason++) {
		if (!summary->stops[reason])
			continue;
		if (text->len)
			g_string_append_c(text, ' ');
		g_string_append_printf(text, "%s=%u",
				       engine_reason_to_string((enum engine_reason)reason),
				       summary->stops[reason]);
	}
	return g_string_free(text, FALSE);
}

static const char *record_session_id(const struct engine_record *record,
				     const struct engine_snapshot *snapshot)
{
	/* After session-end the snapshot has no session any more. */
	if (record->summary && record->summary->session_id[0])
		return record->summary->session_id;
	return snapshot->session_id;
}

static uint64_t record_cartridge(const struct engine_record *record,
				 const struct engine_snapshot *snapshot)
{
	return record->cartridge ? record->cartridge : snapshot->cartridge;
}

static void append_session_end(GString *text, const struct engine_record *record,
			       const struct engine_snapshot *snapshot)
{
	const struct engine_session_summary *summary = record->summary;
	g_autofree char *stops = NULL;

	g_string_append_printf(text, "Session %s ended",
			       or_unknown(record_session_id(record, snapshot)));
	if (!summary)
		return;
	g_string_append(text, ": ");
	append_duration(text, summary->wall_us);
	g_string_append(text, " in all, ");
	append_duration(text, summary->needling_us);
	g_string_append(text, " needling, deepest ");
	append_depth(text, summary->max_depth_um);
	g_string_append_printf(text, ", %u strokes", summary->strokes);
	stops = summary_stops(summary);
	if (stops[0])
		g_string_append_printf(text, ", stops: %s", stops);
}

static void append_limit_warning(GString *text, const struct engine_record *record)
{
	g_string_append_printf(text, "%s %u%% used",
			       record->reason == ENGINE_REASON_WALL_BUDGET ?
			       "Session time budget" : "Needling budget",
			       record->percent);
	append_used_of_budget(text, record, NULL);
}

static void append_limit_reached(GString *text, const struct engine_record *record)
{
	g_string_append(text, record->reason == ENGINE_REASON_WALL_BUDGET ?
			"Session time budget spent" : "Needling budget spent");
	append_used_of_budget(text, record, NULL);
	g_string_append(text, ": motor stopped, session locked");
}

static void append_depth_refused(GString *text, const struct engine_record *record,
				 const struct engine_snapshot *snapshot)
{
	g_string_append(text, "Depth ");
	append_depth(text, record->depth_um);
	g_string_append_printf(text, " refused: %s", engine_reason_phrase(record->reason));
	if (record->reason == ENGINE_REASON_DEPTH_ABOVE_LIMIT && record->limit_um) {
		g_string_append_c(text, ' ');
		append_depth(text, record->limit_um);
		append_role_area(text, snapshot);
	} else if (record->reason == ENGINE_REASON_DEPTH_OUT_OF_RANGE) {
		g_string_append(text, " (at most ");
		append_depth(text, PENCTL_DEPTH_CEILING_UM);
		g_string_append_c(text, ')');
	}
}

static void append_pen_connected(GString *text, const struct engine_record *record,
				 const struct engine_snapshot *snapshot)
{
	uint64_t cartridge = record_cartridge(record, snapshot);

	if (record->reason == ENGINE_REASON_PEN_INCOMPATIBLE) {
		g_string_append_printf(text, "Pen %s is not compatible",
				       or_unknown(snapshot->pen_address));
		append_detail(text, record->detail);
		return;
	}
	g_string_append_printf(text, "Pen %s connected, ", or_unknown(snapshot->pen_address));
	if (cartridge) {
		g_string_append(text, "cartridge ");
		append_cartridge_id(text, cartridge);
	} else {
		g_string_append(text, "no cartridge");
	}
	if (snapshot->battery_percent != PEN_BATTERY_UNKNOWN)
		g_string_append_printf(text, ", battery %u%%", snapshot->battery_percent);
}

char *journal_engine_record_message(const struct engine_record *record,
				    const struct engine_snapshot *snapshot)
{
	GString *text = g_string_new(NULL);

	switch (record->kind) {
	case ENGINE_RECORD_SESSION_START:
		g_string_append_printf(text, "Session %s started by %s", or_unknown(snapshot->session_id),
				       or_unknown(snapshot->operator_name));
		append_role_area(text, snapshot);
		if (record->depth_um) {
			g_string_append(text, ", depth ");
			append_depth(text, record->depth_um);
		}
		if (record->limit_um) {
			g_string_append(text, ", limit ");
			append_depth(text, record->limit_um);
		}
		break;
	case ENGINE_RECORD_SESSION_REFUSED:
		g_string_append_printf(text, "Session refused: %s", engine_reason_phrase(record->reason));
		append_detail(text, record->detail);
		break;
	case ENGINE_RECORD_SESSION_END:
		append_session_end(text, record, snapshot);
		break;
	case ENGINE_RECORD_MOTOR_START:
		g_string_append(text, "Motor started at ");
		append_depth(text, record->depth_um ? record->depth_um : snapshot->depth_um);
		if (record->limit_um) {
			g_string_append(text, " (limit ");
			append_depth(text, record->limit_um);
			g_string_append_c(text, ')');
		}
		break;
	case ENGINE_RECORD_MOTOR_STOP:
		g_string_append_printf(text, "Motor stopped: %s", engine_reason_phrase(record->reason));
		/* The engine gives the needling time for every stop. */
		append_used_of_budget(text, record,
				      record->reason == ENGINE_REASON_NEEDLING_BUDGET ? NULL :
				      "needling");
		break;
	case ENGINE_RECORD_MOTOR_REFUSED:
		g_string_append_printf(text, "Motor not started: %s", engine_reason_phrase(record->reason));
		append_detail(text, record->detail);
		break;
	case ENGINE_RECORD_DEPTH_SET:
		g_string_append(text, "Depth set to ");
		append_depth(text, record->depth_um);
		if (record->limit_um) {
			g_string_append(text, " (limit ");
			append_depth(text, record->limit_um);
			g_string_append_c(text, ')');
		}
		if (record->reason != ENGINE_REASON_NONE)
			g_string_append_printf(text, ": %s", engine_reason_phrase(record->reason));
		break;
	case ENGINE_RECORD_DEPTH_REFUSED:
		append_depth_refused(text, record, snapshot);
		break;
	case ENGINE_RECORD_SPEED_SET:
		g_string_append_printf(text, "Speed set to %u strokes per second", snapshot->speed);
		break;
	case ENGINE_RECORD_SPEED_REFUSED:
		g_string_append_printf(text, "Speed refused: %s", engine_reason_phrase(record->reason));
		append_detail(text, record->detail);
		break;
	case ENGINE_RECORD_LIMIT_WARNING:
		append_limit_warning(text, record);
		break;
	case ENGINE_RECORD_LIMIT_REACHED:
		append_limit_reached(text, record);
		break;
	case ENGINE_RECORD_PEN_CONNECTED:
		append_pen_connected(text, record, snapshot);
		break;
	case ENGINE_RECORD_PEN_DISCONNECTED:
		g_string_append_printf(text, "Pen %s disconnected", or_unknown(snapshot->pen_address));
		append_detail(text, record->detail);
		break;
	case ENGINE_RECORD_PEDAL_LOST:
		g_string_append(text, "Pedal lost, motor stopped");
		append_detail(text, record->detail);
		break;
	case ENGINE_RECORD_FAULT:
		if (record->reason == ENGINE_REASON_PEN_INCOMPATIBLE) {
			g_string_append_printf(text, "Pen %s is not compatible",
					       or_unknown(snapshot->pen_address));
			append_detail(text, record->detail);
			break;
		}
		g_string_append(text, "Pen fault: ");
		append_fault(text, record);
		if (record->reason == ENGINE_REASON_PEN_LINK_ERROR)
			append_detail(text, record->detail);
		break;
	case ENGINE_RECORD_FAULT_CLEARED:
		g_string_append(text, "Pen fault cleared: ");
		append_fault(text, record);
		break;
	case ENGINE_RECORD_ADVISORY:
		g_string_append_printf(text, "Advisory: %s", engine_reason_phrase(record->reason));
		if (record->depth_um) {
			g_string_append(text, " (depth ");
			append_depth(text, record->depth_um);
			if (record->limit_um) {
				g_string_append(text, ", threshold ");
				append_depth(text, record->limit_um);
			}
			g_string_append_c(text, ')');
		}
		break;
	case ENGINE_RECORD_CARTRIDGE_REFUSED:
		g_string_append(text, "Cartridge ");
		append_cartridge_id(text, record_cartridge(record, snapshot));
		g_string_append_printf(text, " refused: %s", engine_reason_phrase(record->reason));
		break;
	case ENGINE_RECORD_CONFIG_RELOADED:
		g_string_append(text, "Configuration reloaded");
		if (snapshot->session_open && record->limit_um) {
			g_string_append(text, ", session limit now ");
			append_depth(text, record->limit_um);
		}
		append_detail(text, record->detail);
		break;
	case ENGINE_RECORD_STATE_ACKNOWLEDGED:
		g_string_append(text, "Damaged list of used cartridges acknowledged");
		append_detail(text, record->detail);
		break;
	}
	if (!text->len)
		g_string_append_printf(text, "Engine record %d", (int)record->kind);
	return g_string_free(text, FALSE);
}

static const char *record_event(const struct engine_record *record)
{
	/* Its own catalog entry: what to do differs from any other fault. */
	if ((record->kind == ENGINE_RECORD_FAULT || record->kind == ENGINE_RECORD_PEN_CONNECTED) &&
	    record->reason == ENGINE_REASON_PEN_INCOMPATIBLE)
		return "pen-incompatible";
	return engine_record_kind_to_string(record->kind);
}

static int record_priority(const struct engine_record *record, const char *event)
{
	const struct penctl_message_id *known = penctl_message_id_lookup(event);

	if (record->kind == ENGINE_RECORD_MOTOR_STOP && !motor_stop_is_normal(record->reason))
		return LOG_NOTICE;
	return known ? known->priority : LOG_NOTICE;
}

static bool record_has_timing(enum engine_record_kind kind)
{
	return kind == ENGINE_RECORD_LIMIT_WARNING || kind == ENGINE_RECORD_LIMIT_REACHED ||
	       kind == ENGINE_RECORD_MOTOR_STOP;
}

struct journal_record *journal_record_from_engine(const struct engine_record *record,
						  const struct engine_snapshot *snapshot,
						  const struct journal_caller *caller,
						  GError **error)
{
	const struct engine_session_summary *summary =
		record->kind == ENGINE_RECORD_SESSION_END ? record->summary : NULL;
	g_autofree char *message = journal_engine_record_message(record, snapshot);
	g_autofree char *cartridges = summary ? summary_cartridges(summary) : NULL;
	g_autofree char *stops = summary ? summary_stops(summary) : NULL;
	const char *event = record_event(record);
	struct journal_record_input in = {
		.event = event,
		.priority = record_priority(record, event),
		.message = message,
		.reason = record->reason != ENGINE_REASON_NONE ?
			  engine_reason_to_string(record->reason) : NULL,
		.session = record_session_id(record, snapshot),
		/* After session-end the snapshot has no session any more. */
		.operator_name = summary ? summary->operator_name : snapshot->operator_name,
		.role = summary ? summary->role : snapshot->role,
		.area = summary ? summary->area : snapshot->area,
		.client_ref = summary ? summary->client_ref : snapshot->client_ref,
		.pen = snapshot->pen_address,
		.cartridge = record_cartridge(record, snapshot),
		.detail = record->detail,
		.cartridges = cartridges,
		.stops = stops,
	};

	if (record->depth_um)
		in.depth_um = JOURNAL_NUMBER(record->depth_um);
	if (record->limit_um)
		in.limit_um = JOURNAL_NUMBER(record->limit_um);
	if (record->kind == ENGINE_RECORD_SPEED_SET)
		in.speed = JOURNAL_NUMBER(snapshot->speed);
	if (record_has_timing(record->kind))
		in.used_ms = JOURNAL_NUMBER(record->used_us > 0 ? record->used_us / 1000 : 0);
	if (record_has_timing(record->kind) && record->budget_us > 0)
		in.budget_ms = JOURNAL_NUMBER(record->budget_us / 1000);
	if (record->kind == ENGINE_RECORD_LIMIT_WARNING)
		in.percent = JOURNAL_NUMBER(record->percent);
	if (record->kind == ENGINE_RECORD_FAULT || record->pen_faults)
		in.pen_faults = JOURNAL_NUMBER(record->pen_faults);
	if (caller) {
		in.caller = caller->name;
		in.caller_uid = caller->uid;
	}
	if (record->kind == ENGINE_RECORD_SESSION_START) {
		/* The engine opens no session without the confirmation. */
		in.contraindications = "checked";
		in.wall_budget_ms = JOURNAL_NUMBER(snapshot->wall_budget_us / 1000);
		in.needling_budget_ms = JOURNAL_NUMBER(snapshot->needling_budget_us / 1000);
		in.anesthetic_um = JOURNAL_NUMBER(snapshot->anesthetic_advisory_above_um);
	}
	if (summary) {
		in.wall_ms = JOURNAL_NUMBER(summary->wall_us > 0 ? summary->wall_us / 1000 : 0);
		in.needling_ms =
			JOURNAL_NUMBER(summary->needling_us > 0 ? summary->needling_us / 1000 : 0);
		in.max_depth_um = JOURNAL_NUMBER(summary->max_depth_um);
		in.strokes = JOURNAL_NUMBER(summary->strokes);
	}
	return journal_record_build(&in, error);
}

void journal_log_engine_record(const struct engine_record *record,
			       const struct engine_snapshot *snapshot,
			       const struct journal_caller *caller)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(journal_record) built = journal_record_from_engine(record, snapshot, caller, &error);

	if (!built) {
		g_warning("engine record %d not journalled: %s", (int)record->kind, error->message);
		return;
	}
	journal_record_emit(built);
}
