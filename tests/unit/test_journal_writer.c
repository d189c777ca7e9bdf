/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The installed log writer outside journald: records always reach stderr as
 * one line, other messages follow G_MESSAGES_DEBUG.  (GLib takes a writer
 * once per process, hence one test program of its own.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "penctl/journal_record.h"

static char *stderr_path;

static char *read_stderr(void)
{
	char *text = NULL;

	fflush(stderr);
	assert_true(g_file_get_contents(stderr_path, &text, NULL, NULL));
	return text;
}

static void records_and_warnings_reach_stderr_debug_noise_does_not(void **state)
{
	const struct journal_record_input motor_start = {
		.event = "motor-start",
		.priority = LOG_INFO,
		.message = "Motor started at 0.50 mm (limit 1.50 mm)",
		.session = "S1",
		.depth_um = JOURNAL_NUMBER(500),
	};
	g_autofree char *text = NULL;

	(void)state;
	journal_record_log(&motor_start);
	g_log_structured(PENCTL_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "chatty info");
	g_log_structured(PENCTL_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, "MESSAGE", "chatty debug");
	g_log_structured(PENCTL_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "pedal chip %s gone",
			 "gpiochip0");
	text = read_stderr();
	assert_string_equal(text,
			    "penctld: Motor started at 0.50 mm (limit 1.50 mm) "
			    "[motor-start session=S1 depth-um=500]\n"
			    "penctld: warning: pedal chip gpiochip0 gone\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_and_warnings_reach_stderr_debug_noise_does_not),
	};
	int fd, saved_stderr, failed;

	/* cmocka reports on stdout; stderr is ours to capture. */
	fd = g_file_open_tmp("penctl-writer-XXXXXX", &stderr_path, NULL);
	if (fd < 0)
		return 1;
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	g_unsetenv("JOURNAL_STREAM");
	g_unsetenv("G_MESSAGES_DEBUG");
	journal_install_writer();
	journal_install_writer(); /* a second call must not abort */

	failed = cmocka_run_group_tests(tests, NULL, NULL);

	dup2(saved_stderr, STDERR_FILENO);
	g_unlink(stderr_path);
	g_free(stderr_path);
	return failed;
}
