// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pen protocol codec against docs/pen-protocol.md, version 1.
 *
 * Expected bytes are written out by hand from the document's tables, not
 * produced by the encoder.  Every malformed value is parsed from a heap
 * buffer of exactly its length (NULL for length 0), so a read past the end
 * is caught by AddressSanitizer in the sanitizer build.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "penctl/pen_protocol.h"

#define SENTINEL 0xa5
#define BIG 512

/* Any parsed value fits here; parsers are called through this. */
union parsed {
	struct pen_control control;
	struct pen_status status;
	struct pen_cartridge cartridge;
	struct pen_protocol_info info;
	uint16_t u16;
	uint8_t u8;
};

/* One characteristic, for the checks every characteristic must pass. */
struct codec_case {
	size_t size;
	const uint8_t *known;     /* the hand-written bytes of a known value */
	int (*parse)(const uint8_t *buf, size_t len, union parsed *out);
	int (*encode_known)(uint8_t *buf, size_t len); /* NULL: parse-only */
};

/* Parse a copy of bytes[0..len) held in a buffer of exactly len bytes. */
static int parse_exact(const struct codec_case *c, const uint8_t *bytes, size_t len,
		       union parsed *out)
{
	uint8_t *copy = NULL;
	int ret;

	if (len > 0) {
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, bytes, len);
	}
	ret = c->parse(copy, len, out);
	free(copy);
	return ret;
}

static int parse_one(const struct codec_case *c, const uint8_t *bytes, size_t len)
{
	union parsed out;

	return parse_exact(c, bytes, len, &out);
}

static void assert_untouched(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(b[i], SENTINEL);
}

/* ---- the known values, byte by byte from the tables ---- */

static const uint8_t control_known[PEN_CONTROL_SIZE] = { 0x01, 0x00, 0x34, 0x12 };
static const struct pen_control control_value = { .op = PEN_CONTROL_RUN, .seq = 0x1234 };

static const uint8_t depth_known[PEN_DEPTH_SIZE] = { 0xdc, 0x05 };       /* 1500 um */
static const uint8_t speed_known[PEN_SPEED_SIZE] = { 0x78, 0x00 };       /* 120/s */
static const uint8_t heartbeat_known[PEN_HEARTBEAT_SIZE] = { 0xef, 0xbe }; /* 0xbeef */
static const uint8_t watchdog_known[PEN_WATCHDOG_SIZE] = { 0xe8, 0x03 };  /* 1000 ms */

static const uint8_t status_known[PEN_STATUS_SIZE] = {
	0x01,             /* flags: motor running */
	0x02,             /* stop_cause: watchdog */
	0x02, 0x01,       /* control_seq 0x0102 */
	0xdc, 0x05,       /* depth 1500 um */
	0x78, 0x00,       /* speed 120 */
	0x22, 0x00,       /* faults: overtemp | internal */
	0x57,             /* battery 87 % */
	0x00,             /* reserved */
	0x78, 0x56, 0x34, 0x12, /* strokes 0x12345678 */
};
static const struct pen_status status_value = {
	.motor_running = true,
	.stop_cause = PEN_STOP_WATCHDOG,
	.control_seq = 0x0102,
	.depth_um = 1500,
	.speed = 120,
	.fault_bits = PEN_FAULT_OVERTEMP | PEN_FAULT_INTERNAL,
	.battery_percent = 87,
	.strokes = 0x12345678,
};

static const uint8_t cartridge_known[PEN_CARTRIDGE_SIZE] = {
	0x81, 0x70, 0x6f, 0x5e, 0x4d, 0x3c, 0x2b, 0x1a, /* id 0x1a2b3c4d5e6f7081 */
	0x0c, 0x00,       /* 12 needles */
	0xc4, 0x09,       /* max depth 2500 um */
};
static const struct pen_cartridge cartridge_value = {
	.id = 0x1a2b3c4d5e6f7081ull, .needle_count = 12, .max_depth_um = 2500,
};

static const uint8_t info_known[PEN_PROTOCOL_INFO_SIZE] = { 0x01, 0x03, 0x01, 0x80 };
static const struct pen_protocol_info info_value = { .major = 1, .minor = 3, .features = 0x8001 };

static const uint8_t battery_known[1] = { 64 };

/* ---- parse/encode adapters for the generic checks ---- */

static int parse_control(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_control(b, l, o ? &o->control : NULL);
}

static int encode_control_known(uint8_t *b, size_t l)
{
	return pen_codec_encode_control(&control_value, b, l);
}

static int parse_depth(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_depth(b, l, o ? &o->u16 : NULL);
}

static int encode_depth_known(uint8_t *b, size_t l)
{
	return pen_codec_encode_depth(1500, b, l);
}

static int parse_speed(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_speed(b, l, o ? &o->u16 : NULL);
}

