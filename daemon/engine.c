// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The session engine.  See include/penctl/engine.h for the contract.
 *
 * Every step ends in engine_settle(): budgets are checked, the motor is
 * stopped if any condition is lost, heartbeats and the timer are scheduled.
 * Starting the motor happens only on a pedal press that finds every
 * condition true: a condition that becomes true later while the pedal is
 * still held never starts the motor by surprise (the press was refused and
 * the pedal must be released first).
 */
#include <string.h>

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
	struct pen_cartridge cartridge;
	bool cartridge_unverified;  /* taken out and put back: read it again first */
	bool pen_distrusted;        /* protocol error or runaway: no heartbeats, no RUN */
	uint8_t battery;
	uint16_t pen_faults;
	bool depth_fault_recorded; /* only for fault/fault-cleared records */
	uint32_t measured_depth_um;
	bool strokes_known;
	uint32_t last_strokes;

	/* motor and link */
	bool motor_on;
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

static struct engine_record *emit_record(struct engine_output *out, enum engine_record_kind kind,
					 enum engine_reason reason)
{
	struct engine_record *r = &emit(out, ENGINE_ACTION_RECORD)->record;

	r->kind = kind;
	r->reason = reason;
	return r;
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
	uint32_t limit;

	if (!e->session_open)
		return 0;
	role = session_role(e);
	area = session_area(e);
	if (!role || !area)
		return 0;
	limit = MIN(role->max_depth_um, area->max_depth_um);
	if (cartridge_limits(e))
		limit = MIN(limit, e->cartridge.max_depth_um);
	return limit;
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
 * under a depth the pen measured earlier. */
static bool measured_depth_above_limit(const struct engine *e)
{
	return e->session_open && e->pen_connected && e->measured_depth_um > effective_limit(e);
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
	if (!e->pen_compatible || e->pen_distrusted)
		return ENGINE_REASON_PEN_INCOMPATIBLE;
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
	if (e->depth_um == 0 || e->depth_um > effective_limit(e))
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
}

static void bind_cartridge(struct engine *e, struct engine_output *out)
{
	uint64_t id = e->cartridge.id;

	if (cartridge_in_session(e, id))
		return;
	/* machine_blocking_reason() keeps a full list from reaching here. */
	g_assert(e->summary.n_cartridges < ENGINE_MAX_CARTRIDGES);
	e->summary.cartridges[e->summary.n_cartridges++] = id;
	engine_mark_cartridge_used(e, id);
	emit(out, ENGINE_ACTION_CARTRIDGE_USED)->cartridge = id;
}

static void start_motor(struct engine *e, struct engine_output *out)
{
	struct engine_action *a;
	struct engine_record *r;

	bind_cartridge(e, out);
	e->motor_on = true;
	e->motor_started = e->now;
	a = emit(out, ENGINE_ACTION_MOTOR_RUN);
	a->motor.seq = e->next_seq++;
	r = emit_record(out, ENGINE_RECORD_MOTOR_START, ENGINE_REASON_NONE);
	r->depth_um = e->depth_um;
	r->limit_um = effective_limit(e);
	r->cartridge = e->cartridge.id;
	r->used_us = needling_used(e);
	r->budget_us = needling_budget(e);
	e->summary.max_depth_um = MAX(e->summary.max_depth_um, e->depth_um);
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
	a = emit(out, ENGINE_ACTION_MOTOR_STOP);
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

static void refuse_press(struct engine *e, struct engine_output *out, enum engine_reason reason)
{
	struct engine_record *r = emit_record(out, ENGINE_RECORD_MOTOR_REFUSED, reason);

	r->depth_um = e->depth_um;
	r->limit_um = effective_limit(e);
	lock_out_pedal(e);
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
	r->limit_um = effective_limit(e);
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
	reason = machine_blocking_reason(e);
	if (reason != ENGINE_REASON_NONE) {
		refuse_press(e, out, reason);
		return;
	}
	if (e->config->pedal_mode == PENCTL_PEDAL_LATCHING)
		e->pedal_latched = true;
	start_motor(e, out);
}

/* The first edge of a press, before it is debounced.  A latched motor
 * stops on it: the stop must not wait for the debounce.  The press then
 * confirmed (if it lasts, or if the foot tries again at once) is this one,
 * and toggles nothing more.  A begin on a motor not latched changes nothing:
 * it may be the same hesitant press beginning again. */
static void on_pedal_press_began(struct engine *e, struct engine_output *out)
{
	if (e->config->pedal_mode != PENCTL_PEDAL_LATCHING || !e->pedal_latched)
		return;
	e->pedal_latched = false;
	e->press_consumed = true;
	e->press_consumed_until = e->now + STOP_PRESS_WINDOW_US;
	stop_motor(e, out, ENGINE_REASON_PEDAL_LATCHED_OFF, false);
}

static void on_pedal_up(struct engine *e)
{
	e->press_consumed = false;
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
	stop_motor(e, out, ENGINE_REASON_PEDAL_LOST, true);
}

/* ---- pen ---- */

static void record_cartridge_refusal(struct engine *e, struct engine_output *out)
{
	if (cartridge_used_before(e, e->cartridge.id))
		emit_record(out, ENGINE_RECORD_CARTRIDGE_REFUSED, ENGINE_REASON_CARTRIDGE_USED)
			->cartridge = e->cartridge.id;
}

/* Bring the pen to the session's depth, lowering it if the limit is now lower. */
static void apply_session_depth(struct engine *e, struct engine_output *out,
				enum engine_reason why)
{
	uint32_t limit = effective_limit(e);
	struct engine_record *r;

	if (!e->session_open || !e->pen_connected)
		return;
	if (e->depth_um > limit && limit >= PEN_DEPTH_MIN_UM) {
		e->depth_um = limit;
		why = ENGINE_REASON_LIMIT_LOWERED;
	}
	if (e->depth_um < PEN_DEPTH_MIN_UM)
		return;
	emit(out, ENGINE_ACTION_SET_DEPTH)->depth_um = (uint16_t)e->depth_um;
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
	g_strlcpy(e->pen_address, ev->pen_connected.address ? ev->pen_connected.address : "",
		  sizeof(e->pen_address));
	g_strlcpy(e->pen_incompatibility,
		  ev->pen_connected.incompatibility ? ev->pen_connected.incompatibility : "",
		  sizeof(e->pen_incompatibility));
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
	g_strlcpy(e->pen_incompatibility, why ? why : engine_reason_to_string(reason),
		  sizeof(e->pen_incompatibility));
	r = emit_record(out, ENGINE_RECORD_FAULT, reason);
	r->detail = e->pen_incompatibility;
	if (e->motor_on) {
		stop_motor(e, out, reason, true);
	} else {
		lock_out_pedal(e);
		a = emit(out, ENGINE_ACTION_MOTOR_STOP);
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

static void track_measured_depth(struct engine *e, uint32_t depth)
{
	e->measured_depth_um = depth;
	if (e->motor_on)
		e->summary.max_depth_um = MAX(e->summary.max_depth_um, depth);
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
	track_measured_depth(e, st->depth_um);
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
	g_autoptr(GString) known = g_string_new(NULL);
	char cid[PEN_CARTRIDGE_ID_STRLEN];

	if (e->session_open) {
		reply(out, ENGINE_REASON_SESSION_OPEN,
		      "Session %s is already open (operator %s): stop it first",
		      e->summary.session_id, e->summary.operator_name);
		return ENGINE_REASON_SESSION_OPEN;
	}
	if (!operator_name_ok(ev->session_start.operator_name)) {
		reply(out, ENGINE_REASON_NO_OPERATOR,
		      "An operator name is required: 1 to 63 printable characters");
		return ENGINE_REASON_NO_OPERATOR;
	}
	if (!penctl_config_find_role(e->config, role)) {
		append_known_names(known, e->config->roles);
		reply(out, ENGINE_REASON_UNKNOWN_ROLE, "Unknown role \"%s\"; known roles: %s",
		      role ? role : "", known->str);
		return ENGINE_REASON_UNKNOWN_ROLE;
	}
	if (!penctl_config_find_area(e->config, area)) {
		append_known_names(known, e->config->areas);
		reply(out, ENGINE_REASON_UNKNOWN_AREA, "Unknown area \"%s\"; known areas: %s",
		      area ? area : "", known->str);
		return ENGINE_REASON_UNKNOWN_AREA;
	}
	if (e->config->require_contraindication_check &&
	    !ev->session_start.contraindications_checked) {
		reply(out, ENGINE_REASON_CONTRAINDICATIONS,
		      "The contraindications must be checked before a session opens; where "
		      "one applies, a dermatologist must be consulted first");
		return ENGINE_REASON_CONTRAINDICATIONS;
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
		const char *why = out->actions[out->n_actions - 1].reply.message;

		/* session_start_refusal() replied last; the record quotes it. */
		emit_record(out, ENGINE_RECORD_SESSION_REFUSED, refusal)->detail = why;
		return;
	}

	memset(&e->summary, 0, sizeof(e->summary));
	g_strlcpy(e->summary.session_id,
		  ev->session_start.session_id ? ev->session_start.session_id : "",
		  sizeof(e->summary.session_id));
	g_strlcpy(e->summary.operator_name, ev->session_start.operator_name,
		  sizeof(e->summary.operator_name));
	g_strlcpy(e->summary.role, ev->session_start.role, sizeof(e->summary.role));
	g_strlcpy(e->summary.area, ev->session_start.area, sizeof(e->summary.area));
	g_strlcpy(e->summary.client_ref,
		  ev->session_start.client_ref ? ev->session_start.client_ref : "",
		  sizeof(e->summary.client_ref));
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
	emit(out, ENGINE_ACTION_SET_DEPTH)->depth_um = (uint16_t)depth_um;
	r = emit_record(out, ENGINE_RECORD_DEPTH_SET, ENGINE_REASON_NONE);
	r->depth_um = depth_um;
	r->limit_um = limit;
	if (e->motor_on)
		e->summary.max_depth_um = MAX(e->summary.max_depth_um, depth_um);
	if (depth_um > e->config->anesthetic_advisory_above_um) {
		e->summary.above_anesthetic = true;
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
	if (e->motor_on && e->depth_um > effective_limit(e))
		stop_motor(e, out, ENGINE_REASON_LIMIT_LOWERED, true);
	/* And the pen's needle goes back within the new limit. */
	if (e->session_open && e->depth_um > effective_limit(e))
		apply_session_depth(e, out, ENGINE_REASON_LIMIT_LOWERED);
	/* A pedal that held the motor in one mode means something else in the other. */
	if (mode_changed) {
		e->press_consumed = false;
		stop_motor(e, out, ENGINE_REASON_PEDAL_LATCHED_OFF, true);
	}
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
	case ENGINE_EVENT_TICK:
		/* The timer fired and is disarmed: whatever is due next must be armed again. */
		e->armed_deadline = -1;
		break;
	}
	engine_settle(e, out);
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
	/* The last pen connected, so a disconnect record still names it. */
	s->pen_address = e->pen_address;
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
	s->wall_used_us = wall_used_at(e, now);
	s->needling_used_us = e->session_open ? needling_used_at(e, now) : 0;
}
