// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The GPIO chip lookup (include/penctl/pedal_gpio_chip.h): the kernel's
 * chip information ioctl, no libgpiod.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "penctl/pedal_gpio_chip.h"

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

/* The GPIO character devices present, sorted: "/dev/gpiochip0", ... */
static GPtrArray *chip_paths(void)
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

/* 0 with INFO, or -errno. */
static int read_chip_info(const char *path, struct gpiochip_info *info)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	*info = (struct gpiochip_info){ 0 };
	if (ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, info) < 0)
		r = -errno;
	close(fd);
	return r;
}

int pedal_gpio_chip_lookup(const char *spec, char **path, struct gpiochip_info *info)
{
	g_autofree char *in_dev = g_strconcat("/dev/", spec, NULL);
	g_autoptr(GPtrArray) paths = NULL;
	struct gpiochip_info scratch;
	int open_error = 0;

	*path = NULL;
	if (!info)
		info = &scratch;
	if (strchr(spec, '/') || (g_str_has_prefix(spec, "gpiochip") && is_char_device(in_dev))) {
		*path = g_strdup(strchr(spec, '/') ? spec : in_dev);
		return read_chip_info(*path, info);
	}
	paths = chip_paths();
	for (unsigned i = 0; i < paths->len; i++) {
		int r = read_chip_info(g_ptr_array_index(paths, i), info);

		if (r < 0) {
			open_error = open_error ? open_error : r;
			continue;
		}
		if (strncmp(info->label, spec, sizeof(info->label)) == 0) {
			*path = g_strdup(g_ptr_array_index(paths, i));
			return 0;
		}
	}
	/* The chip may be among those we could not read. */
	if (open_error == -EACCES || open_error == -EPERM) {
		*path = g_strdup("/dev/gpiochip*");
		return open_error;
	}
	return -ENOENT;
}

char *pedal_gpio_chip_list(void)
{
	g_autoptr(GPtrArray) paths = chip_paths();
	g_autoptr(GString) list = g_string_new(NULL);

	for (unsigned i = 0; i < paths->len; i++) {
		const char *path = g_ptr_array_index(paths, i);
		struct gpiochip_info info;
		int r = read_chip_info(path, &info);

		if (list->len)
			g_string_append(list, ", ");
		if (r < 0)
			g_string_append_printf(list, "%s (cannot open: %s)", path + strlen("/dev/"),
					       g_strerror(-r));
		else
			g_string_append_printf(list, "%.*s [%.*s] (%u lines)",
					       (int)sizeof(info.name), info.name,
					       (int)sizeof(info.label), info.label, info.lines);
	}
	if (!list->len)
		g_string_append(list, "none (is the GPIO driver loaded?)");
	return g_string_free(g_steal_pointer(&list), FALSE);
}
