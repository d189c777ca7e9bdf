// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pen GATT profile codec, version 1 (docs/pen-protocol.md).
 *
 * Pure: no allocation, no I/O, no global state.  Every value is assembled
 * byte by byte in little-endian order, never by casting a struct onto the
 * buffer, so the result does not depend on the host's byte order, alignment
 * or padding.
 *
 * Contract shared by every function here:
 *  - parse: the length must be exactly the v1 size (-EBADMSG), then every
 *    field is checked (-ERANGE for a number out of range, -EPROTO for an
 *    unknown enumeration value or a reserved bit/byte that is not zero).
 *    Nothing is read before the length check and nothing outside
 *    [buf, buf + len); *out is written only on success.
 *  - encode: the value is checked first (-ERANGE for a number out of range,
 *    -EINVAL for a value outside its enumeration), then the buffer size
 *    (-ENOSPC); the buffer is written only on success, and exactly the v1
 *    size is written.  Returns that size.
 *  - a NULL value/out pointer, or a NULL buffer that would be accessed,
 *    gives -EINVAL.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "penctl/pen_protocol.h"

#define STATUS_FLAG_MOTOR_RUNNING 0x01u
#define STATUS_FLAGS_KNOWN_MASK   STATUS_FLAG_MOTOR_RUNNING

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | ((uint64_t)get_le32(p + 4) << 32);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)((v >> 8) & 0xff);
	p[2] = (uint8_t)((v >> 16) & 0xff);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)(v & 0xffffffffu));
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The length check every parser starts with; buf may be NULL only when the
 * length is already wrong (a zero-length value). */
static int check_input(const uint8_t *buf, size_t len, size_t expected,
		       const void *out)
{
	if (!out)
		return -EINVAL;
	if (len != expected)
		return -EBADMSG;
	if (!buf)
		return -EINVAL;
	return 0;
}

static int check_output(const uint8_t *buf, size_t len, size_t needed)
{
	if (len < needed)
		return -ENOSPC;
	if (!buf)
		return -EINVAL;
	return 0;
}

static bool depth_settable(uint16_t depth_um)
{
	return depth_um >= PEN_DEPTH_MIN_UM && depth_um <= PEN_DEPTH_MAX_UM;
}

static bool speed_settable(uint16_t speed)
{
	return speed >= PEN_SPEED_MIN && speed <= PEN_SPEED_MAX;
}

static bool watchdog_settable(uint16_t watchdog_ms)
{
	return watchdog_ms >= PEN_WATCHDOG_MIN_MS &&
	       watchdog_ms <= PEN_WATCHDOG_MAX_MS;
}

static bool battery_valid(uint8_t percent)
{
	return percent <= 100 || percent == PEN_BATTERY_UNKNOWN;
}

static bool control_op_known(unsigned int op)
{
	switch ((enum pen_control_op)op) {
	case PEN_CONTROL_STOP:
	case PEN_CONTROL_RUN:
		return true;
	}
	return false;
}

static bool stop_cause_known(unsigned int cause)
{
	switch ((enum pen_stop_cause)cause) {
	case PEN_STOP_NONE:
	case PEN_STOP_COMMAND:
	case PEN_STOP_WATCHDOG:
	case PEN_STOP_FAULT:
	case PEN_STOP_BUTTON:
	case PEN_STOP_DISCONNECT:
		return true;
	}
	return false;
}

/* Control: u8 op, u8 reserved (0), u16 seq. */

int pen_codec_encode_control(const struct pen_control *control, uint8_t *buf, size_t len)
{
	int err;

	if (!control)
		return -EINVAL;
	if (!control_op_known(control->op))
		return -EINVAL;
	err = check_output(buf, len, PEN_CONTROL_SIZE);
	if (err < 0)
		return err;

	buf[0] = (uint8_t)control->op;
	buf[1] = 0;
	put_le16(buf + 2, control->seq);
	return PEN_CONTROL_SIZE;
}

int pen_codec_parse_control(const uint8_t *buf, size_t len, struct pen_control *out)
{
	int err = check_input(buf, len, PEN_CONTROL_SIZE, out);

	if (err < 0)
		return err;
	if (!control_op_known(buf[0]) || buf[1] != 0)
		return -EPROTO;

	out->op = (enum pen_control_op)buf[0];
	out->seq = get_le16(buf + 2);
	return 0;
}

/* The four characteristics that are one u16. */

static int encode_u16(uint16_t value, uint8_t *buf, size_t len)
{
	int err = check_output(buf, len, 2);

	if (err < 0)
		return err;
	put_le16(buf, value);
	return 2;
}

static int parse_u16(const uint8_t *buf, size_t len, uint16_t *value)
{
	int err = check_input(buf, len, 2, value);

	if (err < 0)
		return err;
	*value = get_le16(buf);
	return 0;
}

int pen_codec_encode_depth(uint16_t depth_um, uint8_t *buf, size_t len)
{
	if (!depth_settable(depth_um))
		return -ERANGE;
	return encode_u16(depth_um, buf, len);
}

