/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated pen's behaviour, apart from D-Bus: motor, depth, speed,
 * strokes, battery, cartridge, faults, the heartbeat watchdog and when the
 * pen owes its central a Status notification.
 *
 * Pure: time is passed in (int64 microseconds of CLOCK_MONOTONIC, as
 * g_get_monotonic_time() gives), nothing here reads a clock, allocates or
 * does I/O, so tests drive it step by step.  Every call that takes now_us
 * first brings the time-dependent state up to now_us (watchdog, strokes,
 * battery), so a late heartbeat cannot rescue a motor whose watchdog has
 * already run out.
 *
 * Writes from the central return 0 or the ATT error code the real pen would
 * answer with (docs/pen-protocol.md); the caller turns that into the D-Bus
 * error bluetoothd maps back to the same ATT code.
 *
 * Motor starts and stops are queued (a few at most) for the caller to record
 * and log: pensim_model_take_motor_event().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "penctl/pen_protocol.h"

/* ATT error codes the pen answers writes with (docs/pen-protocol.md §3, §9;
 * Core spec Vol 3 Part F 3.4.1.1). */
#define PENSIM_ATT_OK                      0x00
#define PENSIM_ATT_INVALID_LENGTH          0x0d
#define PENSIM_ATT_VALUE_NOT_ALLOWED       0x13 /* out of range, unknown op, reserved != 0;
						 * on the air 0x0E (§9.1, pensim_gatt.c) */
#define PENSIM_ATT_DEPTH_ABOVE_CARTRIDGE   PEN_ATT_DEPTH_ABOVE_CARTRIDGE
#define PENSIM_ATT_FAULT_ACTIVE            PEN_ATT_FAULT_ACTIVE
#define PENSIM_ATT_NO_CARTRIDGE            PEN_ATT_NO_CARTRIDGE
#define PENSIM_ATT_NO_HEARTBEAT            PEN_ATT_NO_HEARTBEAT

#define PENSIM_STATUS_PERIOD_US        1000000  /* Status every 1 s while running */
#define PENSIM_DEFAULT_WATCHDOG_MS        1000u
#define PENSIM_DEFAULT_BATTERY_DRAIN_US 60000000 /* 1 % per minute of running */
#define PENSIM_MOTOR_EVENT_QUEUE             8

struct pensim_model_config {
	struct pen_cartridge cartridge;  /* id 0: none inserted */
	uint16_t depth_um;               /* set depth at power-up */
	uint16_t speed;                  /* strokes/s at power-up */
	uint16_t fault_bits;             /* faults present at power-up */
	uint8_t battery_percent;         /* 0..100 */
	int64_t battery_drain_us;        /* running time per 1 % of battery; 0: no drain */
};

struct pensim_motor_event {
	int64_t t_us;
	bool started;                    /* false: stopped */
	enum pen_stop_cause cause;       /* why it stopped; PEN_STOP_NONE for a start */
	uint16_t seq;                    /* Status.control_seq at the time */
	uint16_t depth_um;               /* measured depth at the time */
};

/* Fields are private to pensim_model.c; the struct is public so callers and
 * tests can keep one on the stack. */
struct pensim_model {
	int64_t now_us;
	bool running;
	enum pen_stop_cause stop_cause;
	uint16_t control_seq;
	uint16_t depth_um;
	uint16_t dial_um;                /* 0: no manual dial, else the measured depth */
	uint16_t speed;
	uint16_t fault_bits;             /* raised by the outside (fault command) */
	uint8_t battery_percent;
	int64_t battery_drain_us;
	int64_t battery_run_us;          /* running time not yet turned into drain */
	uint32_t strokes;
	uint64_t stroke_us_accum;        /* speed * running us not yet a whole stroke */
	struct pen_cartridge cartridge;
	uint16_t watchdog_ms;
	bool heartbeat_seen;             /* since the connection started */
	int64_t last_heartbeat_us;
	int64_t last_status_us;          /* when the caller last sent Status */
	struct pen_status last_sent;     /* what that Status said */
	bool status_forced;              /* an applied Control write owes a Status */
	struct pensim_motor_event events[PENSIM_MOTOR_EVENT_QUEUE];
	size_t n_events;
};

