// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the session engine.
 *
 * The input is read as a sequence of events (one opcode byte, then what the
 * event needs): the pedal, two pens (compatible or not, any cartridge),
 * Status values, cartridge swaps, the pen's answers to RUN, link errors,
 * the daemon's answers to CARTRIDGE_USED, sessions with arbitrary bytes in
 * their texts (UTF-8 or not), depth and speed requests, reloads to other
 * configurations (a lower limit, a latching pedal, short budgets), time.
 * After every step the safety rule and the engine's invariants are checked
 * from outside; a violation abort()s so that libFuzzer keeps the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "penctl/config.h"
#include "penctl/engine.h"

#define SEC INT64_C(1000000)

static const char *const config_texts[] = {
	"[Session]\nMaxMinutes=3\nMaxNeedlingMinutes=1\nWarnPercent=50\n"
	"[Role home]\nMaxDepthMm=0.5\n[Role dermatologist]\nMaxDepthMm=3\n"
	"[Area face]\nMaxDepthMm=1.5\n[Area body]\nMaxDepthMm=3\n",
	/* lower limits */
	"[Session]\nMaxMinutes=3\nMaxNeedlingMinutes=1\nWarnPercent=50\n"
	"[Role home]\nMaxDepthMm=0.3\n[Role dermatologist]\nMaxDepthMm=1\n"
	"[Area face]\nMaxDepthMm=0.8\n[Area body]\nMaxDepthMm=2\n",
	/* latching, the role dermatologist gone */
	"[Pedal]\nMode=latching\n[Session]\nMaxMinutes=2\nMaxNeedlingMinutes=1\n"
	"[Role home]\nMaxDepthMm=0.5\n[Area face]\nMaxDepthMm=1.5\n[Area body]\nMaxDepthMm=3\n",
	/* the defaults */
	NULL,
};
#define N_CONFIGS (sizeof(config_texts) / sizeof(config_texts[0]))

static struct penctl_config *configs[N_CONFIGS];

static const char *const addresses[] = { "AA:BB:CC:DD:EE:01", "AA:BB:CC:DD:EE:02" };
static const char *const roles[] = { "home", "dermatologist", "aesthetician", "" };
static const char *const areas[] = { "face", "body", "forehead", "" };

struct input {
	const uint8_t *data;
	size_t size;
};

static uint8_t take8(struct input *in)
{
	uint8_t v;

	if (!in->size)
		return 0;
	v = in->data[0];
	in->data++;
	in->size--;
	return v;
}

static uint16_t take16(struct input *in)
{
	return (uint16_t)(take8(in) | take8(in) << 8);
}

static uint32_t take32(struct input *in)
{
	return (uint32_t)take16(in) | (uint32_t)take16(in) << 16;
}

/* A string of the input's own bytes (any bytes, NUL-terminated), or NULL. */
static char *take_text(struct input *in)
{
	uint8_t len = take8(in);
	char *text;

	if (len == 0xff)
		return NULL;
	len = (uint8_t)MIN((size_t)len % 96, in->size);
	text = g_malloc(len + 1u);
	memcpy(text, in->data, len);
	text[len] = '\0';
	in->data += len;
	in->size -= len;
	return text;
}

static uint64_t take_cartridge(struct input *in)
{
	uint8_t pick = take8(in);

	switch (pick % 6) {
	case 0: return 0;
	case 1: return 0x1111;
	case 2: return 0x2222;
	case 3: return 0x3333;
	case 4: return 0xdead; /* used before this run */
	default: return (uint64_t)take32(in) << 32 | take32(in);
	}
}

/* What the fuzzer knows of the world, from the events and the actions. */
struct world {
	const struct penctl_config *config;
	bool trusted;       /* no DROP_LINK since the pen connected */
	bool unverified;    /* READ_CARTRIDGE asked, no PEN_CARTRIDGE since */
	uint16_t last_run, last_control;
	uint64_t pending;   /* the last CARTRIDGE_USED */
	GHashTable *saved;  /* saved as used while this session is open (uint64 keys) */
	GHashTable *used;   /* saved as used before it opened: never again */
};

static void move_all(GHashTable *from, GHashTable *to)
{
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, from);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_hash_table_add(to, g_memdup2(key, 8));
	g_hash_table_remove_all(from);
}

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz_engine: violated: %s (line %d)\n", #cond,     \
				__LINE__);                                                   \
			abort();                                                             \
		}                                                                            \
	} while (0)

static void check_text(const char *text)
{
	CHECK(text != NULL);
	CHECK(g_utf8_validate(text, -1, NULL));
}

