/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl report, the pure part: one session's journal records (fields as
 * penctl_log_read_session() hands them over, penctld's own only) become a
 * report model: who, where and with what; the depth and limit over time,
 * the motor-on bands, every stop, refusal, warning and advisory; the
 * summary.  No I/O, no drawing (penctl_report_draw.c draws it).
 *
 * Times are milliseconds since the session-start record.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum report_mark {
	REPORT_MARK_STOP,          /* motor-stop: the operator's (pedal, session stop) */
	REPORT_MARK_FORCED_STOP,   /* motor-stop forced on the operator */
	REPORT_MARK_REFUSAL,       /* motor-, depth-, speed-, session-, cartridge-refused */
	REPORT_MARK_WARNING,       /* limit-warning */
	REPORT_MARK_LIMIT_REACHED, /* limit-reached */
	REPORT_MARK_ADVISORY,      /* advisory */
	REPORT_MARK_FAULT,         /* fault, pedal-lost, pen-disconnected, pen-incompatible */
	REPORT_MARK_NOTE,          /* depth-set, speed-set, fault-cleared, ... */
};

/* One line of the event list, one mark on the plot. */
struct report_event {
	int64_t t_ms;
	enum report_mark mark;
	char *event;      /* PENCTL_EVENT */
	char *reason;     /* PENCTL_REASON, "" when none */
	uint32_t depth_um;/* 0 when the record has none */
	char *message;    /* MESSAGE */
};

/* The depth and effective limit from T_MS on (a step function). */
struct report_point {
	int64_t t_ms;
	uint32_t depth_um;
	uint32_t limit_um;
};

struct report_band {
	int64_t start_ms, end_ms;
};

struct report_count {
	char *reason;
	unsigned count;
};

struct penctl_report {
	char *session;
	char *hostname;        /* _HOSTNAME: the chair */
	char *operator_name, *role, *area, *client_ref;
	char *pen;             /* address */
	char *pen_model, *pen_firmware;  /* "" unless the records carry them */
	GPtrArray *cartridges; /* char *, as the records name them */
	int64_t start_realtime_us;
	int64_t duration_ms;   /* to session-end, else to the last record */
	bool ended;            /* a session-end record closes it */
	bool interrupted;      /* session-interrupted: cut short by a restart */
	char *contraindications; /* PENCTL_CONTRAINDICATIONS of session-start, "" when absent */

	GArray *points;        /* struct report_point, in time order */
	GArray *bands;         /* struct report_band: motor on */
	GPtrArray *events;     /* struct report_event *, in time order */

	uint32_t advisory_um;  /* the anesthetic advisory threshold, 0 when not recorded */
	bool above_advisory;
	int64_t wall_budget_ms, needling_budget_ms;   /* 0 when not recorded */

	/* The summary: session-end's when there is one, else counted. */
	int64_t wall_ms, needling_ms;
	uint32_t max_depth_um;
	int64_t strokes;       /* -1 when not recorded */
	GPtrArray *stops;      /* struct report_count *, in first-seen order */
	unsigned refusals;
	unsigned forced_stops;
};

struct penctl_report_builder;

/* Collects the records of SESSION (others are ignored). */
struct penctl_report_builder *penctl_report_builder_new(const char *session);
void penctl_report_builder_free(struct penctl_report_builder *builder);
typedef struct penctl_report_builder penctl_report_builder;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(penctl_report_builder, penctl_report_builder_free)

/* A journal record (char * -> char *); its shape fits journal_export_record_fn. */
void penctl_report_builder_add(GHashTable *fields, void *builder);

/* The report, or NULL and ERROR: no record of the session, or records from
 * more than one chair (_HOSTNAME) under the same session id. */
struct penctl_report *penctl_report_builder_finish(struct penctl_report_builder *builder,
						   GError **error);

void penctl_report_free(struct penctl_report *report);
typedef struct penctl_report penctl_report;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(penctl_report, penctl_report_free)

/* The operator's choice (pedal released or latched off, session stopped)
 * rather than a stop forced on them. */
bool penctl_report_stop_is_normal(const char *reason);

/* "12:05" or "1:02:05" */
char *penctl_report_format_duration(int64_t ms);
