// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The foot switch's input device (include/penctl/pedal_evdev.h): find it,
 * open it, grab it, read it with libevdev.  The only file that grabs and
 * reads an event device (pedal_evdev_doctor.c opens one only to list its
 * keys); the translation of what it reads is evdev_translate.c's.
 */

#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input_udev.h"
#include "penctl/pedal_evdev.h"

struct pedal_evdev {
	int fd;
	struct libevdev *evdev;
	struct pedal_evdev_translator translator;
	bool syncing;        /* reading libevdev's resync after SYN_DROPPED */
	char *devnode;
	char *description;
};

static void set_open_error(GError **error, int errnum, const char *devnode)
{
	switch (errnum) {
	case EACCES:
	case EPERM:
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_PERMISSION,
			    "%s: %s: install the udev rule for this foot switch "
			    "(`penctl doctor` prints it; docs/usb-pedal.md)", devnode,
			    g_strerror(errnum));
		break;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_NO_DEVICE,
			    "%s: %s: is the foot switch plugged in?", devnode, g_strerror(errnum));
		break;
	default:
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_IO, "%s: %s", devnode,
			    g_strerror(errnum));
		break;
	}
}

static bool has_keys(struct libevdev *evdev, const struct pedal_evdev_keys *keys,
		     const char **missing)
{
	const unsigned codes[] = { keys->pedal, keys->depth_down, keys->depth_up };

	for (size_t i = 0; i < G_N_ELEMENTS(codes); i++)
		if (codes[i] && !libevdev_has_event_code(evdev, EV_KEY, codes[i])) {
			*missing = libevdev_event_code_get_name(EV_KEY, codes[i]);
			return false;
		}
	return true;
}

/* Opens DEVNODE and checks it has the keys; no grab yet. */
static struct pedal_evdev *open_node(const char *devnode, const struct pedal_evdev_keys *keys,
				     GError **error)
{
	struct pedal_evdev *dev;
	struct libevdev *evdev = NULL;
	const char *missing = NULL;
	int fd, rc;

	fd = open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		set_open_error(error, errno, devnode);
		return NULL;
	}
	rc = libevdev_new_from_fd(fd, &evdev);
	if (rc < 0) {
		set_open_error(error, -rc, devnode);
		close(fd);
		return NULL;
	}
	if (!has_keys(evdev, keys, &missing)) {
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_NO_KEY,
			    "%s (%04x:%04x %s) has no key %s: `pedalmon-evdev %s` shows the "
			    "keys it sends", devnode, libevdev_get_id_vendor(evdev),
			    libevdev_get_id_product(evdev), libevdev_get_name(evdev), missing,
			    devnode);
		libevdev_free(evdev);
		close(fd);
		return NULL;
	}
	dev = g_new0(struct pedal_evdev, 1);
	dev->fd = fd;
	dev->evdev = evdev;
	/* The node itself, not a by-id link: udev's "remove" names it. */
	dev->devnode = realpath(devnode, NULL);
	if (!dev->devnode)
		dev->devnode = g_strdup(devnode);
	return dev;
}

