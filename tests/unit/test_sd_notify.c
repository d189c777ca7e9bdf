// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sd_notify_send() never blocks the main loop: with a reader that never
 * reads, the socket fills and the send says -EAGAIN instead of waiting.
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

static void test_stalled_reader_does_not_block(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("penctl-notify-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "notify", NULL);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int reader, err = 0;
	unsigned sent = 0;

	(void)state;
	assert_non_null(dir);
	reader = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(reader >= 0);
	g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
	assert_int_equal(bind(reader, (struct sockaddr *)&addr, sizeof(addr)), 0);
	g_setenv("NOTIFY_SOCKET", path, TRUE);

	/* The kernel queues at most net.unix.max_dgram_qlen datagrams for a
	 * reader (10 by default): the send after that would block. */
	while (sent < 100000 && (err = sd_notify_send("WATCHDOG=1")) == 0)
		sent++;
	assert_int_equal(err, -EAGAIN);
	assert_true(sent > 0);

	g_unsetenv("NOTIFY_SOCKET");
	close(reader);
	g_unlink(path);
	g_rmdir(dir);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
