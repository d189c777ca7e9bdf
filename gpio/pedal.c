// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The foot pedal in the GLib main loop (include/penctl/pedal.h), above the
 * pedal drivers (include/penctl/pedal_driver.h): the driver's event fd and
 * the debouncer's deadline are the only wake-ups.
 *
 * Every wake-up runs the same service routine: read the whole burst of
 * edges, feed them to the debouncer, read the level and resync, then let a
 * due deadline confirm a press and rearm the timer.  Reading the level
 * before confirming means a press is only confirmed while the line reads
 * down, whichever source woke us.
 */

#include <glib-unix.h>

#include "penctl/backoff.h"
#include "penctl/deadline_source.h"
#include "penctl/pedal.h"
#include "penctl/pedal_driver.h"
#include "penctl/pedal_debouncer.h"

G_DEFINE_QUARK(penctl-pedal-error-quark, pedal_error)

#define BACKOFF_FIRST_MS 500u
#define BACKOFF_MAX_MS   30000u
/* Bound one wake-up's work; a line that chatters faster than this is read
 * on, from the next main-loop iteration (the fd stays readable). */
#define READS_PER_WAKEUP 32u

struct pedal {
	const struct pedal_driver *driver; /* NULL: Source= not built in */
	void *instance;                    /* the driver's */
	enum penctl_pedal_source source;
	uint32_t debounce_ms;
	struct pedal_callbacks callbacks;
	void *user_data;

	struct pedal_debouncer debouncer;
	int fd;                /* the driver's event fd while open, else -1 */
	bool started;

	/* The level read right after the request, reported from an idle
	 * source so that no callback runs inside pedal_start(). */
	guint start_report_id;
	int start_level;
	int64_t start_time_us;

	guint fd_watch_id;
	GSource *deadline;     /* ready time = the debouncer's deadline, or -1 */
	guint retry_id;
	struct backoff backoff; /* reopening a lost or missing line */
	int32_t depth_step_um;  /* [Pedal] DepthStepMm, for on_depth_key */
	guint hotplug_watch_id; /* the driver's hotplug fd: reopen on its news */
	bool hotplug_looked;    /* looked once since the loss: now wait for news */
	char *last_failure;    /* reported already: not again until it changes */
};

static void deliver(struct pedal *p, const struct pedal_debouncer_output *out)
{
	for (unsigned i = 0; i < out->n_events; i++) {
		const struct pedal_debounce_event *e = &out->events[i];

		switch (e->kind) {
		case PEDAL_DEBOUNCE_PRESSED:
			if (p->callbacks.on_pressed)
				p->callbacks.on_pressed(e->time_us, e->held_at_start,
							p->user_data);
			break;
		case PEDAL_DEBOUNCE_RELEASED:
			if (p->callbacks.on_released)
				p->callbacks.on_released(e->time_us, p->user_data);
			break;
		case PEDAL_DEBOUNCE_PRESS_BEGAN:
			if (p->callbacks.on_press_began)
				p->callbacks.on_press_began(e->time_us, p->user_data);
			break;
		}
	}
}

static void deliver_depth_key(struct pedal *p, const struct pedal_driver_event *e)
{
	if (p->callbacks.on_depth_key)
		p->callbacks.on_depth_key(e->kind == PEDAL_DRIVER_DEPTH_UP ? p->depth_step_um :
									  -p->depth_step_um,
					  (int64_t)(e->timestamp_ns / 1000u), p->user_data);
}

static enum pedal_level level_from_value(int value)
{
	return value ? PEDAL_LEVEL_DOWN : PEDAL_LEVEL_UP;
}

static void rearm_deadline(struct pedal *p)
{
	g_source_set_ready_time(p->deadline, pedal_debouncer_next_deadline(&p->debouncer));
}

static void close_line(struct pedal *p)
{
	if (p->fd_watch_id)
		g_source_remove(p->fd_watch_id);
	p->fd_watch_id = 0;
	if (p->start_report_id)
		g_source_remove(p->start_report_id);
	p->start_report_id = 0;
	g_source_set_ready_time(p->deadline, -1);
	if (p->fd >= 0)
		p->driver->close(p->instance);
	p->fd = -1;
	pedal_debouncer_reset(&p->debouncer);
}

static void schedule_retry(struct pedal *p);

