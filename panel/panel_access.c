/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The account's rights from its groups (see panel_access.h).
 */
#include <glib.h>
#include <grp.h>
#include <unistd.h>

#include "panel_access.h"

#define PANEL_CONTROL_GROUP "penctl"
#define PANEL_HOME_ROLE "home"

static bool in_group(const char *name)
{
	struct group *group = getgrnam(name);
	int n;
	g_autofree gid_t *groups = NULL;

	if (!group)
		return false;
	if (getegid() == group->gr_gid)
		return true;
	n = getgroups(0, NULL);
	if (n <= 0)
		return false;
	groups = g_new(gid_t, n);
	n = getgroups(n, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == group->gr_gid)
			return true;
	return false;
}

bool panel_access_may_control(void)
{
	return geteuid() == 0 || in_group(PANEL_CONTROL_GROUP);
}

bool panel_access_may_take_role(const char *role)
{
	g_autofree char *group = NULL;

	if (geteuid() == 0)
		return true;
	if (!in_group(PANEL_CONTROL_GROUP))
		return false;
	if (g_str_equal(role, PANEL_HOME_ROLE))
		return true;
	group = g_strdup_printf(PANEL_CONTROL_GROUP "-%s", role);
	return in_group(group);
}
