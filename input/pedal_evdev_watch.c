// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The foot switch on the GLib main loop (include/penctl/pedal_evdev.h):
 * two fds, the device's and udev's monitor; nothing else wakes us.  The
 * device failing, hanging up or udev saying "remove" is the pedal lost;
 * udev's "add" of a matching device is the one and only reopen.
 */

#include <glib-unix.h>

#include "penctl/pedal_evdev.h"

#define EVENTS_PER_READ 16u
/* Bound one wake-up's work; the fd stays readable for the rest. */
#define READS_PER_WAKEUP 32u

struct pedal_evdev_watch {
	struct pedal_evdev_device_spec spec;
	struct pedal_evdev_params params;
	struct pedal_evdev_watch_callbacks callbacks;
	void *user_data;

	struct pedal_evdev_hotplug *hotplug;
	guint udev_watch_id;
	struct pedal_evdev *dev;
	guint dev_watch_id;
	guint start_id;
};

static void close_device(struct pedal_evdev_watch *w)
{
	if (w->dev_watch_id)
		g_source_remove(w->dev_watch_id);
	w->dev_watch_id = 0;
	g_clear_pointer(&w->dev, pedal_evdev_close);
}

static void lost(struct pedal_evdev_watch *w, const char *reason)
{
	g_autofree char *message = g_strdup_printf("%s: %s", pedal_evdev_describe(w->dev), reason);

	/* Said before the close, which can wait on the kernel (gpio/pedal.c,
	 * line_lost()). */
	if (w->callbacks.on_lost)
		w->callbacks.on_lost(message, w->user_data);
	close_device(w);
}

/* Reads what is pending; false when the device was lost on the way. */
static bool service(struct pedal_evdev_watch *w)
{
	struct pedal_evdev_event events[EVENTS_PER_READ];

	for (unsigned reads = 0; reads < READS_PER_WAKEUP; reads++) {
		g_autoptr(GError) error = NULL;
		int n = pedal_evdev_read_events(w->dev, events, EVENTS_PER_READ, &error);

		if (n < 0) {
			lost(w, error->message);
			return false;
		}
		for (int i = 0; i < n; i++)
			if (w->callbacks.on_event)
				w->callbacks.on_event(&events[i], w->user_data);
		if ((unsigned)n < EVENTS_PER_READ)
			break;
	}
	return true;
}

static gboolean on_device(gint fd, GIOCondition condition, gpointer user_data)
{
	struct pedal_evdev_watch *w = user_data;

	(void)fd;
	if (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
		w->dev_watch_id = 0; /* removed by returning G_SOURCE_REMOVE */
		lost(w, "unplugged (poll hang-up)");
		return G_SOURCE_REMOVE;
	}
	service(w);
	return G_SOURCE_CONTINUE;
}

static void try_open(struct pedal_evdev_watch *w)
{
	g_autoptr(GError) error = NULL;
	uint64_t now_ns;
	int level;

	w->dev = pedal_evdev_open(&w->params, &error);
	if (!w->dev) {
		if (w->callbacks.on_unavailable)
			w->callbacks.on_unavailable(error, w->user_data);
		return;
	}
	level = pedal_evdev_read_level(w->dev, NULL);
	now_ns = (uint64_t)g_get_monotonic_time() * 1000u;
	w->dev_watch_id = g_unix_fd_add_full(G_PRIORITY_HIGH, pedal_evdev_get_fd(w->dev),
					     G_IO_IN | G_IO_ERR | G_IO_HUP, on_device, w, NULL);
	if (w->callbacks.on_opened)
		w->callbacks.on_opened(pedal_evdev_describe(w->dev), level, now_ns, w->user_data);
	/* Edges between the open and now. */
	if (w->dev)
		service(w);
}

static gboolean on_udev(gint fd, GIOCondition condition, gpointer user_data)
{
	struct pedal_evdev_watch *w = user_data;
	unsigned changes;

	(void)fd;
	(void)condition;
	changes = pedal_evdev_hotplug_read(w->hotplug, w->dev ? pedal_evdev_devnode(w->dev) : NULL);
	if ((changes & PEDAL_EVDEV_HOTPLUG_REMOVED) && w->dev)
		lost(w, "unplugged (udev remove)");
	if ((changes & PEDAL_EVDEV_HOTPLUG_ADDED) && !w->dev)
		try_open(w);
	return G_SOURCE_CONTINUE;
}

static gboolean on_start(gpointer user_data)
{
	struct pedal_evdev_watch *w = user_data;

	w->start_id = 0;
	if (!w->dev)
		try_open(w);
	return G_SOURCE_REMOVE;
}

struct pedal_evdev_watch *pedal_evdev_watch_new(const struct pedal_evdev_params *params,
						const struct pedal_evdev_watch_callbacks *callbacks,
						void *user_data, GError **error)
{
	struct pedal_evdev_watch *w = g_new0(struct pedal_evdev_watch, 1);

	w->spec = (struct pedal_evdev_device_spec){
		.path = g_strdup(params->device->path),
		.vendor = params->device->vendor,
		.product = params->device->product,
	};
	w->params = (struct pedal_evdev_params){ .device = &w->spec, .keys = params->keys,
						 .depth_debounce_ms = params->depth_debounce_ms };
	if (callbacks)
		w->callbacks = *callbacks;
	w->user_data = user_data;
	/* The monitor before the first open: a switch plugged in between
	 * the two is not missed. */
	w->hotplug = pedal_evdev_hotplug_new(&w->spec, error);
	if (!w->hotplug) {
		pedal_evdev_watch_free(w);
		return NULL;
	}
	w->udev_watch_id = g_unix_fd_add(pedal_evdev_hotplug_get_fd(w->hotplug), G_IO_IN, on_udev,
					 w);
	w->start_id = g_idle_add_full(G_PRIORITY_HIGH, on_start, w, NULL);
	return w;
}

void pedal_evdev_watch_free(struct pedal_evdev_watch *w)
{
	if (!w)
		return;
	close_device(w);
	if (w->start_id)
		g_source_remove(w->start_id);
	if (w->udev_watch_id)
		g_source_remove(w->udev_watch_id);
	pedal_evdev_hotplug_free(w->hotplug);
	pedal_evdev_device_spec_clear(&w->spec);
	g_free(w);
}
