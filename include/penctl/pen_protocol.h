/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The penctl pen GATT profile, version 1: UUIDs, value types, limits and the
 * pure codec (no I/O, no allocation).  docs/pen-protocol.md is the normative
 * description for a pen's firmware team; this header is its C face.
 *
 * All multi-byte fields are little-endian.  Every parse function checks the
 * exact length and every range and returns a negative errno on malformed input
 * (-EBADMSG wrong length, -ERANGE a field out of range, -EPROTO an unknown
 * enumeration value or reserved bits set); it never reads outside [buf, buf+len).
 * Every encode function returns the number of bytes written or a negative
 * errno (-ENOSPC buffer too small, -ERANGE/-EINVAL value out of range).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEN_SERVICE_UUID           "7d1e0001-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_CONTROL_UUID           "7d1e0002-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_DEPTH_UUID             "7d1e0003-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_SPEED_UUID             "7d1e0004-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_STATUS_UUID            "7d1e0005-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_HEARTBEAT_UUID         "7d1e0006-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_CARTRIDGE_UUID         "7d1e0007-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_WATCHDOG_UUID          "7d1e0008-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_PROTOCOL_INFO_UUID     "7d1e0009-4c2b-4f6a-9a51-5e3c0d8f1a20"
#define PEN_BATTERY_SERVICE_UUID   "0000180f-0000-1000-8000-00805f9b34fb"
#define PEN_BATTERY_LEVEL_UUID     "00002a19-0000-1000-8000-00805f9b34fb"
/* Device Information (optional, docs/pen-protocol.md): for the records only. */
#define PEN_DEVICE_INFO_SERVICE_UUID "0000180a-0000-1000-8000-00805f9b34fb"
#define PEN_MODEL_NUMBER_UUID        "00002a24-0000-1000-8000-00805f9b34fb"
#define PEN_FIRMWARE_REVISION_UUID   "00002a26-0000-1000-8000-00805f9b34fb"
#define PEN_DEVICE_INFO_SERVICE_UUID "0000180a-0000-1000-8000-00805f9b34fb"

#define PEN_PROTOCOL_VERSION_MAJOR 1
#define PEN_PROTOCOL_VERSION_MINOR 0

#define PEN_DEPTH_MIN_UM      100u  /* 0.1 mm */
#define PEN_DEPTH_MAX_UM     3000u  /* 3.0 mm: the absolute ceiling */
#define PEN_SPEED_MIN         25u   /* strokes per second */
#define PEN_SPEED_MAX        200u
#define PEN_WATCHDOG_MIN_MS   100u
#define PEN_WATCHDOG_MAX_MS 10000u
#define PEN_BATTERY_UNKNOWN   0xffu

/* Status reports what the pen measures, which may lie outside what may be
 * set: a manual dial can push the needle past the ceiling, and the daemon
 * must see that value (not a parse error) to stop the motor for it. */
#define PEN_STATUS_DEPTH_MAX_UM 6000u
#define PEN_STATUS_SPEED_MAX     400u /* measured stroke rate; 0 while stopped */

/* Wire sizes of version 1.  A pen may not send longer or shorter values. */
#define PEN_CONTROL_SIZE        4
#define PEN_DEPTH_SIZE          2
#define PEN_SPEED_SIZE          2
#define PEN_STATUS_SIZE        16
#define PEN_HEARTBEAT_SIZE      2
#define PEN_CARTRIDGE_SIZE     12
#define PEN_WATCHDOG_SIZE       2
#define PEN_PROTOCOL_INFO_SIZE  4

enum pen_control_op {
	PEN_CONTROL_STOP = 0x00,
	PEN_CONTROL_RUN = 0x01,
};

/* Why the pen's motor last stopped, as the pen reports it. */
enum pen_stop_cause {
	PEN_STOP_NONE = 0x00,      /* never ran since power-up */
	PEN_STOP_COMMAND = 0x01,   /* a Control STOP */
	PEN_STOP_WATCHDOG = 0x02,  /* no heartbeat within the watchdog time */
	PEN_STOP_FAULT = 0x03,     /* a fault bit was raised */
	PEN_STOP_BUTTON = 0x04,    /* the pen's own button */
	PEN_STOP_DISCONNECT = 0x05,/* the link dropped */
};

/* Status.fault_bits; any bit set means the pen refuses to run. */
enum pen_fault {
	PEN_FAULT_MOTOR_STALL = 1u << 0,
	PEN_FAULT_OVERTEMP = 1u << 1,
	PEN_FAULT_BATTERY_CRITICAL = 1u << 2,
	PEN_FAULT_DEPTH_SENSOR = 1u << 3,
	PEN_FAULT_CARTRIDGE_MISSING = 1u << 4,
	PEN_FAULT_INTERNAL = 1u << 5,
};
#define PEN_FAULT_KNOWN_MASK 0x003fu

