/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctld's configuration: the built-in defaults (daemon/penctld.conf,
 * compiled in), overlaid key by key by the site's /etc/penctld/penctld.conf
 * and then the drop-ins /etc/penctld/penctld.conf.d/NAME.conf in lexical
 * order (later wins). Validation is strict and runs on the merged result;
 * docs/penctld.conf.5 describes every key.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define PENCTL_EXIT_CONFIG 78 /* EX_CONFIG, see sysexits.h */
#define PENCTL_DEPTH_CEILING_UM 3000u

#define PENCTL_CONFIG_ERROR (penctl_config_error_quark())
GQuark penctl_config_error_quark(void);

enum penctl_config_error_code {
	PENCTL_CONFIG_ERROR_READ,        /* file unreadable or not a key file */
	PENCTL_CONFIG_ERROR_UNKNOWN,     /* unknown group or key */
	PENCTL_CONFIG_ERROR_VALUE,       /* does not parse, or out of range */
	PENCTL_CONFIG_ERROR_INCONSISTENT, /* keys that contradict each other */
	PENCTL_CONFIG_ERROR_NEEDS_RESTART /* valid, but a reload cannot apply it */
};

/* [Pedal] Source=: which pedal driver (include/penctl/pedal_driver.h). */
enum penctl_pedal_source {
	PENCTL_PEDAL_SOURCE_GPIO,  /* a switch on a GPIO line */
	PENCTL_PEDAL_SOURCE_EVDEV, /* a USB foot switch (input device, input/) */
};

enum penctl_pedal_bias {
	PENCTL_PEDAL_BIAS_AS_IS,
	PENCTL_PEDAL_BIAS_DISABLED,
	PENCTL_PEDAL_BIAS_PULL_UP,
	PENCTL_PEDAL_BIAS_PULL_DOWN,
};

enum penctl_pedal_mode {
	PENCTL_PEDAL_MOMENTARY,
	PENCTL_PEDAL_LATCHING,
};

struct penctl_limit {
	char *name;            /* role or area name, [a-z0-9_-]+ */
	uint32_t max_depth_um;
	/* Roles only ([Role NAME] Group=): the Unix group a caller must hold to
	 * take the role; NULL = membership of group penctl is enough. */
	char *group;
};

struct penctl_config {
	/* [Session] */
	uint32_t max_wall_ms;      /* MaxMinutes: decimal minutes, kept in ms */
	uint32_t max_needling_ms;  /* MaxNeedlingMinutes */
	uint32_t warn_percent;
	uint32_t start_depth_um;
	/* [Safety] */
	uint32_t anesthetic_advisory_above_um;
	uint32_t heartbeat_interval_ms;
	uint32_t pen_watchdog_ms;
	bool require_contraindication_check;
	/* [Role NAME] and [Area NAME], sorted by name */
	GPtrArray *roles;  /* struct penctl_limit */
	GPtrArray *areas;  /* struct penctl_limit */
	/* [Pedal] */
	enum penctl_pedal_source pedal_source; /* always one this build has */
	char *pedal_chip;
	char *pedal_line;
	bool pedal_active_low;
	enum penctl_pedal_bias pedal_bias;
	uint32_t pedal_debounce_ms;
	enum penctl_pedal_mode pedal_mode;
	/* Source=evdev (input/evdev_keys.c has their rules); "" = not given. */
	char *pedal_device;          /* /dev/input/by-id/... or usb:VVVV:PPPP */
	char *pedal_key;             /* KEY_B */
	char *pedal_depth_down_key;  /* the depth pedals of a multi-pedal switch */
	char *pedal_depth_up_key;
	uint32_t pedal_depth_step_um; /* DepthStepMm: one depth pedal press */
	/* [Access] */
	char *supervisor_group; /* "" = nobody but the session's owner and root */
	/* [Pen] */
	char *pen_address;     /* "" until paired; else XX:XX:XX:XX:XX:XX */
	char *pen_adapter;     /* "" = first powered adapter */
	/* Where the values came from, for messages: the files read, in order. */
	GPtrArray *sources;    /* char * */
};

