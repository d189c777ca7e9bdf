// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Randomized safety check of the session engine: at least 100,000 seeded
 * random events.  The test keeps its own model of the world, built only from
 * the events it sends and the actions the engine answers with, and after
 * every step checks rule 1 against that model: the motor (as commanded) is
 * never on while any condition is false.  It also checks that every stop
 * carries a reason, that a start only follows a press on an armed pedal,
 * and that timer deadlines are honoured (budgets never overshoot).
 *
 * PENCTL_SEED=N reproduces a run; the seed is printed on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_harness.h"

#define EVENTS 120000
#define SEC INT64_C(1000000)

static const char config_text[] =
	"[Session]\nMaxMinutes=3\nMaxNeedlingMinutes=1\nWarnPercent=50\nStartDepthMm=0.3\n"
	"[Safety]\nAnestheticAdvisoryAboveMm=0.5\n"
	"[Role home]\nMaxDepthMm=0.5\n[Role dermatologist]\nMaxDepthMm=3\n"
	"[Area forehead]\nMaxDepthMm=0.5\n[Area body]\nMaxDepthMm=3\n";

struct world {
	bool latching;
	/* what the test told the engine */
	bool pedal_known, pedal_down;
	bool pen_connected, pen_compatible;
	bool pen_trusted;         /* no DROP_LINK since the last connect */
	bool cartridge_unverified; /* READ_CARTRIDGE asked, no PEN_CARTRIDGE since */
	struct pen_cartridge cartridge;
	uint16_t pen_faults;
	uint32_t measured_um;
	bool session_open;
	const char *role, *area;
	int64_t session_start;
	/* what the engine told the pen */
	bool motor_on;
	int64_t motor_since;
	int64_t needling_us;
	uint32_t depth_um;
	/* The depth the pen was last told on this link (0 = unknown).  After a
	 * lowering, until a Status shows the pen applied it (its measured depth
	 * at most the new one, or it echoes a Control sent since), the depth
	 * before is in force: a measurement up to it is not above the limit. */
	uint32_t pen_depth_um;
	bool settling;
	uint32_t depth_before_um;
	uint16_t settle_seq;
	uint16_t last_seq;
	int64_t deadline;
	/* armed: the pedal was seen released since the last lock-out */
	bool armed;
	/* latching: a press began on the running motor; its confirmation
	 * within a second must not start it again */
	bool press_consumed;
	int64_t press_began_at;
	GHashTable *used_before_session; /* cartridges of earlier sessions */
	GHashTable *used_now;            /* cartridges of this session */
};

static uint64_t seed;
static unsigned long long step_no;
/* How often the interesting paths ran: a run that never starts the motor proves nothing. */
static unsigned starts, budget_stops, forced_stops, began_stops;

