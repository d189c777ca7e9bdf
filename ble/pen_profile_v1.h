/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Layer (c): the pen protocol version 1 GATT profile (docs/pen-protocol.md). */
#pragma once

#include "pen_profile.h"

extern const struct pen_profile pen_profile_v1;