/* The grab and the clock: what makes the device the daemon's pedal. */
static bool claim(struct pedal_evdev *dev, const struct pedal_evdev_params *params,
		  GError **error)
{
	const struct pedal_evdev_keys *keys = &params->keys;
	int rc = libevdev_grab(dev->evdev, LIBEVDEV_GRAB);
	struct timespec now;

	if (rc < 0) {
		g_set_error(error, PEDAL_EVDEV_ERROR,
			    rc == -EBUSY ? PEDAL_EVDEV_ERROR_BUSY : PEDAL_EVDEV_ERROR_IO,
			    "%s: cannot take it for penctld alone (EVIOCGRAB): %s%s", dev->devnode,
			    g_strerror(-rc),
			    rc == -EBUSY ? ": another program grabbed it (stop it: "
					   "`fuser -v` names it)" : "");
		return false;
	}
	rc = libevdev_set_clock_id(dev->evdev, CLOCK_MONOTONIC);
	if (rc < 0) {
		g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_IO,
			    "%s: cannot set its clock to CLOCK_MONOTONIC (EVIOCSCLOCKID): %s",
			    dev->devnode, g_strerror(-rc));
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	pedal_evdev_translator_init(&dev->translator, keys,
				    libevdev_get_event_value(dev->evdev, EV_KEY, keys->pedal),
				    (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec,
				    params->depth_debounce_ms);
	dev->description = g_strdup_printf("%s (%04x:%04x %s) key %s", dev->devnode,
					   libevdev_get_id_vendor(dev->evdev),
					   libevdev_get_id_product(dev->evdev),
					   libevdev_get_name(dev->evdev),
					   libevdev_event_code_get_name(EV_KEY, keys->pedal));
	return true;
}

struct pedal_evdev *pedal_evdev_open(const struct pedal_evdev_params *params, GError **error)
{
	g_autoptr(GPtrArray) nodes = NULL;
	g_autoptr(GError) first_error = NULL;
	const struct pedal_evdev_device_spec *spec = params->device;

	if (spec->path) {
		g_autoptr(PedalEvdev) dev = open_node(spec->path, &params->keys, error);

		if (!dev || !claim(dev, params, error))
			return NULL;
		return g_steal_pointer(&dev);
	}
	nodes = input_udev_event_nodes(spec->vendor, spec->product, error);
	if (!nodes)
		return NULL;
	/* A switch often has several event nodes (keyboard, mouse, ...):
	 * the first that has the keys. */
	for (guint i = 0; i < nodes->len; i++) {
		g_autoptr(GError) local = NULL;
		g_autoptr(PedalEvdev) dev = open_node(nodes->pdata[i], &params->keys, &local);

		if (dev && claim(dev, params, error))
			return g_steal_pointer(&dev);
		if (dev)
			return NULL;
		/* Report the most useful failure: "permission denied" on
		 * the keyboard node rather than "no key" on the mouse node. */
		if (!first_error || (first_error->code == PEDAL_EVDEV_ERROR_NO_KEY &&
				     local->code != PEDAL_EVDEV_ERROR_NO_KEY)) {
			g_clear_error(&first_error);
			first_error = g_steal_pointer(&local);
		}
	}
	if (first_error) {
		g_propagate_error(error, g_steal_pointer(&first_error));
		return NULL;
	}
	g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_NO_DEVICE,
		    "no input device usb:%04x:%04x: is the foot switch plugged in? "
		    "(`penctl doctor` lists the foot switches present)", spec->vendor,
		    spec->product);
	return NULL;
}

void pedal_evdev_close(struct pedal_evdev *dev)
{
	if (!dev)
		return;
	if (dev->evdev)
		libevdev_free(dev->evdev);
	if (dev->fd >= 0)
		close(dev->fd); /* closing ends the grab */
	g_free(dev->devnode);
	g_free(dev->description);
	g_free(dev);
}

int pedal_evdev_get_fd(const struct pedal_evdev *dev)
{
	return dev->fd;
}

static enum pedal_evdev_read read_kind(int rc)
{
	if (rc == LIBEVDEV_READ_STATUS_SUCCESS)
		return PEDAL_EVDEV_READ_EVENT;
	if (rc == LIBEVDEV_READ_STATUS_SYNC)
		return PEDAL_EVDEV_READ_SYNC;
	return rc == -EAGAIN ? PEDAL_EVDEV_READ_AGAIN : PEDAL_EVDEV_READ_ERROR;
}

int pedal_evdev_read_events(struct pedal_evdev *dev, struct pedal_evdev_event *events,
			    unsigned max, GError **error)
{
	unsigned n = 0;

	while (n < max) {
		struct input_event ev;
		int rc = libevdev_next_event(dev->evdev,
					     dev->syncing ? LIBEVDEV_READ_FLAG_SYNC :
							    LIBEVDEV_READ_FLAG_NORMAL,
					     &ev);
		enum pedal_evdev_read kind = read_kind(rc);

		if (kind == PEDAL_EVDEV_READ_ERROR) {
			g_set_error(error, PEDAL_EVDEV_ERROR, PEDAL_EVDEV_ERROR_IO,
				    "%s: %s", dev->devnode,
				    rc == -ENODEV ? "unplugged (ENODEV)" : g_strerror(-rc));
			return -1;
		}
		if (kind == PEDAL_EVDEV_READ_AGAIN) {
			if (!dev->syncing)
				break;
			/* The resync is done: back to the kernel's events. */
			dev->syncing = false;
			continue;
		}
		/* SYN_DROPPED: the kernel's buffer overflowed; libevdev
		 * hands the difference to the device's state as SYNC
		 * events, read with the SYNC flag until -EAGAIN. */
		if (kind == PEDAL_EVDEV_READ_SYNC)
			dev->syncing = true;
		if (pedal_evdev_translate(&dev->translator, kind, &ev, &events[n]))
			n++;
	}
	return (int)n;
}

int pedal_evdev_read_level(struct pedal_evdev *dev, GError **error)
{
	/* The translator's, not libevdev's: a key held at the plug is up
	 * for the pedal until released. */
	(void)error;
	return dev->translator.level == 1 ? 1 : 0;
}

const char *pedal_evdev_describe(const struct pedal_evdev *dev)
{
	return dev->description;
}

const char *pedal_evdev_devnode(const struct pedal_evdev *dev)
{
	return dev->devnode;
}