static void check_step(struct world *w, struct engine *engine, const struct engine_event *ev,
		       const struct engine_snapshot *pre, const struct engine_output *out,
		       int64_t now)
{
	struct engine_snapshot s;
	bool ran = false, stopped = false;

	engine_get_snapshot(engine, now, &s);
	CHECK(out->n_actions <= ENGINE_MAX_ACTIONS);
	if (ev->kind == ENGINE_EVENT_PEN_CONNECTED) {
		w->trusted = true;
		w->unverified = false;
	}
	if (ev->kind == ENGINE_EVENT_PEN_CARTRIDGE && pre->pen_connected)
		w->unverified = false;
	for (unsigned i = 0; i < out->n_actions; i++) {
		const struct engine_action *a = &out->actions[i];

		switch (a->kind) {
		case ENGINE_ACTION_MOTOR_RUN:
			ran = true;
			w->last_run = w->last_control = a->motor.seq;
			CHECK(!stopped); /* never a STOP and then a RUN in one step */
			break;
		case ENGINE_ACTION_MOTOR_STOP:
			stopped = true;
			CHECK(out->actions[0].kind == ENGINE_ACTION_MOTOR_STOP);
			CHECK(i == 0 || out->actions[i - 1].kind == ENGINE_ACTION_MOTOR_STOP);
			CHECK(a->motor.reason != ENGINE_REASON_NONE);
			w->last_control = a->motor.seq;
			break;
		case ENGINE_ACTION_HEARTBEAT:
			CHECK(s.pen_connected && s.pen_compatible && w->trusted);
			break;
		case ENGINE_ACTION_DROP_LINK:
			w->trusted = false;
			break;
		case ENGINE_ACTION_READ_CARTRIDGE:
			w->unverified = true;
			break;
		case ENGINE_ACTION_CARTRIDGE_USED:
			CHECK(a->cartridge != 0);
			w->pending = a->cartridge;
			break;
		case ENGINE_ACTION_SET_DEPTH:
			CHECK(a->depth_um >= PEN_DEPTH_MIN_UM && a->depth_um <= PEN_DEPTH_MAX_UM);
			CHECK(a->depth_um <= s.limit_um || !s.session_open);
			break;
		case ENGINE_ACTION_RECORD:
			if (a->record.detail)
				check_text(a->record.detail);
			if (a->record.kind == ENGINE_RECORD_MOTOR_START)
				CHECK(ev->kind == ENGINE_EVENT_PEN_RUN_CONFIRMED);
			break;
		case ENGINE_ACTION_REPLY:
			check_text(a->reply.message);
			if (a->reply.refusal != ENGINE_REASON_NONE)
				break;
			if (ev->kind == ENGINE_EVENT_SESSION_START)
				move_all(w->saved, w->used);
			else if (ev->kind == ENGINE_EVENT_SESSION_STOP)
				move_all(w->saved, w->used);
			break;
		case ENGINE_ACTION_SET_SPEED:
		case ENGINE_ACTION_ARM_TIMER:
			break;
		}
	}
	check_text(s.session_id);
	check_text(s.operator_name);
	check_text(s.role);
	check_text(s.area);
	check_text(s.client_ref);
	check_text(s.pen_address);

	/* The safety rule: every condition while the motor is on. */
	if (s.motor_on) {
		CHECK(s.state == ENGINE_STATE_RUNNING && s.session_open);
		CHECK(s.pen_connected && s.pen_compatible && w->trusted && !w->unverified);
		CHECK(s.pen_faults == 0 && !s.depth_fault);
		CHECK(s.cartridge != 0 && g_hash_table_contains(w->saved, &s.cartridge));
		CHECK(!g_hash_table_contains(w->used, &s.cartridge));
		CHECK(s.depth_um >= PEN_DEPTH_MIN_UM && s.depth_um <= s.limit_um);
		CHECK(s.wall_used_us < s.wall_budget_us);
		CHECK(s.needling_used_us < s.needling_budget_us);
		CHECK(s.pedal_known);
		if (w->config->pedal_mode == PENCTL_PEDAL_LATCHING)
			CHECK(s.pedal_latched);
		else
			CHECK(s.pedal_down && s.pedal_armed);
	}
	if (pre->motor_on && !s.motor_on)
		CHECK(stopped);
	if (!pre->motor_on && s.motor_on)
		CHECK(ran);
	if (ran) {
		CHECK(s.motor_on);
		CHECK(ev->kind == ENGINE_EVENT_PEDAL_DOWN ||
		      ev->kind == ENGINE_EVENT_CARTRIDGE_RECORDED);
	}
	if (s.state == ENGINE_STATE_LOCKED)
		CHECK(!s.motor_on);
}

