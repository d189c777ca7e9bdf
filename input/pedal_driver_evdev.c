// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The evdev pedal driver (include/penctl/pedal_driver.h): a key of a USB
 * foot switch, through input/pedal_evdev.c.  Turns the configuration into
 * the device's parameters and its events into the driver's; udev's
 * monitor tells gpio/pedal.c when to reopen, so no retry timer runs while
 * the switch is unplugged.
 */

#include "penctl/pedal.h"
#include "penctl/pedal_driver.h"
#include "penctl/pedal_evdev.h"

#define EVENTS_PER_READ 16u

struct evdev_pedal {
	struct pedal_evdev_device_spec spec;
	struct pedal_evdev_params params;
	struct pedal_evdev *dev;
	struct pedal_evdev_hotplug *hotplug;
	char *config_description;
};

/* The configuration was validated (pedal_evdev_validate_config): a key
 * that does not parse here is left 0, "none". */
static unsigned key_or_none(const char *name)
{
	unsigned code = 0;

	if (name && !pedal_evdev_parse_key(name, &code, NULL))
		code = 0;
	return code;
}

static void *evdev_init(const struct penctl_config *config, const char *consumer)
{
	struct evdev_pedal *e = g_new0(struct evdev_pedal, 1);

	(void)consumer; /* an input device has no consumer label; the grab says it */
	if (!pedal_evdev_parse_device(config->pedal_device, &e->spec, NULL))
		e->spec = (struct pedal_evdev_device_spec){ .path = g_strdup("") };
	e->params = (struct pedal_evdev_params){
		.device = &e->spec,
		.keys = {
			.pedal = key_or_none(config->pedal_key),
			.depth_down = key_or_none(config->pedal_depth_down_key),
			.depth_up = key_or_none(config->pedal_depth_up_key),
		},
		.depth_debounce_ms = config->pedal_debounce_ms,
	};
	e->config_description = g_strdup_printf("Device=%s Key=%s",
						config->pedal_device ? config->pedal_device : "",
						config->pedal_key ? config->pedal_key : "");
	return e;
}

static void evdev_close(void *instance)
{
	struct evdev_pedal *e = instance;

	g_clear_pointer(&e->dev, pedal_evdev_close);
}

static void evdev_fini(void *instance)
{
	struct evdev_pedal *e = instance;

	evdev_close(e);
	pedal_evdev_hotplug_free(e->hotplug);
	pedal_evdev_device_spec_clear(&e->spec);
	g_free(e->config_description);
	g_free(e);
}

/* pedal_evdev's errors in the pedal's domain, for the daemon's messages. */
static void to_pedal_error(GError **error, GError *local)
{
	static const enum pedal_error_code codes[] = {
		[PEDAL_EVDEV_ERROR_CONFIG] = PEDAL_ERROR_CONFIG,
		[PEDAL_EVDEV_ERROR_NO_DEVICE] = PEDAL_ERROR_NO_CHIP,
		[PEDAL_EVDEV_ERROR_PERMISSION] = PEDAL_ERROR_PERMISSION,
		[PEDAL_EVDEV_ERROR_BUSY] = PEDAL_ERROR_BUSY,
		[PEDAL_EVDEV_ERROR_NO_KEY] = PEDAL_ERROR_NO_LINE,
		[PEDAL_EVDEV_ERROR_IO] = PEDAL_ERROR_IO,
	};
	int code = (unsigned)local->code < G_N_ELEMENTS(codes) ? (int)codes[local->code] :
								 PEDAL_ERROR_IO;

	g_set_error(error, PEDAL_ERROR, code, "USB foot switch %s", local->message);
	g_error_free(local);
}

static int evdev_open(void *instance, GError **error)
{
	struct evdev_pedal *e = instance;
	GError *local = NULL;

	e->dev = pedal_evdev_open(&e->params, &local);
	if (!e->dev) {
		to_pedal_error(error, local);
		return -1;
	}
	return pedal_evdev_get_fd(e->dev);
}

static int evdev_read_events(void *instance, struct pedal_driver_event *events, unsigned max,
			     GError **error)
{
	struct evdev_pedal *e = instance;
	struct pedal_evdev_event raw[EVENTS_PER_READ];
	GError *local = NULL;
	int n = pedal_evdev_read_events(e->dev, raw, MIN(max, EVENTS_PER_READ), &local);

	if (n < 0) {
		to_pedal_error(error, local);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		events[i] = (struct pedal_driver_event){ .timestamp_ns = raw[i].timestamp_ns };
		switch (raw[i].kind) {
		case PEDAL_EVDEV_PEDAL_DOWN:
			events[i].level = PEDAL_LEVEL_DOWN;
			break;
		case PEDAL_EVDEV_PEDAL_UP:
			events[i].level = PEDAL_LEVEL_UP;
			break;
		case PEDAL_EVDEV_DEPTH_DOWN:
			events[i].kind = PEDAL_DRIVER_DEPTH_DOWN;
			break;
		case PEDAL_EVDEV_DEPTH_UP:
			events[i].kind = PEDAL_DRIVER_DEPTH_UP;
			break;
		}
	}
	return n;
}

static int evdev_read_level(void *instance, GError **error)
{
	struct evdev_pedal *e = instance;

	return pedal_evdev_read_level(e->dev, error);
}

static const char *evdev_describe(const void *instance)
{
	const struct evdev_pedal *e = instance;

	return e->dev ? pedal_evdev_describe(e->dev) : e->config_description;
}

static int evdev_hotplug_fd(void *instance)
{
	struct evdev_pedal *e = instance;

	if (!e->hotplug)
		e->hotplug = pedal_evdev_hotplug_new(&e->spec, NULL);
	return e->hotplug ? pedal_evdev_hotplug_get_fd(e->hotplug) : -1;
}

static bool evdev_hotplug_ready(void *instance)
{
	struct evdev_pedal *e = instance;
	unsigned changes = pedal_evdev_hotplug_read(e->hotplug,
						    e->dev ? pedal_evdev_devnode(e->dev) : NULL);

	return changes & PEDAL_EVDEV_HOTPLUG_ADDED;
}

const struct pedal_driver pedal_driver_evdev = {
	.name = "evdev",
	.init = evdev_init,
	.fini = evdev_fini,
	.open = evdev_open,
	.close = evdev_close,
	.read_events = evdev_read_events,
	.read_level = evdev_read_level,
	.describe = evdev_describe,
	.hotplug_fd = evdev_hotplug_fd,
	.hotplug_ready = evdev_hotplug_ready,
};
