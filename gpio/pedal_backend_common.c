// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What both pedal back ends share and that needs no libgpiod: finding the
 * chip devices, parsing the line spec, and wording the errors so that each
 * names the chip and the line and says the likely fix.
 */

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "pedal_backend.h"
#include "penctl/pedal.h"

G_DEFINE_QUARK(penctl-pedal-error-quark, pedal_error)

static bool is_char_device(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

/* "gpiochip10" after "gpiochip9": by number, not by text. */
static gint compare_chip_paths(gconstpointer a, gconstpointer b)
{
	const char *pa = *(const char *const *)a, *pb = *(const char *const *)b;
	size_t la = strlen(pa), lb = strlen(pb);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(pa, pb);
}

GPtrArray *pedal_backend_chip_paths(void)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	DIR *dir = opendir("/dev");
	struct dirent *entry;

	if (!dir)
		return paths;
	while ((entry = readdir(dir))) {
		g_autofree char *path = NULL;

		if (!g_str_has_prefix(entry->d_name, "gpiochip"))
			continue;
		path = g_strconcat("/dev/", entry->d_name, NULL);
		if (is_char_device(path))
			g_ptr_array_add(paths, g_steal_pointer(&path));
	}
	closedir(dir);
	g_ptr_array_sort(paths, compare_chip_paths);
	return paths;
}

char *pedal_backend_chip_path_from_spec(const char *chip)
{
	g_autofree char *in_dev = NULL;

	if (strchr(chip, '/'))
		return g_strdup(chip);
	in_dev = g_strconcat("/dev/", chip, NULL);
	if (g_str_has_prefix(chip, "gpiochip") && is_char_device(in_dev))
		return g_steal_pointer(&in_dev);
	return NULL;
}

/* As written in penctld.conf; kept here so gpio/ needs no penctl-core. */
static const char *bias_name(enum penctl_pedal_bias bias)
{
	switch (bias) {
	case PENCTL_PEDAL_BIAS_AS_IS:
		return "as-is";
	case PENCTL_PEDAL_BIAS_DISABLED:
		return "disabled";
	case PENCTL_PEDAL_BIAS_PULL_UP:
		return "pull-up";
	case PENCTL_PEDAL_BIAS_PULL_DOWN:
		return "pull-down";
	}
	return "unknown";
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
		g_autofree char *chips = pedal_backend_list_chips();
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
					bias_name(params->bias));
		break;
	default:
		pedal_backend_set_error(error, PEDAL_ERROR_IO, params, "cannot request %s: %s",
					line, g_strerror(errnum));
		break;
	}
}
