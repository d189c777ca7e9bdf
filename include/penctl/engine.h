/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session engine: decides when the pen's motor may run.
 *
 * Pure: events in, actions out, the time passed in with every event.  No
 * clock reads, no I/O, no main loop.  The daemon's adapters (BlueZ, GPIO,
 * D-Bus, journal) turn the world into events and carry out the actions, in
 * the order given, in the same main-loop iteration.
 *
 * The motor runs only while every condition holds: a session is open and not
 * locked, the pen is connected, compatible and has an unused cartridge, the
 * pedal is held (momentary) or latched on (latching) after having been seen
 * released, the depth is within the effective limit (the smallest of role,
 * area and cartridge), both time budgets are left, and no fault is active.
 * Losing any of them yields a MOTOR_STOP with its reason in the same step.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "penctl/config.h"
#include "penctl/pen_protocol.h"

struct engine;

enum engine_event_kind {
	ENGINE_EVENT_PEDAL_DOWN,       /* debounced press (kernel timestamp) */
	ENGINE_EVENT_PEDAL_UP,         /* release, passed on at once */
	ENGINE_EVENT_PEDAL_LOST,       /* the GPIO line failed: state unknown */
	ENGINE_EVENT_PEN_CONNECTED,    /* services resolved, cartridge read */
	ENGINE_EVENT_PEN_DISCONNECTED,
	ENGINE_EVENT_PEN_STATUS,       /* a Status notification */
	ENGINE_EVENT_PEN_CARTRIDGE,    /* the Cartridge value was (re)read */
	ENGINE_EVENT_PEN_BATTERY,      /* a Battery Level value */
	ENGINE_EVENT_SESSION_START,
	ENGINE_EVENT_SESSION_STOP,
	ENGINE_EVENT_DEPTH_REQUEST,
	ENGINE_EVENT_SPEED_REQUEST,
	ENGINE_EVENT_CONFIG_RELOAD,
	ENGINE_EVENT_TICK,             /* the armed timer fired */
	ENGINE_EVENT_PEN_PROTOCOL_ERROR, /* malformed value or failed write: the
					  * pen's state is unknown until it reconnects */
	ENGINE_EVENT_PEDAL_PRESS_BEGAN, /* a press's first edge, before the debounce:
					 * stops a latched motor at once */
	ENGINE_EVENT_PEN_RUN_CONFIRMED, /* the pen took a RUN Control write (run_seq) */
	ENGINE_EVENT_PEN_RUN_REFUSED,   /* the pen's documented refusal of a RUN
					 * (pen_refusal); the pen stays trusted */
	ENGINE_EVENT_PEN_LINK_ERROR,    /* a write the link could not carry after its
					 * retries (lost.reason): the pen's state is unknown */
	ENGINE_EVENT_CARTRIDGE_RECORDED, /* the answer to ENGINE_ACTION_CARTRIDGE_USED */
	ENGINE_EVENT_STATE_ACKNOWLEDGED, /* a person acknowledged a damaged used-cartridge list */
	ENGINE_EVENT_PEN_IDENTITY,       /* the connected pen's model and firmware, for the records */
};
#define ENGINE_EVENT_KIND_COUNT (ENGINE_EVENT_PEN_IDENTITY + 1)

/* The pen's documented refusals of a RUN write (ATT application errors). */
#define ENGINE_PEN_REFUSAL_DEPTH_ABOVE_CARTRIDGE 0x80
#define ENGINE_PEN_REFUSAL_FAULT_ACTIVE          0x81
#define ENGINE_PEN_REFUSAL_NO_CARTRIDGE          0x82
#define ENGINE_PEN_REFUSAL_NO_HEARTBEAT          0x83

