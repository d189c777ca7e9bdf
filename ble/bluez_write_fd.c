// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes without response through an acquired socket (bluez_write_fd.h).
 *
 * The socket is watched for HUP and ERR only (a GLib fd source: nothing is
 * polled); bluetoothd never sends on it.  The writes are made from the main
 * thread, non-blocking: one send() each.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib-unix.h>

#include "bluez_client.h"
#include "bluez_gatt.h"
#include "bluez_write_fd.h"

/* ATT's Write Command header (opcode, handle) within the MTU. */
#define ATT_WRITE_CMD_HEADER 3u

struct bluez_write_fd {
	struct bluez_client *client;
	char *path;
	char *what;
	char *address;
	GCancellable *cancellable; /* ours: free() drops a reply still out */
	int fd;                 /* -1: none */
	guint watch;            /* HUP/ERR on fd */
	uint16_t mtu;
	bool acquiring;
	bool given_up;          /* WriteValue from now on */
	bool told;              /* the path taken was logged */
	unsigned hangups;       /* in a row, without a write through the socket */
};

static void close_socket(struct bluez_write_fd *w)
{
	if (w->watch)
		g_source_remove(w->watch);
	w->watch = 0;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static void give_up(struct bluez_write_fd *w, const char *why)
{
	close_socket(w);
	w->given_up = true;
	g_message("pen %s: %s by WriteValue: %s", w->address, w->what, why);
	w->told = true;
}

/* The link went (the owner frees us then), or bluetoothd let go: the next
 * write acquires again, if there is one. */
static gboolean socket_hung_up(int fd, GIOCondition condition, gpointer user_data)
{
	struct bluez_write_fd *w = user_data;

	(void)fd;
	(void)condition;
	w->watch = 0;
	close_socket(w);
	w->hangups++;
	g_info("pen %s: the %s socket hung up", w->address, w->what);
	return G_SOURCE_REMOVE;
}

static void acquired(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish(
		G_DBUS_CONNECTION(source), &fds, result, &error);
	struct bluez_write_fd *w;
	gint32 index;
	guint16 mtu;
	int fd;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return; /* w is gone */
	w = user_data;
	w->acquiring = false;
	if (!reply) {
		give_up(w, error->message);
		return;
	}
	g_variant_get(reply, "(hq)", &index, &mtu);
	fd = fds ? g_unix_fd_list_get(fds, index, &error) : -1;
	if (fd < 0) {
		give_up(w, error ? error->message : "AcquireWrite returned no socket");
		return;
	}
	if (!g_unix_set_fd_nonblocking(fd, TRUE, &error)) {
		close(fd);
		give_up(w, error->message);
		return;
	}
	w->fd = fd;
	w->mtu = mtu;
	w->watch = g_unix_fd_add(fd, G_IO_HUP | G_IO_ERR, socket_hung_up, w);
	if (!w->told)
		g_message("pen %s: %s through an acquired socket (AcquireWrite, MTU %u)",
			  w->address, w->what, mtu);
	w->told = true;
}

static void acquire(struct bluez_write_fd *w)
{
	w->acquiring = true;
	g_dbus_connection_call_with_unix_fd_list(
		bluez_client_bus(w->client), BLUEZ_BUS_NAME, w->path, BLUEZ_GATT_CHAR_INTERFACE,
		"AcquireWrite", g_variant_new("(a{sv})", NULL), G_VARIANT_TYPE("(hq)"),
		G_DBUS_CALL_FLAGS_NONE, BLUEZ_CALL_TIMEOUT_MS, NULL, w->cancellable, acquired, w);
}

void bluez_write_fd_acquire_again(struct bluez_write_fd *w)
{
	if (w->fd >= 0 || w->acquiring || w->given_up)
		return;
	if (w->hangups > BLUEZ_WRITE_FD_REACQUIRES) {
		give_up(w, "the acquired socket keeps failing");
		return;
	}
	acquire(w);
}

struct bluez_write_fd *bluez_write_fd_new(struct bluez_client *client, const char *path,
					  const char *what, const char *address)
{
	struct bluez_write_fd *w = g_new0(struct bluez_write_fd, 1);
	bool held;

	w->client = client;
	w->path = g_strdup(path);
	w->what = g_strdup(what);
	w->address = g_strdup(address);
	w->cancellable = g_cancellable_new();
	w->fd = -1;
	/* The property's presence is the offer; its value says whether someone
	 * holds the socket now (then AcquireWrite fails, and we fall back). */
	if (bluez_objects_get_bool(bluez_client_objects(client), path, BLUEZ_GATT_CHAR_INTERFACE,
				   "WriteAcquired", &held))
		acquire(w);
	else
		give_up(w, "the characteristic offers no AcquireWrite");
	return w;
}

void bluez_write_fd_free(struct bluez_write_fd *w)
{
	if (!w)
		return;
	g_cancellable_cancel(w->cancellable);
	close_socket(w);
	g_object_unref(w->cancellable);
	g_free(w->path);
	g_free(w->what);
	g_free(w->address);
	g_free(w);
}

int bluez_write_fd_write(struct bluez_write_fd *w, const uint8_t *value, size_t len)
{
	ssize_t n;
	int err;

	if (w->fd < 0)
		return -ENOTCONN;
	if (w->mtu < ATT_WRITE_CMD_HEADER || len > w->mtu - ATT_WRITE_CMD_HEADER)
		return -EMSGSIZE;
	/* send(), not write(): a socket bluetoothd closed meanwhile must give
	 * EPIPE, not SIGPIPE. */
	do
		n = send(w->fd, value, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len) {
		w->hangups = 0;
		return 0;
	}
	err = n < 0 ? errno : EIO;
	if (err == EAGAIN)
		return -EAGAIN;
	g_warning("pen %s: writing the %s to its acquired socket failed: %s", w->address,
		  w->what, g_strerror(err));
	close_socket(w);
	w->hangups++;
	return -err;
}
