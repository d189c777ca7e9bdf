// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A scripted pedal back end: see fake_pedal_backend.h.  One line at a time.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fake_pedal_backend.h"
#include "penctl/pedal.h"

#define MAX_QUEUED 256

struct pedal_backend {
	int read_fd;
	int write_fd;
};

static struct {
	int fail_code;
	char *fail_message;
	int level;
	unsigned n_queued;
	struct pedal_backend_event queued[MAX_QUEUED];
	unsigned open_count;
	struct pedal_backend *open;
} fake;

void fake_pedal_reset(void)
{
	g_free(fake.fail_message);
	memset(&fake, 0, sizeof(fake));
}

void fake_pedal_fail_open(int code, const char *message)
{
	g_free(fake.fail_message);
	fake.fail_code = code;
	fake.fail_message = g_strdup(message);
}

void fake_pedal_set_level(int level)
{
	fake.level = level;
}

void fake_pedal_push_edge(enum pedal_backend_edge edge, uint64_t timestamp_ns)
{
	g_assert_nonnull(fake.open);
	g_assert_cmpuint(fake.n_queued, <, MAX_QUEUED);
	fake.queued[fake.n_queued++] = (struct pedal_backend_event){ edge, timestamp_ns };
	g_assert_cmpint(write(fake.open->write_fd, "e", 1), ==, 1);
}

void fake_pedal_hang_up(void)
{
	g_assert_nonnull(fake.open);
	close(fake.open->write_fd);
	fake.open->write_fd = -1;
}

unsigned fake_pedal_open_count(void)
{
	return fake.open_count;
}

bool fake_pedal_is_open(void)
{
	return fake.open != NULL;
}

struct pedal_backend *pedal_backend_open(const struct pedal_backend_params *params,
					 GError **error)
{
	struct pedal_backend *b;
	int fds[2];

	if (fake.fail_message) {
		pedal_backend_set_error(error, fake.fail_code, params, "%s", fake.fail_message);
		return NULL;
	}
	g_assert_null(fake.open);
	g_assert_cmpint(pipe(fds), ==, 0);
	g_assert_cmpint(fcntl(fds[0], F_SETFL, O_NONBLOCK), ==, 0);
	b = g_new0(struct pedal_backend, 1);
	b->read_fd = fds[0];
	b->write_fd = fds[1];
	fake.open = b;
	fake.open_count++;
	fake.n_queued = 0;
	return b;
}

void pedal_backend_close(struct pedal_backend *b)
{
	if (!b)
		return;
	close(b->read_fd);
	if (b->write_fd >= 0)
		close(b->write_fd);
	if (fake.open == b)
		fake.open = NULL;
	g_free(b);
}

int pedal_backend_get_fd(const struct pedal_backend *b)
{
	return b->read_fd;
}

int pedal_backend_read_events(struct pedal_backend *b, struct pedal_backend_event *events,
			      unsigned max, GError **error)
{
	char bytes[MAX_QUEUED];
	unsigned n = MIN(max, fake.n_queued);
	ssize_t rd;

	(void)error;
	if (n == 0)
		return 0;
	rd = read(b->read_fd, bytes, n);
	g_assert_cmpint(rd, ==, (ssize_t)n);
	memcpy(events, fake.queued, n * sizeof(*events));
	memmove(fake.queued, fake.queued + n, (fake.n_queued - n) * sizeof(*events));
	fake.n_queued -= n;
	return (int)n;
}

int pedal_backend_read_level(struct pedal_backend *b, GError **error)
{
	(void)b;
	(void)error;
	return fake.level;
}

const char *pedal_backend_describe(const struct pedal_backend *b)
{
	(void)b;
	return "line 17 (GPIO17) of fakechip0 [fake]";
}

const char *pedal_backend_api(void)
{
	return "libgpiod fake";
}
