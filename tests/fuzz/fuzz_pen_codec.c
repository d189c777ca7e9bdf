// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target over every parser of ble/pen_codec.c, the code that
 * reads what a pen (or anything pretending to be one) sends.
 *
 * Input: the first byte selects the parser (modulo their number), the rest
 * is the characteristic value.  Checked beyond "no crash, no read outside
 * the value" (ASan/UBSan):
 *  - a parser accepts only its exact wire size (docs/pen-protocol.md §1);
 *  - a refusal is one of the documented errnos;
 *  - an accepted value encodes back to the very same bytes: a parser that
 *    accepted something the encoder would write differently (a reserved
 *    bit dropped, a field misread) disagrees with the document.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "penctl/pen_protocol.h"

#define MAX_VALUE 32

static void check(int condition)
{
	if (!condition)
		abort();
}

static void check_refusal(int err)
{
	check(err == -EBADMSG || err == -ERANGE || err == -EPROTO || err == -EINVAL);
}

/* n: what the encoder returned; the bytes must be the parsed value's. */
static void check_round_trip(const uint8_t *value, size_t len, size_t wire_size,
			     const uint8_t *encoded, int n)
{
	check(len == wire_size);
	check(n == (int)wire_size);
	check(memcmp(value, encoded, wire_size) == 0);
}

typedef void (*fuzz_parser)(const uint8_t *value, size_t len);

static void fuzz_control(const uint8_t *value, size_t len)
{
	struct pen_control control;
	uint8_t out[MAX_VALUE];
	int err = pen_codec_parse_control(value, len, &control);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	check_round_trip(value, len, PEN_CONTROL_SIZE, out,
			 pen_codec_encode_control(&control, out, sizeof(out)));
}

static void fuzz_depth(const uint8_t *value, size_t len)
{
	uint16_t depth_um;
	uint8_t out[MAX_VALUE];
	int err = pen_codec_parse_depth(value, len, &depth_um);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	check(depth_um >= PEN_DEPTH_MIN_UM && depth_um <= PEN_DEPTH_MAX_UM);
	check_round_trip(value, len, PEN_DEPTH_SIZE, out,
			 pen_codec_encode_depth(depth_um, out, sizeof(out)));
}

static void fuzz_speed(const uint8_t *value, size_t len)
{
	uint16_t speed;
	uint8_t out[MAX_VALUE];
	int err = pen_codec_parse_speed(value, len, &speed);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	check(speed >= PEN_SPEED_MIN && speed <= PEN_SPEED_MAX);
	check_round_trip(value, len, PEN_SPEED_SIZE, out,
			 pen_codec_encode_speed(speed, out, sizeof(out)));
}

static void fuzz_status(const uint8_t *value, size_t len)
{
	struct pen_status status;
	uint8_t out[MAX_VALUE];
	int err = pen_codec_parse_status(value, len, &status);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	check(status.depth_um <= PEN_STATUS_DEPTH_MAX_UM);
	check(status.speed <= PEN_STATUS_SPEED_MAX);
	check(!(status.fault_bits & ~PEN_FAULT_KNOWN_MASK));
	check(strcmp(pen_stop_cause_to_string(status.stop_cause), "unknown") != 0);
	for (unsigned bit = 0; bit < 16; bit++)
		if (status.fault_bits & (1u << bit))
			check(strcmp(pen_fault_to_string((enum pen_fault)(1u << bit)),
				     "unknown") != 0);
	check_round_trip(value, len, PEN_STATUS_SIZE, out,
			 pen_codec_encode_status(&status, out, sizeof(out)));
}

static void fuzz_heartbeat(const uint8_t *value, size_t len)
{
	uint16_t counter;
	uint8_t out[MAX_VALUE];
	int err = pen_codec_parse_heartbeat(value, len, &counter);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	check_round_trip(value, len, PEN_HEARTBEAT_SIZE, out,
			 pen_codec_encode_heartbeat(counter, out, sizeof(out)));
}

static void fuzz_cartridge(const uint8_t *value, size_t len)
{
	struct pen_cartridge cartridge;
	uint8_t out[MAX_VALUE];
	char id[PEN_CARTRIDGE_ID_STRLEN];
	int err = pen_codec_parse_cartridge(value, len, &cartridge);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	pen_cartridge_id_format(cartridge.id, id);
	check(strlen(id) == PEN_CARTRIDGE_ID_STRLEN - 1);
	check_round_trip(value, len, PEN_CARTRIDGE_SIZE, out,
			 pen_codec_encode_cartridge(&cartridge, out, sizeof(out)));
}

static void fuzz_watchdog(const uint8_t *value, size_t len)
{
	uint16_t watchdog_ms;
	uint8_t out[MAX_VALUE];
	int err = pen_codec_parse_watchdog(value, len, &watchdog_ms);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	check(watchdog_ms >= PEN_WATCHDOG_MIN_MS && watchdog_ms <= PEN_WATCHDOG_MAX_MS);
	check_round_trip(value, len, PEN_WATCHDOG_SIZE, out,
			 pen_codec_encode_watchdog(watchdog_ms, out, sizeof(out)));
}

static void fuzz_protocol_info(const uint8_t *value, size_t len)
{
	struct pen_protocol_info info;
	uint8_t out[MAX_VALUE];
	int err = pen_codec_parse_protocol_info(value, len, &info);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	(void)pen_protocol_version_supported(&info);
	check_round_trip(value, len, PEN_PROTOCOL_INFO_SIZE, out,
			 pen_codec_encode_protocol_info(&info, out, sizeof(out)));
}

/* Battery Level has no encoder (the daemon never writes it): one byte. */
static void fuzz_battery_level(const uint8_t *value, size_t len)
{
	uint8_t percent;
	int err = pen_codec_parse_battery_level(value, len, &percent);

	if (err < 0) {
		check_refusal(err);
		return;
	}
	check(len == 1 && percent <= 100 && percent == value[0]);
}

static const fuzz_parser parsers[] = {
	fuzz_control, fuzz_depth,     fuzz_speed,    fuzz_status,        fuzz_heartbeat,
	fuzz_cartridge, fuzz_watchdog, fuzz_protocol_info, fuzz_battery_level,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	parsers[data[0] % (sizeof(parsers) / sizeof(parsers[0]))](data + 1, size - 1);
	return 0;
}