struct engine_event {
	enum engine_event_kind kind;
	int64_t time_us;  /* CLOCK_MONOTONIC; earlier than the last event counts as the last */
	const char *caller; /* who asked (D-Bus requests), for the records; may be NULL */
	union {
		struct {
			const char *address;         /* XX:XX:XX:XX:XX:XX */
			bool compatible;             /* every required characteristic, version ok */
			const char *incompatibility; /* why not, when !compatible */
			struct pen_cartridge cartridge;
		} pen_connected;
		struct pen_status pen_status;
		struct pen_cartridge pen_cartridge; /* PEN_CARTRIDGE: every read, changed or not */
		uint8_t pen_battery_percent;
		struct {
			const char *model;           /* Model Number (0x2A24); NULL/"": unknown */
			const char *firmware;        /* Firmware Revision (0x2A26) */
		} pen_identity;
		struct {
			const char *reason;          /* free text for the record */
		} lost;                              /* PEDAL_LOST, PEN_DISCONNECTED,
						      * PEN_PROTOCOL_ERROR, PEN_LINK_ERROR */
		struct {
			const char *session_id;
			const char *operator_name;
			const char *role;
			const char *area;
			const char *client_ref;      /* may be NULL */
			bool contraindications_checked;
			/* The Unix group the caller lacks to take this role,
			 * or NULL when the caller may take it. */
			const char *role_denied_group;
		} session_start;
		uint32_t depth_um;
		uint16_t speed;
		const struct penctl_config *config; /* CONFIG_RELOAD; must outlive its use */
		uint16_t run_seq;                    /* PEN_RUN_CONFIRMED */
		uint8_t pen_refusal;                 /* PEN_RUN_REFUSED: ENGINE_PEN_REFUSAL_* */
		struct {
			uint64_t cartridge;
			bool saved;                  /* written to disk (fsync) */
			const char *error;           /* why not, when !saved; may be NULL */
		} cartridge_recorded;                /* CARTRIDGE_RECORDED */
	};
};

/* Why the motor stopped, a request was refused or a record was written.
 * engine_reason_to_string() gives the PENCTL_REASON value. */
enum engine_reason {
	ENGINE_REASON_NONE,
	ENGINE_REASON_PEDAL_RELEASED,
	ENGINE_REASON_PEDAL_LATCHED_OFF,
	ENGINE_REASON_PEDAL_LOST,
	ENGINE_REASON_PEDAL_NOT_RELEASED,    /* held since before a lock-out */
	ENGINE_REASON_PEN_DISCONNECTED,
	ENGINE_REASON_PEN_INCOMPATIBLE,
	ENGINE_REASON_PEN_FAULT,
	ENGINE_REASON_PEN_DEPTH_ABOVE_LIMIT, /* measured depth (manual dial?) */
	ENGINE_REASON_PEN_STOPPED,           /* the pen stopped by itself */
	ENGINE_REASON_PEN_RUNAWAY,           /* the pen runs when told to stop */
	ENGINE_REASON_NO_CARTRIDGE,
	ENGINE_REASON_CARTRIDGE_USED,
	ENGINE_REASON_NO_SESSION,
	ENGINE_REASON_SESSION_STOPPED,
	ENGINE_REASON_SESSION_LOCKED,
	ENGINE_REASON_SESSION_OPEN,          /* a session is already open */
	ENGINE_REASON_DEPTH_ABOVE_LIMIT,
	ENGINE_REASON_DEPTH_OUT_OF_RANGE,
	ENGINE_REASON_SPEED_OUT_OF_RANGE,
	ENGINE_REASON_LIMIT_LOWERED,         /* a reload put the depth above the limit */
	ENGINE_REASON_WALL_BUDGET,
	ENGINE_REASON_NEEDLING_BUDGET,
	ENGINE_REASON_ABOVE_ANESTHETIC,
	ENGINE_REASON_NO_OPERATOR,
	ENGINE_REASON_UNKNOWN_ROLE,
	ENGINE_REASON_UNKNOWN_AREA,
	ENGINE_REASON_CONTRAINDICATIONS,
	ENGINE_REASON_PEN_NOT_CONNECTED,
	ENGINE_REASON_PEN_REFUSED,           /* the pen refused a RUN (its reason in detail) */
	ENGINE_REASON_PEN_LINK_ERROR,        /* a write could not reach the pen */
	ENGINE_REASON_CARTRIDGE_NOT_RECORDED,/* the cartridge could not be saved as used */
	ENGINE_REASON_USED_LIST_UNTRUSTED,   /* the used-cartridge list is damaged */
	ENGINE_REASON_ROLE_NOT_PERMITTED,    /* the caller lacks the role's group */
};
#define ENGINE_REASON_COUNT (ENGINE_REASON_ROLE_NOT_PERMITTED + 1)

