/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What this account may do, from its groups, as penctld will judge it
 * (README "Who may do what"): group penctl drives the pen in role home;
 * another role also needs its group, penctl-ROLE unless the daemon's
 * configuration names another ([Role NAME] Group=, which the daemon does
 * not publish: then its RoleNotPermitted answer is shown).  Root may do
 * everything.  Nothing is tried to find out.
 */
#pragma once

#include <stdbool.h>

/* Whether this account may call penctld's methods at all. */
bool panel_access_may_control(void);

/* Whether this account may take ROLE. */
bool panel_access_may_take_role(const char *role);