/* The pen's application errors (ATT 0x80..0x9F; docs/pen-protocol.md §9):
 * its documented refusals.  0x84..0x9F are reserved. */
enum pen_att_error {
	PEN_ATT_DEPTH_ABOVE_CARTRIDGE = 0x80, /* Depth write, or RUN, above max_depth_um */
	PEN_ATT_FAULT_ACTIVE = 0x81,          /* RUN while a fault bit is set */
	PEN_ATT_NO_CARTRIDGE = 0x82,          /* RUN with no cartridge */
	PEN_ATT_NO_HEARTBEAT = 0x83,          /* RUN while the watchdog is not armed */
};

struct pen_control {
	enum pen_control_op op;
	uint16_t seq;      /* echoed back in Status.control_seq once applied */
};

struct pen_status {
	bool motor_running;
	enum pen_stop_cause stop_cause;
	uint16_t control_seq;     /* seq of the last Control write the pen applied */
	uint16_t depth_um;        /* actual depth, as measured (may exceed what was set) */
	uint16_t speed;           /* strokes per second */
	uint16_t fault_bits;      /* enum pen_fault */
	uint8_t battery_percent;  /* 0..100, or PEN_BATTERY_UNKNOWN */
	uint32_t strokes;         /* since power-up, wraps */
};

struct pen_cartridge {
	uint64_t id;              /* serial printed on the cartridge; 0 = none inserted */
	uint16_t needle_count;
	uint16_t max_depth_um;    /* the cartridge's own limit */
};

struct pen_protocol_info {
	uint8_t major;
	uint8_t minor;
	uint16_t features;        /* reserved, 0 in version 1.0 */
};

int pen_codec_encode_control(const struct pen_control *control, uint8_t *buf, size_t len);
int pen_codec_parse_control(const uint8_t *buf, size_t len, struct pen_control *out);
int pen_codec_encode_depth(uint16_t depth_um, uint8_t *buf, size_t len);
int pen_codec_parse_depth(const uint8_t *buf, size_t len, uint16_t *depth_um);
int pen_codec_encode_speed(uint16_t speed, uint8_t *buf, size_t len);
int pen_codec_parse_speed(const uint8_t *buf, size_t len, uint16_t *speed);
int pen_codec_encode_status(const struct pen_status *status, uint8_t *buf, size_t len);
int pen_codec_parse_status(const uint8_t *buf, size_t len, struct pen_status *out);
int pen_codec_encode_heartbeat(uint16_t counter, uint8_t *buf, size_t len);
int pen_codec_parse_heartbeat(const uint8_t *buf, size_t len, uint16_t *counter);
int pen_codec_encode_cartridge(const struct pen_cartridge *cartridge, uint8_t *buf, size_t len);
int pen_codec_parse_cartridge(const uint8_t *buf, size_t len, struct pen_cartridge *out);
int pen_codec_encode_watchdog(uint16_t watchdog_ms, uint8_t *buf, size_t len);
int pen_codec_parse_watchdog(const uint8_t *buf, size_t len, uint16_t *watchdog_ms);
int pen_codec_encode_protocol_info(const struct pen_protocol_info *info, uint8_t *buf, size_t len);
int pen_codec_parse_protocol_info(const uint8_t *buf, size_t len, struct pen_protocol_info *out);
/* Battery Level (0x2A19): one byte, 0..100. */
int pen_codec_parse_battery_level(const uint8_t *buf, size_t len, uint8_t *percent);

/* Whether a pen announcing this version can be driven by this daemon
 * (same major; any minor). */
bool pen_protocol_version_supported(const struct pen_protocol_info *info);

/* Stable lower-case names for logs and records: "watchdog", "motor-stall";
 * "unknown" for a value outside the enumeration. */
const char *pen_stop_cause_to_string(enum pen_stop_cause cause);
const char *pen_fault_to_string(enum pen_fault fault);
/* Whether the pen may refuse a RUN with this ATT error (0x80..0x83). */
bool pen_att_error_is_run_refusal(uint8_t att_error);
/* "no-cartridge", "fault-active", "depth-above-cartridge", "no-heartbeat";
 * "unknown" for any other code. */
const char *pen_att_error_to_string(uint8_t att_error);

/* "1a2b3c4d5e6f7081": 16 lowercase hex digits + NUL. */
#define PEN_CARTRIDGE_ID_STRLEN 17
void pen_cartridge_id_format(uint64_t id, char out[PEN_CARTRIDGE_ID_STRLEN]);