typedef struct penctl_config penctl_config;
void penctl_config_free(struct penctl_config *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(penctl_config, penctl_config_free)

/* The built-in defaults (identical to the shipped penctld.conf). */
struct penctl_config *penctl_config_new_default(void);

/* The built-in defaults overlaid by PATH (NULL = the system path, which may
 * be missing; a PATH given must exist) and, when PATH is NULL or DROPIN_DIR
 * is given, the drop-ins of DROPIN_DIR.  On error the message starts with the
 * file that set the key at fault and names the group, key, the bad value and
 * what is allowed. */
struct penctl_config *penctl_config_load(const char *path, const char *dropin_dir, GError **error);

/* The layering itself: the built-in defaults, then MAIN_PATH, which may be
 * missing unless MAIN_REQUIRED, then the .conf files of DROPIN_DIR when it is
 * not NULL.  A group a file names adds or replaces the keys it gives; roles
 * and areas it does not name keep their defaults. */
struct penctl_config *penctl_config_load_layered(const char *main_path, bool main_required,
						 const char *dropin_dir, GError **error);

/* Parse one key file's text as the whole configuration, without the built-in
 * roles and areas (scalar keys it leaves out take their defaults): for tests
 * that need an exact role and area set. */
struct penctl_config *penctl_config_load_from_data(const char *data, const char *origin,
						   GError **error);

const struct penctl_limit *penctl_config_find_role(const struct penctl_config *config,
						   const char *name);
const struct penctl_limit *penctl_config_find_area(const struct penctl_config *config,
						   const char *name);

/* Parse "1.25" (at most three decimals, no sign, no exponent) into micrometres. */
bool penctl_parse_depth_mm(const char *text, uint32_t *depth_um);
/* Minutes with at most two decimals ("20", "0.25") into milliseconds. */
bool penctl_parse_minutes(const char *text, uint32_t *ms);
/* "20" or "0.25": minutes, as few decimals as needed; out must hold 16 bytes. */
void penctl_format_minutes(uint32_t ms, char out[16]);
/* "1.25" style: at least two decimals; out must hold 16 bytes. */
void penctl_format_depth_mm(uint32_t depth_um, char out[16]);

/* The effective limits table (role × area → min) and the time limits, as
 * printed by penctld --check-config. */
char *penctl_config_describe(const struct penctl_config *config);
/* The pedal's part of it, one line: its source and how it is reached. */
char *penctl_config_describe_pedal(const struct penctl_config *config);

/* Whether a running daemon can change from OLD to FRESH (both valid) by a
 * reload; false + PENCTL_CONFIG_ERROR_NEEDS_RESTART naming what cannot, and
 * then nothing of FRESH is applied (the running configuration stays the one
 * on disk before, or the restart applies all of it). Needs a restart: another
 * [Pen] Adapter, a [Pen] Address other than the one in force (pairing, empty
 * to an address, applies), and a PenWatchdogMs the old heartbeat could not
 * keep alive: the daemon writes the new watchdog to the pen first and
 * changes the heartbeat interval only once the pen has answered that write,
 * so FRESH's PenWatchdogMs must also cover OLD's HeartbeatIntervalMs. */
bool penctl_config_reload_allowed(const struct penctl_config *old,
				  const struct penctl_config *fresh, GError **error);

/* Whether a reload from OLD to FRESH changes how the pedal is read (its
 * driver, chip, line, polarity, bias or debounce; the foot switch's device,
 * keys or depth step): the daemon then reopens it, and the engine forgets
 * the old line's state. */
bool penctl_config_pedal_differs(const struct penctl_config *old,
				 const struct penctl_config *fresh);

/* The Unix group a caller must hold to take ROLE ([Role NAME] Group=), or
 * NULL when membership of group penctl is enough (the shipped home role) or
 * when the configuration has no such role (the engine refuses it anyway).
 * Unless a file says otherwise, every role but home needs penctl-<role>. */
const char *penctl_config_role_group(const struct penctl_config *config, const char *role);
/* The group whose members may stop or change another person's session
 * ([Access] SupervisorGroup=, default penctl-supervisor), or NULL when only
 * the session's owner and root may. */
const char *penctl_config_supervisor_group(const struct penctl_config *config);
/* A Unix group name as useradd/groupadd accept it portably: 1 to 32
 * characters, [a-z_] then [a-z0-9_-]. */
bool penctl_config_valid_group_name(const char *name);

const char *penctl_pedal_source_to_string(enum penctl_pedal_source source);
/* Whether this build has the driver for SOURCE: decided by CMake from the
 * libraries it found (daemon/default_config.c.in); a Source without its
 * driver is refused as "pedal driver 'evdev' is not built in". */
bool penctl_pedal_source_built_in(enum penctl_pedal_source source);
const char *penctl_pedal_bias_to_string(enum penctl_pedal_bias bias);
const char *penctl_pedal_mode_to_string(enum penctl_pedal_mode mode);