static void line_lost(struct pedal *p, const char *reason)
{
	g_autofree char *message = g_strdup_printf("%s: %s", pedal_describe(p), reason);

	/* The loss first, the clean-up after: closing a grabbed input
	 * device waits out two RCU grace periods in the kernel
	 * (evdev_release(): the ungrab's and the client's detach's
	 * synchronize_rcu()), and the STOP the loss causes must not wait
	 * behind them. */
	if (p->callbacks.on_lost)
		p->callbacks.on_lost(message, p->user_data);
	close_line(p);
	backoff_reset(&p->backoff);
	g_clear_pointer(&p->last_failure, g_free);
	p->hotplug_looked = false;
	schedule_retry(p);
}

/* The service routine: see the top of the file.  Returns false when the
 * line was lost on the way. */
static bool service(struct pedal *p)
{
	struct pedal_debouncer_output out;
	struct pedal_driver_event events[16];
	g_autoptr(GError) error = NULL;
	int64_t now_us;
	int level;

	for (unsigned reads = 0; reads < READS_PER_WAKEUP; reads++) {
		int n = p->driver->read_events(p->instance, events, G_N_ELEMENTS(events), &error);

		if (n < 0) {
			line_lost(p, error->message);
			return false;
		}
		if (n == 0)
			break;
		for (int i = 0; i < n; i++) {
			if (events[i].kind != PEDAL_DRIVER_EDGE) {
				deliver_depth_key(p, &events[i]);
				continue;
			}
			pedal_debouncer_feed(&p->debouncer, events[i].level,
					     (int64_t)(events[i].timestamp_ns / 1000u), &out);
			deliver(p, &out);
		}
	}

	level = p->driver->read_level(p->instance, &error);
	now_us = g_get_monotonic_time();
	if (level < 0) {
		line_lost(p, error->message);
		return false;
	}
	pedal_debouncer_resync(&p->debouncer, level_from_value(level), now_us, &out);
	deliver(p, &out);
	pedal_debouncer_on_deadline(&p->debouncer, now_us, &out);
	deliver(p, &out);
	rearm_deadline(p);
	return true;
}

static gboolean on_line_event(gint fd, GIOCondition condition, gpointer user_data)
{
	struct pedal *p = user_data;

	(void)fd;
	if (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
		p->fd_watch_id = 0; /* removed by returning G_SOURCE_REMOVE */
		line_lost(p, "the device went away or failed (poll error/hang-up)");
		return G_SOURCE_REMOVE;
	}
	service(p);
	return G_SOURCE_CONTINUE;
}

static gboolean on_deadline(gpointer user_data)
{
	struct pedal *p = user_data;

	if (p->fd >= 0 && !p->start_report_id)
		service(p);
	return G_SOURCE_CONTINUE;
}

static gboolean on_start_report(gpointer user_data)
{
	struct pedal *p = user_data;
	struct pedal_debouncer_output out;

	p->start_report_id = 0;
	pedal_debouncer_start(&p->debouncer, level_from_value(p->start_level), p->start_time_us,
			      &out);
	deliver(p, &out);
	p->fd_watch_id = g_unix_fd_add_full(G_PRIORITY_HIGH, p->fd,
					    G_IO_IN | G_IO_ERR | G_IO_HUP, on_line_event, p, NULL);
	/* Edges that came between the request and now. */
	service(p);
	return G_SOURCE_REMOVE;
}

static bool try_open(struct pedal *p, GError **error)
{
	p->fd = p->driver->open(p->instance, error);
	if (p->fd < 0)
		return false;
	/* The level right after the request: a pedal already down is
	 * "held at start". */
	p->start_level = p->driver->read_level(p->instance, error);
	p->start_time_us = g_get_monotonic_time();
	if (p->start_level < 0) {
		close_line(p);
		return false;
	}
	backoff_reset(&p->backoff);
	g_clear_pointer(&p->last_failure, g_free);
	p->start_report_id = g_idle_add_full(G_PRIORITY_HIGH, on_start_report, p, NULL);
	return true;
}

static gboolean on_retry(gpointer user_data)
{
	struct pedal *p = user_data;
	g_autoptr(GError) error = NULL;

	p->retry_id = 0;
	if (try_open(p, &error))
		return G_SOURCE_REMOVE;
	/* Each reason once: a pedal unplugged for an hour must not fill
	 * the journal. */
	if (g_strcmp0(p->last_failure, error->message) != 0) {
		g_free(p->last_failure);
		p->last_failure = g_strdup(error->message);
		if (p->callbacks.on_unavailable)
			p->callbacks.on_unavailable(error, p->user_data);
	}
	schedule_retry(p);
	return G_SOURCE_REMOVE;
}

