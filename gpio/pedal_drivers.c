// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pedal drivers compiled into this build (include/penctl/pedal_driver.h).
 * gpio/pedal.cmake defines PENCTL_PEDAL_DRIVER_<NAME> for each driver it
 * compiles, from the same CMake facts that daemon/default_config.c.in turns
 * into penctl_pedal_source_built_in(); test_pedal_driver checks they agree.
 */

#include "penctl/pedal_driver.h"

static const struct pedal_driver *const drivers[] = {
#ifdef PENCTL_PEDAL_DRIVER_GPIO
	[PENCTL_PEDAL_SOURCE_GPIO] = &pedal_driver_gpio,
#endif
#ifdef PENCTL_PEDAL_DRIVER_EVDEV
	[PENCTL_PEDAL_SOURCE_EVDEV] = &pedal_driver_evdev,
#endif
};

const struct pedal_driver *pedal_driver_for_source(enum penctl_pedal_source source)
{
	return (unsigned)source < G_N_ELEMENTS(drivers) ? drivers[source] : NULL;
}