static int encode_speed_known(uint8_t *b, size_t l)
{
	return pen_codec_encode_speed(120, b, l);
}

static int parse_heartbeat(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_heartbeat(b, l, o ? &o->u16 : NULL);
}

static int encode_heartbeat_known(uint8_t *b, size_t l)
{
	return pen_codec_encode_heartbeat(0xbeef, b, l);
}

static int parse_watchdog(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_watchdog(b, l, o ? &o->u16 : NULL);
}

static int encode_watchdog_known(uint8_t *b, size_t l)
{
	return pen_codec_encode_watchdog(1000, b, l);
}

static int parse_status(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_status(b, l, o ? &o->status : NULL);
}

static int encode_status_known(uint8_t *b, size_t l)
{
	return pen_codec_encode_status(&status_value, b, l);
}

static int parse_cartridge(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_cartridge(b, l, o ? &o->cartridge : NULL);
}

static int encode_cartridge_known(uint8_t *b, size_t l)
{
	return pen_codec_encode_cartridge(&cartridge_value, b, l);
}

static int parse_info(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_protocol_info(b, l, o ? &o->info : NULL);
}

static int encode_info_known(uint8_t *b, size_t l)
{
	return pen_codec_encode_protocol_info(&info_value, b, l);
}

static int parse_battery(const uint8_t *b, size_t l, union parsed *o)
{
	return pen_codec_parse_battery_level(b, l, o ? &o->u8 : NULL);
}

static const struct codec_case control_case = {
	PEN_CONTROL_SIZE, control_known, parse_control, encode_control_known };
static const struct codec_case depth_case = {
	PEN_DEPTH_SIZE, depth_known, parse_depth, encode_depth_known };
static const struct codec_case speed_case = {
	PEN_SPEED_SIZE, speed_known, parse_speed, encode_speed_known };
static const struct codec_case heartbeat_case = {
	PEN_HEARTBEAT_SIZE, heartbeat_known, parse_heartbeat, encode_heartbeat_known };
static const struct codec_case watchdog_case = {
	PEN_WATCHDOG_SIZE, watchdog_known, parse_watchdog, encode_watchdog_known };
static const struct codec_case status_case = {
	PEN_STATUS_SIZE, status_known, parse_status, encode_status_known };
static const struct codec_case cartridge_case = {
	PEN_CARTRIDGE_SIZE, cartridge_known, parse_cartridge, encode_cartridge_known };
static const struct codec_case info_case = {
	PEN_PROTOCOL_INFO_SIZE, info_known, parse_info, encode_info_known };
static const struct codec_case battery_case = {
	1, battery_known, parse_battery, NULL };

/* ---- checks every characteristic must pass ---- */

/* The known bytes parse, from a buffer of exactly their size. */
static void test_known_bytes_parse(void **state)
{
	const struct codec_case *c = *state;

	assert_int_equal(parse_one(c, c->known, c->size), 0);
}

/* Encoding the known value gives exactly the hand-written bytes, and not
 * one byte more. */
static void test_known_bytes_encode(void **state)
{
	const struct codec_case *c = *state;
	uint8_t buf[BIG];

	memset(buf, SENTINEL, sizeof(buf));
	assert_int_equal(c->encode_known(buf, sizeof(buf)), (int)c->size);
	assert_memory_equal(buf, c->known, c->size);
	assert_untouched(buf + c->size, sizeof(buf) - c->size);
}

/* Every shorter length, down to 0 (and a NULL buffer with length 0),
 * is -EBADMSG, and the output is left alone. */
static void test_truncated(void **state)
{
	const struct codec_case *c = *state;
	union parsed out;
	size_t len;

	for (len = 0; len < c->size; len++) {
		memset(&out, SENTINEL, sizeof(out));
		assert_int_equal(parse_exact(c, c->known, len, &out), -EBADMSG);
		assert_untouched(&out, sizeof(out));
	}
	memset(&out, SENTINEL, sizeof(out));
	assert_int_equal(c->parse(NULL, 0, &out), -EBADMSG);
	assert_untouched(&out, sizeof(out));
}

/* A valid value with anything appended is -EBADMSG: v1 sizes are exact. */
static void test_oversized(void **state)
{
	const struct codec_case *c = *state;
	const size_t extra[] = { 1, 2, 7, BIG - c->size };
	uint8_t bytes[BIG];
	union parsed out;
	size_t i;

	memset(bytes, 0, sizeof(bytes));
	memcpy(bytes, c->known, c->size);
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		memset(&out, SENTINEL, sizeof(out));
		assert_int_equal(parse_exact(c, bytes, c->size + extra[i], &out), -EBADMSG);
		assert_untouched(&out, sizeof(out));
	}
}

static void test_null_arguments(void **state)
{
	const struct codec_case *c = *state;

	assert_int_equal(parse_exact(c, c->known, c->size, NULL), -EINVAL);
	if (c->encode_known)
		assert_int_equal(c->encode_known(NULL, c->size), -EINVAL);
}

