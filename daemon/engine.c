// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session engine.  See include/penctl/engine.h for the contract.
 *
 * Every step ends in engine_settle(): budgets are checked, the motor is
 * stopped if any condition is lost, heartbeats and the timer are scheduled.
 * Starting the motor happens only on a pedal press that finds every
 * condition true: a condition that becomes true later while the pedal is
 * still held never starts the motor by surprise (the press was refused and
 * the pedal must be released first).  The one exception is the first run
 * with a cartridge: the press waits for the daemon to say the cartridge is
 * saved as used, and runs then only if every condition still holds.
 */
#include <string.h>

#include "penctl/depth_limit.h"
#include "penctl/engine.h"

#define US_PER_MS INT64_C(1000)
#define US_PER_MIN INT64_C(60000000)
/* How long a STOP may take to reach the pen and be applied. */
#define RUNAWAY_GRACE_US INT64_C(1000000)
/* A latching pedal stops the motor at the first edge of a press.  A press
 * confirmed within this long after that edge, with no release between, is
 * the same press (its first contact may have been too short to count and
 * the foot pressed again): it toggles nothing more.  A later one is new. */
#define STOP_PRESS_WINDOW_US INT64_C(1000000)

struct engine {
	const struct penctl_config *config;
	int64_t now;

	/* pedal */
	bool pedal_known;
	bool pedal_down;
	bool pedal_armed;   /* seen released since the last lock-out */
	bool pedal_latched;
	bool press_consumed;           /* latching: a press's first edge stopped the motor ... */
	int64_t press_consumed_until;  /* ... and its confirmation may come until then */

	/* pen */
	bool pen_connected;
	bool pen_compatible;
	char pen_address[18];
	char pen_incompatibility[128];
	char pen_model[ENGINE_PEN_TEXT_MAX + 1];    /* "" unknown */
	char pen_firmware[ENGINE_PEN_TEXT_MAX + 1];
	struct pen_cartridge cartridge;
	bool cartridge_unverified;  /* taken out and put back: read it again first */
	bool pen_distrusted;        /* protocol error or runaway: no heartbeats, no RUN */
	enum engine_reason distrust_reason;
	uint8_t battery;
	uint16_t pen_faults;
	bool depth_fault_recorded; /* only for fault/fault-cleared records */
	uint32_t measured_depth_um;
	/* The depth last sent to this pen (0 = unknown since it connected).  After
	 * it was lowered, the needle may still be at the depth before until a
	 * Status shows the pen applied the new one: its measured depth at the
	 * depth before, or it echoes a Control written after the depth (ATT
	 * carries one write at a time, in order). */
	uint32_t pen_depth_um;
	bool depth_settling;
	uint32_t depth_before_um;
	uint16_t settle_seq;       /* the seq of the first Control after the lowering */
	bool settle_seq_open;      /* lowered in this step: settle_seq is set at its end */
	bool strokes_known;
	uint32_t last_strokes;

	/* motor and link */
	bool motor_on;             /* commanded on: from the RUN on, until the STOP */
	uint16_t run_seq;          /* the RUN that put it on ... */
	bool run_confirmed;        /* ... and whether the pen took it */
	bool press_waiting;        /* a press waits for its cartridge to be saved as used */
	uint64_t recording_cartridge;
	uint16_t next_seq;
	int64_t motor_started;
	int64_t last_stop_sent;   /* or the connect time: since then the motor is off */
	uint16_t heartbeat_counter;
	int64_t next_heartbeat;
	int64_t armed_deadline;

	/* session */
	bool session_open;
	char session_pen[18];     /* the pen the session treats with ("" until one connects) */
	bool locked;
	enum engine_reason lock_reason;
	int64_t session_start;
	int64_t needling_before_run; /* accumulated, excluding the current run */
	uint32_t depth_um;
	uint16_t speed;
	bool wall_warned;
	bool needling_warned;
	struct engine_session_summary summary;

	GHashTable *used_cartridges; /* uint64 keys (heap), from all sessions */
	bool used_list_untrusted;    /* refuse new sessions until acknowledged */
	char untrusted_why[256];

	/* Texts that records of the last step point to. */
	char refusal_detail[256];
	char record_detail[320];
};

struct engine *engine_new(const struct penctl_config *config, int64_t now_us)
{
	struct engine *e = g_new0(struct engine, 1);

	e->config = config;
	e->now = now_us;
	e->battery = PEN_BATTERY_UNKNOWN;
	e->armed_deadline = -1;
	e->next_seq = 1;
	e->used_cartridges = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	g_hash_table_unref(e->used_cartridges);
	g_free(e);
}

/* Into a record's fixed field: valid UTF-8 (records and D-Bus need it),
 * cut on a character boundary, never inside one. */