int pen_codec_parse_depth(const uint8_t *buf, size_t len, uint16_t *depth_um)
{
	uint16_t v;
	int err;

	if (!depth_um)
		return -EINVAL;
	err = parse_u16(buf, len, &v);
	if (err < 0)
		return err;
	if (!depth_settable(v))
		return -ERANGE;
	*depth_um = v;
	return 0;
}

int pen_codec_encode_speed(uint16_t speed, uint8_t *buf, size_t len)
{
	if (!speed_settable(speed))
		return -ERANGE;
	return encode_u16(speed, buf, len);
}

int pen_codec_parse_speed(const uint8_t *buf, size_t len, uint16_t *speed)
{
	uint16_t v;
	int err;

	if (!speed)
		return -EINVAL;
	err = parse_u16(buf, len, &v);
	if (err < 0)
		return err;
	if (!speed_settable(v))
		return -ERANGE;
	*speed = v;
	return 0;
}

/* Any counter value is valid: it wraps from 0xffff to 0. */
int pen_codec_encode_heartbeat(uint16_t counter, uint8_t *buf, size_t len)
{
	return encode_u16(counter, buf, len);
}

int pen_codec_parse_heartbeat(const uint8_t *buf, size_t len, uint16_t *counter)
{
	return parse_u16(buf, len, counter);
}

int pen_codec_encode_watchdog(uint16_t watchdog_ms, uint8_t *buf, size_t len)
{
	if (!watchdog_settable(watchdog_ms))
		return -ERANGE;
	return encode_u16(watchdog_ms, buf, len);
}

int pen_codec_parse_watchdog(const uint8_t *buf, size_t len, uint16_t *watchdog_ms)
{
	uint16_t v;
	int err;

	if (!watchdog_ms)
		return -EINVAL;
	err = parse_u16(buf, len, &v);
	if (err < 0)
		return err;
	if (!watchdog_settable(v))
		return -ERANGE;
	*watchdog_ms = v;
	return 0;
}

/*
 * Status (16): u8 flags, u8 stop_cause, u16 control_seq, u16 depth_um,
 * u16 speed, u16 fault_bits, u8 battery_percent, u8 reserved (0), u32 strokes.
 */

int pen_codec_encode_status(const struct pen_status *status, uint8_t *buf, size_t len)
{
	int err;

	if (!status)
		return -EINVAL;
	if (!stop_cause_known(status->stop_cause) ||
	    (status->fault_bits & ~PEN_FAULT_KNOWN_MASK))
		return -EINVAL;
	if (status->depth_um > PEN_STATUS_DEPTH_MAX_UM ||
	    status->speed > PEN_STATUS_SPEED_MAX ||
	    !battery_valid(status->battery_percent))
		return -ERANGE;
	err = check_output(buf, len, PEN_STATUS_SIZE);
	if (err < 0)
		return err;

	buf[0] = status->motor_running ? STATUS_FLAG_MOTOR_RUNNING : 0;
	buf[1] = (uint8_t)status->stop_cause;
	put_le16(buf + 2, status->control_seq);
	put_le16(buf + 4, status->depth_um);
	put_le16(buf + 6, status->speed);
	put_le16(buf + 8, status->fault_bits);
	buf[10] = status->battery_percent;
	buf[11] = 0;
	put_le32(buf + 12, status->strokes);
	return PEN_STATUS_SIZE;
}

int pen_codec_parse_status(const uint8_t *buf, size_t len, struct pen_status *out)
{
	uint16_t depth_um, speed, fault_bits;
	int err = check_input(buf, len, PEN_STATUS_SIZE, out);

	if (err < 0)
		return err;

	fault_bits = get_le16(buf + 8);
	if ((buf[0] & ~STATUS_FLAGS_KNOWN_MASK) || !stop_cause_known(buf[1]) ||
	    (fault_bits & ~PEN_FAULT_KNOWN_MASK) || buf[11] != 0)
		return -EPROTO;

	depth_um = get_le16(buf + 4);
	speed = get_le16(buf + 6);
	if (depth_um > PEN_STATUS_DEPTH_MAX_UM || speed > PEN_STATUS_SPEED_MAX ||
	    !battery_valid(buf[10]))
		return -ERANGE;

	out->motor_running = buf[0] & STATUS_FLAG_MOTOR_RUNNING;
	out->stop_cause = (enum pen_stop_cause)buf[1];
	out->control_seq = get_le16(buf + 2);
	out->depth_um = depth_um;
	out->speed = speed;
	out->fault_bits = fault_bits;
	out->battery_percent = buf[10];
	out->strokes = get_le32(buf + 12);
	return 0;
}

/*
 * Cartridge (12): u64 id, u16 needle_count, u16 max_depth_um.  id 0 means no
 * cartridge is inserted; then the other fields carry nothing and must be 0.
 */

static int check_cartridge(uint64_t id, uint16_t needle_count, uint16_t max_depth_um,
			   int reserved_error)
{
	if (id == 0)
		return needle_count == 0 && max_depth_um == 0 ? 0 : reserved_error;
	if (needle_count == 0 || !depth_settable(max_depth_um))
		return -ERANGE;
	return 0;
}

