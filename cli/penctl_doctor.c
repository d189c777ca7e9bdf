/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl doctor.  Each check looks at one thing penctld needs and, when it
 * is missing, says what to do.  Root causes come first, and a check that
 * depends on a failed one is left out rather than failed again: without a
 * system bus there is one failure, not one per thing that needs the bus.
 * What the daemon sees (the pedal, the paired pen) is asked of the daemon:
 * it reads the pedal as user penctld, not as the caller.  The GPIO check,
 * for when the daemon cannot be asked, finds the chip as the daemon does
 * (include/penctl/pedal_gpio_chip.h) and reads its lines with the kernel's
 * character-device ioctls (linux/gpio.h), not libgpiod: it only
 * asks for information and never requests a line, so it cannot disturb a
 * running daemon's pedal.  A USB foot switch ([Pedal] Source=evdev) is found
 * through udev as the daemon finds it (input/pedal_evdev_doctor.c), opened
 * without a grab only to list its keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/gpio.h>
#include <pwd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "penctl/config.h"
#include "penctl/dbus_names.h"
#include "penctl/pedal_gpio_chip.h"
#ifdef PENCTL_HAVE_EVDEV
#include "penctl/pedal_evdev.h"
#endif

#include "journal_access.h"
#include "penctl_client.h"
#include "penctl_doctor.h"

/* The daemon's service user (sysusers.d/penctld.conf), who opens the chip. */
#define PENCTLD_USER "penctld"

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

/* The controllers the kernel has (hci0, ...), comma-separated; "" when none. */
static char *kernel_controllers(void)
{
	g_autoptr(GDir) dir = g_dir_open("/sys/class/bluetooth", 0, NULL);
	GString *found = g_string_new(NULL);
	const char *entry;

	while (dir && (entry = g_dir_read_name(dir)))
		if (g_str_has_prefix(entry, "hci") && !strchr(entry, ':'))
			g_string_append_printf(found, "%s%s", found->len ? ", " : "", entry);
	return g_string_free(found, FALSE);
}

/* bluetoothd, and the adapters it has.  Without bluetoothd, whether the
 * kernel has a controller comes first: systemd starts bluetoothd only once
 * one is there (bluetooth.service's ConditionPathIsDirectory). */