static void step(struct world *w, struct engine *engine, struct engine_event *ev, int64_t now)
{
	struct engine_output out;
	struct engine_snapshot pre;

	engine_get_snapshot(engine, now, &pre);
	ev->time_us = now;
	engine_step(engine, ev, &out);
	/* FUZZ_ENGINE_TRACE=1 tells what a kept input did. */
	if (g_getenv("FUZZ_ENGINE_TRACE")) {
		struct engine_snapshot s;

		engine_get_snapshot(engine, now, &s);
		fprintf(stderr, "%s -> %s motor=%d depth=%u limit=%u measured=%u cart=%" G_GINT64_MODIFIER
			"x actions:", engine_event_kind_to_string(ev->kind),
			engine_state_to_string(s.state), s.motor_on, s.depth_um, s.limit_um,
			s.measured_depth_um, s.cartridge);
		for (unsigned i = 0; i < out.n_actions; i++)
			fprintf(stderr, " %d%s%s", out.actions[i].kind,
				out.actions[i].kind == ENGINE_ACTION_RECORD ? "/" : "",
				out.actions[i].kind == ENGINE_ACTION_RECORD ?
				engine_record_kind_to_string(out.actions[i].record.kind) : "");
		fprintf(stderr, "\n");
	}
	if (ev->kind == ENGINE_EVENT_CONFIG_RELOAD && ev->config)
		w->config = ev->config;
	if (ev->kind == ENGINE_EVENT_CARTRIDGE_RECORDED && ev->cartridge_recorded.saved &&
	    ev->cartridge_recorded.cartridge)
		g_hash_table_add(pre.session_open ? w->saved : w->used,
				 g_memdup2(&ev->cartridge_recorded.cartridge, 8));
	check_step(w, engine, ev, &pre, &out, now);
}