static void copy_text(char *dst, size_t size, const char *src)
{
	g_autofree char *valid = g_utf8_make_valid(src ? src : "", -1);
	size_t len = strlen(valid);

	if (len >= size) {
		len = size - 1;
		/* Continuation bytes are 10xxxxxx: back up to a character's start. */
		while (len > 0 && ((unsigned char)valid[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, valid, len);
	dst[len] = '\0';
}

struct engine *engine_clone(const struct engine *e)
{
	struct engine *copy = g_memdup2(e, sizeof(*e));
	GHashTableIter it;
	gpointer key;

	copy->used_cartridges = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	g_hash_table_iter_init(&it, e->used_cartridges);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_hash_table_add(copy->used_cartridges, g_memdup2(key, sizeof(gint64)));
	return copy;
}

void engine_set_used_list_untrusted(struct engine *e, const char *why)
{
	e->used_list_untrusted = why != NULL;
	copy_text(e->untrusted_why, sizeof(e->untrusted_why), why);
}

void engine_mark_cartridge_used(struct engine *e, uint64_t cartridge)
{
	gint64 *key;

	if (cartridge == 0 || g_hash_table_contains(e->used_cartridges, &cartridge))
		return;
	key = g_new(gint64, 1);
	*key = (gint64)cartridge;
	g_hash_table_add(e->used_cartridges, key);
}

/* ---- output ---- */

static struct engine_action *emit(struct engine_output *out, enum engine_action_kind kind)
{
	struct engine_action *a;

	/* A step emits a handful of actions; running out is a bug in this file. */
	g_assert(out->n_actions < ENGINE_MAX_ACTIONS);
	a = &out->actions[out->n_actions++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

/* A MOTOR_STOP goes before everything else of its step (after the STOPs
 * already there): a record or a depth write must never delay it.  Never
 * before a RUN of the same step, whose intent the STOP replaces. */
static struct engine_action *emit_stop(struct engine_output *out)
{
	unsigned at = 0;

	for (unsigned i = 0; i < out->n_actions; i++)
		if (out->actions[i].kind == ENGINE_ACTION_MOTOR_RUN)
			return emit(out, ENGINE_ACTION_MOTOR_STOP);
	while (at < out->n_actions && out->actions[at].kind == ENGINE_ACTION_MOTOR_STOP)
		at++;
	emit(out, ENGINE_ACTION_MOTOR_STOP);
	memmove(&out->actions[at + 1], &out->actions[at],
		(out->n_actions - 1 - at) * sizeof(out->actions[0]));
	memset(&out->actions[at], 0, sizeof(out->actions[at]));
	out->actions[at].kind = ENGINE_ACTION_MOTOR_STOP;
	return &out->actions[at];
}

static struct engine_record *emit_record(struct engine_output *out, enum engine_record_kind kind,
					 enum engine_reason reason)
{
	struct engine_record *r = &emit(out, ENGINE_ACTION_RECORD)->record;

	r->kind = kind;
	r->reason = reason;
	return r;
}

/* A text cut to fit its buffer ends at a whole character: drop what
 * follows the first byte that is not valid UTF-8. */
static void end_on_a_character(char *text)
{
	const char *end;

	if (!g_utf8_validate(text, -1, &end))
		*(char *)end = '\0';
}

/* The pen's own words go into records: control characters become spaces. */
static void blank_controls(char *text)
{
	for (char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

static void reply(struct engine_output *out, enum engine_reason refusal, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void reply(struct engine_output *out, enum engine_reason refusal, const char *fmt, ...)
{
	struct engine_reply *r = &emit(out, ENGINE_ACTION_REPLY)->reply;
	va_list ap;

	r->refusal = refusal;
	va_start(ap, fmt);
	g_vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	end_on_a_character(r->message);
}

/* ---- derived facts ---- */

static const struct penctl_limit *session_role(const struct engine *e)
{
	return penctl_config_find_role(e->config, e->summary.role);
}

static const struct penctl_limit *session_area(const struct engine *e)
{
	return penctl_config_find_area(e->config, e->summary.area);
}

static bool cartridge_limits(const struct engine *e)
{
	return e->pen_connected && e->cartridge.id != 0 && e->cartridge.max_depth_um != 0;
}

/* The smaller of role, area and cartridge; 0 (nothing allowed) without a
 * session or when a reload removed the session's role or area. */
static uint32_t effective_limit(const struct engine *e)
{
	const struct penctl_limit *role, *area;

	if (!e->session_open)
		return 0;
	role = session_role(e);
	area = session_area(e);
	if (!role || !area)
		return 0;
	return penctl_depth_limit_um(role, area,
				     cartridge_limits(e) ? e->cartridge.max_depth_um : 0);
}

static bool cartridge_in_session(const struct engine *e, uint64_t id)
{
	for (unsigned i = 0; i < e->summary.n_cartridges; i++)
		if (e->summary.cartridges[i] == id)
			return true;
	return false;
}

/* Used in an earlier session: single-use cartridges may not be used again. */
static bool cartridge_used_before(const struct engine *e, uint64_t id)
{
	return id != 0 && g_hash_table_contains(e->used_cartridges, &id) &&
	       !(e->session_open && cartridge_in_session(e, id));
}

static int64_t wall_budget(const struct engine *e)
{
	return (int64_t)e->config->max_wall_ms * US_PER_MS;
}

static int64_t needling_budget(const struct engine *e)
{
	return (int64_t)e->config->max_needling_ms * US_PER_MS;
}

/* Time used by NOW (the engine's own time, or a later reading for views). */
static int64_t wall_used_at(const struct engine *e, int64_t now)
{
	return e->session_open ? now - e->session_start : 0;
}

static int64_t needling_used_at(const struct engine *e, int64_t now)
{
	return e->needling_before_run + (e->motor_on ? now - e->motor_started : 0);
}

static int64_t wall_used(const struct engine *e)
{
	return wall_used_at(e, e->now);
}

static int64_t needling_used(const struct engine *e)
{
	return needling_used_at(e, e->now);
}

/* Derived, not stored: a session, a cartridge or a reload can move the limit
 * under a depth the pen measured earlier.  While a lowered depth is not yet
 * applied, the depth before is in force and a measurement up to it is not
 * the pen's fault; one above it still is. */
static uint32_t measured_depth_allowed(const struct engine *e)
{
	uint32_t limit = effective_limit(e);

	return e->depth_settling ? MAX(limit, e->depth_before_um) : limit;
}

static bool measured_depth_above_limit(const struct engine *e)
{
	return e->session_open && e->pen_connected &&
	       e->measured_depth_um > measured_depth_allowed(e);
}

/* The first condition (other than the pedal) that forbids the motor, or NONE. */
static enum engine_reason machine_blocking_reason(const struct engine *e)
{
	if (!e->session_open)
		return ENGINE_REASON_NO_SESSION;
	if (e->locked)
		return e->lock_reason;
	if (!e->pen_connected)
		return ENGINE_REASON_PEN_DISCONNECTED;
	if (!e->pen_compatible)
		return ENGINE_REASON_PEN_INCOMPATIBLE;
	if (e->pen_distrusted)
		return e->distrust_reason;
	if (e->pen_faults)
		return ENGINE_REASON_PEN_FAULT;
	if (measured_depth_above_limit(e))
		return ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT;
	if (e->cartridge.id == 0 || e->cartridge_unverified)
		return ENGINE_REASON_NO_CARTRIDGE;
	/* The session's list of cartridges is full: a new one cannot be bound. */
	if (!cartridge_in_session(e, e->cartridge.id) &&
	    e->summary.n_cartridges >= ENGINE_MAX_CARTRIDGES)
		return ENGINE_REASON_NO_CARTRIDGE;
	if (cartridge_used_before(e, e->cartridge.id))
		return ENGINE_REASON_CARTRIDGE_USED;
	/* The pen runs at the depth it was last told on this link: that must
	 * be the session's, within the limit and the pen's own range (a limit
	 * below the pen's least depth leaves nothing that may run). */
	if (e->depth_um < PEN_DEPTH_MIN_UM || e->depth_um > effective_limit(e) ||
	    e->pen_depth_um != e->depth_um)
		return ENGINE_REASON_DEPTH_ABOVE_LIMIT;
	if (wall_used(e) >= wall_budget(e))
		return ENGINE_REASON_WALL_BUDGET;
	if (needling_used(e) >= needling_budget(e))
		return ENGINE_REASON_NEEDLING_BUDGET;
	return ENGINE_REASON_NONE;
}

/* ---- motor ---- */

static void lock_out_pedal(struct engine *e)
{
	/* A pedal held now is ignored until it has been seen released. */
	e->pedal_armed = e->pedal_known && !e->pedal_down;
	e->pedal_latched = false;
	e->press_waiting = false;
}

/* The first run with a cartridge: it must be on disk as used before the
 * needle touches skin, or a restart could offer it to a second person.
 * The press waits for ENGINE_EVENT_CARTRIDGE_RECORDED. */
static void ask_to_record_cartridge(struct engine *e, struct engine_output *out)
{
	e->press_waiting = true;
	e->recording_cartridge = e->cartridge.id;
	emit(out, ENGINE_ACTION_CARTRIDGE_USED)->cartridge = e->cartridge.id;
}

static void bind_cartridge(struct engine *e, uint64_t id)
{
	engine_mark_cartridge_used(e, id);
	if (!e->session_open || cartridge_in_session(e, id) ||
	    e->summary.n_cartridges >= ENGINE_MAX_CARTRIDGES)
		return;
	e->summary.cartridges[e->summary.n_cartridges++] = id;
}

/* The motor-start record waits for the pen's answer (on_run_confirmed). */
static void start_motor(struct engine *e, struct engine_output *out)
{
	e->motor_on = true;
	e->motor_started = e->now;
	e->run_seq = e->next_seq++;
	e->run_confirmed = false;
	emit(out, ENGINE_ACTION_MOTOR_RUN)->motor.seq = e->run_seq;
}

/* FORCED: the stop was not the practitioner's own release, so the pedal
 * must be released before it counts again. */
static void stop_motor(struct engine *e, struct engine_output *out, enum engine_reason reason,
		       bool forced)
{
	struct engine_action *a;
	struct engine_record *r;

	if (forced)
		lock_out_pedal(e);
	if (!e->motor_on)
		return;
	a = emit_stop(out);
	a->motor.seq = e->next_seq++;
	a->motor.reason = reason;
	e->last_stop_sent = e->now;
	e->needling_before_run += e->now - e->motor_started;
	e->motor_on = false;
	if (e->session_open)
		e->summary.stops[reason]++;
	r = emit_record(out, ENGINE_RECORD_MOTOR_STOP, reason);
	r->depth_um = e->depth_um;
	r->limit_um = effective_limit(e);
	r->cartridge = e->cartridge.id;
	r->used_us = e->needling_before_run;
	r->budget_us = needling_budget(e);
}

static struct engine_record *refuse_press(struct engine *e, struct engine_output *out,
					  enum engine_reason reason)
{
	struct engine_record *r = emit_record(out, ENGINE_RECORD_MOTOR_REFUSED, reason);

	r->depth_um = e->depth_um;
	r->limit_um = effective_limit(e);
	lock_out_pedal(e);
	return r;
}

/* Every condition holds for this press: run, or first save the cartridge. */
static void run_for_press(struct engine *e, struct engine_output *out)
{
	if (!cartridge_in_session(e, e->cartridge.id)) {
		ask_to_record_cartridge(e, out);
		return;
	}
	if (e->config->pedal_mode == PENCTL_PEDAL_LATCHING)
		e->pedal_latched = true;
	start_motor(e, out);
}

/* ---- settling: budgets, stop on any lost condition, heartbeat, timer ---- */

static void warn_or_lock(struct engine *e, struct engine_output *out, enum engine_reason budget,
			 int64_t used, int64_t total, bool *warned)
{
	struct engine_record *r;

	if (!*warned && used * 100 >= total * (int64_t)e->config->warn_percent) {
		*warned = true;
		r = emit_record(out, ENGINE_RECORD_LIMIT_WARNING, budget);
		r->used_us = used;
		r->budget_us = total;
		r->percent = e->config->warn_percent;
	}
	if (!e->locked && used >= total) {
		e->locked = true;
		e->lock_reason = budget;
		r = emit_record(out, ENGINE_RECORD_LIMIT_REACHED, budget);
		r->used_us = used;
		r->budget_us = total;
		r->percent = 100;
	}
}

static void check_budgets(struct engine *e, struct engine_output *out)
{
	if (!e->session_open || e->locked)
		return;
	warn_or_lock(e, out, ENGINE_REASON_WALL_BUDGET, wall_used(e), wall_budget(e),
		     &e->wall_warned);
	warn_or_lock(e, out, ENGINE_REASON_NEEDLING_BUDGET, needling_used(e), needling_budget(e),
		     &e->needling_warned);
}

static void stop_if_any_condition_lost(struct engine *e, struct engine_output *out)
{
	enum engine_reason reason;

	if (!e->motor_on)
		return;
	reason = machine_blocking_reason(e);
	if (reason != ENGINE_REASON_NONE) {
		stop_motor(e, out, reason, true);
		return;
	}
	if (e->config->pedal_mode == PENCTL_PEDAL_LATCHING) {
		if (!e->pedal_latched)
			stop_motor(e, out, ENGINE_REASON_PEDAL_LATCHED_OFF, false);
	} else if (!e->pedal_down || !e->pedal_armed) {
		stop_motor(e, out, ENGINE_REASON_PEDAL_RELEASED, false);
	}
}

/* Heartbeats keep the pen's motor allowed: only a pen we can drive and
 * trust gets them.  Without them its own watchdog stops it, which is the
 * fail-safe when a STOP may not have arrived. */
static bool pen_gets_heartbeats(const struct engine *e)
{
	return e->pen_connected && e->pen_compatible && !e->pen_distrusted;
}

static void send_heartbeat_if_due(struct engine *e, struct engine_output *out)
{
	if (!pen_gets_heartbeats(e) || e->now < e->next_heartbeat)
		return;
	emit(out, ENGINE_ACTION_HEARTBEAT)->heartbeat = e->heartbeat_counter++;
	e->next_heartbeat = e->now + (int64_t)e->config->heartbeat_interval_ms * US_PER_MS;
}

static void consider_deadline(int64_t *deadline, int64_t candidate)
{
	if (*deadline < 0 || candidate < *deadline)
		*deadline = candidate;
}

static void budget_deadlines(const struct engine *e, int64_t *deadline, int64_t started,
			     int64_t used_before, int64_t total, bool warned)
{
	int64_t warn_at = total * (int64_t)e->config->warn_percent / 100;

	if (!warned)
		consider_deadline(deadline, started + warn_at - used_before);
	consider_deadline(deadline, started + total - used_before);
}

static void arm_timer(struct engine *e, struct engine_output *out)
{
	int64_t deadline = -1;

	if (pen_gets_heartbeats(e))
		consider_deadline(&deadline, e->next_heartbeat);
	if (e->session_open && !e->locked) {
		budget_deadlines(e, &deadline, e->session_start, 0, wall_budget(e), e->wall_warned);
		if (e->motor_on)
			budget_deadlines(e, &deadline, e->motor_started, e->needling_before_run,
					 needling_budget(e), e->needling_warned);
	}
	if (deadline >= 0 && deadline < e->now)
		deadline = e->now;
	if (deadline == e->armed_deadline)
		return;
	e->armed_deadline = deadline;
	emit(out, ENGINE_ACTION_ARM_TIMER)->deadline_us = deadline;
}

/* One fault record when the measured depth goes above the limit, for
 * whatever reason, and one when it is back within. */
static void record_depth_fault_changes(struct engine *e, struct engine_output *out)
{
	bool above = measured_depth_above_limit(e);
	struct engine_record *r;

	if (above == e->depth_fault_recorded)
		return;
	e->depth_fault_recorded = above;
	r = emit_record(out, above ? ENGINE_RECORD_FAULT : ENGINE_RECORD_FAULT_CLEARED,
			ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT);
	r->depth_um = e->measured_depth_um;
	r->limit_um = measured_depth_allowed(e);
}

static void engine_settle(struct engine *e, struct engine_output *out)
{
	record_depth_fault_changes(e, out);
	check_budgets(e, out);
	stop_if_any_condition_lost(e, out);
	send_heartbeat_if_due(e, out);
	arm_timer(e, out);
}

/* ---- pedal ---- */

static void on_pedal_down(struct engine *e, struct engine_output *out)
{
	enum engine_reason reason;
	bool was_down = e->pedal_known && e->pedal_down;

	e->pedal_known = true;
	e->pedal_down = true;
	if (was_down)
		return;
	if (e->press_consumed) {
		e->press_consumed = false;
		/* The press whose first edge unlatched the motor: not a second toggle. */
		if (e->now <= e->press_consumed_until)
			return;
	}
	if (!e->pedal_armed) {
		refuse_press(e, out, ENGINE_REASON_PEDAL_NOT_RELEASED);
		return;
	}
	if (e->config->pedal_mode == PENCTL_PEDAL_LATCHING && e->pedal_latched) {
		e->pedal_latched = false;
		stop_motor(e, out, ENGINE_REASON_PEDAL_LATCHED_OFF, false);
		return;
	}
	/* Latching: a second press while the first waits for its cartridge
	 * toggles the wish off again. */
	if (e->config->pedal_mode == PENCTL_PEDAL_LATCHING && e->press_waiting) {
		e->press_waiting = false;
		return;
	}
	reason = machine_blocking_reason(e);
	if (reason != ENGINE_REASON_NONE) {
		refuse_press(e, out, reason);
		return;
	}
	run_for_press(e, out);
}

/* The first edge of a press, before it is debounced.  A latched motor
 * stops on it: the stop must not wait for the debounce.  The press then
 * confirmed (if it lasts, or if the foot tries again at once) is this one,
 * and toggles nothing more.  A begin on a motor not latched changes nothing:
 * it may be the same hesitant press beginning again. */
static bool press_began_stops(const struct engine *e)
{
	return e->config->pedal_mode == PENCTL_PEDAL_LATCHING && e->pedal_latched;
}

static void on_pedal_press_began(struct engine *e, struct engine_output *out)
{
	if (!press_began_stops(e))
		return;
	e->pedal_latched = false;
	e->press_consumed = true;
	e->press_consumed_until = e->now + STOP_PRESS_WINDOW_US;
	stop_motor(e, out, ENGINE_REASON_PEDAL_LATCHED_OFF, false);
}

static void on_pedal_up(struct engine *e)
{
	e->press_consumed = false;
	/* A momentary press that waits for its cartridge is over. */
	if (e->config->pedal_mode != PENCTL_PEDAL_LATCHING)
		e->press_waiting = false;
	e->pedal_known = true;
	e->pedal_down = false;
	e->pedal_armed = true;
}

static void on_pedal_lost(struct engine *e, struct engine_output *out, const char *why)
{
	e->press_consumed = false;
	emit_record(out, ENGINE_RECORD_PEDAL_LOST, ENGINE_REASON_PEDAL_LOST)->detail = why;
	e->pedal_known = false;
	e->pedal_down = false;
	e->press_waiting = false;
	stop_motor(e, out, ENGINE_REASON_PEDAL_LOST, true);
}

/* ---- pen ---- */

static void record_cartridge_refusal(struct engine *e, struct engine_output *out)
{
	if (cartridge_used_before(e, e->cartridge.id))
		emit_record(out, ENGINE_RECORD_CARTRIDGE_REFUSED, ENGINE_REASON_CARTRIDGE_USED)
			->cartridge = e->cartridge.id;
}

static void send_depth(struct engine *e, struct engine_output *out, uint32_t depth)
{
	if (e->pen_depth_um > depth) {
		e->depth_before_um = e->depth_settling ? MAX(e->depth_before_um, e->pen_depth_um)
						       : e->pen_depth_um;
		e->depth_settling = true;
		e->settle_seq_open = true;
	}
	e->pen_depth_um = depth;
	emit(out, ENGINE_ACTION_SET_DEPTH)->depth_um = (uint16_t)depth;
}

/* A limit now below the depth stops the motor before the needle is moved:
 * the stroke at the old depth must not go on while the depth is lowered. */
static void stop_if_limit_lowered(struct engine *e, struct engine_output *out)
{
	if (e->motor_on && e->depth_um > effective_limit(e))
		stop_motor(e, out, ENGINE_REASON_LIMIT_LOWERED, true);
}

/* Bring the pen to the session's depth, lowering it if the limit is now lower. */
static void apply_session_depth(struct engine *e, struct engine_output *out,
				enum engine_reason why)
{
	uint32_t limit = effective_limit(e);
	struct engine_record *r;

	if (!e->session_open || !e->pen_connected)
		return;
	if (e->depth_um > limit) {
		/* Below the pen's least depth nothing may run: send no depth
		 * above the limit, the motor stays blocked. */
		if (limit < PEN_DEPTH_MIN_UM)
			return;
		e->depth_um = limit;
		why = ENGINE_REASON_LIMIT_LOWERED;
	}
	if (e->depth_um < PEN_DEPTH_MIN_UM)
		return;
	send_depth(e, out, e->depth_um);
	r = emit_record(out, ENGINE_RECORD_DEPTH_SET, why);
	r->depth_um = e->depth_um;
	r->limit_um = limit;
}

static void on_pen_connected(struct engine *e, struct engine_output *out,
			     const struct engine_event *ev)
{
	struct engine_record *r;

	if (e->pen_connected)
		stop_motor(e, out, ENGINE_REASON_PEN_DISCONNECTED, true);
	e->pen_connected = true;
	e->pen_compatible = ev->pen_connected.compatible;
	copy_text(e->pen_address, sizeof(e->pen_address), ev->pen_connected.address);
	copy_text(e->pen_incompatibility, sizeof(e->pen_incompatibility),
		  ev->pen_connected.incompatibility);
	/* A session treats with one pen: another one (paired meanwhile) waits
	 * for the next session. */
	if (e->session_open && e->pen_compatible && e->session_pen[0] &&
	    g_ascii_strcasecmp(e->session_pen, e->pen_address)) {
		e->pen_compatible = false;
		g_snprintf(e->pen_incompatibility, sizeof(e->pen_incompatibility),
			   "not the pen of this session (%s): stop the session first",
			   e->session_pen);
	}
	if (e->session_open && !e->session_pen[0])
		g_strlcpy(e->session_pen, e->pen_address, sizeof(e->session_pen));
	e->cartridge = ev->pen_connected.cartridge;
	e->cartridge_unverified = false;
	e->pen_distrusted = false;
	e->last_stop_sent = e->now;
	e->pen_faults = 0;
	e->measured_depth_um = 0;
	/* Whatever depth this pen has, we did not set it on this link. */
	e->pen_depth_um = 0;
	e->depth_settling = false;
	e->strokes_known = false;
	e->next_heartbeat = e->now;
	lock_out_pedal(e);

	r = emit_record(out, ENGINE_RECORD_PEN_CONNECTED, ENGINE_REASON_NONE);
	r->cartridge = e->cartridge.id;
	if (!e->pen_compatible) {
		r = emit_record(out, ENGINE_RECORD_FAULT, ENGINE_REASON_PEN_INCOMPATIBLE);
		r->detail = e->pen_incompatibility;
		return;
	}
	record_cartridge_refusal(e, out);
	apply_session_depth(e, out, ENGINE_REASON_NONE);
	if (e->session_open && e->speed)
		emit(out, ENGINE_ACTION_SET_SPEED)->speed = e->speed;
}

static void on_pen_disconnected(struct engine *e, struct engine_output *out, const char *why)
{
	if (!e->pen_connected)
		return;
	stop_motor(e, out, ENGINE_REASON_PEN_DISCONNECTED, true);
	e->pen_connected = false;
	e->pen_faults = 0;
	e->pen_model[0] = e->pen_firmware[0] = '\0';
	emit_record(out, ENGINE_RECORD_PEN_DISCONNECTED, ENGINE_REASON_PEN_DISCONNECTED)->detail =
		why;
}

/* The pen said something we cannot trust, did not take a write, or runs
 * when told to stop: its state is unknown.  Stop it (again, even if we
 * think it is off), send no more heartbeats so its own watchdog stops it
 * if the STOP is lost, and drop the link: a reconnect starts afresh. */
static void distrust_pen(struct engine *e, struct engine_output *out, enum engine_reason reason,
			 const char *why)
{
	struct engine_record *r;
	struct engine_action *a;

	if (!e->pen_connected || e->pen_distrusted)
		return;
	e->pen_distrusted = true;
	e->distrust_reason = reason;
	copy_text(e->pen_incompatibility, sizeof(e->pen_incompatibility),
		  why ? why : engine_reason_to_string(reason));
	r = emit_record(out, ENGINE_RECORD_FAULT, reason);
	r->detail = e->pen_incompatibility;
	if (e->motor_on) {
		stop_motor(e, out, reason, true);
	} else {
		lock_out_pedal(e);
		a = emit_stop(out);
		a->motor.seq = e->next_seq++;
		a->motor.reason = reason;
		e->last_stop_sent = e->now;
	}
	emit(out, ENGINE_ACTION_DROP_LINK);
}

static void track_strokes(struct engine *e, uint32_t strokes)
{
	/* Unsigned subtraction keeps counting across the pen's wrap-around. */
	if (e->session_open && e->strokes_known)
		e->summary.strokes += strokes - e->last_strokes;
	e->last_strokes = strokes;
	e->strokes_known = true;
}

static void track_pen_faults(struct engine *e, struct engine_output *out, uint16_t faults)
{
	struct engine_record *r;

	if (faults == e->pen_faults)
		return;
	r = emit_record(out, faults ? ENGINE_RECORD_FAULT : ENGINE_RECORD_FAULT_CLEARED,
			ENGINE_REASON_PEN_FAULT);
	r->pen_faults = faults ? faults : e->pen_faults;
	/* A cartridge taken out and put back may be another one (a used one,
	 * or one with a lower limit): read it before the motor may run. */
	if ((e->pen_faults & PEN_FAULT_CARTRIDGE_MISSING) &&
	    !(faults & PEN_FAULT_CARTRIDGE_MISSING)) {
		e->cartridge_unverified = true;
		emit(out, ENGINE_ACTION_READ_CARTRIDGE);
	}
	e->pen_faults = faults;
}

/* The session needled at DEPTH.  The summary's deepest depth and its
 * anesthetic flag are one fact: the flag says the deepest needled depth went
 * above the threshold in force, never only that a depth was asked for. */
static void note_needled_depth(struct engine *e, uint32_t depth)
{
	e->summary.max_depth_um = MAX(e->summary.max_depth_um, depth);
	if (depth > e->config->anesthetic_advisory_above_um)
		e->summary.above_anesthetic = true;
}

/* Whether SEQ is of a Control written since the depth was lowered. */
static bool control_since_settling(const struct engine *e, uint16_t seq)
{
	uint16_t issued = (uint16_t)(e->next_seq - e->settle_seq);

	return issued != 0 && (uint16_t)(seq - e->settle_seq) < issued;
}

static void track_measured_depth(struct engine *e, uint32_t depth, uint16_t control_seq)
{
	if (e->depth_settling &&
	    (depth <= e->pen_depth_um || control_since_settling(e, control_seq)))
		e->depth_settling = false;
	e->measured_depth_um = depth;
	if (e->motor_on)
		note_needled_depth(e, depth);
}

/* The pen echoes the seq of the last Control it applied; a status that
 * carries the newest seq tells what the pen really did with it.  A pen that
 * runs although our newest command is a STOP it has applied, or that still
 * runs a grace time after a STOP (or after connecting, when we never told it
 * to run), is a runaway. */
static void check_pen_motor(struct engine *e, struct engine_output *out,
			    const struct pen_status *st)
{
	bool newest = st->control_seq == (uint16_t)(e->next_seq - 1);

	if (e->motor_on && !st->motor_running && newest)
		stop_motor(e, out, ENGINE_REASON_PEN_STOPPED, true);
	else if (!e->motor_on && st->motor_running &&
		 (newest || e->now - e->last_stop_sent >= RUNAWAY_GRACE_US))
		distrust_pen(e, out, ENGINE_REASON_PEN_RUNAWAY,
			     "the pen runs its motor although told to stop");
}

static void on_pen_status(struct engine *e, struct engine_output *out, const struct pen_status *st)
{
	if (!e->pen_connected)
		return;
	if (st->battery_percent <= 100)
		e->battery = st->battery_percent;
	track_strokes(e, st->strokes);
	track_pen_faults(e, out, st->fault_bits);
	track_measured_depth(e, st->depth_um, st->control_seq);
	check_pen_motor(e, out, st);
}

static void on_pen_cartridge(struct engine *e, struct engine_output *out,
			     const struct pen_cartridge *cartridge)
{
	bool same = cartridge->id == e->cartridge.id;

	if (!e->pen_connected)
		return;
	e->cartridge_unverified = false;
	if (same && cartridge->max_depth_um == e->cartridge.max_depth_um)
		return;
	e->cartridge = *cartridge;
	if (!same) {
		record_cartridge_refusal(e, out);
		/* A running motor never carries on with a cartridge it was not started with. */
		stop_motor(e, out, ENGINE_REASON_NO_CARTRIDGE, true);
	}
	/* The same cartridge read again with a lower limit: as a reload would. */
	stop_if_limit_lowered(e, out);
	apply_session_depth(e, out, ENGINE_REASON_NONE);
}

/* ---- requests ---- */

static void append_known_names(GString *s, const GPtrArray *limits)
{
	for (guint i = 0; i < limits->len; i++) {
		const struct penctl_limit *l = limits->pdata[i];

		g_string_append_printf(s, "%s%s", i ? ", " : "", l->name);
	}
}

static bool operator_name_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len >= sizeof(((struct engine_session_summary *)NULL)->operator_name))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return g_utf8_validate(name, -1, NULL);
}

/* Reply with the first reason a session may not open, or return NONE. */
static enum engine_reason session_start_refusal(struct engine *e, struct engine_output *out,
						const struct engine_event *ev)
{
	const char *role = ev->session_start.role, *area = ev->session_start.area;
	/* Quoted back to a person: valid text whatever came in. */
	g_autofree char *role_text = g_utf8_make_valid(role ? role : "", -1);
	g_autofree char *area_text = g_utf8_make_valid(area ? area : "", -1);
	g_autofree char *group_text = NULL;
	g_autoptr(GString) known = g_string_new(NULL);
	char cid[PEN_CARTRIDGE_ID_STRLEN];

	if (e->session_open) {
		reply(out, ENGINE_REASON_SESSION_OPEN,
		      "Session %s is already open (operator %s): stop it first",
		      e->summary.session_id, e->summary.operator_name);
		return ENGINE_REASON_SESSION_OPEN;
	}
	/* The list that keeps used cartridges from a second person is damaged:
	 * a person must look at it first. */
	if (e->used_list_untrusted) {
		reply(out, ENGINE_REASON_USED_LIST_UNTRUSTED,
		      "The list of used cartridges is damaged (%s): check the cartridge is new "
		      "and acknowledge the state (penctl state acknowledge) first", e->untrusted_why);
		return ENGINE_REASON_USED_LIST_UNTRUSTED;
	}
	if (!operator_name_ok(ev->session_start.operator_name)) {
		reply(out, ENGINE_REASON_NO_OPERATOR,
		      "An operator name is required: 1 to 63 printable characters");
		return ENGINE_REASON_NO_OPERATOR;
	}
	if (!penctl_config_find_role(e->config, role)) {
		append_known_names(known, e->config->roles);
		reply(out, ENGINE_REASON_UNKNOWN_ROLE, "Unknown role \"%s\"; known roles: %s",
		      role_text, known->str);
		return ENGINE_REASON_UNKNOWN_ROLE;
	}
	if (ev->session_start.role_denied_group) {
		group_text = g_utf8_make_valid(ev->session_start.role_denied_group, -1);
		reply(out, ENGINE_REASON_ROLE_NOT_PERMITTED,
		      "Role \"%s\" needs membership of group %s", role_text, group_text);
		return ENGINE_REASON_ROLE_NOT_PERMITTED;
	}
	if (!penctl_config_find_area(e->config, area)) {
		append_known_names(known, e->config->areas);
		reply(out, ENGINE_REASON_UNKNOWN_AREA, "Unknown area \"%s\"; known areas: %s",
		      area_text, known->str);
		return ENGINE_REASON_UNKNOWN_AREA;
	}
	if (e->config->require_contraindication_check &&
	    !ev->session_start.contraindications_checked) {
		reply(out, ENGINE_REASON_CONTRAINDICATIONS,
		      "The contraindications must be checked before a session opens; where "
		      "one applies, a dermatologist must be consulted first");
		return ENGINE_REASON_CONTRAINDICATIONS;
	}
	/* A session may open before the pen connects; but with an incompatible
	 * pen connected it could never run: say why now, not at the pedal. */
	if (e->pen_connected && !e->pen_compatible) {
		reply(out, ENGINE_REASON_PEN_INCOMPATIBLE,
		      "The connected pen %s is incompatible (%s): connect a compatible pen "
		      "(penctl forget, then penctl pair)",
		      e->pen_address, e->pen_incompatibility[0] ? e->pen_incompatibility
								: "no reason given");
		return ENGINE_REASON_PEN_INCOMPATIBLE;
	}
	if (e->pen_connected && cartridge_used_before(e, e->cartridge.id)) {
		pen_cartridge_id_format(e->cartridge.id, cid);
		reply(out, ENGINE_REASON_CARTRIDGE_USED,
		      "Cartridge %s was already used in an earlier session: cartridges are "
		      "single-use, insert a new one", cid);
		return ENGINE_REASON_CARTRIDGE_USED;
	}
	return ENGINE_REASON_NONE;
}

static void on_session_start(struct engine *e, struct engine_output *out,
			     const struct engine_event *ev)
{
	enum engine_reason refusal = session_start_refusal(e, out, ev);
	struct engine_record *rec;
	char depth[16], limit[16];

	if (refusal != ENGINE_REASON_NONE) {
		/* session_start_refusal() replied last; the record quotes it
		 * (from a copy: actions move when a STOP goes first). */
		g_strlcpy(e->refusal_detail, out->actions[out->n_actions - 1].reply.message,
			  sizeof(e->refusal_detail));
		emit_record(out, ENGINE_RECORD_SESSION_REFUSED, refusal)->detail = e->refusal_detail;
		return;
	}

	memset(&e->summary, 0, sizeof(e->summary));
	copy_text(e->summary.session_id, sizeof(e->summary.session_id),
		  ev->session_start.session_id);
	copy_text(e->summary.operator_name, sizeof(e->summary.operator_name),
		  ev->session_start.operator_name);
	copy_text(e->summary.role, sizeof(e->summary.role), ev->session_start.role);
	copy_text(e->summary.area, sizeof(e->summary.area), ev->session_start.area);
	copy_text(e->summary.client_ref, sizeof(e->summary.client_ref),
		  ev->session_start.client_ref);
	e->session_open = true;
	g_strlcpy(e->session_pen, e->pen_connected ? e->pen_address : "", sizeof(e->session_pen));
	e->locked = false;
	e->session_start = e->now;
	e->needling_before_run = 0;
	e->wall_warned = false;
	e->needling_warned = false;
	e->speed = 0;
	e->strokes_known = false;
	e->depth_um = MIN(e->config->start_depth_um, effective_limit(e));
	lock_out_pedal(e);

	rec = emit_record(out, ENGINE_RECORD_SESSION_START, ENGINE_REASON_NONE);
	rec->depth_um = e->depth_um;
	rec->limit_um = effective_limit(e);
	rec->cartridge = e->pen_connected ? e->cartridge.id : 0;
	apply_session_depth(e, out, ENGINE_REASON_NONE);
	penctl_format_depth_mm(e->depth_um, depth);
	penctl_format_depth_mm(effective_limit(e), limit);
	reply(out, ENGINE_REASON_NONE, "Session %s opened: depth %s mm, limit %s mm%s",
	      e->summary.session_id, depth, limit,
	      e->pen_connected ? "" : " (the pen is not connected yet)");
}

const struct engine_session_summary *engine_session_summary(struct engine *e, int64_t now_us)
{
	int64_t now = MAX(now_us, e->now);

	if (!e->session_open)
		return NULL;
	e->summary.wall_us = wall_used_at(e, now);
	e->summary.needling_us = needling_used_at(e, now);
	return &e->summary;
}

static void on_session_stop(struct engine *e, struct engine_output *out)
{
	const struct engine_session_summary *summary;
	struct engine_record *r;
	struct engine_reply *rep;

	if (!e->session_open) {
		reply(out, ENGINE_REASON_NO_SESSION, "No session is open");
		return;
	}
	stop_motor(e, out, ENGINE_REASON_SESSION_STOPPED, true);
	summary = engine_session_summary(e, e->now);
	r = emit_record(out, ENGINE_RECORD_SESSION_END, ENGINE_REASON_SESSION_STOPPED);
	r->summary = summary;
	r->used_us = summary->needling_us;
	r->budget_us = needling_budget(e);
	r->depth_um = summary->max_depth_um;
	reply(out, ENGINE_REASON_NONE, "Session %s stopped", summary->session_id);
	/* A save asked for in this session binds nothing to the next one. */
	e->recording_cartridge = 0;
	e->press_waiting = false;
	rep = &out->actions[out->n_actions - 1].reply;
	rep->summary = summary;
	e->session_open = false;
	e->locked = false;
}

/* Why the motor may not take a new setting now, or NONE. */
static enum engine_reason request_blocked(const struct engine *e, struct engine_output *out)
{
	if (!e->session_open) {
		reply(out, ENGINE_REASON_NO_SESSION, "No session is open: start one first");
		return ENGINE_REASON_NO_SESSION;
	}
	if (e->locked) {
		reply(out, ENGINE_REASON_SESSION_LOCKED,
		      "The session is locked: its %s time budget is spent; stop the session",
		      e->lock_reason == ENGINE_REASON_WALL_BUDGET ? "wall" : "needling");
		return ENGINE_REASON_SESSION_LOCKED;
	}
	if (!e->pen_connected) {
		reply(out, ENGINE_REASON_PEN_NOT_CONNECTED, "The pen is not connected");
		return ENGINE_REASON_PEN_NOT_CONNECTED;
	}
	return ENGINE_REASON_NONE;
}

static void describe_limit(const struct engine *e, char *buf, size_t len)
{
	const struct penctl_limit *role = session_role(e);
	const struct penctl_limit *area = session_area(e);
	char r[16], a[16], c[16];

	penctl_format_depth_mm(role ? role->max_depth_um : 0, r);
	penctl_format_depth_mm(area ? area->max_depth_um : 0, a);
	if (cartridge_limits(e)) {
		penctl_format_depth_mm(e->cartridge.max_depth_um, c);
		g_snprintf(buf, len, "role %s %s mm, area %s %s mm, cartridge %s mm", e->summary.role, r,
			   e->summary.area, a, c);
	} else {
		g_snprintf(buf, len, "role %s %s mm, area %s %s mm", e->summary.role, r, e->summary.area, a);
	}
}

static void on_depth_request(struct engine *e, struct engine_output *out, uint32_t depth_um)
{
	uint32_t limit = effective_limit(e);
	enum engine_reason refusal = request_blocked(e, out);
	char want[16], lim[16], min[16], max[16], why[160];
	struct engine_record *r;

	penctl_format_depth_mm(depth_um, want);
	penctl_format_depth_mm(limit, lim);
	if (refusal == ENGINE_REASON_NONE) {
		if (depth_um < PEN_DEPTH_MIN_UM || depth_um > PEN_DEPTH_MAX_UM) {
			refusal = ENGINE_REASON_DEPTH_OUT_OF_RANGE;
			penctl_format_depth_mm(PEN_DEPTH_MIN_UM, min);
			penctl_format_depth_mm(PEN_DEPTH_MAX_UM, max);
			reply(out, refusal, "%s mm is outside the pen's range %s to %s mm", want,
			      min, max);
		} else if (depth_um > limit) {
			refusal = ENGINE_REASON_DEPTH_ABOVE_LIMIT;
			describe_limit(e, why, sizeof(why));
			reply(out, refusal, "%s mm is above the limit %s mm (%s)", want, lim, why);
		}
	}
	if (refusal != ENGINE_REASON_NONE) {
		r = emit_record(out, ENGINE_RECORD_DEPTH_REFUSED, refusal);
		r->depth_um = depth_um;
		r->limit_um = limit;
		return;
	}
	e->depth_um = depth_um;
	send_depth(e, out, depth_um);
	r = emit_record(out, ENGINE_RECORD_DEPTH_SET, ENGINE_REASON_NONE);
	r->depth_um = depth_um;
	r->limit_um = limit;
	if (e->motor_on)
		note_needled_depth(e, depth_um);
	if (depth_um > e->config->anesthetic_advisory_above_um) {
		r = emit_record(out, ENGINE_RECORD_ADVISORY, ENGINE_REASON_ABOVE_ANESTHETIC);
		r->depth_um = depth_um;
		r->limit_um = e->config->anesthetic_advisory_above_um;
		penctl_format_depth_mm(e->config->anesthetic_advisory_above_um, lim);
		reply(out, ENGINE_REASON_NONE,
		      "Depth set to %s mm. Above %s mm an anesthetic ointment may be advisable",
		      want, lim);
	} else {
		reply(out, ENGINE_REASON_NONE, "Depth set to %s mm", want);
	}
}

static void on_speed_request(struct engine *e, struct engine_output *out, uint16_t speed)
{
	enum engine_reason refusal = request_blocked(e, out);

	if (refusal == ENGINE_REASON_NONE && (speed < PEN_SPEED_MIN || speed > PEN_SPEED_MAX)) {
		refusal = ENGINE_REASON_SPEED_OUT_OF_RANGE;
		reply(out, refusal, "Speed %u is outside the pen's range %u to %u strokes per second",
		      speed, PEN_SPEED_MIN, PEN_SPEED_MAX);
	}
	if (refusal != ENGINE_REASON_NONE) {
		emit_record(out, ENGINE_RECORD_SPEED_REFUSED, refusal);
		return;
	}
	e->speed = speed;
	emit(out, ENGINE_ACTION_SET_SPEED)->speed = speed;
	emit_record(out, ENGINE_RECORD_SPEED_SET, ENGINE_REASON_NONE);
	reply(out, ENGINE_REASON_NONE, "Speed set to %u strokes per second", speed);
}

static void on_config_reload(struct engine *e, struct engine_output *out,
			     const struct penctl_config *config)
{
	bool mode_changed = config->pedal_mode != e->config->pedal_mode;
	struct engine_record *r;

	e->config = config;
	r = emit_record(out, ENGINE_RECORD_CONFIG_RELOADED, ENGINE_REASON_NONE);
	r->depth_um = e->session_open ? e->depth_um : 0;
	r->limit_um = effective_limit(e);
	stop_if_limit_lowered(e, out);
	/* And the pen's needle goes back within the new limit. */
	if (e->session_open && e->depth_um > effective_limit(e))
		apply_session_depth(e, out, ENGINE_REASON_LIMIT_LOWERED);
	/* A pedal that held the motor in one mode means something else in the other. */
	if (mode_changed) {
		e->press_consumed = false;
		stop_motor(e, out, ENGINE_REASON_PEDAL_LATCHED_OFF, true);
	}
}

/* ---- the pen's answers to RUN, the daemon's answers to CARTRIDGE_USED ---- */

static void on_run_confirmed(struct engine *e, struct engine_output *out, uint16_t seq)
{
	struct engine_record *r;

	/* An answer to a RUN no longer wanted: its STOP is on its way (or
	 * applied) and its motor-stop record written. */
	if (!e->motor_on || e->run_confirmed || seq != e->run_seq)
		return;
	e->run_confirmed = true;
	r = emit_record(out, ENGINE_RECORD_MOTOR_START, ENGINE_REASON_NONE);
	r->depth_um = e->depth_um;
	r->limit_um = effective_limit(e);
	r->cartridge = e->cartridge.id;
	r->used_us = needling_used(e);
	r->budget_us = needling_budget(e);
	note_needled_depth(e, e->depth_um);
}

static const char *pen_refusal_phrase(uint8_t refusal)
{
	switch (refusal) {
	case ENGINE_PEN_REFUSAL_DEPTH_ABOVE_CARTRIDGE:
		return "the pen says the depth is above the cartridge's limit";
	case ENGINE_PEN_REFUSAL_FAULT_ACTIVE:
		return "the pen says a fault is active";
	case ENGINE_PEN_REFUSAL_NO_CARTRIDGE:
		return "the pen says no cartridge is inserted";
	case ENGINE_PEN_REFUSAL_NO_HEARTBEAT:
		return "the pen says it has no heartbeat";
	}
	return "the pen refused with an undocumented code";
}

/* A documented refusal: the pen did not start, and says why.  The pen is
 * still trusted; the press is over and the pedal must be released. */
static void on_run_refused(struct engine *e, struct engine_output *out, uint8_t refusal)
{
	struct engine_record *r;
	struct engine_action *a;

	if (e->motor_on && e->run_confirmed) {
		/* It took the RUN, then refused it: believe the worse. */
		stop_motor(e, out, ENGINE_REASON_PEN_REFUSED, true);
	} else if (e->motor_on) {
		/* It never ran: no time used, no stop to count.  A STOP still
		 * makes our newest command to the pen say what we mean. */
		e->motor_on = false;
		a = emit_stop(out);
		a->motor.seq = e->next_seq++;
		a->motor.reason = ENGINE_REASON_PEN_REFUSED;
		e->last_stop_sent = e->now;
	}
	g_snprintf(e->record_detail, sizeof(e->record_detail), "%s (0x%02x)",
		   pen_refusal_phrase(refusal), refusal);
	r = refuse_press(e, out, ENGINE_REASON_PEN_REFUSED);
	r->detail = e->record_detail;
}

static void on_cartridge_recorded(struct engine *e, struct engine_output *out,
				  const struct engine_event *ev)
{
	uint64_t id = ev->cartridge_recorded.cartridge;
	bool asked = id != 0 && id == e->recording_cartridge;
	bool wanted = asked && e->press_waiting;
	enum engine_reason reason;
	struct engine_record *r;

	/* Saved is saved, whether still wanted or not; but only the cartridge
	 * this session asked for joins it (any other saved id is one more used
	 * one, and may never make a used cartridge the session's own). */
	if (asked)
		e->recording_cartridge = 0;
	if (ev->cartridge_recorded.saved && asked)
		bind_cartridge(e, id);
	else if (ev->cartridge_recorded.saved)
		engine_mark_cartridge_used(e, id);
	if (!wanted)
		return;
	e->press_waiting = false;
	if (!ev->cartridge_recorded.saved) {
		copy_text(e->record_detail, sizeof(e->record_detail),
			  ev->cartridge_recorded.error ? ev->cartridge_recorded.error : "not saved");
		r = refuse_press(e, out, ENGINE_REASON_CARTRIDGE_NOT_RECORDED);
		r->cartridge = id;
		r->detail = e->record_detail;
		return;
	}
	/* The press was accepted before the save; the world may have moved. */
	reason = machine_blocking_reason(e);
	if (reason == ENGINE_REASON_NONE && e->cartridge.id != id)
		reason = ENGINE_REASON_NO_CARTRIDGE;
	if (reason != ENGINE_REASON_NONE) {
		refuse_press(e, out, reason);
		return;
	}
	if (!e->pedal_armed ||
	    (e->config->pedal_mode != PENCTL_PEDAL_LATCHING && !e->pedal_down))
		return;
	run_for_press(e, out);
}

static void on_state_acknowledged(struct engine *e, struct engine_output *out,
				  const char *caller)
{
	struct engine_record *r;

	if (!e->used_list_untrusted) {
		reply(out, ENGINE_REASON_NONE, "The state needs no acknowledgement");
		return;
	}
	e->used_list_untrusted = false;
	g_snprintf(e->record_detail, sizeof(e->record_detail), "acknowledged by %s: %s",
		   caller && caller[0] ? caller : "(unknown)", e->untrusted_why);
	end_on_a_character(e->record_detail);
	r = emit_record(out, ENGINE_RECORD_STATE_ACKNOWLEDGED, ENGINE_REASON_USED_LIST_UNTRUSTED);
	r->detail = e->record_detail;
	reply(out, ENGINE_REASON_NONE,
	      "Acknowledged: new sessions may start; cartridges used before the damage may "
	      "not be known as used");
}

void engine_step(struct engine *e, const struct engine_event *ev, struct engine_output *out)
{
	out->n_actions = 0;
	e->now = MAX(e->now, ev->time_us);

	switch (ev->kind) {
	case ENGINE_EVENT_PEDAL_DOWN:
		on_pedal_down(e, out);
		break;
	case ENGINE_EVENT_PEDAL_UP:
		on_pedal_up(e);
		break;
	case ENGINE_EVENT_PEDAL_PRESS_BEGAN:
		on_pedal_press_began(e, out);
		break;
	case ENGINE_EVENT_PEDAL_LOST:
		on_pedal_lost(e, out, ev->lost.reason);
		break;
	case ENGINE_EVENT_PEN_CONNECTED:
		on_pen_connected(e, out, ev);
		break;
	case ENGINE_EVENT_PEN_DISCONNECTED:
		on_pen_disconnected(e, out, ev->lost.reason);
		break;
	case ENGINE_EVENT_PEN_STATUS:
		on_pen_status(e, out, &ev->pen_status);
		break;
	case ENGINE_EVENT_PEN_CARTRIDGE:
		on_pen_cartridge(e, out, &ev->pen_cartridge);
		break;
	case ENGINE_EVENT_PEN_BATTERY:
		if (e->pen_connected && ev->pen_battery_percent <= 100)
			e->battery = ev->pen_battery_percent;
		break;
	case ENGINE_EVENT_SESSION_START:
		on_session_start(e, out, ev);
		break;
	case ENGINE_EVENT_SESSION_STOP:
		on_session_stop(e, out);
		break;
	case ENGINE_EVENT_DEPTH_REQUEST:
		on_depth_request(e, out, ev->depth_um);
		break;
	case ENGINE_EVENT_SPEED_REQUEST:
		on_speed_request(e, out, ev->speed);
		break;
	case ENGINE_EVENT_CONFIG_RELOAD:
		if (ev->config)
			on_config_reload(e, out, ev->config);
		break;
	case ENGINE_EVENT_PEN_PROTOCOL_ERROR:
		distrust_pen(e, out, ENGINE_REASON_PEN_INCOMPATIBLE, ev->lost.reason);
		break;
	case ENGINE_EVENT_PEN_LINK_ERROR:
		distrust_pen(e, out, ENGINE_REASON_PEN_LINK_ERROR, ev->lost.reason);
		break;
	case ENGINE_EVENT_PEN_RUN_CONFIRMED:
		on_run_confirmed(e, out, ev->run_seq);
		break;
	case ENGINE_EVENT_PEN_RUN_REFUSED:
		on_run_refused(e, out, ev->pen_refusal);
		break;
	case ENGINE_EVENT_CARTRIDGE_RECORDED:
		on_cartridge_recorded(e, out, ev);
		break;
	case ENGINE_EVENT_STATE_ACKNOWLEDGED:
		on_state_acknowledged(e, out, ev->caller);
		break;
	case ENGINE_EVENT_PEN_IDENTITY:
		/* Only for the records: nothing here changes what may run. */
		if (e->pen_connected) {
			copy_text(e->pen_model, sizeof(e->pen_model), ev->pen_identity.model);
			copy_text(e->pen_firmware, sizeof(e->pen_firmware),
				  ev->pen_identity.firmware);
			blank_controls(e->pen_model);
			blank_controls(e->pen_firmware);
		}
		break;
	case ENGINE_EVENT_TICK:
		/* The timer fired and is disarmed: whatever is due next must be armed again. */
		e->armed_deadline = -1;
		break;
	}
	engine_settle(e, out);
	/* A STOP of this step goes out before its depth write: only a Control
	 * issued after this step proves the new depth was taken. */
	if (e->settle_seq_open) {
		e->settle_seq = e->next_seq;
		e->settle_seq_open = false;
	}
}

bool engine_event_changes_nothing(const struct engine *e, const struct engine_event *ev)
{
	return ev->kind == ENGINE_EVENT_PEDAL_PRESS_BEGAN && !press_began_stops(e);
}

bool engine_step_was_quiet(const struct engine_event *ev, const struct engine_output *out)
{
	if (ev->kind != ENGINE_EVENT_TICK)
		return false;
	for (unsigned i = 0; i < out->n_actions; i++)
		if (out->actions[i].kind != ENGINE_ACTION_HEARTBEAT &&
		    out->actions[i].kind != ENGINE_ACTION_ARM_TIMER)
			return false;
	return true;
}

static enum engine_state state_of(const struct engine *e)
{
	if (!e->session_open)
		return ENGINE_STATE_IDLE;
	if (e->motor_on)
		return ENGINE_STATE_RUNNING;
	if (e->locked)
		return ENGINE_STATE_LOCKED;
	return ENGINE_STATE_READY;
}

void engine_get_snapshot(const struct engine *e, int64_t now_us, struct engine_snapshot *s)
{
	int64_t now = MAX(now_us, e->now);

	memset(s, 0, sizeof(*s));
	s->state = state_of(e);
	s->motor_on = e->motor_on;
	s->pen_connected = e->pen_connected;
	s->pen_compatible = e->pen_connected && e->pen_compatible;
	s->pen_incompatibility = s->pen_connected && !s->pen_compatible
					 ? (e->pen_incompatibility[0] ? e->pen_incompatibility
								      : "no reason given")
					 : "";
	/* The last pen connected, so a disconnect record still names it. */
	s->pen_address = e->pen_address;
	s->pen_model = e->pen_connected ? e->pen_model : "";
	s->pen_firmware = e->pen_connected ? e->pen_firmware : "";
	s->battery_percent = e->pen_connected ? e->battery : PEN_BATTERY_UNKNOWN;
	s->cartridge = e->pen_connected ? e->cartridge.id : 0;
	s->pen_faults = e->pen_faults;
	s->depth_fault = measured_depth_above_limit(e);
	s->pedal_known = e->pedal_known;
	s->pedal_down = e->pedal_down;
	s->pedal_armed = e->pedal_armed;
	s->pedal_latched = e->pedal_latched;
	s->session_open = e->session_open;
	s->session_id = e->session_open ? e->summary.session_id : "";
	s->operator_name = e->session_open ? e->summary.operator_name : "";
	s->role = e->session_open ? e->summary.role : "";
	s->area = e->session_open ? e->summary.area : "";
	s->client_ref = e->session_open ? e->summary.client_ref : "";
	s->depth_um = e->session_open ? e->depth_um : 0;
	s->measured_depth_um = e->measured_depth_um;
	s->limit_um = effective_limit(e);
	s->speed = e->session_open ? e->speed : 0;
	s->wall_budget_us = wall_budget(e);
	s->needling_budget_us = needling_budget(e);
	s->anesthetic_advisory_above_um = e->config->anesthetic_advisory_above_um;
	s->wall_used_us = wall_used_at(e, now);
	s->needling_used_us = e->session_open ? needling_used_at(e, now) : 0;
	s->used_list_untrusted = e->used_list_untrusted;
}

/* Where USED stands against a budget: 0 below the warning, 1 warned, 2 spent. */
static int budget_band(const struct engine *e, int64_t used, int64_t total)
{
	if (used >= total)
		return 2;
	return used * 100 >= total * (int64_t)e->config->warn_percent ? 1 : 0;
}

static gint compare_ids(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

char *engine_state_key(const struct engine *e)
{
	GString *key = g_string_new(NULL);
	g_autoptr(GArray) used = g_array_new(FALSE, FALSE, sizeof(gint64));
	GHashTableIter it;
	gpointer id;

	g_hash_table_iter_init(&it, e->used_cartridges);
	while (g_hash_table_iter_next(&it, &id, NULL))
		g_array_append_val(used, *(gint64 *)id);
	g_array_sort(used, compare_ids);

	/* Only what can still matter: what a connect, a session start or a
	 * RUN sets afresh is left out while the pen, the session or the motor
	 * is not there. */
	g_string_append_printf(key, "cfg=%p pedal=%d%d%d%d consumed=%d waiting=%d/%"
			       G_GINT64_MODIFIER "x untrusted=%d used=", (const void *)e->config,
			       e->pedal_known, e->pedal_down, e->pedal_armed, e->pedal_latched,
			       e->press_consumed, e->press_waiting, e->recording_cartridge,
			       e->used_list_untrusted);
	for (guint i = 0; i < used->len; i++)
		g_string_append_printf(key, "%" G_GINT64_MODIFIER "x,",
				       g_array_index(used, gint64, i));
	if (e->pen_connected)
		g_string_append_printf(key, " pen=%d%d/%s cart=%" G_GINT64_MODIFIER "x/%u/%d"
				       " faults=%x depth-fault=%d measured=%u pen-depth=%u",
				       e->pen_compatible, e->pen_distrusted,
				       engine_reason_to_string(e->distrust_reason), e->cartridge.id,
				       e->cartridge.max_depth_um, e->cartridge_unverified,
				       e->pen_faults, e->depth_fault_recorded, e->measured_depth_um,
				       e->pen_depth_um);
	if (e->pen_connected && e->depth_settling)
		g_string_append_printf(key, " settling=%u/%d", e->depth_before_um,
				       e->next_seq != e->settle_seq);
	if (e->motor_on)
		g_string_append_printf(key, " motor confirmed=%d run-newest=%d", e->run_confirmed,
				       e->run_seq == (uint16_t)(e->next_seq - 1));
	if (!e->session_open)
		return g_string_free(key, FALSE);
	g_string_append_printf(key, " session=%s/%s/%s locked=%d/%d depth=%u speed=%u"
			       " warned=%d%d wall=%d needling=%d cartridges=",
			       e->summary.role, e->summary.area, e->session_pen, e->locked,
			       e->lock_reason, e->depth_um, e->speed, e->wall_warned,
			       e->needling_warned, budget_band(e, wall_used(e), wall_budget(e)),
			       budget_band(e, needling_used(e), needling_budget(e)));
	for (unsigned i = 0; i < e->summary.n_cartridges; i++)
		g_string_append_printf(key, "%" G_GINT64_MODIFIER "x,", e->summary.cartridges[i]);
	return g_string_free(key, FALSE);
}
