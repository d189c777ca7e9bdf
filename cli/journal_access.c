/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * May this user read the system journal (journal_access.h)?
 */
#include <grp.h>
#include <unistd.h>

#include <gio/gio.h>

#include "journal_access.h"

/* journald's files are readable by these groups (tmpfiles.d/systemd.conf's
 * ACLs); systemd-journal is the one made for it. */
static const char *const reader_groups[] = { PENCTL_JOURNAL_GROUP, "adm", "wheel" };

static bool in_group(gid_t gid)
{
	int n = getgroups(0, NULL);
	g_autofree gid_t *groups = NULL;

	if (getegid() == gid)
		return true;
	if (n <= 0)
		return false;
	groups = g_new(gid_t, n);
	n = getgroups(n, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

bool penctl_journal_readable(GError **error)
{
	if (geteuid() == 0)
		return true;
	for (gsize i = 0; i < G_N_ELEMENTS(reader_groups); i++) {
		const struct group *group = getgrnam(reader_groups[i]);

		if (group && in_group(group->gr_gid))
			return true;
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
		    "permission denied: add yourself to " PENCTL_JOURNAL_GROUP " (sudo usermod -aG "
		    PENCTL_JOURNAL_GROUP " %s, then log in again)", g_get_user_name());
	return false;
}