static void schedule_retry(struct pedal *p)
{
	if (p->retry_id)
		return;
	if (p->hotplug_watch_id) {
		/* The driver's news reopens (on_hotplug); one look right away
		 * covers a device that came back before its loss was seen. */
		if (!p->hotplug_looked) {
			p->hotplug_looked = true;
			p->retry_id = g_idle_add_full(G_PRIORITY_DEFAULT, on_retry, p, NULL);
		}
		return;
	}
	p->retry_id = g_timeout_add_full(G_PRIORITY_DEFAULT, backoff_next(&p->backoff), on_retry, p,
					 NULL);
}

static gboolean on_hotplug(gint fd, GIOCondition condition, gpointer user_data)
{
	struct pedal *p = user_data;

	(void)fd;
	(void)condition;
	/* Drained whatever the state, so that news does not pile up. */
	if (p->driver->hotplug_ready(p->instance) && p->fd < 0 && !p->retry_id)
		p->retry_id = g_idle_add_full(G_PRIORITY_DEFAULT, on_retry, p, NULL);
	return G_SOURCE_CONTINUE;
}

static void watch_hotplug(struct pedal *p)
{
	int fd = p->driver->hotplug_fd ? p->driver->hotplug_fd(p->instance) : -1;

	if (fd >= 0)
		p->hotplug_watch_id = g_unix_fd_add(fd, G_IO_IN, on_hotplug, p);
	/* pedal_start()'s open is the first look. */
	p->hotplug_looked = true;
}

struct pedal *pedal_new(const struct penctl_config *config, const struct pedal_callbacks *callbacks,
			void *user_data)
{
	struct pedal *p = g_new0(struct pedal, 1);

	p->source = config->pedal_source;
	p->driver = pedal_driver_for_source(config->pedal_source);
	if (p->driver)
		p->instance = p->driver->init(config, "penctld");
	p->fd = -1;
	p->debounce_ms = config->pedal_debounce_ms;
	p->depth_step_um = (int32_t)config->pedal_depth_step_um;
	if (callbacks)
		p->callbacks = *callbacks;
	p->user_data = user_data;
	pedal_debouncer_init(&p->debouncer, p->debounce_ms);
	backoff_init(&p->backoff, BACKOFF_FIRST_MS, BACKOFF_MAX_MS);

	p->deadline = penctl_deadline_source_new(G_PRIORITY_HIGH, "pedal debounce deadline",
						 on_deadline, p);
	return p;
}

void pedal_free(struct pedal *p)
{
	if (!p)
		return;
	close_line(p);
	if (p->retry_id)
		g_source_remove(p->retry_id);
	if (p->hotplug_watch_id)
		g_source_remove(p->hotplug_watch_id);
	g_source_destroy(p->deadline);
	g_source_unref(p->deadline);
	if (p->driver)
		p->driver->fini(p->instance);
	g_free(p->last_failure);
	g_free(p);
}

bool pedal_start(struct pedal *p, GError **error)
{
	g_autoptr(GError) local_error = NULL;

	if (p->started)
		return true;
	p->started = true;
	/* Configuration validation refuses such a Source; this is for a
	 * configuration made otherwise.  No retry: waiting cannot help. */
	if (!p->driver) {
		g_set_error(error, PEDAL_ERROR, PEDAL_ERROR_CONFIG,
			    "foot pedal [Pedal] Source=%s: pedal driver '%s' is not built in",
			    penctl_pedal_source_to_string(p->source),
			    penctl_pedal_source_to_string(p->source));
		return false;
	}
	watch_hotplug(p);
	if (try_open(p, &local_error))
		return true;
	/* The caller reports this one; the retries report only news. */
	p->last_failure = g_strdup(local_error->message);
	schedule_retry(p);
	g_propagate_error(error, g_steal_pointer(&local_error));
	return false;
}

bool pedal_is_available(const struct pedal *p)
{
	return p->fd >= 0;
}

const char *pedal_describe(const struct pedal *p)
{
	return p->driver ? p->driver->describe(p->instance) : "no pedal driver";
}