/* WHY is a string literal naming the rule, or "" to let the condition speak. */
#define CHECK_WHY(cond, why)                                                                 \
	do {                                                                                 \
		if (!(cond))                                                                 \
			fail_msg("seed %llu (PENCTL_SEED=%llu reproduces), step %llu: %s %s", \
				 (unsigned long long)seed, (unsigned long long)seed, step_no,  \
				 #cond, why);                                                 \
	} while (0)
#define CHECK(cond) CHECK_WHY(cond, "")

static uint32_t limit_of(const struct world *w)
{
	uint32_t role = !strcmp(w->role, "home") ? 500 : 3000;
	uint32_t area = !strcmp(w->area, "forehead") ? 500 : 3000;
	uint32_t limit = MIN(role, area);

	if (w->cartridge.id && w->cartridge.max_depth_um)
		limit = MIN(limit, w->cartridge.max_depth_um);
	return limit;
}

static int64_t needling_now(const struct world *w, int64_t now)
{
	return w->needling_us + (w->motor_on ? now - w->motor_since : 0);
}

static void lock_out(struct world *w)
{
	w->armed = w->pedal_known && !w->pedal_down;
}

/* Fold this step's actions into the world model, checking each. */
static void absorb_actions(struct world *w, struct harness *h, const struct engine_event *ev)
{
	for (unsigned i = 0; i < h->out.n_actions; i++) {
		const struct engine_action *a = &h->out.actions[i];

		switch (a->kind) {
		case ENGINE_ACTION_MOTOR_RUN:
			CHECK_WHY(ev->kind == ENGINE_EVENT_PEDAL_DOWN, "a start not caused by a press");
			CHECK_WHY(w->armed, "a start on a pedal not released since a lock-out");
			CHECK_WHY(!w->motor_on, "a start while running");
			w->motor_on = true;
			w->motor_since = h->now;
			starts++;
			w->last_seq = a->motor.seq;
			if (w->cartridge.id)
				g_hash_table_add(w->used_now, g_memdup2(&w->cartridge.id, 8));
			break;
		case ENGINE_ACTION_MOTOR_STOP:
			CHECK_WHY(a->motor.reason != ENGINE_REASON_NONE, "a stop without a reason");
			if (w->motor_on)
				w->needling_us += h->now - w->motor_since;
			w->motor_on = false;
			w->last_seq = a->motor.seq;
			if (a->motor.reason == ENGINE_REASON_NEEDLING_BUDGET ||
			    a->motor.reason == ENGINE_REASON_WALL_BUDGET)
				budget_stops++;
			if (a->motor.reason != ENGINE_REASON_PEDAL_RELEASED &&
			    a->motor.reason != ENGINE_REASON_PEDAL_LATCHED_OFF) {
				forced_stops++;
				lock_out(w);
			}
			break;
		case ENGINE_ACTION_SET_DEPTH:
			CHECK(w->session_open || ev->kind == ENGINE_EVENT_SESSION_START);
			w->depth_um = a->depth_um;
			if (w->pen_depth_um > a->depth_um) {
				w->depth_before_um = w->settling ? MAX(w->depth_before_um,
								       w->pen_depth_um)
								 : w->pen_depth_um;
				w->settling = true;
				w->settle_seq = (uint16_t)(w->last_seq + 1);
			}
			w->pen_depth_um = a->depth_um;
			break;
		case ENGINE_ACTION_ARM_TIMER:
			w->deadline = a->deadline_us;
			break;
		case ENGINE_ACTION_REPLY:
			if (a->reply.refusal != ENGINE_REASON_NONE)
				break;
			if (ev->kind == ENGINE_EVENT_SESSION_START) {
				w->session_open = true;
				w->session_start = h->now;
				w->needling_us = 0;
				w->role = ev->session_start.role;
				w->area = ev->session_start.area;
				g_hash_table_remove_all(w->used_now);
				lock_out(w);
			} else if (ev->kind == ENGINE_EVENT_SESSION_STOP) {
				GHashTableIter it;
				gpointer key;

				w->session_open = false;
				g_hash_table_iter_init(&it, w->used_now);
				while (g_hash_table_iter_next(&it, &key, NULL))
					g_hash_table_add(w->used_before_session, g_memdup2(key, 8));
			}
			break;
		case ENGINE_ACTION_HEARTBEAT:
			CHECK_WHY(w->pen_connected && w->pen_compatible && w->pen_trusted,
				  "a heartbeat keeps alive a pen we cannot drive or trust");
			break;
		case ENGINE_ACTION_DROP_LINK:
			w->pen_trusted = false;
			break;
		case ENGINE_ACTION_READ_CARTRIDGE:
			w->cartridge_unverified = true;
			break;
		case ENGINE_ACTION_SET_SPEED:
		case ENGINE_ACTION_RECORD:
		case ENGINE_ACTION_CARTRIDGE_USED:
			break;
		}
	}
}

/* Rule 1, against the model: a running motor implies every condition. */
static void check_rule1(const struct world *w, const struct harness *h)
{
	if (!w->motor_on)
		return;
	CHECK(w->session_open);
	CHECK(w->pen_connected);
	CHECK(w->pen_compatible);
	CHECK(w->pen_trusted);
	CHECK(!w->cartridge_unverified);
	CHECK(w->pen_faults == 0);
	CHECK(w->cartridge.id != 0);
	CHECK(!g_hash_table_contains(w->used_before_session, &w->cartridge.id));
	CHECK(w->depth_um <= limit_of(w));
	CHECK(w->measured_um <= MAX(limit_of(w), w->settling ? w->depth_before_um : 0));
	CHECK(needling_now(w, h->now) < 60 * SEC);
	CHECK(h->now - w->session_start < 180 * SEC);
	if (w->latching)
		CHECK(w->pedal_known);
	else
		CHECK(w->pedal_known && w->pedal_down);
}

/* Latching: the first edge of a press stops a running motor at once, and
 * the confirmation of that same press (within a second, no release between)
 * does not start it again. */
static void check_press_began(struct world *w, const struct harness *h,
			      const struct engine_event *ev, bool was_on, bool was_down)
{
	switch (ev->kind) {
	case ENGINE_EVENT_PEDAL_PRESS_BEGAN:
		if (w->latching && was_on) {
			CHECK_WHY(!w->motor_on, "a latched motor runs on after a press began");
			began_stops++;
			w->press_consumed = true;
			w->press_began_at = h->now;
		}
		break;
	case ENGINE_EVENT_PEDAL_DOWN:
		if (was_down)
			break;
		if (w->press_consumed && h->now - w->press_began_at <= SEC)
			CHECK_WHY(!harness_motor_ran(h),
				  "the press that stopped a latched motor started it again");
		w->press_consumed = false;
		break;
	case ENGINE_EVENT_PEDAL_UP:
	case ENGINE_EVENT_PEDAL_LOST:
		w->press_consumed = false;
		break;
	default:
		break;
	}
}

/* Mostly a fresh cartridge, sometimes an earlier one (single-use!), sometimes none. */
static uint64_t random_cartridge(GRand *rng)
{
	static uint64_t next_fresh = 0x100;
	int pick = g_rand_int_range(rng, 0, 10);

	if (pick < 7)
		return next_fresh++;
	if (pick < 9)
		return 0x100 + (uint64_t)g_rand_int_range(rng, 0, (gint32)(next_fresh - 0xff));
	return 0;
}

static void random_event(struct world *w, struct harness *h, GRand *rng,
			 struct engine_event *ev, struct pen_status *st)
{
	static const char *const roles[] = { "home", "dermatologist", "nurse" };
	static const char *const areas[] = { "forehead", "body", "elbow" };
	int pick = g_rand_int_range(rng, 0, 100);

	memset(ev, 0, sizeof(*ev));
	if (pick < 5) {
		/* A press's first edge: the pedal's level is not known yet. */
		ev->kind = ENGINE_EVENT_PEDAL_PRESS_BEGAN;
	} else if (pick < 30) {
		bool down = g_rand_boolean(rng);

		ev->kind = down ? ENGINE_EVENT_PEDAL_DOWN : ENGINE_EVENT_PEDAL_UP;
		w->pedal_known = true;
		w->pedal_down = down;
		if (!down)
			w->armed = true;
	} else if (pick < 32) {
		ev->kind = ENGINE_EVENT_PEDAL_LOST;
		w->pedal_known = w->pedal_down = false;
		w->armed = false;
	} else if (pick < 38) {
		ev->kind = ENGINE_EVENT_PEN_CONNECTED;
		ev->pen_connected.address = "AA:BB:CC:DD:EE:01";
		ev->pen_connected.compatible = g_rand_int_range(rng, 0, 10) != 0;
		ev->pen_connected.cartridge.id = random_cartridge(rng);
		ev->pen_connected.cartridge.max_depth_um =
			ev->pen_connected.cartridge.id ? (uint16_t)g_rand_int_range(rng, 100, 3001) : 0;
		w->pen_connected = true;
		w->pen_compatible = ev->pen_connected.compatible;
		w->pen_trusted = true;
		w->cartridge_unverified = false;
		w->cartridge = ev->pen_connected.cartridge;
		w->pen_faults = 0;
		w->measured_um = 0;
		w->pen_depth_um = 0;
		w->settling = false;
		lock_out(w);
	} else if (pick < 42) {
		ev->kind = ENGINE_EVENT_PEN_DISCONNECTED;
		w->pen_connected = false;
		w->pen_faults = 0;
	} else if (pick < 58) {
		ev->kind = ENGINE_EVENT_PEN_STATUS;
		memset(st, 0, sizeof(*st));
		st->motor_running = g_rand_int_range(rng, 0, 4) ? w->motor_on : !w->motor_on;
		st->control_seq = g_rand_int_range(rng, 0, 5) ? w->last_seq : (uint16_t)(w->last_seq - 1);
		st->depth_um = g_rand_int_range(rng, 0, 8) ? (uint16_t)w->depth_um
							     : (uint16_t)g_rand_int_range(rng, 0, 4000);
		st->fault_bits = g_rand_int_range(rng, 0, 12) ? 0
				 : g_rand_boolean(rng) ? PEN_FAULT_OVERTEMP : PEN_FAULT_CARTRIDGE_MISSING;
		st->battery_percent = 50;
		st->strokes = g_rand_int(rng);
		ev->pen_status = *st;
		if (w->pen_connected) {
			w->pen_faults = st->fault_bits;
			w->measured_um = st->depth_um;
			if (w->settling &&
			    (st->depth_um <= w->pen_depth_um ||
			     (uint16_t)(st->control_seq - w->settle_seq) <
			     (uint16_t)(w->last_seq + 1 - w->settle_seq)))
				w->settling = false;
		}
	} else if (pick < 60) {
		ev->kind = ENGINE_EVENT_PEN_CARTRIDGE;
		ev->pen_cartridge.id = random_cartridge(rng);
		ev->pen_cartridge.max_depth_um =
			ev->pen_cartridge.id ? (uint16_t)g_rand_int_range(rng, 100, 3001) : 0;
		if (w->pen_connected) {
			w->cartridge = ev->pen_cartridge;
			w->cartridge_unverified = false;
		}
	} else if (pick < 66) {
		ev->kind = ENGINE_EVENT_SESSION_START;
		ev->session_start.session_id = "random";
		ev->session_start.operator_name = g_rand_int_range(rng, 0, 10) ? "op" : "";
		ev->session_start.role = roles[g_rand_int_range(rng, 0, 3)];
		ev->session_start.area = areas[g_rand_int_range(rng, 0, 3)];
		ev->session_start.contraindications_checked = g_rand_int_range(rng, 0, 10) != 0;
	} else if (pick < 70) {
		ev->kind = ENGINE_EVENT_SESSION_STOP;
	} else if (pick < 80) {
		ev->kind = ENGINE_EVENT_DEPTH_REQUEST;
		ev->depth_um = (uint32_t)g_rand_int_range(rng, 0, 3500);
	} else if (pick < 81) {
		ev->kind = ENGINE_EVENT_PEN_PROTOCOL_ERROR;
		ev->lost.reason = "random";
		if (w->pen_connected)
			w->pen_compatible = false;
	} else if (pick < 82 && g_rand_boolean(rng)) {
		/* The pen refuses a RUN (documented), or a write cannot reach it. */
		if (g_rand_boolean(rng)) {
			ev->kind = ENGINE_EVENT_PEN_RUN_REFUSED;
			ev->pen_refusal = (uint8_t)g_rand_int_range(rng, 0x80, 0x84);
		} else {
			ev->kind = ENGINE_EVENT_PEN_LINK_ERROR;
			ev->lost.reason = "random";
			if (w->pen_connected)
				w->pen_compatible = false;
		}
	} else if (pick < 82) {
		ev->kind = ENGINE_EVENT_SPEED_REQUEST;
		ev->speed = (uint16_t)g_rand_int_range(rng, 0, 300);
	} else {
		ev->kind = ENGINE_EVENT_TICK;
	}
	(void)h;
}

static void run_random(uint64_t run_seed, bool latching)
{
	g_autofree char *text = g_strconcat(config_text, latching ? "[Pedal]\nMode=latching\n" : "",
					    NULL);
	struct harness *h = harness_new(text);
	g_autoptr(GRand) rng = g_rand_new_with_seed((guint32)run_seed);
	struct world w = { .latching = latching, .deadline = -1, .role = "home", .area = "body" };
	struct engine_event ev;
	struct pen_status st;
	bool was_on, was_down;

	seed = run_seed;
	starts = budget_stops = forced_stops = began_stops = 0;
	w.used_before_session = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	w.used_now = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	for (step_no = 0; step_no < EVENTS; step_no++) {
		int64_t advance = g_rand_int_range(rng, 0, 5) ? g_rand_int_range(rng, 0, SEC / 2)
							      : g_rand_int_range(rng, 0, 10 * SEC);

		/* Now and then a long, undisturbed run: only the timer speaks. */
		if (w.motor_on && g_rand_int_range(rng, 0, 8) == 0)
			advance = g_rand_int_range(rng, 0, 70 * SEC);

		/* The main loop fires the armed timer before anything later happens. */
		while (w.deadline >= 0 && w.deadline <= h->now + advance) {
			int64_t at = w.deadline;

			advance -= at - h->now;
			h->now = at;
			memset(&ev, 0, sizeof(ev));
			ev.kind = ENGINE_EVENT_TICK;
			w.deadline = -1; /* a fired timer is disarmed, as the daemon's is */
			harness_step(h, &ev);
			absorb_actions(&w, h, &ev);
			check_rule1(&w, h);
			CHECK_WHY(w.deadline != at, "the timer re-armed for the instant it fired");
		}
		h->now += advance;
		was_on = w.motor_on;
		was_down = w.pedal_known && w.pedal_down;
		random_event(&w, h, rng, &ev, &st);
		harness_step(h, &ev);
		absorb_actions(&w, h, &ev);
		check_rule1(&w, h);
		check_press_began(&w, h, &ev, was_on, was_down);
	}
	print_message("seed %llu: %u motor starts, %u forced stops, %u budget stops, "
		      "%u stops at a press's first edge\n",
		      (unsigned long long)run_seed, starts, forced_stops, budget_stops, began_stops);
	CHECK_WHY(starts >= 500 && forced_stops >= 100 && budget_stops >= 10,
		  "the random events did not reach the motor often enough to mean anything");
	CHECK_WHY(!latching || began_stops >= 50,
		  "the random events did not stop a latched motor at a press's first edge");
	g_hash_table_unref(w.used_before_session);
	g_hash_table_unref(w.used_now);
	harness_free(h);
}

static uint64_t chosen_seed(void)
{
	const char *env = getenv("PENCTL_SEED");

	return env ? g_ascii_strtoull(env, NULL, 10) : (uint64_t)g_get_real_time();
}

static void random_events_never_break_rule1_momentary(void **state)
{
	(void)state;
	run_random(chosen_seed(), false);
}

static void random_events_never_break_rule1_latching(void **state)
{
	(void)state;
	run_random(chosen_seed() + 1, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		{ "/safety/random/rule1-momentary", random_events_never_break_rule1_momentary, NULL,
		  NULL, NULL },
		{ "/safety/random/rule1-latching", random_events_never_break_rule1_latching, NULL,
		  NULL, NULL },
	};

	return cmocka_run_group_tests_name("engine-random", tests, NULL, NULL);
}
