/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl doctor.  Each check looks at one thing penctld needs and, when it
 * is missing, says what to do.  The GPIO check finds the chip as the
 * daemon does (include/penctl/pedal_gpio_chip.h) and reads its lines with
 * the kernel's character-device ioctls (linux/gpio.h), not libgpiod: it only
 * asks for information and never requests a line, so it cannot disturb a
 * running daemon's pedal.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/gpio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "penctl/config.h"
#include "penctl/dbus_names.h"
#include "penctl/pedal_gpio_chip.h"

#include "penctl_doctor.h"

static void doctor_check_free(struct doctor_check *check)
{
	g_free(check->detail);
	g_free(check->fix);
	g_free(check);
}

static void add(GPtrArray *checks, const char *name, bool ok, char *detail, char *fix)
{
	struct doctor_check *check = g_new0(struct doctor_check, 1);

	check->name = name;
	check->ok = ok;
	check->detail = detail;
	check->fix = ok ? (g_free(fix), NULL) : fix;
	g_ptr_array_add(checks, check);
}

static bool name_has_owner(GDBusConnection *bus, const char *name)
{
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
		bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
		"NameHasOwner", g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"),
		G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
	gboolean has = FALSE;

	if (reply)
		g_variant_get(reply, "(b)", &has);
	return has;
}

/* BlueZ's objects: a{oa{sa{sv}}}, or NULL. */
static GVariant *bluez_objects(GDBusConnection *bus, GError **error)
{
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
		bus, "org.bluez", "/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
		NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000,
		NULL, error);
	GVariant *objects = NULL;

	if (reply)
		g_variant_get(reply, "(@a{oa{sa{sv}}})", &objects);
	return objects;
}

static void check_bluetooth(GPtrArray *checks, GDBusConnection *bus, const char *pen_address)
{
	g_autoptr(GVariant) objects = NULL;
	g_autoptr(GError) error = NULL;
	GVariantIter iter;
	const char *path;
	GVariant *interfaces;
	g_autofree char *adapters = NULL;
	GString *found = g_string_new(NULL);
	bool any_powered = false, pen_seen = false, paired = false, trusted = false;

	if (!bus || !name_has_owner(bus, "org.bluez")) {
		add(checks, "bluetoothd running", false,
		    g_strdup("org.bluez is not on the system bus"),
		    g_strdup("systemctl start bluetooth"));
		add(checks, "adapter present and powered", false,
		    g_strdup("not checked: bluetoothd is not running"),
		    g_strdup("start bluetoothd first"));
		add(checks, "pen paired and trusted", false,
		    g_strdup("not checked: bluetoothd is not running"),
		    g_strdup("start bluetoothd first"));
		g_string_free(found, TRUE);
		return;
	}
	add(checks, "bluetoothd running", true, g_strdup("org.bluez is on the system bus"), NULL);

	objects = bluez_objects(bus, &error);
	if (!objects) {
		g_autofree char *message = g_strdup(error->message);

		g_string_free(found, TRUE);
		add(checks, "adapter present and powered", false,
		    g_strdup_printf("cannot list BlueZ objects: %s", message),
		    g_strdup("check bluetoothd's D-Bus policy and journalctl -u bluetooth"));
		add(checks, "pen paired and trusted", false, g_strdup("not checked"),
		    g_strdup("fix the adapter check first"));
		return;
	}
	g_variant_iter_init(&iter, objects);
	while (g_variant_iter_loop(&iter, "{&o@a{sa{sv}}}", &path, &interfaces)) {
		g_autoptr(GVariant) adapter = g_variant_lookup_value(interfaces, "org.bluez.Adapter1",
								     NULL);
		g_autoptr(GVariant) device = g_variant_lookup_value(interfaces, "org.bluez.Device1",
								    NULL);

		if (adapter) {
			gboolean powered = FALSE;

			g_variant_lookup(adapter, "Powered", "b", &powered);
			any_powered |= powered;
			g_string_append_printf(found, "%s%s (%s)", found->len ? ", " : "",
					       strrchr(path, '/') + 1, powered ? "on" : "off");
		}
		if (device && pen_address && pen_address[0]) {
			const char *address = NULL;
			gboolean p = FALSE, t = FALSE;

			if (g_variant_lookup(device, "Address", "&s", &address) &&
			    g_ascii_strcasecmp(address, pen_address) == 0) {
				pen_seen = true;
				g_variant_lookup(device, "Paired", "b", &p);
				g_variant_lookup(device, "Trusted", "b", &t);
				paired |= p;
				trusted |= t;
			}
		}
	}
	adapters = g_string_free(found, FALSE);
	if (!adapters[0])
		add(checks, "adapter present and powered", false, g_strdup("no Bluetooth adapter"),
		    g_strdup("plug in or enable the adapter; rfkill unblock bluetooth"));
	else
		add(checks, "adapter present and powered", any_powered,
		    g_strdup_printf("adapters: %s", adapters),
		    g_strdup("bluetoothctl power on (and rfkill unblock bluetooth)"));

	if (!pen_address || !pen_address[0])
		add(checks, "pen paired and trusted", false, g_strdup("no pen is paired"),
		    g_strdup("switch the pen on, then penctl scan and penctl pair"));
	else if (!pen_seen)
		add(checks, "pen paired and trusted", false,
		    g_strdup_printf("BlueZ does not know %s", pen_address),
		    g_strdup("penctl forget, then penctl pair"));
	else
		add(checks, "pen paired and trusted", paired && trusted,
		    g_strdup_printf("%s: %s, %s", pen_address, paired ? "paired" : "not paired",
				    trusted ? "trusted" : "not trusted"),
		    g_strdup("penctl forget, then penctl pair"));
}

