// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Parser of the simulator's control lines (pensim_command.h).  Uses only
 * libc: strtoull/strtod with full-consumption checks, nothing locale-free is
 * assumed beyond the C locale pensim runs in.
 */

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pensim_command.h"

#define MAX_WORDS 5
#define MAX_LINE 256

static int parse_uint(const char *text, int base, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!text[0] || text[0] == '-' || text[0] == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || !end || *end != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int pensim_parse_mm(const char *text, uint16_t max_um, uint16_t *out_um)
{
	char *end = NULL;
	double mm, um;

	if (!text || !out_um || !text[0] || text[0] == '-' || text[0] == '+')
		return -EINVAL;
	errno = 0;
	mm = strtod(text, &end);
	if (errno || !end || *end != '\0' || !isfinite(mm))
		return -EINVAL;
	um = round(mm * 1000.0);
	if (um > (double)max_um)
		return -ERANGE;
	*out_um = (uint16_t)um;
	return 0;
}

/* Split in place on blanks; returns the word count, or -EINVAL for too many. */
static int split_words(char *line, char *words[MAX_WORDS])
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			*p++ = '\0';
		if (!*p)
			return n;
		if (n == MAX_WORDS)
			return -EINVAL;
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
	}
}

static int parse_cartridge(char **args, int nargs, struct pensim_command *cmd)
{
	uint64_t id, needles;
	uint16_t max_um;
	int err;

	if (nargs != 1 && nargs != 3)
		return -EINVAL;
	if (strcmp(args[0], "none") == 0) {
		id = 0;
	} else {
		const char *hex = args[0];

		if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
			hex += 2;
		if (strlen(hex) > 16)
			return -ERANGE;
		err = parse_uint(hex, 16, UINT64_MAX, &id);
		if (err < 0)
			return err;
	}

	memset(&cmd->cartridge, 0, sizeof(cmd->cartridge));
	cmd->cartridge.id = id;
	cmd->cartridge_keeps_geometry = nargs == 1 && id != 0;
	if (nargs == 3) {
		if (id == 0)
			return -EINVAL; /* no cartridge has no geometry */
		err = parse_uint(args[1], 10, UINT16_MAX, &needles);
		if (err < 0)
			return err;
		if (needles == 0)
			return -ERANGE;
		err = pensim_parse_mm(args[2], PEN_DEPTH_MAX_UM, &max_um);
		if (err < 0)
			return err;
		if (max_um < PEN_DEPTH_MIN_UM)
			return -ERANGE;
		cmd->cartridge.needle_count = (uint16_t)needles;
		cmd->cartridge.max_depth_um = max_um;
	}
	return 0;
}

int pensim_command_parse(const char *line, struct pensim_command *out)
{
	char buf[MAX_LINE];
	char *words[MAX_WORDS];
	struct pensim_command cmd;
	uint64_t v = 0;
	int n, err = 0;

	if (!line || !out)
		return -EINVAL;
	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line);
	memset(&cmd, 0, sizeof(cmd));

	n = split_words(buf, words);
	if (n < 0)
		return n;
	if (n == 0 || words[0][0] == '#') {
		cmd.kind = PENSIM_COMMAND_NONE;
	} else if (strcmp(words[0], "fault") == 0) {
		if (n != 2)
			return -EINVAL;
		cmd.kind = PENSIM_COMMAND_FAULT;
		err = parse_uint(words[1], 0, UINT16_MAX, &v);
		if (!err && (v & ~(uint64_t)PEN_FAULT_KNOWN_MASK))
			err = -ERANGE;
		cmd.fault_bits = (uint16_t)v;
	} else if (strcmp(words[0], "dial") == 0) {
		if (n != 2)
			return -EINVAL;
		cmd.kind = PENSIM_COMMAND_DIAL;
		err = pensim_parse_mm(words[1], PEN_STATUS_DEPTH_MAX_UM, &cmd.dial_um);
	} else if (strcmp(words[0], "cartridge") == 0) {
		cmd.kind = PENSIM_COMMAND_CARTRIDGE;
		err = parse_cartridge(words + 1, n - 1, &cmd);
	} else if (strcmp(words[0], "battery") == 0) {
		if (n != 2)
			return -EINVAL;
		cmd.kind = PENSIM_COMMAND_BATTERY;
		err = parse_uint(words[1], 10, 100, &v);
		cmd.battery_percent = (uint8_t)v;
	} else if (n == 1 && strcmp(words[0], "button") == 0) {
		cmd.kind = PENSIM_COMMAND_BUTTON;
	} else if (n == 1 && strcmp(words[0], "disconnect") == 0) {
		cmd.kind = PENSIM_COMMAND_DISCONNECT;
	} else if (n == 1 && strcmp(words[0], "status") == 0) {
		cmd.kind = PENSIM_COMMAND_STATUS;
	} else if (n == 1 && strcmp(words[0], "quit") == 0) {
		cmd.kind = PENSIM_COMMAND_QUIT;
	} else {
		return -EINVAL;
	}
	if (err < 0)
		return err;
	*out = cmd;
	return 0;
}