/* Encoding into any buffer shorter than the value is -ENOSPC and writes
 * nothing. */
static void test_encode_buffer_too_small(void **state)
{
	const struct codec_case *c = *state;
	uint8_t buf[BIG];
	size_t len;

	for (len = 0; len < c->size; len++) {
		memset(buf, SENTINEL, sizeof(buf));
		assert_int_equal(c->encode_known(len ? buf : NULL, len), -ENOSPC);
		assert_untouched(buf, sizeof(buf));
	}
}

/* ---- Control ---- */

static void test_control_fields(void **state)
{
	struct pen_control out;

	(void)state;
	assert_int_equal(pen_codec_parse_control(control_known, sizeof(control_known), &out), 0);
	assert_int_equal(out.op, PEN_CONTROL_RUN);
	assert_int_equal(out.seq, 0x1234);
}

static void test_control_round_trip(void **state)
{
	const enum pen_control_op ops[] = { PEN_CONTROL_STOP, PEN_CONTROL_RUN };
	const uint16_t seqs[] = { 0, 1, 0x00ff, 0xff00, 0xffff };
	uint8_t buf[PEN_CONTROL_SIZE];
	size_t i, j;

	(void)state;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < sizeof(seqs) / sizeof(seqs[0]); j++) {
			struct pen_control in = { .op = ops[i], .seq = seqs[j] }, out;

			assert_int_equal(pen_codec_encode_control(&in, buf, sizeof(buf)),
					 PEN_CONTROL_SIZE);
			assert_int_equal(pen_codec_parse_control(buf, sizeof(buf), &out), 0);
			assert_int_equal(out.op, in.op);
			assert_int_equal(out.seq, in.seq);
		}
	}
}

static void test_control_stop_bytes(void **state)
{
	const uint8_t expected[] = { 0x00, 0x00, 0xff, 0xff };
	struct pen_control stop = { .op = PEN_CONTROL_STOP, .seq = 0xffff };
	uint8_t buf[PEN_CONTROL_SIZE];

	(void)state;
	assert_int_equal(pen_codec_encode_control(&stop, buf, sizeof(buf)), PEN_CONTROL_SIZE);
	assert_memory_equal(buf, expected, sizeof(expected));
}

static void test_control_unknown_op(void **state)
{
	uint8_t bytes[PEN_CONTROL_SIZE];
	struct pen_control bad = { .op = (enum pen_control_op)2, .seq = 1 };
	uint8_t buf[PEN_CONTROL_SIZE];
	unsigned int op;

	(void)state;
	for (op = 2; op <= 0xff; op++) {
		memcpy(bytes, control_known, sizeof(bytes));
		bytes[0] = (uint8_t)op;
		assert_int_equal(parse_one(&control_case, bytes, sizeof(bytes)), -EPROTO);
	}
	memset(buf, SENTINEL, sizeof(buf));
	assert_int_equal(pen_codec_encode_control(&bad, buf, sizeof(buf)), -EINVAL);
	assert_untouched(buf, sizeof(buf));
	assert_int_equal(pen_codec_encode_control(NULL, buf, sizeof(buf)), -EINVAL);
}

static void test_control_reserved_byte(void **state)
{
	uint8_t bytes[PEN_CONTROL_SIZE];
	unsigned int v;

	(void)state;
	for (v = 1; v <= 0xff; v++) {
		memcpy(bytes, control_known, sizeof(bytes));
		bytes[1] = (uint8_t)v;
		assert_int_equal(parse_one(&control_case, bytes, sizeof(bytes)), -EPROTO);
	}
}

/* ---- the u16 characteristics ---- */

struct u16_range {
	int (*encode)(uint16_t v, uint8_t *buf, size_t len);
	int (*parse)(const uint8_t *buf, size_t len, uint16_t *v);
	uint16_t min, max;
};

static const struct u16_range depth_range = {
	pen_codec_encode_depth, pen_codec_parse_depth, PEN_DEPTH_MIN_UM, PEN_DEPTH_MAX_UM };
static const struct u16_range speed_range = {
	pen_codec_encode_speed, pen_codec_parse_speed, PEN_SPEED_MIN, PEN_SPEED_MAX };
static const struct u16_range watchdog_range = {
	pen_codec_encode_watchdog, pen_codec_parse_watchdog,
	PEN_WATCHDOG_MIN_MS, PEN_WATCHDOG_MAX_MS };
static const struct u16_range heartbeat_range = {
	pen_codec_encode_heartbeat, pen_codec_parse_heartbeat, 0, 0xffff };

/* Every value inside the range survives encode then parse, and is written
 * low byte first. */
