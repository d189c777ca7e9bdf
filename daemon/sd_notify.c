// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "sd_notify.h"

int sd_notify_send(const char *state)
{
	const char *path = g_getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len;
	socklen_t addr_len;
	int fd, ret = 0;

	if (!path || !path[0])
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path))
		return -EINVAL;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract namespace */
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Never block the main loop on a stalled reader: a dropped datagram
	 * (EAGAIN) is the caller's to log; a blocked loop would stop
	 * heartbeats and STOPs. */
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&addr,
		   addr_len) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

uint64_t sd_notify_watchdog_usec(void)
{
	const char *usec = g_getenv("WATCHDOG_USEC");
	const char *pid = g_getenv("WATCHDOG_PID");
	guint64 value;

	if (!usec || !g_ascii_string_to_unsigned(usec, 10, 1, G_MAXUINT64, &value, NULL))
		return 0;
	if (pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	return value;
}

static gboolean on_watchdog(gpointer user_data)
{
	int err;

	(void)user_data;
	err = sd_notify_send("WATCHDOG=1");
	if (err)
		g_warning("Could not tell systemd the daemon is alive (WATCHDOG=1): %s",
			  g_strerror(-err));
	return G_SOURCE_CONTINUE;
}

unsigned sd_notify_watchdog_start(void)
{
	uint64_t usec = sd_notify_watchdog_usec();

	if (!usec)
		return 0;
	return g_timeout_add_full(G_PRIORITY_HIGH, (guint)MAX(usec / 2000, 1), on_watchdog, NULL,
				  NULL);
}
