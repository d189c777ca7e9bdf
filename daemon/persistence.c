// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's persistence policy (persistence.h).
 */
#include <syslog.h>

#include "penctl/journal_record.h"
#include "persistence.h"

struct persistence {
	char *dir;
	struct penctl_state *state;
	bool progress_due;
};

static void log_state_problem(const char *event, const char *what, const GError *error)
{
	g_autofree char *message = g_strdup_printf("%s: %s", what, error->message);
	struct journal_record_input in = {
		.event = event,
		.priority = LOG_ERR,
		.message = message,
		.detail = error->message,
	};

	journal_record_log(&in);
}

static void save(struct persistence *p)
{
	g_autoptr(GError) error = NULL;

	if (!state_store_save(p->dir, p->state, &error))
		log_state_problem("state-write-failed",
				  "Could not save the paired pen and the used cartridges", error);
}

struct persistence *persistence_load(void)
{
	struct persistence *p = g_new0(struct persistence, 1);
	g_autoptr(GError) warning = NULL;

	p->dir = penctl_state_dir();
	if (!state_store_load(p->dir, &p->state, &warning))
		log_state_problem(p->state->file_unreadable ? "state-unreadable" : "state-damaged",
				  "The saved state could not be read whole", warning);
	return p;
}

void persistence_free(struct persistence *p)
{
	if (!p)
		return;
	g_clear_pointer(&p->state, penctl_state_free);
	g_free(p->dir);
	g_free(p);
}

const struct penctl_state *persistence_state(const struct persistence *p)
{
	return p->state;
}

const char *persistence_dir(const struct persistence *p)
{
	return p->dir;
}

void persistence_tell_engine(const struct persistence *p, struct engine *engine)
{
	const struct penctl_state *s = p->state;

	for (guint i = 0; i < s->used_cartridges->len; i++)
		engine_mark_cartridge_used(engine, g_array_index(s->used_cartridges, uint64_t, i));
	/* A list that may miss a used cartridge keeps sessions closed until a
	 * person has looked (penctl state acknowledge). */
	engine_set_used_list_untrusted(engine, s->used_list_untrusted ? s->untrusted_why : NULL);
}

void persistence_set_pen_address(struct persistence *p, const char *address)
{
	penctl_state_set_pen_address(p->state, address);
	save(p);
}

bool persistence_record_cartridge(struct persistence *p, uint64_t cartridge, GError **error)
{
	g_autoptr(GError) local = NULL;

	penctl_state_add_cartridge(p->state, cartridge);
	if (state_store_save(p->dir, p->state, &local))
		return true;
	log_state_problem("state-write-failed", "Could not record the cartridge as used: it is not run",
			  local);
	g_propagate_error(error, g_steal_pointer(&local));
	return false;
}

static void acknowledge(struct persistence *p)
{
	g_autoptr(GError) error = NULL;

	penctl_state_acknowledge(p->state);
	/* When this save fails, the mark stays in the file and comes back at
	 * the next start: that errs toward refusing. */
	if (!state_store_save(p->dir, p->state, &error))
		log_state_problem("state-write-failed",
				  "The acknowledgement holds until penctld restarts", error);
}

void persistence_close_interrupted_session(struct persistence *p)
{
	const struct penctl_open_session *s = p->state->open_session;
	g_autofree char *message = NULL;
	struct journal_record_input in = {
		.event = "session-interrupted",
		.priority = LOG_WARNING,
		.reason = "daemon-restart",
		.detail = "ended by a daemon restart",
	};

	if (!s)
		return;
	message = g_strdup_printf("Session %s (operator %s, %s, %s) was cut short: ended by a "
				  "daemon restart. Needling %.1f s up to its last record, deepest "
				  "%.2f mm, last depth %.2f mm",
				  s->id, s->operator_name, s->role, s->area,
				  (double)s->needling_us / 1e6, s->max_depth_um / 1000.0,
				  s->last_depth_um / 1000.0);
	in.message = message;
	in.session = s->id;
	in.operator_name = s->operator_name;
	in.role = s->role;
	in.area = s->area;
	in.client_ref = s->client_ref[0] ? s->client_ref : NULL;
	in.depth_um = JOURNAL_NUMBER(s->last_depth_um);
	in.max_depth_um = JOURNAL_NUMBER(s->max_depth_um);
	in.needling_ms = JOURNAL_NUMBER(s->needling_us / 1000);
	journal_record_log(&in);
	penctl_state_clear_open_session(p->state);
	save(p);
}

void persistence_note_record(struct persistence *p, const struct engine_record *record)
{
	switch (record->kind) {
	case ENGINE_RECORD_SESSION_START:
	case ENGINE_RECORD_MOTOR_STOP:
	case ENGINE_RECORD_SESSION_END:
		p->progress_due = true;
		break;
	case ENGINE_RECORD_STATE_ACKNOWLEDGED:
		acknowledge(p);
		break;
	default:
		break;
	}
}

void persistence_save_progress(struct persistence *p, struct engine *engine)
{
	const struct engine_session_summary *summary;
	struct engine_snapshot snap;
	struct penctl_open_session open = { 0 };
	int64_t now;

	if (!p->progress_due)
		return;
	p->progress_due = false;
	now = g_get_monotonic_time();
	summary = engine_session_summary(engine, now);
	engine_get_snapshot(engine, now, &snap);
	if (!summary || !snap.session_open) {
		if (!p->state->open_session)
			return;
		penctl_state_clear_open_session(p->state);
	} else {
		open.id = (char *)summary->session_id;
		open.operator_name = (char *)summary->operator_name;
		open.role = (char *)summary->role;
		open.area = (char *)summary->area;
		open.client_ref = (char *)summary->client_ref;
		open.started_realtime_us = g_get_real_time() - summary->wall_us;
		open.needling_us = summary->needling_us;
		open.max_depth_um = summary->max_depth_um;
		open.last_depth_um = snap.depth_um;
		penctl_state_set_open_session(p->state, &open);
	}
	save(p);
}