static void test_u16_round_trip(void **state)
{
	const struct u16_range *r = *state;
	uint32_t v;

	for (v = r->min; v <= r->max; v++) {
		uint8_t buf[2];
		uint16_t out = 0;

		assert_int_equal(r->encode((uint16_t)v, buf, sizeof(buf)), 2);
		assert_int_equal(buf[0], v & 0xff);
		assert_int_equal(buf[1], v >> 8);
		assert_int_equal(r->parse(buf, sizeof(buf), &out), 0);
		assert_int_equal(out, v);
	}
}

/* Every value outside the range is -ERANGE both ways. */
static void test_u16_out_of_range(void **state)
{
	const struct u16_range *r = *state;
	uint32_t v;

	for (v = 0; v <= 0xffff; v++) {
		uint8_t bytes[2] = { (uint8_t)(v & 0xff), (uint8_t)(v >> 8) };
		uint8_t buf[2] = { SENTINEL, SENTINEL };
		uint16_t out = 0x5a5a;

		if (v >= r->min && v <= r->max)
			continue;
		assert_int_equal(r->parse(bytes, sizeof(bytes), &out), -ERANGE);
		assert_int_equal(out, 0x5a5a);
		assert_int_equal(r->encode((uint16_t)v, buf, sizeof(buf)), -ERANGE);
		assert_untouched(buf, sizeof(buf));
	}
}

