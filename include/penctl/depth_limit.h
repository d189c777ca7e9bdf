/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one rule for how deep a needle may go: the smaller of the role's and
 * the area's limit, and of the cartridge's when the pen reports one.  The
 * engine enforces it; --check-config, the Limits property and penctl
 * limits show it; all of them call this.
 */
#pragma once

#include <stdint.h>

#include "penctl/config.h"

/* The limit of ROLE on AREA (µm).  CARTRIDGE_MAX_UM 0: no cartridge limit
 * known (the pen reports none, or no pen). */
static inline uint32_t penctl_depth_limit_um(const struct penctl_limit *role,
					     const struct penctl_limit *area,
					     uint32_t cartridge_max_um)
{
	uint32_t limit = role->max_depth_um < area->max_depth_um ? role->max_depth_um
								  : area->max_depth_um;

	return cartridge_max_um && cartridge_max_um < limit ? cartridge_max_um : limit;
}