void pensim_model_config_defaults(struct pensim_model_config *config);
/* Refuses (-EINVAL) a configuration a real pen could not have: depth or
 * speed outside the settable range, a cartridge the codec would not encode,
 * a set depth above the cartridge's max, battery above 100, unknown faults. */
int pensim_model_init(struct pensim_model *model, const struct pensim_model_config *config,
		      int64_t now_us);

/* Writes from the central.  Return PENSIM_ATT_OK or an ATT error code; a
 * refused write changes nothing, except that a refused Control write stops a
 * running motor (§3.1).  A Heartbeat has no error reply on the air; its
 * return value is only for the caller's log. */
uint8_t pensim_model_write_control(struct pensim_model *model, const uint8_t *value,
				   size_t len, int64_t now_us);
uint8_t pensim_model_write_depth(struct pensim_model *model, const uint8_t *value,
				 size_t len, int64_t now_us);
uint8_t pensim_model_write_speed(struct pensim_model *model, const uint8_t *value,
				 size_t len, int64_t now_us);
uint8_t pensim_model_write_heartbeat(struct pensim_model *model, const uint8_t *value,
				     size_t len, int64_t now_us);
uint8_t pensim_model_write_watchdog(struct pensim_model *model, const uint8_t *value,
				    size_t len, int64_t now_us);

/* Things that happen to the pen itself. */
/* A central connected: the watchdog is back to 1000 ms and disarmed. */
void pensim_model_link_up(struct pensim_model *model, int64_t now_us);
/* The link dropped: a running motor stops (cause disconnect). */
void pensim_model_link_lost(struct pensim_model *model, int64_t now_us);
void pensim_model_press_button(struct pensim_model *model, int64_t now_us);
/* Any bit set stops the motor (cause fault) and makes RUN refused.
 * -EINVAL for bits outside PEN_FAULT_KNOWN_MASK. */
int pensim_model_set_faults(struct pensim_model *model, uint16_t fault_bits, int64_t now_us);
/* 0 removes the manual dial; otherwise the measured depth, up to
 * PEN_STATUS_DEPTH_MAX_UM (-ERANGE above). */
int pensim_model_set_dial(struct pensim_model *model, uint16_t dial_um, int64_t now_us);
/* A cartridge swap.  -EINVAL for one the codec would not encode.  Taking
 * the cartridge out stops a running motor (cause fault); while none is in,
 * cartridge-missing is raised.  The set depth is kept even if above the new
 * cartridge's max: the next RUN is refused for it (0x80). */
int pensim_model_set_cartridge(struct pensim_model *model, const struct pen_cartridge *cartridge,
			       int64_t now_us);
/* -ERANGE above 100.  0 % raises battery-critical. */
int pensim_model_set_battery(struct pensim_model *model, uint8_t percent, int64_t now_us);

/* Bring the time-dependent state up to now_us: the watchdog, strokes,
 * battery drain, the periodic Status.  Time never goes backwards: an earlier
 * now_us is treated as the last one seen. */
void pensim_model_advance(struct pensim_model *model, int64_t now_us);
/* When pensim_model_advance() next has something to do (watchdog expiry,
 * next periodic Status, next battery percent); INT64_MAX for never. */
int64_t pensim_model_next_deadline_us(const struct pensim_model *model);

/* True once per change of Status (and every PENSIM_STATUS_PERIOD_US while
 * running): the caller sends a Status notification now. */
bool pensim_model_take_status_notify(struct pensim_model *model);
bool pensim_model_take_motor_event(struct pensim_model *model, struct pensim_motor_event *out);

/* What the characteristics read as now. */
void pensim_model_get_status(const struct pensim_model *model, struct pen_status *out);
uint16_t pensim_model_get_depth(const struct pensim_model *model);
uint16_t pensim_model_get_speed(const struct pensim_model *model);
uint16_t pensim_model_get_watchdog_ms(const struct pensim_model *model);
/* A heartbeat arrived within the last watchdog time (RUN would not get 0x83). */
bool pensim_model_watchdog_armed(const struct pensim_model *model);
uint8_t pensim_model_get_battery(const struct pensim_model *model);
void pensim_model_get_cartridge(const struct pensim_model *model, struct pen_cartridge *out);
/* Faults raised from outside plus those the pen raises itself (no
 * cartridge, empty battery). */
uint16_t pensim_model_get_faults(const struct pensim_model *model);