int pen_codec_encode_cartridge(const struct pen_cartridge *cartridge, uint8_t *buf, size_t len)
{
	int err;

	if (!cartridge)
		return -EINVAL;
	err = check_cartridge(cartridge->id, cartridge->needle_count,
			      cartridge->max_depth_um, -EINVAL);
	if (err < 0)
		return err;
	err = check_output(buf, len, PEN_CARTRIDGE_SIZE);
	if (err < 0)
		return err;

	put_le64(buf, cartridge->id);
	put_le16(buf + 8, cartridge->needle_count);
	put_le16(buf + 10, cartridge->max_depth_um);
	return PEN_CARTRIDGE_SIZE;
}

int pen_codec_parse_cartridge(const uint8_t *buf, size_t len, struct pen_cartridge *out)
{
	uint64_t id;
	uint16_t needle_count, max_depth_um;
	int err = check_input(buf, len, PEN_CARTRIDGE_SIZE, out);

	if (err < 0)
		return err;

	id = get_le64(buf);
	needle_count = get_le16(buf + 8);
	max_depth_um = get_le16(buf + 10);
	err = check_cartridge(id, needle_count, max_depth_um, -EPROTO);
	if (err < 0)
		return err;

	out->id = id;
	out->needle_count = needle_count;
	out->max_depth_um = max_depth_um;
	return 0;
}

/*
 * ProtocolInfo (4): u8 major, u8 minor, u16 features.  Feature bits this
 * daemon does not know are accepted and ignored: a later minor version may
 * announce optional extras, and a 1.0 peer must still work with it.
 */

int pen_codec_encode_protocol_info(const struct pen_protocol_info *info, uint8_t *buf, size_t len)
{
	int err;

	if (!info)
		return -EINVAL;
	err = check_output(buf, len, PEN_PROTOCOL_INFO_SIZE);
	if (err < 0)
		return err;

	buf[0] = info->major;
	buf[1] = info->minor;
	put_le16(buf + 2, info->features);
	return PEN_PROTOCOL_INFO_SIZE;
}

int pen_codec_parse_protocol_info(const uint8_t *buf, size_t len, struct pen_protocol_info *out)
{
	int err = check_input(buf, len, PEN_PROTOCOL_INFO_SIZE, out);

	if (err < 0)
		return err;

	out->major = buf[0];
	out->minor = buf[1];
	out->features = get_le16(buf + 2);
	return 0;
}

/* Battery Level (0x2A19): one byte, 0..100 (the Battery Service has no
 * "unknown" value; a pen that does not know leaves the service out). */
int pen_codec_parse_battery_level(const uint8_t *buf, size_t len, uint8_t *percent)
{
	int err = check_input(buf, len, 1, percent);

	if (err < 0)
		return err;
	if (buf[0] > 100)
		return -ERANGE;
	*percent = buf[0];
	return 0;
}

bool pen_protocol_version_supported(const struct pen_protocol_info *info)
{
	return info && info->major == PEN_PROTOCOL_VERSION_MAJOR;
}

void pen_cartridge_id_format(uint64_t id, char out[PEN_CARTRIDGE_ID_STRLEN])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	if (!out)
		return;
	for (i = 15; i >= 0; i--) {
		out[i] = digits[id & 0xf];
		id >>= 4;
	}
	out[16] = '\0';
}

const char *pen_stop_cause_to_string(enum pen_stop_cause cause)
{
	switch (cause) {
	case PEN_STOP_NONE:
		return "none";
	case PEN_STOP_COMMAND:
		return "command";
	case PEN_STOP_WATCHDOG:
		return "watchdog";
	case PEN_STOP_FAULT:
		return "fault";
	case PEN_STOP_BUTTON:
		return "button";
	case PEN_STOP_DISCONNECT:
		return "disconnect";
	}
	return "unknown";
}

const char *pen_fault_to_string(enum pen_fault fault)
{
	switch (fault) {
	case PEN_FAULT_MOTOR_STALL:
		return "motor-stall";
	case PEN_FAULT_OVERTEMP:
		return "overtemp";
	case PEN_FAULT_BATTERY_CRITICAL:
		return "battery-critical";
	case PEN_FAULT_DEPTH_SENSOR:
		return "depth-sensor";
	case PEN_FAULT_CARTRIDGE_MISSING:
		return "cartridge-missing";
	case PEN_FAULT_INTERNAL:
		return "internal";
	}
	return "unknown";
}

bool pen_att_error_is_run_refusal(uint8_t att_error)
{
	return att_error >= PEN_ATT_DEPTH_ABOVE_CARTRIDGE && att_error <= PEN_ATT_NO_HEARTBEAT;
}

const char *pen_att_error_to_string(uint8_t att_error)
{
	switch (att_error) {
	case PEN_ATT_DEPTH_ABOVE_CARTRIDGE:
		return "depth-above-cartridge";
	case PEN_ATT_FAULT_ACTIVE:
		return "fault-active";
	case PEN_ATT_NO_CARTRIDGE:
		return "no-cartridge";
	case PEN_ATT_NO_HEARTBEAT:
		return "no-heartbeat";
	}
	return "unknown";
}