static void check_bluetooth(GPtrArray *checks, GDBusConnection *bus, GVariant **objects_out)
{
	g_autoptr(GVariant) objects = NULL;
	g_autoptr(GError) error = NULL;
	GVariantIter iter;
	const char *path;
	GVariant *interfaces;
	g_autofree char *adapters = NULL;
	GString *found;
	bool any_powered = false;

	if (!name_has_owner(bus, "org.bluez")) {
		g_autofree char *controllers = kernel_controllers();

		if (!controllers[0])
			add(checks, "Bluetooth controller present", false,
			    g_strdup("the kernel has no Bluetooth controller (/sys/class/bluetooth)"),
			    g_strdup("plug in or enable a Bluetooth adapter (rfkill unblock "
				     "bluetooth; on a Pi, enable its radio); bluetoothd starts "
				     "once one is there"));
		add(checks, "bluetoothd running", false,
		    g_strdup("org.bluez is not on the system bus"),
		    g_strdup("systemctl start bluetooth"));
		return;
	}
	add(checks, "bluetoothd running", true, g_strdup("org.bluez is on the system bus"), NULL);

	objects = bluez_objects(bus, &error);
	if (!objects) {
		add(checks, "adapter present and powered", false,
		    g_strdup_printf("cannot list BlueZ objects: %s", error->message),
		    g_strdup("check bluetoothd's D-Bus policy and journalctl -u bluetooth"));
		return;
	}
	found = g_string_new(NULL);
	g_variant_iter_init(&iter, objects);
	while (g_variant_iter_loop(&iter, "{&o@a{sa{sv}}}", &path, &interfaces)) {
		g_autoptr(GVariant) adapter = g_variant_lookup_value(interfaces, "org.bluez.Adapter1",
								     NULL);

		if (adapter) {
			gboolean powered = FALSE;

			g_variant_lookup(adapter, "Powered", "b", &powered);
			any_powered |= powered;
			g_string_append_printf(found, "%s%s (%s)", found->len ? ", " : "",
					       strrchr(path, '/') + 1, powered ? "on" : "off");
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
	*objects_out = g_steal_pointer(&objects);
}

/* The pen the daemon says is paired (PEN_ADDRESS, "" = none), as BlueZ
 * knows it (OBJECTS, NULL when bluetoothd could not be asked). */
static void check_pen(GPtrArray *checks, const char *pen_address, GVariant *objects)
{
	bool pen_seen = false, paired = false, trusted = false;
	GVariantIter iter;
	const char *path;
	GVariant *interfaces;

	if (objects)
		g_variant_iter_init(&iter, objects);
	while (objects && g_variant_iter_loop(&iter, "{&o@a{sa{sv}}}", &path, &interfaces)) {
		g_autoptr(GVariant) device = g_variant_lookup_value(interfaces, "org.bluez.Device1",
								    NULL);
		const char *address = NULL;
		gboolean p = FALSE, t = FALSE;

		if (device && g_variant_lookup(device, "Address", "&s", &address) &&
		    g_ascii_strcasecmp(address, pen_address) == 0) {
			pen_seen = true;
			g_variant_lookup(device, "Paired", "b", &p);
			g_variant_lookup(device, "Trusted", "b", &t);
			paired |= p;
			trusted |= t;
		}
	}
	if (!pen_address[0])
		add(checks, "pen paired and trusted", false, g_strdup("no pen is paired"),
		    g_strdup("switch the pen on, then penctl scan and penctl pair"));
	else if (!objects)
		add(checks, "pen paired and trusted", true,
		    g_strdup_printf("penctld has %s paired (bluetoothd not asked)", pen_address),
		    NULL);
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

/* Whether user penctld is in GROUP_ID (its own or a supplementary group). */
static bool penctld_in_group(const struct passwd *user, gid_t group_id)
{
	int n = 64;
	g_autofree gid_t *groups = g_new(gid_t, n);

	if (getgrouplist(user->pw_name, user->pw_gid, groups, &n) < 0) {
		g_free(groups);
		groups = g_new(gid_t, n);
		if (getgrouplist(user->pw_name, user->pw_gid, groups, &n) < 0)
			return false;
	}
	for (int i = 0; i < n; i++)
		if (groups[i] == group_id)
			return true;
	return false;
}

/* The caller may not open the chip at PATH; the daemon opens it as user
 * penctld, so what matters is whether penctld may: the chip's group. */
static void check_gpio_for_penctld(GPtrArray *checks, const char *path)
{
	const struct passwd *user = getpwnam(PENCTLD_USER);
	const struct group *group = NULL;
	struct stat st;

	if (stat(path, &st) < 0) {
		add(checks, "GPIO chip and line reachable", false,
		    g_strdup_printf("%s: %s", path, g_strerror(errno)),
		    g_strdup("ls /dev/gpiochip*; set [Pedal] Chip= in /etc/penctld/penctld.conf"));
		return;
	}
	group = getgrgid(st.st_gid);
	if (!user) {
		add(checks, "GPIO chip and line reachable", false,
		    g_strdup("there is no user " PENCTLD_USER " to read the pedal"),
		    g_strdup("reinstall penctld (sysusers.d creates the user)"));
		return;
	}
	if (st.st_uid == user->pw_uid ||
	    ((st.st_mode & S_IRGRP) && penctld_in_group(user, st.st_gid))) {
		add(checks, "GPIO chip and line reachable", true,
		    g_strdup_printf("%s is there; " PENCTLD_USER " may open it (group %s)", path,
				    group ? group->gr_name : "?"),
		    NULL);
		return;
	}
	add(checks, "GPIO chip and line reachable", false,
	    g_strdup_printf("%s belongs to group %s, and user " PENCTLD_USER " is not in it",
			    path, group ? group->gr_name : "?"),
	    g_strdup("reload the udev rule (udevadm control --reload && udevadm trigger; "
		     "60-penctld-gpio.rules gives the chips to group gpio), and systemd-sysusers "
		     "puts " PENCTLD_USER " in group gpio"));
}

/* The pedal as the daemon sees it: its conditions name a missing or lost
 * pedal, with the daemon's own words and fix. */
static const char *pedal_check_name(const struct penctl_config *config)
{
	return config && config->pedal_source == PENCTL_PEDAL_SOURCE_EVDEV
		       ? "USB foot switch reachable"
		       : "GPIO chip and line reachable";
}

static void check_pedal_from_daemon(GPtrArray *checks, GVariant *properties,
				    const struct penctl_config *config)
{
	g_autoptr(GVariant) conditions =
		g_variant_lookup_value(properties, "Conditions", G_VARIANT_TYPE("a(sss)"));
	const char *name, *meaning, *fix;
	GVariantIter iter;

	if (conditions) {
		g_variant_iter_init(&iter, conditions);
		while (g_variant_iter_next(&iter, "(&s&s&s)", &name, &meaning, &fix)) {
			if (g_str_equal(name, "pedal-missing") || g_str_equal(name, "pedal-lost")) {
				add(checks, pedal_check_name(config), false,
				    g_strdup_printf("penctld says: %s", meaning), g_strdup(fix));
				return;
			}
		}
	}
	add(checks, pedal_check_name(config), true,
	    g_strdup(config && config->pedal_source == PENCTL_PEDAL_SOURCE_EVDEV
			     ? "penctld has the foot switch"
			     : "penctld has the pedal's line"),
	    NULL);
}

#ifdef PENCTL_HAVE_EVDEV
/* "a; b" of the lines of LIST, for one line of doctor's output. */
static char *one_line(const char *list)
{
	g_auto(GStrv) lines = g_strsplit(list, "\n", -1);
	g_autoptr(GString) out = g_string_new(NULL);

	for (char **l = lines; *l; l++)
		if (**l)
			g_string_append_printf(out, "%s%s", out->len ? "; " : "", *l);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* The input devices that look like foot switches and the one [Pedal]
 * Device= selects; for Source=evdev, also whether penctld may open it (the
 * udev rule, given as the fix).  With Source=gpio and no switch plugged
 * in, nothing is said. */
static void check_foot_switches(GPtrArray *checks, const struct penctl_config *config,
				bool asked_daemon)
{
	bool evdev = config->pedal_source == PENCTL_PEDAL_SOURCE_EVDEV;
	struct pedal_evdev_device_spec spec = { 0 };
	struct pedal_evdev_selected found = { 0 };
	g_autofree char *list = NULL;
	g_autofree char *listed = NULL;
	g_autofree char *rule = NULL;
	struct stat st;
	struct group *gr;

	if (evdev && !pedal_evdev_parse_device(config->pedal_device, &spec, NULL))
		evdev = false; /* the configuration check says why */
	list = pedal_evdev_list_switches_for(evdev ? &spec : NULL, &found);
	listed = one_line(list);
	if (!evdev) {
		if (strcmp(list, "none\n") != 0)
			add(checks, "USB foot switches", true,
			    g_strdup_printf("%s (the pedal is [Pedal] Source=%s)", listed,
					    penctl_pedal_source_to_string(config->pedal_source)),
			    NULL);
		pedal_evdev_device_spec_clear(&spec);
		return;
	}
	if (!found.devnode) {
		add(checks, "USB foot switches", false,
		    g_strdup_printf("none is [Pedal] Device=%s; present: %s", config->pedal_device,
				    listed),
		    g_strdup("plug the foot switch in, or set [Pedal] Device= to one listed "
			     "(usb:VVVV:PPPP)"));
	} else if (asked_daemon) {
		add(checks, "USB foot switches", true, g_steal_pointer(&listed), NULL);
	} else {
		gr = stat(found.devnode, &st) == 0 ? getgrgid(st.st_gid) : NULL;
		rule = pedal_evdev_udev_rule(found.vendor, found.product);
		add(checks, "USB foot switches", gr && !strcmp(gr->gr_name, PENCTLD_USER),
		    g_strdup_printf("%s; %s is group %s", listed, found.devnode,
				    gr ? gr->gr_name : "?"),
		    g_strdup_printf("penctld may open it only through its udev rule, "
				    "in /etc/udev/rules.d/61-penctld-footswitch.rules:\n%s", rule));
	}
	pedal_evdev_selected_clear(&found);
	pedal_evdev_device_spec_clear(&spec);
}
#endif

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
	/* The caller may not open it; what matters is whether penctld may. */
	if ((r == -EACCES || r == -EPERM) && path && path[0] == '/' && !strchr(path, '*')) {
		check_gpio_for_penctld(checks, path);
		return;
	}
	if (r < 0) {
		g_autofree char *at = path ? g_strdup(path)
					   : g_strdup_printf("(no chip named or labelled %s)",
							     config->pedal_chip);

		add(checks, "GPIO chip and line reachable", false,
		    g_strdup_printf("[Pedal] Chip=%s: %s: %s", config->pedal_chip, at,
				    g_strerror(-r)),
		    g_strdup("ls /dev/gpiochip*; set [Pedal] Chip= in /etc/penctld/penctld.conf"));
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

/* The caller's rights: the daemon's answer when it could be asked (DENIED:
 * it refused), else group penctl in the caller's groups. */
static void check_rights(GPtrArray *checks, bool asked, bool denied)
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
	if (asked && denied)
		add(checks, "caller in group penctl", false,
		    g_strdup(member ? "penctld refused this login although the user is in "
				      "group penctl"
				    : "penctld refused: not a member of group penctl"),
		    g_strdup_printf(member ? "log in again (a new group counts from the next login)"
					   : "sudo usermod -aG penctl %s, then log in again",
				    g_get_user_name()));
	else
		add(checks, "caller in group penctl", member,
		    g_strdup(member ? "member of penctl" : "not a member of penctl"),
		    g_strdup_printf("sudo usermod -aG penctl %s, then log in again",
				    g_get_user_name()));
}

static void check_journal(GPtrArray *checks)
{
	g_autoptr(GError) error = NULL;

	if (penctl_journal_readable(&error))
		add(checks, "journal readable", true,
		    g_strdup(geteuid() == 0 ? "running as root"
					    : "member of a group that reads the journal"),
		    NULL);
	else
		add(checks, "journal readable", false,
		    g_strdup("penctl log cannot read penctld's records"),
		    g_strdup_printf("sudo usermod -aG " PENCTL_JOURNAL_GROUP " %s, then log in again",
				    g_get_user_name()));
}

GPtrArray *penctl_doctor_run(GDBusConnection *bus, const GError *bus_error,
			     const char *config_path)
{
	GPtrArray *checks = g_ptr_array_new_with_free_func((GDestroyNotify)doctor_check_free);
	g_autoptr(penctl_config) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) daemon_error = NULL;
	g_autoptr(GVariant) properties = NULL;
	g_autoptr(GVariant) objects = NULL;
	bool service = false;

	config = penctl_config_load(config_path, NULL, &error);
	/* Root causes first: the bus everything else talks over. */
	if (!bus) {
		add(checks, "system bus", false,
		    g_strdup_printf("no system bus: %s", bus_error ? bus_error->message : "unknown"),
		    g_strdup("systemctl start dbus (bluetoothd and penctld talk over it)"));
	} else {
		add(checks, "system bus", true, g_strdup("connected"), NULL);
		service = name_has_owner(bus, PENCTL_DBUS_NAME);
		if (service)
			properties = penctl_get_properties(bus, &daemon_error);
		check_bluetooth(checks, bus, &objects);
	}
	if (properties)
		check_pedal_from_daemon(checks, properties, config);
	else if (!config || config->pedal_source == PENCTL_PEDAL_SOURCE_GPIO)
		check_gpio(checks, config);
#ifdef PENCTL_HAVE_EVDEV
	if (config)
		check_foot_switches(checks, config, properties != NULL);
#endif
	if (config)
		add(checks, "config valid", true,
		    g_strdup_printf("%s", config->sources && config->sources->len
						  ? (const char *)g_ptr_array_index(config->sources, 0)
						  : "built-in defaults"),
		    NULL);
	else
		add(checks, "config valid", false, g_strdup(error->message),
		    g_strdup("edit the file named above; penctld --check-config validates it"));
	if (bus)
		add(checks, "service running", service,
		    g_strdup(service ? PENCTL_DBUS_NAME " is on the system bus"
				     : PENCTL_DBUS_NAME " is not on the system bus"),
		    g_strdup("systemctl start penctld; journalctl -u penctld says why it stopped"));
	check_rights(checks, service,
		     daemon_error && penctl_exit_code_for_error(daemon_error) == PENCTL_EXIT_NOPERM);
	/* Only the daemon knows whether a pen is paired; unasked, nothing is said. */
	if (properties) {
		const char *pen_address = "";

		g_variant_lookup(properties, "PenAddress", "&s", &pen_address);
		check_pen(checks, pen_address, objects);
	}
	check_journal(checks);
	return checks;
}