static void init_configs(void)
{
	for (size_t i = 0; i < N_CONFIGS; i++) {
		g_autoptr(GError) error = NULL;

		if (configs[i])
			continue;
		configs[i] = config_texts[i] ?
			     penctl_config_load_from_data(config_texts[i], "fuzz", &error) :
			     penctl_config_new_default();
		if (!configs[i]) {
			fprintf(stderr, "fuzz_engine: config %zu: %s\n", i, error->message);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct world w = { 0 };
	struct engine *engine;
	int64_t now = 1000 * SEC;
	bool auto_answer;
	uint64_t used_before = 0xdead;

	init_configs();
	w.config = configs[take8(&in) % N_CONFIGS];
	/* Mostly like the daemon: a saved answer right after each CARTRIDGE_USED. */
	auto_answer = take8(&in) % 4 != 0;
	w.saved = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	w.used = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	engine = engine_new(w.config, now);
	engine_mark_cartridge_used(engine, used_before);
	g_hash_table_add(w.used, g_memdup2(&used_before, 8));

	for (unsigned n = 0; in.size > 0 && n < 4096; n++) {
		struct engine_event ev = { 0 };
		struct engine_snapshot s;
		g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, *t5 = NULL;
		g_autofree char *t6 = NULL;
		uint8_t op = take8(&in);

		engine_get_snapshot(engine, now, &s);
		switch (op % 24) {
		case 0: ev.kind = ENGINE_EVENT_PEDAL_DOWN; break;
		case 1: ev.kind = ENGINE_EVENT_PEDAL_UP; break;
		case 2: ev.kind = ENGINE_EVENT_PEDAL_PRESS_BEGAN; break;
		case 3: ev.kind = ENGINE_EVENT_PEDAL_LOST; ev.lost.reason = "lost"; break;
		case 4: {
			uint8_t flags = take8(&in);

			ev.kind = ENGINE_EVENT_PEN_CONNECTED;
			ev.pen_connected.address = addresses[flags & 1];
			ev.pen_connected.compatible = (flags & 6) != 0;
			ev.pen_connected.incompatibility = (flags & 6) ? NULL : "not compatible";
			ev.pen_connected.cartridge.id = take_cartridge(&in);
			ev.pen_connected.cartridge.needle_count = 12;
			ev.pen_connected.cartridge.max_depth_um = take16(&in) % 3200;
			break;
		}
		case 5: ev.kind = ENGINE_EVENT_PEN_DISCONNECTED; ev.lost.reason = "gone"; break;
		case 6: {
			uint8_t flags = take8(&in);

			ev.kind = ENGINE_EVENT_PEN_STATUS;
			ev.pen_status.motor_running = flags & 1;
			ev.pen_status.control_seq = (flags & 6) == 0 ? take16(&in) :
						    (flags & 6) == 2 ? (uint16_t)(w.last_control - 1) :
						    w.last_control;
			ev.pen_status.depth_um = (flags & 8) ? take16(&in) % 6001 : (uint16_t)s.depth_um;
			ev.pen_status.fault_bits = (flags & 16) ? take8(&in) & PEN_FAULT_KNOWN_MASK : 0;
			ev.pen_status.battery_percent = take8(&in);
			ev.pen_status.strokes = take32(&in);
			break;
		}
		case 7:
			ev.kind = ENGINE_EVENT_PEN_CARTRIDGE;
			ev.pen_cartridge.id = take8(&in) & 1 ? s.cartridge : take_cartridge(&in);
			ev.pen_cartridge.needle_count = 12;
			ev.pen_cartridge.max_depth_um = take16(&in) % 3200;
			break;
		case 8: ev.kind = ENGINE_EVENT_PEN_BATTERY; ev.pen_battery_percent = take8(&in); break;
		case 9: {
			uint8_t flags = take8(&in);

			ev.kind = ENGINE_EVENT_SESSION_START;
			t1 = take_text(&in);
			ev.session_start.session_id = t1;
			t2 = (flags & 1) ? take_text(&in) : g_strdup("op");
			ev.session_start.operator_name = t2;
			t3 = (flags & 2) ? take_text(&in) : g_strdup(roles[flags >> 4 & 3]);
			ev.session_start.role = t3;
			t4 = (flags & 4) ? take_text(&in) : g_strdup(areas[flags >> 6 & 3]);
			ev.session_start.area = t4;
			t5 = take_text(&in);
			ev.session_start.client_ref = t5;
			ev.session_start.contraindications_checked = (flags & 8) == 0;
			if (take8(&in) % 8 == 0) {
				t6 = take_text(&in);
				ev.session_start.role_denied_group = t6 ? t6 : "penctl-x";
			}
			break;
		}
		case 10: ev.kind = ENGINE_EVENT_SESSION_STOP; break;
		case 11: {
			uint8_t pick = take8(&in);

			ev.kind = ENGINE_EVENT_DEPTH_REQUEST;
			ev.depth_um = pick < 64 ? s.limit_um - 100 : pick < 128 ? s.limit_um :
				      pick < 192 ? s.limit_um + 100 : take32(&in) % 4000;
			break;
		}
		case 12: ev.kind = ENGINE_EVENT_SPEED_REQUEST; ev.speed = take16(&in) % 400; break;
		case 13:
			ev.kind = ENGINE_EVENT_CONFIG_RELOAD;
			ev.config = configs[take8(&in) % N_CONFIGS];
			break;
		case 14: case 15:
			ev.kind = ENGINE_EVENT_TICK;
			now += (int64_t)take16(&in) * 1000; /* up to 65 s */
			break;
		case 16:
			ev.kind = ENGINE_EVENT_PEN_PROTOCOL_ERROR;
			ev.lost.reason = "malformed";
			break;
		case 17:
			ev.kind = ENGINE_EVENT_PEN_RUN_CONFIRMED;
			ev.run_seq = take8(&in) & 1 ? w.last_run : take16(&in);
			break;
		case 18:
			ev.kind = ENGINE_EVENT_PEN_RUN_REFUSED;
			ev.pen_refusal = take8(&in);
			break;
		case 19: ev.kind = ENGINE_EVENT_PEN_LINK_ERROR; ev.lost.reason = "timeout"; break;
		case 20: {
			uint8_t flags = take8(&in);

			ev.kind = ENGINE_EVENT_CARTRIDGE_RECORDED;
			ev.cartridge_recorded.cartridge = flags & 1 ? w.pending : take_cartridge(&in);
			ev.cartridge_recorded.saved = flags & 2;
			t1 = take_text(&in);
			ev.cartridge_recorded.error = t1;
			break;
		}
		case 21:
			ev.kind = ENGINE_EVENT_STATE_ACKNOWLEDGED;
			t1 = take_text(&in);
			ev.caller = t1;
			break;
		case 22:
			t1 = take_text(&in);
			engine_set_used_list_untrusted(engine, t1);
			continue;
		case 23:
			/* The pen's own words (Device Information), any bytes. */
			ev.kind = ENGINE_EVENT_PEN_IDENTITY;
			t1 = take_text(&in);
			t2 = take_text(&in);
			ev.pen_identity.model = t1;
			ev.pen_identity.firmware = t2;
			break;
		default:
			now += (int64_t)take8(&in) * 10000; /* time passes, nothing happens */
			continue;
		}
		if (ev.kind == ENGINE_EVENT_CARTRIDGE_RECORDED)
			w.pending = 0;
		step(&w, engine, &ev, now);
		if (auto_answer && w.pending) {
			struct engine_event saved = { .kind = ENGINE_EVENT_CARTRIDGE_RECORDED };

			saved.cartridge_recorded.cartridge = w.pending;
			saved.cartridge_recorded.saved = true;
			w.pending = 0;
			step(&w, engine, &saved, now);
		}
	}
	engine_free(engine);
	g_hash_table_unref(w.saved);
	g_hash_table_unref(w.used);
	return 0;
}
