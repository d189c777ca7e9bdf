// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pen profiles this build speaks, found by service UUID.  A second pen
 * model: write its struct pen_profile (as pen_profile_v1.c) and list it
 * here.
 */
#include "penctl/bluez_objects.h"

#include "pen_profile.h"
#include "pen_profile_v1.h"

static const struct pen_profile *const profiles[] = {
	&pen_profile_v1,
};

const struct pen_profile *pen_profile_for_device(const struct bluez_objects *objects,
						 const char *device_path)
{
	for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++)
		if (bluez_objects_find_service(objects, device_path, profiles[i]->service_uuid) ||
		    bluez_objects_strv_contains(objects, device_path, BLUEZ_DEVICE_INTERFACE,
						"UUIDs", profiles[i]->service_uuid))
			return profiles[i];
	return profiles[0];
}

bool pen_profile_device_is_pen(const struct bluez_objects *objects, const char *device_path)
{
	for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++)
		if (bluez_objects_strv_contains(objects, device_path, BLUEZ_DEVICE_INTERFACE,
						"UUIDs", profiles[i]->service_uuid))
			return true;
	return false;
}

const char *const *pen_profile_service_uuids(void)
{
	static const char *uuids[G_N_ELEMENTS(profiles) + 1];

	for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++)
		uuids[i] = profiles[i]->service_uuid;
	return uuids;
}