static void check_gpio(GPtrArray *checks, const struct penctl_config *config)
{
	g_autofree char *path = NULL;
	struct gpiochip_info info = { 0 };
	guint64 offset;
	bool found = false;
	int fd = -1, r;

	if (!config) {
		add(checks, "GPIO chip and line reachable", false,
		    g_strdup("not checked: the configuration is invalid"),
		    g_strdup("fix the configuration first"));
		return;
	}
	r = pedal_gpio_chip_lookup(config->pedal_chip, &path, &info);
	if (r == -ENOTTY) {
		add(checks, "GPIO chip and line reachable", false,
		    g_strdup_printf("%s is not a GPIO chip: %s", path, g_strerror(-r)),
		    g_strdup("set [Pedal] Chip= to a /dev/gpiochip* device"));
		return;
	}
	if (r == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? -errno : 0;
	}
	if (r < 0) {
		g_autofree char *at = path ? g_strdup(path)
					   : g_strdup_printf("(no chip named or labelled %s)",
							     config->pedal_chip);

		add(checks, "GPIO chip and line reachable", false,
		    g_strdup_printf("[Pedal] Chip=%s: %s: %s", config->pedal_chip, at,
				    g_strerror(-r)),
		    g_strdup(r == -EACCES ? "add the user to group gpio (udev rule 60-penctld-gpio.rules)"
					  : "ls /dev/gpiochip*; set [Pedal] Chip= in /etc/penctld/penctld.conf"));
		return;
	}
	if (g_ascii_string_to_unsigned(config->pedal_line, 10, 0, G_MAXUINT32, &offset, NULL)) {
		found = offset < info.lines;
	} else {
		for (guint32 i = 0; i < info.lines && !found; i++) {
			struct gpio_v2_line_info line = { .offset = i };

			if (ioctl(fd, GPIO_V2_GET_LINEINFO_IOCTL, &line) == 0 &&
			    strncmp(line.name, config->pedal_line, sizeof(line.name)) == 0)
				found = true;
		}
	}
	close(fd);
	add(checks, "GPIO chip and line reachable", found,
	    g_strdup_printf("%s (%s, %u lines), line %s %s", path, info.label, info.lines,
			    config->pedal_line, found ? "found" : "not found"),
	    g_strdup("gpioinfo lists the lines; set [Pedal] Line= in /etc/penctld/penctld.conf"));
}

static void check_group(GPtrArray *checks)
{
	struct group *group = getgrnam("penctl");
	gid_t groups[256];
	int n;
	bool member = false;

	if (geteuid() == 0) {
		add(checks, "caller in group penctl", true, g_strdup("running as root"), NULL);
		return;
	}
	if (!group) {
		add(checks, "caller in group penctl", false, g_strdup("there is no group penctl"),
		    g_strdup("reinstall penctld (sysusers.d creates the group)"));
		return;
	}
	n = getgroups(G_N_ELEMENTS(groups), groups);
	for (int i = 0; i < n; i++)
		member |= groups[i] == group->gr_gid;
	member |= getegid() == group->gr_gid;
	add(checks, "caller in group penctl", member,
	    g_strdup(member ? "member of penctl" : "not a member of penctl"),
	    g_strdup("sudo usermod -aG penctl $USER, then log in again"));
}

GPtrArray *penctl_doctor_run(GDBusConnection *bus, const GError *bus_error,
			     const char *config_path)
{
	GPtrArray *checks = g_ptr_array_new_with_free_func((GDestroyNotify)doctor_check_free);
	g_autoptr(penctl_config) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) pen = NULL;
	const char *pen_address = NULL;
	bool service = false;

	config = penctl_config_load(config_path, NULL, &error);
	if (bus)
		service = name_has_owner(bus, PENCTL_DBUS_NAME);
	if (service) {
		/* The daemon knows the paired pen best (it may have paired
		 * since the file was read); reading it may be refused. */
		g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
			bus, PENCTL_DBUS_NAME, PENCTL_DBUS_PATH, "org.freedesktop.DBus.Properties",
			"Get", g_variant_new("(ss)", PENCTL_DBUS_INTERFACE, "PenAddress"),
			G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, NULL);

		if (reply) {
			g_variant_get(reply, "(v)", &pen);
			if (g_variant_is_of_type(pen, G_VARIANT_TYPE_STRING))
				pen_address = g_variant_get_string(pen, NULL);
		}
	}
	if (!pen_address && config)
		pen_address = config->pen_address;

	check_bluetooth(checks, bus, pen_address);
	check_gpio(checks, config);
	if (config)
		add(checks, "config valid", true,
		    g_strdup_printf("%s", config->sources && config->sources->len
						  ? (const char *)g_ptr_array_index(config->sources, 0)
						  : "built-in defaults"),
		    NULL);
	else
		add(checks, "config valid", false, g_strdup(error->message),
		    g_strdup("edit the file named above; penctld --check-config validates it"));
	if (!bus)
		add(checks, "service running", false,
		    g_strdup_printf("no system bus: %s", bus_error ? bus_error->message : "unknown"),
		    g_strdup("start dbus, then systemctl start penctld"));
	else
		add(checks, "service running", service,
		    g_strdup(service ? PENCTL_DBUS_NAME " is on the system bus"
				     : PENCTL_DBUS_NAME " is not on the system bus"),
		    g_strdup("systemctl start penctld; journalctl -u penctld says why it stopped"));
	check_group(checks);
	return checks;
}