/* The range edges named in the protocol, spelled out. */
static void test_depth_limits(void **state)
{
	const uint8_t min[] = { 0x64, 0x00 }, max[] = { 0xb8, 0x0b };
	const uint8_t below[] = { 0x63, 0x00 }, above[] = { 0xb9, 0x0b }, zero[] = { 0, 0 };
	uint16_t v;

	(void)state;
	assert_int_equal(pen_codec_parse_depth(min, 2, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(pen_codec_parse_depth(max, 2, &v), 0);
	assert_int_equal(v, 3000);
	assert_int_equal(pen_codec_parse_depth(below, 2, &v), -ERANGE);
	assert_int_equal(pen_codec_parse_depth(above, 2, &v), -ERANGE);
	assert_int_equal(pen_codec_parse_depth(zero, 2, &v), -ERANGE);
}

/* ---- Status ---- */

static void test_status_fields(void **state)
{
	struct pen_status out;

	(void)state;
	assert_int_equal(pen_codec_parse_status(status_known, sizeof(status_known), &out), 0);
	assert_true(out.motor_running);
	assert_int_equal(out.stop_cause, PEN_STOP_WATCHDOG);
	assert_int_equal(out.control_seq, 0x0102);
	assert_int_equal(out.depth_um, 1500);
	assert_int_equal(out.speed, 120);
	assert_int_equal(out.fault_bits, PEN_FAULT_OVERTEMP | PEN_FAULT_INTERNAL);
	assert_int_equal(out.battery_percent, 87);
	assert_int_equal(out.strokes, 0x12345678u);
}

static void assert_status_equal(const struct pen_status *a, const struct pen_status *b)
{
	assert_int_equal(a->motor_running, b->motor_running);
	assert_int_equal(a->stop_cause, b->stop_cause);
	assert_int_equal(a->control_seq, b->control_seq);
	assert_int_equal(a->depth_um, b->depth_um);
	assert_int_equal(a->speed, b->speed);
	assert_int_equal(a->fault_bits, b->fault_bits);
	assert_int_equal(a->battery_percent, b->battery_percent);
	assert_int_equal(a->strokes, b->strokes);
}

static void test_status_round_trip(void **state)
{
	const struct pen_status values[] = {
		{ false, PEN_STOP_NONE, 0, 0, 0, 0, 0, 0 },
		{ true, PEN_STOP_COMMAND, 0xffff, PEN_STATUS_DEPTH_MAX_UM,
		  PEN_STATUS_SPEED_MAX, PEN_FAULT_KNOWN_MASK, 100, 0xffffffffu },
		{ false, PEN_STOP_FAULT, 7, 3000, 200, PEN_FAULT_MOTOR_STALL,
		  PEN_BATTERY_UNKNOWN, 1 },
		{ false, PEN_STOP_BUTTON, 0x8000, 100, 25, PEN_FAULT_DEPTH_SENSOR, 1, 0x80000000u },
		{ false, PEN_STOP_DISCONNECT, 1, 3001, 0, PEN_FAULT_CARTRIDGE_MISSING, 50, 2 },
		{ true, PEN_STOP_WATCHDOG, 2, 1500, 120, PEN_FAULT_BATTERY_CRITICAL, 3, 3 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint8_t buf[PEN_STATUS_SIZE];
		struct pen_status out;

		assert_int_equal(pen_codec_encode_status(&values[i], buf, sizeof(buf)),
				 PEN_STATUS_SIZE);
		assert_int_equal(buf[11], 0);
		assert_int_equal(pen_codec_parse_status(buf, sizeof(buf), &out), 0);
		assert_status_equal(&out, &values[i]);
	}
}

/* A dial turned past the ceiling must reach the daemon as a number, not as
 * a parse error: 0..6000 um are accepted in Status, 6001 and up are not. */
static void test_status_measured_depth(void **state)
{
	uint8_t bytes[PEN_STATUS_SIZE];
	struct pen_status out;
	uint32_t v;

	(void)state;
	for (v = 0; v <= 0xffff; v++) {
		memcpy(bytes, status_known, sizeof(bytes));
		bytes[4] = (uint8_t)(v & 0xff);
		bytes[5] = (uint8_t)(v >> 8);
		if (v <= PEN_STATUS_DEPTH_MAX_UM) {
			assert_int_equal(pen_codec_parse_status(bytes, sizeof(bytes), &out), 0);
			assert_int_equal(out.depth_um, v);
		} else {
			assert_int_equal(parse_one(&status_case, bytes, sizeof(bytes)), -ERANGE);
		}
	}
}

static void test_status_speed_range(void **state)
{
	uint8_t bytes[PEN_STATUS_SIZE];
	struct pen_status out;
	uint32_t v;

	(void)state;
	for (v = 0; v <= 0xffff; v++) {
		memcpy(bytes, status_known, sizeof(bytes));
		bytes[6] = (uint8_t)(v & 0xff);
		bytes[7] = (uint8_t)(v >> 8);
		if (v <= PEN_STATUS_SPEED_MAX) {
			assert_int_equal(pen_codec_parse_status(bytes, sizeof(bytes), &out), 0);
			assert_int_equal(out.speed, v);
		} else {
			assert_int_equal(parse_one(&status_case, bytes, sizeof(bytes)), -ERANGE);
		}
	}
}

static void test_status_battery_range(void **state)
{
	uint8_t bytes[PEN_STATUS_SIZE];
	struct pen_status out;
	unsigned int v;

	(void)state;
	for (v = 0; v <= 0xff; v++) {
		memcpy(bytes, status_known, sizeof(bytes));
		bytes[10] = (uint8_t)v;
		if (v <= 100 || v == PEN_BATTERY_UNKNOWN) {
			assert_int_equal(pen_codec_parse_status(bytes, sizeof(bytes), &out), 0);
			assert_int_equal(out.battery_percent, v);
		} else {
			assert_int_equal(parse_one(&status_case, bytes, sizeof(bytes)), -ERANGE);
		}
	}
}

static void test_status_reserved_flags(void **state)
{
	uint8_t bytes[PEN_STATUS_SIZE];
	struct pen_status out;
	unsigned int bit;

	(void)state;
	for (bit = 1; bit < 8; bit++) {
		memcpy(bytes, status_known, sizeof(bytes));
		bytes[0] |= (uint8_t)(1u << bit);
		assert_int_equal(parse_one(&status_case, bytes, sizeof(bytes)), -EPROTO);
	}
	memcpy(bytes, status_known, sizeof(bytes));
	bytes[0] = 0x00;
	assert_int_equal(pen_codec_parse_status(bytes, sizeof(bytes), &out), 0);
	assert_false(out.motor_running);
}

static void test_status_reserved_byte(void **state)
{
	uint8_t bytes[PEN_STATUS_SIZE];
	unsigned int v;

	(void)state;
	for (v = 1; v <= 0xff; v++) {
		memcpy(bytes, status_known, sizeof(bytes));
		bytes[11] = (uint8_t)v;
		assert_int_equal(parse_one(&status_case, bytes, sizeof(bytes)), -EPROTO);
	}
}

static void test_status_unknown_stop_cause(void **state)
{
	uint8_t bytes[PEN_STATUS_SIZE];
	unsigned int v;

	(void)state;
	for (v = 0; v <= 0xff; v++) {
		memcpy(bytes, status_known, sizeof(bytes));
		bytes[1] = (uint8_t)v;
		assert_int_equal(parse_one(&status_case, bytes, sizeof(bytes)),
				 v <= PEN_STOP_DISCONNECT ? 0 : -EPROTO);
	}
}

static void test_status_unknown_fault_bits(void **state)
{
	uint8_t bytes[PEN_STATUS_SIZE];
	struct pen_status out;
	unsigned int bit;

	(void)state;
	for (bit = 0; bit < 16; bit++) {
		memcpy(bytes, status_known, sizeof(bytes));
		bytes[8] = (uint8_t)((1u << bit) & 0xff);
		bytes[9] = (uint8_t)((1u << bit) >> 8);
		if ((1u << bit) & PEN_FAULT_KNOWN_MASK) {
			assert_int_equal(pen_codec_parse_status(bytes, sizeof(bytes), &out), 0);
			assert_int_equal(out.fault_bits, 1u << bit);
		} else {
			assert_int_equal(parse_one(&status_case, bytes, sizeof(bytes)), -EPROTO);
		}
	}
}

static void test_status_encode_rejects(void **state)
{
	struct {
		struct pen_status value;
		int err;
	} bad[] = {
		{ status_value, -EINVAL },
		{ status_value, -EINVAL },
		{ status_value, -ERANGE },
		{ status_value, -ERANGE },
		{ status_value, -ERANGE },
		{ status_value, -ERANGE },
	};
	uint8_t buf[PEN_STATUS_SIZE];
	size_t i;

	(void)state;
	bad[0].value.stop_cause = (enum pen_stop_cause)(PEN_STOP_DISCONNECT + 1);
	bad[1].value.fault_bits = 1u << 6;
	bad[2].value.depth_um = PEN_STATUS_DEPTH_MAX_UM + 1;
	bad[3].value.speed = PEN_STATUS_SPEED_MAX + 1;
	bad[4].value.battery_percent = 101;
	bad[5].value.battery_percent = 0xfe;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, SENTINEL, sizeof(buf));
		assert_int_equal(pen_codec_encode_status(&bad[i].value, buf, sizeof(buf)),
				 bad[i].err);
		assert_untouched(buf, sizeof(buf));
	}
	assert_int_equal(pen_codec_encode_status(NULL, buf, sizeof(buf)), -EINVAL);
}

/* ---- Cartridge ---- */

static void test_cartridge_fields(void **state)
{
	struct pen_cartridge out;

	(void)state;
	assert_int_equal(pen_codec_parse_cartridge(cartridge_known, sizeof(cartridge_known),
						   &out), 0);
	assert_true(out.id == 0x1a2b3c4d5e6f7081ull);
	assert_int_equal(out.needle_count, 12);
	assert_int_equal(out.max_depth_um, 2500);
}

static void test_cartridge_round_trip(void **state)
{
	const struct pen_cartridge values[] = {
		{ 1, 1, PEN_DEPTH_MIN_UM },
		{ UINT64_MAX, 0xffff, PEN_DEPTH_MAX_UM },
		{ 0x8000000000000000ull, 36, 1000 },
		{ 0, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint8_t buf[PEN_CARTRIDGE_SIZE];
		struct pen_cartridge out;

		assert_int_equal(pen_codec_encode_cartridge(&values[i], buf, sizeof(buf)),
				 PEN_CARTRIDGE_SIZE);
		assert_int_equal(pen_codec_parse_cartridge(buf, sizeof(buf), &out), 0);
		assert_true(out.id == values[i].id);
		assert_int_equal(out.needle_count, values[i].needle_count);
		assert_int_equal(out.max_depth_um, values[i].max_depth_um);
	}
}

static void test_cartridge_none_inserted(void **state)
{
	const uint8_t none[PEN_CARTRIDGE_SIZE] = { 0 };
	uint8_t bytes[PEN_CARTRIDGE_SIZE];
	struct pen_cartridge out;
	size_t i;

	(void)state;
	assert_int_equal(pen_codec_parse_cartridge(none, sizeof(none), &out), 0);
	assert_true(out.id == 0);
	/* With no cartridge, needle count and max depth must be zero too. */
	for (i = 8; i < PEN_CARTRIDGE_SIZE; i++) {
		memcpy(bytes, none, sizeof(bytes));
		bytes[i] = 0x01;
		assert_int_equal(parse_one(&cartridge_case, bytes, sizeof(bytes)), -EPROTO);
	}
}

static void test_cartridge_out_of_range(void **state)
{
	const uint16_t bad_depths[] = { 0, PEN_DEPTH_MIN_UM - 1, PEN_DEPTH_MAX_UM + 1, 0xffff };
	uint8_t bytes[PEN_CARTRIDGE_SIZE], buf[PEN_CARTRIDGE_SIZE];
	struct pen_cartridge bad;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_depths) / sizeof(bad_depths[0]); i++) {
		memcpy(bytes, cartridge_known, sizeof(bytes));
		bytes[10] = (uint8_t)(bad_depths[i] & 0xff);
		bytes[11] = (uint8_t)(bad_depths[i] >> 8);
		assert_int_equal(parse_one(&cartridge_case, bytes, sizeof(bytes)), -ERANGE);

		bad = cartridge_value;
		bad.max_depth_um = bad_depths[i];
		memset(buf, SENTINEL, sizeof(buf));
		assert_int_equal(pen_codec_encode_cartridge(&bad, buf, sizeof(buf)), -ERANGE);
		assert_untouched(buf, sizeof(buf));
	}
	/* An inserted cartridge has at least one needle. */
	memcpy(bytes, cartridge_known, sizeof(bytes));
	bytes[8] = 0;
	bytes[9] = 0;
	assert_int_equal(parse_one(&cartridge_case, bytes, sizeof(bytes)), -ERANGE);
	bad = cartridge_value;
	bad.needle_count = 0;
	assert_int_equal(pen_codec_encode_cartridge(&bad, buf, sizeof(buf)), -ERANGE);
	/* No cartridge with a needle count is a contradiction. */
	bad = (struct pen_cartridge){ .id = 0, .needle_count = 3, .max_depth_um = 0 };
	assert_int_equal(pen_codec_encode_cartridge(&bad, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pen_codec_encode_cartridge(NULL, buf, sizeof(buf)), -EINVAL);
}

static void test_cartridge_id_format(void **state)
{
	const struct {
		uint64_t id;
		const char *text;
	} cases[] = {
		{ 0, "0000000000000000" },
		{ 0x1a2b3c4d5e6f7081ull, "1a2b3c4d5e6f7081" },
		{ UINT64_MAX, "ffffffffffffffff" },
		{ 0xabcdefull, "0000000000abcdef" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = malloc(PEN_CARTRIDGE_ID_STRLEN);

		assert_non_null(out);
		pen_cartridge_id_format(cases[i].id, out);
		assert_string_equal(out, cases[i].text);
		free(out);
	}
}

/* ---- ProtocolInfo ---- */

static void test_info_fields(void **state)
{
	struct pen_protocol_info out;

	(void)state;
	assert_int_equal(pen_codec_parse_protocol_info(info_known, sizeof(info_known), &out), 0);
	assert_int_equal(out.major, 1);
	assert_int_equal(out.minor, 3);
	assert_int_equal(out.features, 0x8001);
}

/* Feature bits this daemon does not know are accepted (forward compatible). */
static void test_info_unknown_features(void **state)
{
	uint8_t bytes[PEN_PROTOCOL_INFO_SIZE] = { 0x01, 0x00, 0x00, 0x00 };
	struct pen_protocol_info out;
	unsigned int bit;

	(void)state;
	for (bit = 0; bit < 16; bit++) {
		bytes[2] = (uint8_t)((1u << bit) & 0xff);
		bytes[3] = (uint8_t)((1u << bit) >> 8);
		assert_int_equal(pen_codec_parse_protocol_info(bytes, sizeof(bytes), &out), 0);
		assert_int_equal(out.features, 1u << bit);
		assert_true(pen_protocol_version_supported(&out));
	}
}

static void test_info_round_trip(void **state)
{
	const struct pen_protocol_info values[] = {
		{ 1, 0, 0 }, { 0, 0, 0 }, { 0xff, 0xff, 0xffff }, { 2, 1, 0x0100 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint8_t buf[PEN_PROTOCOL_INFO_SIZE];
		struct pen_protocol_info out;

		assert_int_equal(pen_codec_encode_protocol_info(&values[i], buf, sizeof(buf)),
				 PEN_PROTOCOL_INFO_SIZE);
		assert_int_equal(pen_codec_parse_protocol_info(buf, sizeof(buf), &out), 0);
		assert_int_equal(out.major, values[i].major);
		assert_int_equal(out.minor, values[i].minor);
		assert_int_equal(out.features, values[i].features);
	}
	assert_int_equal(pen_codec_encode_protocol_info(NULL, NULL, 4), -EINVAL);
}

/* Same major, any minor; anything else is refused. */
static void test_version_negotiation(void **state)
{
	struct pen_protocol_info info = { 0 };
	unsigned int major, minor;

	(void)state;
	for (major = 0; major <= 0xff; major++) {
		for (minor = 0; minor <= 0xff; minor += 0x55) {
			info.major = (uint8_t)major;
			info.minor = (uint8_t)minor;
			assert_int_equal(pen_protocol_version_supported(&info),
					 major == PEN_PROTOCOL_VERSION_MAJOR);
		}
	}
	assert_false(pen_protocol_version_supported(NULL));
}

/* ---- Battery Level ---- */

static void test_battery_range(void **state)
{
	unsigned int v;

	(void)state;
	for (v = 0; v <= 0xff; v++) {
		uint8_t byte = (uint8_t)v, out = 0x5a;
		int ret = pen_codec_parse_battery_level(&byte, 1, &out);

		if (v <= 100) {
			assert_int_equal(ret, 0);
			assert_int_equal(out, v);
		} else {
			assert_int_equal(ret, -ERANGE);
			assert_int_equal(out, 0x5a);
		}
	}
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pen_stop_cause_to_string(PEN_STOP_WATCHDOG), "watchdog");
	assert_string_equal(pen_stop_cause_to_string(PEN_STOP_DISCONNECT), "disconnect");
	assert_string_equal(pen_stop_cause_to_string((enum pen_stop_cause)0x42), "unknown");
	assert_string_equal(pen_fault_to_string(PEN_FAULT_MOTOR_STALL), "motor-stall");
	assert_string_equal(pen_fault_to_string(PEN_FAULT_INTERNAL), "internal");
	assert_string_equal(pen_fault_to_string((enum pen_fault)(1u << 7)), "unknown");
}

/* §3.1, §9: the four documented refusals of a RUN, and nothing else. */
static void test_run_refusals(void **state)
{
	(void)state;
	assert_string_equal(pen_att_error_to_string(0x80), "depth-above-cartridge");
	assert_string_equal(pen_att_error_to_string(0x81), "fault-active");
	assert_string_equal(pen_att_error_to_string(0x82), "no-cartridge");
	assert_string_equal(pen_att_error_to_string(0x83), "no-heartbeat");
	assert_string_equal(pen_att_error_to_string(0x84), "unknown");
	assert_string_equal(pen_att_error_to_string(0x13), "unknown");
	for (unsigned code = 0; code < 256; code++)
		assert_int_equal(pen_att_error_is_run_refusal((uint8_t)code),
				 code >= 0x80 && code <= 0x83);
}

#define T(name, fn) { name, fn, NULL, NULL, NULL }
#define TS(name, fn, st) { name, fn, NULL, NULL, (void *)(st) }
#define GENERIC_PARSE(prefix, c) \
	TS("/protocol/" prefix "/known-bytes-parse", test_known_bytes_parse, c), \
	TS("/protocol/" prefix "/truncated", test_truncated, c), \
	TS("/protocol/" prefix "/oversized", test_oversized, c), \
	TS("/protocol/" prefix "/null-arguments", test_null_arguments, c)
#define GENERIC(prefix, c) \
	GENERIC_PARSE(prefix, c), \
	TS("/protocol/" prefix "/known-bytes-encode", test_known_bytes_encode, c), \
	TS("/protocol/" prefix "/encode-buffer-too-small", test_encode_buffer_too_small, c)

int main(void)
{
	const struct CMUnitTest tests[] = {
		GENERIC("control", &control_case),
		T("/protocol/control/fields", test_control_fields),
		T("/protocol/control/round-trip", test_control_round_trip),
		T("/protocol/control/stop-bytes", test_control_stop_bytes),
		T("/protocol/control/unknown-op", test_control_unknown_op),
		T("/protocol/control/reserved-byte", test_control_reserved_byte),

		GENERIC("depth", &depth_case),
		TS("/protocol/depth/round-trip", test_u16_round_trip, &depth_range),
		TS("/protocol/depth/out-of-range", test_u16_out_of_range, &depth_range),
		T("/protocol/depth/limits", test_depth_limits),

		GENERIC("speed", &speed_case),
		TS("/protocol/speed/round-trip", test_u16_round_trip, &speed_range),
		TS("/protocol/speed/out-of-range", test_u16_out_of_range, &speed_range),

		GENERIC("heartbeat", &heartbeat_case),
		TS("/protocol/heartbeat/round-trip-every-counter", test_u16_round_trip,
		   &heartbeat_range),

		GENERIC("watchdog", &watchdog_case),
		TS("/protocol/watchdog/round-trip", test_u16_round_trip, &watchdog_range),
		TS("/protocol/watchdog/out-of-range", test_u16_out_of_range, &watchdog_range),

		GENERIC("status", &status_case),
		T("/protocol/status/fields", test_status_fields),
		T("/protocol/status/round-trip", test_status_round_trip),
		T("/protocol/status/measured-depth-beyond-ceiling-visible",
		  test_status_measured_depth),
		T("/protocol/status/speed-range", test_status_speed_range),
		T("/protocol/status/battery-range", test_status_battery_range),
		T("/protocol/status/reserved-flags", test_status_reserved_flags),
		T("/protocol/status/reserved-byte", test_status_reserved_byte),
		T("/protocol/status/unknown-stop-cause", test_status_unknown_stop_cause),
		T("/protocol/status/unknown-fault-bits", test_status_unknown_fault_bits),
		T("/protocol/status/encode-rejects-invalid", test_status_encode_rejects),

		GENERIC("cartridge", &cartridge_case),
		T("/protocol/cartridge/fields", test_cartridge_fields),
		T("/protocol/cartridge/round-trip", test_cartridge_round_trip),
		T("/protocol/cartridge/none-inserted", test_cartridge_none_inserted),
		T("/protocol/cartridge/out-of-range", test_cartridge_out_of_range),
		T("/protocol/cartridge/id-format", test_cartridge_id_format),

		GENERIC("protocol-info", &info_case),
		T("/protocol/protocol-info/fields", test_info_fields),
		T("/protocol/protocol-info/unknown-features-ignored", test_info_unknown_features),
		T("/protocol/protocol-info/round-trip", test_info_round_trip),
		T("/protocol/protocol-info/version-same-major-only", test_version_negotiation),

		GENERIC_PARSE("battery-level", &battery_case),
		T("/protocol/battery-level/range", test_battery_range),

		T("/protocol/names", test_names),
		T("/protocol/run-refusals", test_run_refusals),
	};

	return cmocka_run_group_tests_name("pen-codec", tests, NULL, NULL);
}
