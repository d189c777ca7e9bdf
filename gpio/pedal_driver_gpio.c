// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gpio pedal driver: one GPIO line with both-edge events, through the
 * libgpiod back end this build has (gpio/pedal_backend.h).  Turns the
 * configuration into the back end's parameters and the back end's edges
 * into logical levels; nothing else.
 */

#include "pedal_backend.h"
#include "penctl/pedal_driver.h"

#define EVENTS_PER_READ 16

struct gpio_pedal {
	struct pedal_backend_params params;
	struct pedal_backend *backend;
	char *config_description;
};

static void *gpio_init(const struct penctl_config *config, const char *consumer)
{
	struct gpio_pedal *g = g_new0(struct gpio_pedal, 1);

	g->params = (struct pedal_backend_params){
		.chip = g_strdup(config->pedal_chip ? config->pedal_chip : ""),
		.line = g_strdup(config->pedal_line ? config->pedal_line : ""),
		.active_low = config->pedal_active_low,
		.bias = config->pedal_bias,
		.consumer = g_strdup(consumer),
	};
	g->config_description = g_strdup_printf("Chip=%s Line=%s", g->params.chip,
						g->params.line);
	return g;
}

static void gpio_close(void *instance)
{
	struct gpio_pedal *g = instance;

	g_clear_pointer(&g->backend, pedal_backend_close);
}

static void gpio_fini(void *instance)
{
	struct gpio_pedal *g = instance;

	gpio_close(g);
	g_free((char *)g->params.chip);
	g_free((char *)g->params.line);
	g_free((char *)g->params.consumer);
	g_free(g->config_description);
	g_free(g);
}

static int gpio_open(void *instance, GError **error)
{
	struct gpio_pedal *g = instance;

	g->backend = pedal_backend_open(&g->params, error);
	return g->backend ? pedal_backend_get_fd(g->backend) : -1;
}

static int gpio_read_events(void *instance, struct pedal_driver_event *events, unsigned max,
			    GError **error)
{
	struct gpio_pedal *g = instance;
	struct pedal_backend_event raw[EVENTS_PER_READ];
	int n = pedal_backend_read_events(g->backend, raw, MIN(max, EVENTS_PER_READ), error);

	for (int i = 0; i < n; i++)
		events[i] = (struct pedal_driver_event){
			.level = raw[i].edge == PEDAL_BACKEND_EDGE_RISING ? PEDAL_LEVEL_DOWN :
									    PEDAL_LEVEL_UP,
			.timestamp_ns = raw[i].timestamp_ns,
		};
	return n;
}

static int gpio_read_level(void *instance, GError **error)
{
	struct gpio_pedal *g = instance;

	return pedal_backend_read_level(g->backend, error);
}

static const char *gpio_describe(const void *instance)
{
	const struct gpio_pedal *g = instance;

	return g->backend ? pedal_backend_describe(g->backend) : g->config_description;
}

const char *pedal_gpiod_api(void)
{
	return pedal_backend_api();
}

const struct pedal_driver pedal_driver_gpio = {
	.name = "gpio",
	.init = gpio_init,
	.fini = gpio_fini,
	.open = gpio_open,
	.close = gpio_close,
	.read_events = gpio_read_events,
	.read_level = gpio_read_level,
	.describe = gpio_describe,
};
