// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pedal back end for libgpiod 2.x (Debian 13, Raspberry Pi OS trixie;
 * Debian 12 bookworm-backports for our second build configuration).
 *
 * The kernel's debounce (gpiod_line_settings_set_debounce_period_us) is
 * deliberately left at 0: it filters both edges, so it would delay the
 * release, and the stop must never wait.  gpio/pedal_debouncer.c debounces
 * presses only.  Event timestamps are asked for on CLOCK_MONOTONIC.
 */

#include <errno.h>
#include <fcntl.h>
#include <gpiod.h>
#include <string.h>

#include "pedal_backend.h"
#include "penctl/pedal.h"

#define EVENTS_PER_READ 16
/* Kernel FIFO size for the request: room for a long burst of bounces. */
#define EVENT_BUFFER_SIZE 64

struct pedal_backend {
	const struct pedal_backend_params *params; /* the caller's */
	struct gpiod_chip *chip;
	struct gpiod_line_request *request;
	struct gpiod_edge_event_buffer *buffer;
	unsigned offset;
	int fd;
	char *description;
};

/* g_autoptr() needs type names. */
typedef struct gpiod_chip_info gpiod_chip_info;
typedef struct gpiod_line_info gpiod_line_info;
typedef struct gpiod_line_settings gpiod_line_settings;
typedef struct gpiod_line_config gpiod_line_config;
typedef struct gpiod_request_config gpiod_request_config;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gpiod_chip_info, gpiod_chip_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gpiod_line_info, gpiod_line_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gpiod_line_settings, gpiod_line_settings_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gpiod_line_config, gpiod_line_config_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(gpiod_request_config, gpiod_request_config_free)

const char *pedal_backend_api(void)
{
	return "libgpiod 2";
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

static bool find_line(struct pedal_backend *b, struct gpiod_chip_info *info, GError **error)
{
	size_t n_lines = gpiod_chip_info_get_num_lines(info);
	unsigned offset;
	int found;

	if (pedal_backend_parse_offset(b->params->line, &offset)) {
		if (offset >= n_lines) {
			pedal_backend_set_error(error, PEDAL_ERROR_NO_LINE, b->params,
						"%s [%s] has %zu lines (offsets 0 to %zu); no line "
						"at offset %u",
						gpiod_chip_info_get_name(info),
						gpiod_chip_info_get_label(info), n_lines,
						n_lines ? n_lines - 1 : 0, offset);
			return false;
		}
		b->offset = offset;
		return true;
	}

	found = gpiod_chip_get_line_offset_from_name(b->chip, b->params->line);
	if (found >= 0) {
		b->offset = (unsigned)found;
		return true;
	}
	if (errno == ENOENT)
		pedal_backend_set_error(error, PEDAL_ERROR_NO_LINE, b->params,
					"no line named \"%s\" on %s [%s] (%zu lines); gpioinfo -c %s "
					"lists the names, or give the offset",
					b->params->line, gpiod_chip_info_get_name(info),
					gpiod_chip_info_get_label(info), n_lines,
					gpiod_chip_info_get_name(info));
	else
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"cannot look up line \"%s\" on %s: %s", b->params->line,
					gpiod_chip_info_get_name(info), g_strerror(errno));
	return false;
}

static enum gpiod_line_bias to_gpiod_bias(enum penctl_pedal_bias bias)
{
	switch (bias) {
	case PENCTL_PEDAL_BIAS_AS_IS:
		return GPIOD_LINE_BIAS_AS_IS;
	case PENCTL_PEDAL_BIAS_DISABLED:
		return GPIOD_LINE_BIAS_DISABLED;
	case PENCTL_PEDAL_BIAS_PULL_UP:
		return GPIOD_LINE_BIAS_PULL_UP;
	case PENCTL_PEDAL_BIAS_PULL_DOWN:
		return GPIOD_LINE_BIAS_PULL_DOWN;
	}
	return GPIOD_LINE_BIAS_AS_IS;
}

static char *describe_line(struct pedal_backend *b, struct gpiod_chip_info *info)
{
	g_autoptr(gpiod_line_info) line = gpiod_chip_get_line_info(b->chip, b->offset);
	const char *name = line ? gpiod_line_info_get_name(line) : NULL;

	return g_strdup_printf("line %u%s%s%s of %s [%s]", b->offset, name ? " (" : "",
			       name ? name : "", name ? ")" : "", gpiod_chip_info_get_name(info),
			       gpiod_chip_info_get_label(info));
}

