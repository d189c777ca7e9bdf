/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulator's control language (docs/pensim.md): one command per line,
 * from stdin or a FIFO, so a test or a developer can do to the "pen" what a
 * hand would do to a real one.  Pure parsing; pensim.c applies the result.
 *
 *   fault BITS             raise fault bits (decimal or 0x hex); 0 clears
 *   dial MM                manual depth dial in mm (0 removes it)
 *   cartridge ID [NEEDLES MAX_MM]   insert a cartridge (hex id); 0 / none removes it
 *   battery PCT            set the charge, 0..100
 *   button                 press the pen's stop button
 *   disconnect             drop the link to the central
 *   status                 print the pen's state to stderr
 *   quit                   unregister and exit 0
 *
 * Blank lines and lines starting with '#' are nothing (PENSIM_COMMAND_NONE).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "penctl/pen_protocol.h"

enum pensim_command_kind {
	PENSIM_COMMAND_NONE,
	PENSIM_COMMAND_FAULT,
	PENSIM_COMMAND_DIAL,
	PENSIM_COMMAND_CARTRIDGE,
	PENSIM_COMMAND_BATTERY,
	PENSIM_COMMAND_BUTTON,
	PENSIM_COMMAND_DISCONNECT,
	PENSIM_COMMAND_STATUS,
	PENSIM_COMMAND_QUIT,
};

struct pensim_command {
	enum pensim_command_kind kind;
	uint16_t fault_bits;
	uint16_t dial_um;
	struct pen_cartridge cartridge;
	/* A cartridge command without NEEDLES/MAX_MM keeps the current ones. */
	bool cartridge_keeps_geometry;
	uint8_t battery_percent;
};

/* 0, or -EINVAL (unknown command, wrong argument count, not a number) or
 * -ERANGE (a number outside what the pen can have).  *out is written only
 * on success.  Never reads past the string's NUL. */
int pensim_command_parse(const char *line, struct pensim_command *out);

/* Millimetres as a decimal string ("1.25") to whole micrometres, rounding to
 * nearest; -EINVAL for anything that is not a plain non-negative number,
 * -ERANGE above max_um. */
int pensim_parse_mm(const char *text, uint16_t max_um, uint16_t *out_um);
