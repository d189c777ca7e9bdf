// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pedal back end for libgpiod 1.6 (Debian 12, Raspberry Pi OS bookworm).
 *
 * With libgpiod 1.6 the kernel's v1 line-event interface reports, for each
 * edge, the level its IRQ thread reads afterwards, so a bounce can arrive as
 * two rising edges in a row; the debouncer and the resync after each burst
 * (gpio/pedal.c) take care of that.  Event timestamps are CLOCK_MONOTONIC
 * on the kernels we support (>= 5.7).
 */

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <string.h>

#include "pedal_backend.h"
#include "penctl/pedal.h"

/* The v1 kernel FIFO holds 16 events; libgpiod 1.6 reads at most that. */
#define EVENTS_PER_READ 16

struct pedal_backend {
	const struct pedal_backend_params *params; /* the caller's */
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	int fd;
	char *description;
};

const char *pedal_backend_api(void)
{
	return "libgpiod 1.6";
}

/* The chip [Pedal] Chip= names; the lookup is gpio/pedal_gpio_chip.c's. */
static struct gpiod_chip *open_chip(const struct pedal_backend_params *params, GError **error)
{
	g_autofree char *path = pedal_backend_find_chip(params, error);
	struct gpiod_chip *chip = path ? gpiod_chip_open(path) : NULL;

	if (path && !chip)
		pedal_backend_set_chip_open_error(error, errno, params, path);
	return chip;
}

static struct gpiod_line *find_line(struct gpiod_chip *chip,
				    const struct pedal_backend_params *params, GError **error)
{
	unsigned offset, n_lines = gpiod_chip_num_lines(chip);
	struct gpiod_line *line;

	if (pedal_backend_parse_offset(params->line, &offset)) {
		if (offset >= n_lines) {
			pedal_backend_set_error(error, PEDAL_ERROR_NO_LINE, params,
						"%s [%s] has %u lines (offsets 0 to %u); no line "
						"at offset %u",
						gpiod_chip_name(chip), gpiod_chip_label(chip), n_lines,
						n_lines ? n_lines - 1 : 0, offset);
			return NULL;
		}
		line = gpiod_chip_get_line(chip, offset);
		if (!line)
			pedal_backend_set_error(error, PEDAL_ERROR_IO, params,
						"cannot read line %u of %s: %s", offset,
						gpiod_chip_name(chip), g_strerror(errno));
		return line;
	}

	line = gpiod_chip_find_line(chip, params->line);
	if (line)
		return line;
	if (errno == ENOENT)
		pedal_backend_set_error(error, PEDAL_ERROR_NO_LINE, params,
					"no line named \"%s\" on %s [%s] (%u lines); gpioinfo %s "
					"lists the names, or give the offset",
					params->line, gpiod_chip_name(chip), gpiod_chip_label(chip),
					n_lines, gpiod_chip_name(chip));
	else
		pedal_backend_set_error(error, PEDAL_ERROR_IO, params,
					"cannot look up line \"%s\" on %s: %s", params->line,
					gpiod_chip_name(chip), g_strerror(errno));
	return NULL;
}

static int request_flags(const struct pedal_backend_params *params)
{
	int flags = params->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;

	switch (params->bias) {
	case PENCTL_PEDAL_BIAS_AS_IS:
		break;
	case PENCTL_PEDAL_BIAS_DISABLED:
		flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
		break;
	case PENCTL_PEDAL_BIAS_PULL_UP:
		flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
		break;
	case PENCTL_PEDAL_BIAS_PULL_DOWN:
		flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
		break;
	}
	return flags;
}

static char *describe_line(struct gpiod_chip *chip, struct gpiod_line *line)
{
	const char *name = gpiod_line_name(line);

	return g_strdup_printf("line %u%s%s%s of %s [%s]", gpiod_line_offset(line),
			       name ? " (" : "", name ? name : "", name ? ")" : "",
			       gpiod_chip_name(chip), gpiod_chip_label(chip));
}

static bool request_line(struct pedal_backend *b, GError **error)
{
	int flags;

	if (gpiod_line_request_both_edges_events_flags(b->line, b->params->consumer,
						       request_flags(b->params)) < 0) {
		int errnum = errno;
		const char *consumer = NULL;

		/* Who holds it: the line info is re-read by update. */
		if (errnum == EBUSY && gpiod_line_update(b->line) == 0)
			consumer = gpiod_line_consumer(b->line);
		pedal_backend_set_request_error(error, errnum, b->params, b->description,
						consumer);
		return false;
	}
	b->fd = gpiod_line_event_get_fd(b->line);
	/* Reads must never block the main loop: a burst is read until
	 * EAGAIN. */
	flags = fcntl(b->fd, F_GETFL);
	if (flags < 0 || fcntl(b->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"cannot make the event fd of %s non-blocking: %s",
					b->description, g_strerror(errno));
		return false;
	}
	return true;
}

struct pedal_backend *pedal_backend_open(const struct pedal_backend_params *params,
					 GError **error)
{
	struct pedal_backend *b;

	if (!params->chip || !params->chip[0] || !params->line || !params->line[0]) {
		pedal_backend_set_error(error, PEDAL_ERROR_CONFIG, params,
					"both Chip and Line must be set");
		return NULL;
	}
	b = g_new0(struct pedal_backend, 1);
	b->fd = -1;
	b->params = params;
	b->chip = open_chip(b->params, error);
	if (!b->chip)
		goto fail;
	b->line = find_line(b->chip, b->params, error);
	if (!b->line)
		goto fail;
	b->description = describe_line(b->chip, b->line);
	if (!request_line(b, error))
		goto fail;
	return b;
fail:
	pedal_backend_close(b);
	return NULL;
}

void pedal_backend_close(struct pedal_backend *b)
{
	if (!b)
		return;
	if (b->line && b->fd >= 0)
		gpiod_line_release(b->line);
	if (b->chip)
		gpiod_chip_close(b->chip);
	g_free(b->description);
	g_free(b);
}

int pedal_backend_get_fd(const struct pedal_backend *b)
{
	return b->fd;
}

const char *pedal_backend_describe(const struct pedal_backend *b)
{
	return b->description;
}

int pedal_backend_read_events(struct pedal_backend *b, struct pedal_backend_event *events,
			      unsigned max, GError **error)
{
	struct gpiod_line_event raw[EVENTS_PER_READ];
	int n;

	if (max > EVENTS_PER_READ)
		max = EVENTS_PER_READ;
	if (max == 0)
		return 0;
	n = gpiod_line_event_read_multiple(b->line, raw, max);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"reading events of %s failed: %s", b->description,
					g_strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		events[i].edge = raw[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE ?
					 PEDAL_BACKEND_EDGE_RISING :
					 PEDAL_BACKEND_EDGE_FALLING;
		events[i].timestamp_ns = (uint64_t)raw[i].ts.tv_sec * 1000000000u +
					 (uint64_t)raw[i].ts.tv_nsec;
	}
	return n;
}

int pedal_backend_read_level(struct pedal_backend *b, GError **error)
{
	int value = gpiod_line_get_value(b->line);

	if (value < 0) {
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"reading the level of %s failed: %s", b->description,
					g_strerror(errno));
		return -1;
	}
	return value ? 1 : 0;
}