static bool request_line(struct pedal_backend *b, GError **error)
{
	g_autoptr(gpiod_line_settings) settings = gpiod_line_settings_new();
	g_autoptr(gpiod_line_config) line_config = gpiod_line_config_new();
	g_autoptr(gpiod_request_config) request_config = gpiod_request_config_new();
	int flags;

	if (!settings || !line_config || !request_config ||
	    gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_INPUT) < 0 ||
	    gpiod_line_settings_set_edge_detection(settings, GPIOD_LINE_EDGE_BOTH) < 0 ||
	    gpiod_line_settings_set_bias(settings, to_gpiod_bias(b->params->bias)) < 0 ||
	    gpiod_line_settings_set_event_clock(settings, GPIOD_LINE_CLOCK_MONOTONIC) < 0) {
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"cannot prepare the request for %s: %s", b->description,
					g_strerror(errno));
		return false;
	}
	gpiod_line_settings_set_active_low(settings, b->params->active_low);
	/* No kernel debounce: it would delay the release too. */
	gpiod_line_settings_set_debounce_period_us(settings, 0);
	if (gpiod_line_config_add_line_settings(line_config, &b->offset, 1, settings) < 0) {
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"cannot prepare the request for %s: %s", b->description,
					g_strerror(errno));
		return false;
	}
	gpiod_request_config_set_consumer(request_config, b->params->consumer);
	gpiod_request_config_set_event_buffer_size(request_config, EVENT_BUFFER_SIZE);

	b->request = gpiod_chip_request_lines(b->chip, request_config, line_config);
	if (!b->request) {
		int errnum = errno;
		g_autoptr(gpiod_line_info) info = NULL;
		const char *consumer = NULL;

		if (errnum == EBUSY) {
			info = gpiod_chip_get_line_info(b->chip, b->offset);
			consumer = info ? gpiod_line_info_get_consumer(info) : NULL;
		}
		pedal_backend_set_request_error(error, errnum, b->params, b->description,
						consumer);
		return false;
	}
	b->fd = gpiod_line_request_get_fd(b->request);
	/* Reads must never block the main loop: a burst is read until
	 * EAGAIN. */
	flags = fcntl(b->fd, F_GETFL);
	if (flags < 0 || fcntl(b->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"cannot make the event fd of %s non-blocking: %s",
					b->description, g_strerror(errno));
		return false;
	}
	b->buffer = gpiod_edge_event_buffer_new(EVENTS_PER_READ);
	if (!b->buffer) {
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"cannot allocate the event buffer: %s", g_strerror(errno));
		return false;
	}
	return true;
}

struct pedal_backend *pedal_backend_open(const struct pedal_backend_params *params,
					 GError **error)
{
	g_autoptr(gpiod_chip_info) info = NULL;
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
	info = gpiod_chip_get_info(b->chip);
	if (!info) {
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"cannot read the chip's information: %s", g_strerror(errno));
		goto fail;
	}
	if (!find_line(b, info, error))
		goto fail;
	b->description = describe_line(b, info);
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
	if (b->buffer)
		gpiod_edge_event_buffer_free(b->buffer);
	if (b->request)
		gpiod_line_request_release(b->request);
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
	int n;

	if (max > EVENTS_PER_READ)
		max = EVENTS_PER_READ;
	if (max == 0)
		return 0;
	n = gpiod_line_request_read_edge_events(b->request, b->buffer, max);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
					"reading events of %s failed: %s", b->description,
					g_strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct gpiod_edge_event *event = gpiod_edge_event_buffer_get_event(b->buffer,
										   (unsigned long)i);

		events[i].edge = gpiod_edge_event_get_event_type(event) ==
						 GPIOD_EDGE_EVENT_RISING_EDGE ?
					 PEDAL_BACKEND_EDGE_RISING :
					 PEDAL_BACKEND_EDGE_FALLING;
		events[i].timestamp_ns = gpiod_edge_event_get_timestamp_ns(event);
	}
	return n;
}

int pedal_backend_read_level(struct pedal_backend *b, GError **error)
{
	enum gpiod_line_value value = gpiod_line_request_get_value(b->request, b->offset);

	switch (value) {
	case GPIOD_LINE_VALUE_ACTIVE:
		return 1;
	case GPIOD_LINE_VALUE_INACTIVE:
		return 0;
	case GPIOD_LINE_VALUE_ERROR:
		break;
	}
	pedal_backend_set_error(error, PEDAL_ERROR_IO, b->params,
				"reading the level of %s failed: %s", b->description,
				g_strerror(errno));
	return -1;
}