/* Journal record kinds; engine_record_kind_to_string() gives PENCTL_EVENT. */
enum engine_record_kind {
	ENGINE_RECORD_SESSION_START,
	ENGINE_RECORD_SESSION_REFUSED,
	ENGINE_RECORD_SESSION_END,
	ENGINE_RECORD_MOTOR_START,
	ENGINE_RECORD_MOTOR_STOP,
	ENGINE_RECORD_MOTOR_REFUSED,     /* pedal pressed while a condition fails */
	ENGINE_RECORD_DEPTH_SET,
	ENGINE_RECORD_DEPTH_REFUSED,
	ENGINE_RECORD_SPEED_SET,
	ENGINE_RECORD_SPEED_REFUSED,
	ENGINE_RECORD_LIMIT_WARNING,
	ENGINE_RECORD_LIMIT_REACHED,
	ENGINE_RECORD_PEN_CONNECTED,
	ENGINE_RECORD_PEN_DISCONNECTED,
	ENGINE_RECORD_PEDAL_LOST,
	ENGINE_RECORD_FAULT,
	ENGINE_RECORD_FAULT_CLEARED,
	ENGINE_RECORD_ADVISORY,
	ENGINE_RECORD_CARTRIDGE_REFUSED,
	ENGINE_RECORD_CONFIG_RELOADED,
	ENGINE_RECORD_STATE_ACKNOWLEDGED, /* the damaged used-cartridge list, acknowledged */
};
#define ENGINE_RECORD_KIND_COUNT (ENGINE_RECORD_STATE_ACKNOWLEDGED + 1)

#define ENGINE_MAX_CARTRIDGES 32

struct engine_session_summary {
	char session_id[64];
	char operator_name[64];
	char role[40];
	char area[40];
	char client_ref[64];
	int64_t wall_us;
	int64_t needling_us;
	uint32_t max_depth_um;
	uint32_t strokes;
	bool above_anesthetic;       /* max_depth_um went above AnestheticAdvisoryAboveMm (the
				      * threshold in force when it did) */
	unsigned n_cartridges;
	uint64_t cartridges[ENGINE_MAX_CARTRIDGES];
	unsigned stops[ENGINE_REASON_COUNT]; /* motor stops by reason */
};

struct engine_record {
	enum engine_record_kind kind;
	enum engine_reason reason;
	uint32_t depth_um;       /* 0 when not applicable */
	uint32_t limit_um;       /* 0 when not applicable */
	int64_t used_us;         /* limit-warning/-reached, motor-stop: time used */
	int64_t budget_us;       /* limit-warning/-reached: the budget */
	uint32_t percent;        /* limit-warning */
	uint64_t cartridge;      /* 0 when none */
	uint16_t pen_faults;     /* enum pen_fault bits, for fault records */
	const char *detail;      /* free text (e.g. the pen's incompatibility); may be NULL */
	const struct engine_session_summary *summary; /* session-end only */
};

enum engine_action_kind {
	ENGINE_ACTION_MOTOR_RUN,
	ENGINE_ACTION_MOTOR_STOP,
	ENGINE_ACTION_SET_DEPTH,
	ENGINE_ACTION_SET_SPEED,
	ENGINE_ACTION_HEARTBEAT,
	ENGINE_ACTION_ARM_TIMER,     /* replaces the previous; deadline_us < 0 = none */
	ENGINE_ACTION_RECORD,
	ENGINE_ACTION_REPLY,         /* to the request event of this step */
	ENGINE_ACTION_CARTRIDGE_USED,/* persist (fsync) right after this step: this id may
				      * never start a session again; then step
				      * ENGINE_EVENT_CARTRIDGE_RECORDED with the outcome */
	ENGINE_ACTION_READ_CARTRIDGE,/* read the Cartridge again; a PEN_CARTRIDGE event follows */
	ENGINE_ACTION_DROP_LINK,     /* disconnect the pen: its state is unknown; the
				      * link reconnects by itself and starts afresh */
};

struct engine_reply {
	enum engine_reason refusal;  /* ENGINE_REASON_NONE = ok */
	char message[256];           /* for a person, with the numbers */
	const struct engine_session_summary *summary; /* session stop only */
};

struct engine_action {
	enum engine_action_kind kind;
	union {
		struct {
			uint16_t seq;
			enum engine_reason reason; /* MOTOR_STOP */
		} motor;
		uint16_t depth_um;
		uint16_t speed;
		uint16_t heartbeat;
		int64_t deadline_us;
		struct engine_record record;
		struct engine_reply reply;
		uint64_t cartridge;
	};
};

/* The longest pen model or firmware text kept, in bytes. */
#define ENGINE_PEN_TEXT_MAX 64

#define ENGINE_MAX_ACTIONS 24

/* Pointers inside (records, replies, summaries) stay valid until the next
 * engine_step() on the same engine.  The actions come in the order they
 * must be carried out: a MOTOR_STOP always comes first. */
