// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sd_notify_send() never blocks the main loop: with a reader that never
 * reads, the socket fills and the send says -EAGAIN instead of waiting.
 * The watchdog's pings go on from the main loop past a full socket, and
 * each one dropped is logged.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "../../daemon/sd_notify.h"

/* A notify socket whose reader never reads, at $NOTIFY_SOCKET. */
struct stalled {
	char *dir;
	char *path;
	int reader;
};

static void stalled_open(struct stalled *s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	s->dir = g_dir_make_tmp("penctl-notify-XXXXXX", NULL);
	assert_non_null(s->dir);
	s->path = g_build_filename(s->dir, "notify", NULL);
	s->reader = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->reader >= 0);
	g_strlcpy(addr.sun_path, s->path, sizeof(addr.sun_path));
	assert_int_equal(bind(s->reader, (struct sockaddr *)&addr, sizeof(addr)), 0);
	g_setenv("NOTIFY_SOCKET", s->path, TRUE);
}

static void stalled_close(struct stalled *s)
{
	g_unsetenv("NOTIFY_SOCKET");
	close(s->reader);
	g_unlink(s->path);
	g_rmdir(s->dir);
	g_free(s->path);
	g_free(s->dir);
}

static void test_stalled_reader_does_not_block(void **state)
{
	struct stalled s;
	int err = 0;
	unsigned sent = 0;

	(void)state;
	stalled_open(&s);

	/* The kernel queues at most net.unix.max_dgram_qlen datagrams for a
	 * reader (10 by default): the send after that would block. */
	while (sent < 100000 && (err = sd_notify_send("WATCHDOG=1")) == 0)
		sent++;
	assert_int_equal(err, -EAGAIN);
	assert_true(sent > 0);
	stalled_close(&s);
}

static unsigned dropped_pings_logged;

static GLogWriterOutput count_dropped_pings(GLogLevelFlags level, const GLogField *fields,
					    gsize n_fields, gpointer user_data)
{
	(void)user_data;
	for (gsize i = 0; i < n_fields; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
		    (level & G_LOG_LEVEL_WARNING) && strstr(fields[i].value, "WATCHDOG=1") &&
		    strstr(fields[i].value, g_strerror(EAGAIN)))
			dropped_pings_logged++;
	return G_LOG_WRITER_HANDLED;
}

static gboolean quit_loop(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

/* /watchdog/dropped-ping-logged: the watchdog's pings into a full socket
 * are dropped and logged, and the main loop goes on: its other sources
 * still run on time. */
static void test_dropped_watchdog_ping_is_logged_never_blocks(void **state)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autofree char *pid = g_strdup_printf("%ld", (long)getpid());
	struct stalled s;
	gint64 started;
	unsigned id;

	(void)state;
	stalled_open(&s);
	/* Full already: every ping from now on is dropped. */
	while (sd_notify_send("WATCHDOG=1") == 0)
		;
	g_setenv("WATCHDOG_USEC", "4000", TRUE); /* a ping every 2 ms */
	g_setenv("WATCHDOG_PID", pid, TRUE);
	g_log_set_writer_func(count_dropped_pings, NULL, NULL);
	id = sd_notify_watchdog_start();
	assert_true(id > 0);
	started = g_get_monotonic_time();
	g_timeout_add(100, quit_loop, loop);
	g_main_loop_run(loop);
	/* Not blocked: the loop's own timer ended it in about its time. */
	assert_true(g_get_monotonic_time() - started < 2 * G_USEC_PER_SEC);
	assert_true(dropped_pings_logged >= 5);
	g_source_remove(id);
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
	stalled_close(&s);
}

static void test_no_socket_is_nothing_to_do(void **state)
{
	(void)state;
	g_unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sd_notify_send("READY=1"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_reader_does_not_block),
		cmocka_unit_test(test_no_socket_is_nothing_to_do),
		cmocka_unit_test(test_dropped_watchdog_ping_is_logged_never_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
