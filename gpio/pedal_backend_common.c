// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What both pedal back ends share and that needs no libgpiod: finding the
 * chip (include/penctl/pedal_gpio_chip.h), parsing the line spec, and
 * wording the errors so that each names the chip and the line and says the
 * likely fix.
 */

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "pedal_backend.h"
#include "penctl/pedal.h"
#include "penctl/pedal_gpio_chip.h"

char *pedal_backend_find_chip(const struct pedal_backend_params *params, GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *chips = NULL;
	int r = pedal_gpio_chip_lookup(params->chip, &path, NULL);

	if (r == 0)
		return g_steal_pointer(&path);
	if (path) {
		pedal_backend_set_chip_open_error(error, -r, params, path);
		return NULL;
	}
	chips = pedal_gpio_chip_list();
	pedal_backend_set_error(error, PEDAL_ERROR_NO_CHIP, params,
				"no GPIO chip named, at or labelled \"%s\"; GPIO chips present: %s",
				params->chip, chips);
	return NULL;
}

bool pedal_backend_parse_offset(const char *line, unsigned *offset)
{
	guint64 value;

	if (!line[0] || strspn(line, "0123456789") != strlen(line) || strlen(line) > 9)
		return false;
	value = g_ascii_strtoull(line, NULL, 10);
	*offset = (unsigned)value;
	return true;
}

void pedal_backend_set_error(GError **error, int code, const struct pedal_backend_params *params,
			     const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list args;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, PEDAL_ERROR, code, "foot pedal [Pedal] Chip=%s Line=%s: %s",
		    params->chip, params->line, message);
}

void pedal_backend_set_chip_open_error(GError **error, int errnum,
					const struct pedal_backend_params *params, const char *path)
{
	switch (errnum) {
	case EACCES:
	case EPERM:
		pedal_backend_set_error(error, PEDAL_ERROR_PERMISSION, params,
					"cannot open %s: %s; add the penctld user to group gpio "
					"or install the udev rule (60-penctld-gpio.rules) that "
					"gives group gpio access to /dev/gpiochip*",
					path, g_strerror(errnum));
		break;
	case ENOENT:
	case ENODEV:
	case ENXIO:
	case ENOTTY:
	case EINVAL: {
		g_autofree char *chips = pedal_gpio_chip_list();
		struct stat st;

		/* libgpiod says ENODEV (2.x) or ENOTTY (1.6) for a file that
		 * exists but is not a GPIO chip. */
		if (errnum != ENOENT && stat(path, &st) == 0)
			pedal_backend_set_error(error, PEDAL_ERROR_NO_CHIP, params,
						"%s is not a GPIO chip; GPIO chips present: %s",
						path, chips);
		else
			pedal_backend_set_error(error, PEDAL_ERROR_NO_CHIP, params,
						"no GPIO chip at %s; GPIO chips present: %s", path,
						chips);
		break;
	}
	default:
		pedal_backend_set_error(error, PEDAL_ERROR_IO, params, "cannot open %s: %s", path,
					g_strerror(errnum));
		break;
	}
}

void pedal_backend_set_request_error(GError **error, int errnum,
				     const struct pedal_backend_params *params, const char *line,
				     const char *consumer)
{
	switch (errnum) {
	case EBUSY:
		if (consumer && consumer[0])
			pedal_backend_set_error(error, PEDAL_ERROR_BUSY, params,
						"%s is busy: consumer \"%s\" holds it; stop that "
						"program (gpioinfo shows each line's user) or wire "
						"the pedal to another line",
						line, consumer);
		else
			pedal_backend_set_error(error, PEDAL_ERROR_BUSY, params,
						"%s is busy: held by a consumer without a name "
						"(a kernel driver or another program; gpioinfo "
						"shows it); wire the pedal to another line",
						line);
		break;
	case EACCES:
	case EPERM:
		pedal_backend_set_error(error, PEDAL_ERROR_PERMISSION, params,
					"cannot request %s: %s; add the penctld user to group gpio "
					"or install the udev rule (60-penctld-gpio.rules)",
					line, g_strerror(errnum));
		break;
	case EINVAL:
	case EOPNOTSUPP:
		pedal_backend_set_error(error, PEDAL_ERROR_IO, params,
					"the kernel refused %s as an input with edge events "
					"(%s); check that the line supports interrupts and "
					"Bias=%s on this chip",
					line, g_strerror(errnum),
					penctl_pedal_bias_to_string(params->bias));
		break;
	default:
		pedal_backend_set_error(error, PEDAL_ERROR_IO, params, "cannot request %s: %s",
					line, g_strerror(errnum));
		break;
	}
}