struct engine_output {
	unsigned n_actions;
	struct engine_action actions[ENGINE_MAX_ACTIONS];
};

enum engine_state {
	ENGINE_STATE_IDLE,      /* no session */
	ENGINE_STATE_READY,     /* session open, motor off */
	ENGINE_STATE_RUNNING,   /* motor on */
	ENGINE_STATE_LOCKED,    /* a budget is spent: only session stop */
};

struct engine_snapshot {
	enum engine_state state;
	bool motor_on;
	bool pen_connected;
	bool pen_compatible;
	const char *pen_incompatibility; /* why not, while a connected pen is
					  * incompatible; "" otherwise */
	const char *pen_address;     /* the last pen connected; "" before any */
	/* The connected pen's Device Information, "" when unknown or no pen. */
	const char *pen_model;
	const char *pen_firmware;
	uint8_t battery_percent;     /* PEN_BATTERY_UNKNOWN when unknown */
	uint64_t cartridge;
	uint16_t pen_faults;
	bool depth_fault;            /* measured depth above the limit */
	bool pedal_known;
	bool pedal_down;
	bool pedal_armed;            /* released since the last lock-out */
	bool pedal_latched;
	bool session_open;
	const char *session_id;      /* "" when none */
	const char *operator_name;
	const char *role;
	const char *area;
	const char *client_ref;
	uint32_t depth_um;           /* the requested depth (0 before any) */
	uint32_t measured_depth_um;
	uint32_t limit_um;           /* effective limit (0 without a session) */
	uint16_t speed;              /* 0 before any request */
	int64_t wall_used_us, wall_budget_us;
	int64_t needling_used_us, needling_budget_us;
	uint32_t anesthetic_advisory_above_um; /* the advisory's threshold in force */
	bool used_list_untrusted;    /* new sessions wait for STATE_ACKNOWLEDGED */
};

struct engine *engine_new(const struct penctl_config *config, int64_t now_us);
void engine_free(struct engine *engine);

/* Used cartridges known before this run (the persistent state). */
void engine_mark_cartridge_used(struct engine *engine, uint64_t cartridge);

/* The used-cartridge list could not be trusted (WHY), or NULL: it can.  An
 * untrusted list refuses new sessions until ENGINE_EVENT_STATE_ACKNOWLEDGED. */
void engine_set_used_list_untrusted(struct engine *engine, const char *why);

/* An independent copy, sharing only the configuration (which must outlive
 * both): to look at what the engine would do without changing it. */
struct engine *engine_clone(const struct engine *engine);

/* A text naming the engine's state as far as the motor's decisions go:
 * the clock is left out (times used are given as the budget thresholds
 * crossed, not heartbeats or grace times), and so is what is set afresh
 * before it is used again (a pen's values while none is connected, a
 * session's while none is open).  Free with g_free(). */
char *engine_state_key(const struct engine *engine);

void engine_step(struct engine *engine, const struct engine_event *event,
		 struct engine_output *out);

/* Whether EVENT's own handler would change nothing in the engine's state
 * now, so that the caller may leave it unstepped: stepping it would only
 * settle what is due, which the armed timer does anyway.  Today only a
 * press's first edge (PEDAL_PRESS_BEGAN) when no latched motor waits for
 * it: in momentary mode a press is then one step, its PEDAL_DOWN. */
bool engine_event_changes_nothing(const struct engine *engine,
				  const struct engine_event *event);

/* Whether a step of EVENT that gave OUT was a timer's tick that asked for
 * nothing but heartbeats and the next tick: such a step changes nothing the
 * engine shows (its snapshot, tests/unit/test_engine_explore.c checks this
 * in every state), so the caller need not look at the engine again after it
 * (no properties, no saves). */
bool engine_step_was_quiet(const struct engine_event *event, const struct engine_output *out);

void engine_get_snapshot(const struct engine *engine, int64_t now_us,
			 struct engine_snapshot *snapshot);

/* The summary of the open session so far, or NULL without one. */
const struct engine_session_summary *engine_session_summary(struct engine *engine,
							    int64_t now_us);

const char *engine_reason_to_string(enum engine_reason reason);
/* The condition REASON stands for, in words ("pedal released"). */
const char *engine_reason_phrase(enum engine_reason reason);
const char *engine_record_kind_to_string(enum engine_record_kind kind);
const char *engine_event_kind_to_string(enum engine_event_kind kind);
const char *engine_state_to_string(enum engine_state state);
