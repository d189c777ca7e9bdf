/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The USB foot switch: a key of a Linux input device (evdev), issue 14.
 *
 * Four layers, each usable alone (input/):
 *   - parsing and validation of [Pedal] Device= / Key= / DepthDownKey= /
 *     DepthUpKey= / DepthStepMm= (input/evdev_keys.c, pure);
 *   - the translation of input events into pedal edges and depth-key
 *     presses (input/evdev_translate.c, pure: no I/O, no libevdev);
 *   - the device: open (by path or usb:VVVV:PPPP), exclusive grab,
 *     CLOCK_MONOTONIC timestamps, read, level now (input/pedal_evdev.c);
 *     the same fd + read shape as the gpio back end, so a pedal driver
 *     (include/penctl/pedal_driver.h) wraps it in a few lines;
 *   - hotplug: libudev's monitor, an fd that becomes readable on udev
 *     events, read into "the configured device was added / removed"
 *     (input/pedal_evdev_hotplug.c).  No polling, no retry timer.
 *   - input/pedal_evdev_watch.c puts the last two on the GLib main loop
 *     with callbacks (pedalmon-evdev uses it; a daemon may too).
 *
 * Levels are logical: 1 = the key is down.  Timestamps are the kernel's
 * (EVIOCSCLOCKID CLOCK_MONOTONIC), in nanoseconds.  Autorepeat (value 2)
 * is never an edge.  After a SYN_DROPPED the key's state is resynced from
 * the device (libevdev) and an edge is reported only if it changed.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct input_event;

#define PEDAL_EVDEV_ERROR (pedal_evdev_error_quark())
GQuark pedal_evdev_error_quark(void);

enum pedal_evdev_error_code {
	PEDAL_EVDEV_ERROR_CONFIG,     /* a key or Device= spec that cannot be */
	PEDAL_EVDEV_ERROR_NO_DEVICE,  /* no such device (plugged out?) */
	PEDAL_EVDEV_ERROR_PERMISSION, /* the udev rule is missing */
	PEDAL_EVDEV_ERROR_BUSY,       /* another program grabbed it */
	PEDAL_EVDEV_ERROR_NO_KEY,     /* the device has no such key */
	PEDAL_EVDEV_ERROR_IO,         /* read failed, device gone (ENODEV) */
};

/* ---- configuration (input/evdev_keys.c) ---- */

/* [Pedal] Device=: a path (/dev/input/by-id/usb-...-event-kbd) or
 * usb:VVVV:PPPP (hexadecimal vendor and product ids). */
struct pedal_evdev_device_spec {
	char *path;        /* NULL for usb: */
	uint16_t vendor;   /* usb: only */
	uint16_t product;
};

/* Parses TEXT into SPEC (free with pedal_evdev_device_spec_clear). */
bool pedal_evdev_parse_device(const char *text, struct pedal_evdev_device_spec *spec,
			      GError **error);
void pedal_evdev_device_spec_clear(struct pedal_evdev_device_spec *spec);

/* "KEY_B", "BTN_LEFT", "KEY_F13" -> the EV_KEY code; false with ERROR
 * naming the key when it is not a key name. */
bool pedal_evdev_parse_key(const char *name, unsigned *code, GError **error);

/* The [Pedal] keys of the evdev source as written (NULL or "" = not
 * given). */
struct pedal_evdev_config_text {
	bool source_is_evdev;        /* Source=evdev */
	const char *chip;            /* Chip= (gpio only) */
	const char *line;            /* Line= (gpio only) */
	const char *device;          /* Device= */
	const char *key;             /* Key= */
	const char *depth_down_key;  /* DepthDownKey= */
	const char *depth_up_key;    /* DepthUpKey= */
	uint32_t depth_step_um;      /* DepthStepMm= (already parsed as mm) */
};

#define PEDAL_EVDEV_DEPTH_STEP_DEFAULT_UM 100u
#define PEDAL_EVDEV_DEPTH_STEP_MIN_UM     10u
#define PEDAL_EVDEV_DEPTH_STEP_MAX_UM     1000u

/* The cross-key rules: Device and Key only with Source=evdev, and then
 * both required; not with Chip= or Line=; keys are key names and all
 * different; the depth step within 0.01..1 mm.  False with ERROR saying
 * which key and why, in the configuration's words ("[Pedal] Key=KEY_BB:
 * ..."), and *KEY_AT_FAULT (may be NULL) the key's name ("Key"), for the
 * caller to name the file that set it. */
bool pedal_evdev_validate_config(const struct pedal_evdev_config_text *text,
				 const char **key_at_fault, GError **error);

/* ---- translation (input/evdev_translate.c) ---- */

/* The keys to watch; 0 = none. */
struct pedal_evdev_keys {
	unsigned pedal;
	unsigned depth_down;
	unsigned depth_up;
};

enum pedal_evdev_event_kind {
	PEDAL_EVDEV_PEDAL_DOWN,
	PEDAL_EVDEV_PEDAL_UP,
	PEDAL_EVDEV_DEPTH_DOWN,  /* the depth-down key was pressed */
	PEDAL_EVDEV_DEPTH_UP,    /* the depth-up key was pressed */
};

struct pedal_evdev_event {
	enum pedal_evdev_event_kind kind;
	uint64_t timestamp_ns;   /* CLOCK_MONOTONIC, the kernel's */
};

/* What one read of the device gave (libevdev_next_event's result). */
enum pedal_evdev_read {
	PEDAL_EVDEV_READ_EVENT,  /* a normal event */
	PEDAL_EVDEV_READ_SYNC,   /* SYN_DROPPED, or an event of the resync */
	PEDAL_EVDEV_READ_AGAIN,  /* nothing pending */
	PEDAL_EVDEV_READ_ERROR,  /* the device failed (ENODEV: unplugged) */
};

/* A USB HID switch reports a key held while it is plugged in only once it
 * is opened (usbhid starts reading it then): a down this soon after the
 * open is the key held at the plug, not a press. */
#define PEDAL_EVDEV_PLUG_SETTLE_NS 500000000ull

/* The translator's memory: the pedal key's level as last reported. */
struct pedal_evdev_translator {
	struct pedal_evdev_keys keys;
	int level;               /* 1 down, 0 up, -1 not known yet */
	uint64_t settle_until_ns; /* downs before this are held at the plug */
	bool held_at_plug;       /* such a down is on: ignored until released */
	uint64_t depth_debounce_ns; /* a depth key must be up this long first */
	uint64_t depth_up_ns[2];  /* when depth down / up last went up (0: not yet) */
};

/* LEVEL: the key's level at OPEN_NS (CLOCK_MONOTONIC).  DEPTH_DEBOUNCE_MS
 * ([Pedal] DebounceMs): a depth key that goes down again sooner than this
 * after going up is bouncing, not pressed again (the pedal key itself is
 * debounced above the driver, gpio/pedal.c). */
void pedal_evdev_translator_init(struct pedal_evdev_translator *t,
				 const struct pedal_evdev_keys *keys, int level, uint64_t open_ns,
				 uint32_t depth_debounce_ms);

/* Feeds one read.  Returns true and fills OUT when it is an event to
 * report: a pedal edge (the level changed; autorepeat and a repeated value
 * are not edges; a down within PEDAL_EVDEV_PLUG_SETTLE_NS of the open and
 * its release are not reported at all: the level stays up), or a depth key
 * going down outside a resync (a press the kernel dropped is not replayed
 * as a depth step) after being up for the depth debounce time.  Other keys and event
 * types, AGAIN and ERROR give false (ERROR is the caller's: the device is
 * lost). */
bool pedal_evdev_translate(struct pedal_evdev_translator *t, enum pedal_evdev_read read,
			   const struct input_event *ev, struct pedal_evdev_event *out);

/* ---- the device (input/pedal_evdev.c) ---- */

struct pedal_evdev;

struct pedal_evdev_params {
	const struct pedal_evdev_device_spec *device;
	struct pedal_evdev_keys keys;
	uint32_t depth_debounce_ms;  /* see pedal_evdev_translator_init() */
};

/* Finds the device (a path, or the first /dev/input/event* whose input
 * device has the usb: ids), opens it non-blocking, grabs it (EVIOCGRAB:
 * no other reader, no console, no desktop sees its keys), sets its clock
 * to CLOCK_MONOTONIC and checks it has the keys.  The error names the
 * device and the likely fix. */
struct pedal_evdev *pedal_evdev_open(const struct pedal_evdev_params *params, GError **error);
void pedal_evdev_close(struct pedal_evdev *dev);
typedef struct pedal_evdev PedalEvdev;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PedalEvdev, pedal_evdev_close)

/* Readable when events are pending; G_IO_HUP/G_IO_ERR when unplugged. */
int pedal_evdev_get_fd(const struct pedal_evdev *dev);

/* Reads the pending input into EVENTS (at most MAX): how many, 0 when
 * nothing to report is pending, -1 with ERROR when the device is gone or
 * failed (PEDAL_EVDEV_ERROR_IO).  Resyncs after SYN_DROPPED itself. */
int pedal_evdev_read_events(struct pedal_evdev *dev, struct pedal_evdev_event *events,
			    unsigned max, GError **error);

/* The pedal key's level as reported (at open the kernel's; a key held at
 * the plug reads up until released): 1 down, 0 up. */
int pedal_evdev_read_level(struct pedal_evdev *dev, GError **error);

/* "/dev/input/event3 (0c45:7403 PCsensor FootSwitch) key KEY_B". */
const char *pedal_evdev_describe(const struct pedal_evdev *dev);

/* The device node open, as udev names it ("/dev/input/event3"). */
const char *pedal_evdev_devnode(const struct pedal_evdev *dev);

/* ---- hotplug (input/pedal_evdev_hotplug.c) ---- */

struct pedal_evdev_hotplug;

/* What the pending udev events said; flags, as a replug can come in one
 * burst (remove then add). */
enum pedal_evdev_hotplug_change {
	PEDAL_EVDEV_HOTPLUG_NONE = 0,
	PEDAL_EVDEV_HOTPLUG_REMOVED = 1 << 0, /* the node OPEN_DEVNODE went away */
	PEDAL_EVDEV_HOTPLUG_ADDED = 1 << 1,   /* a device matching the spec appeared */
};

/* A udev monitor (netlink "udev", subsystem input) for SPEC. */
struct pedal_evdev_hotplug *pedal_evdev_hotplug_new(const struct pedal_evdev_device_spec *spec,
						    GError **error);
void pedal_evdev_hotplug_free(struct pedal_evdev_hotplug *h);

/* Readable when udev has news. */
int pedal_evdev_hotplug_get_fd(const struct pedal_evdev_hotplug *h);

/* Drains the pending udev events.  OPEN_DEVNODE: the node open now (its
 * "remove" is REMOVED), or NULL.  Returns enum pedal_evdev_hotplug_change
 * flags. */
unsigned pedal_evdev_hotplug_read(struct pedal_evdev_hotplug *h, const char *open_devnode);

/* ---- main loop (input/pedal_evdev_watch.c) ---- */

struct pedal_evdev_watch_callbacks {
	/* The device was opened (at start or replugged): the pedal's LEVEL
	 * then.  A pedal already down is "held at start": a debouncer above
	 * ignores it until released. */
	void (*on_opened)(const char *description, int level, uint64_t time_ns,
			  void *user_data);
	/* A pedal edge or a depth-key press. */
	void (*on_event)(const struct pedal_evdev_event *event, void *user_data);
	/* The open device failed or was unplugged: the pedal's state is
	 * unknown.  Reopened when udev adds a matching device. */
	void (*on_lost)(const char *reason, void *user_data);
	/* An open failed (at start, or after an "add"). */
	void (*on_unavailable)(const GError *error, void *user_data);
};

struct pedal_evdev_watch;

/* Starts watching udev and opens the device if present (the first report
 * comes from the main loop).  Returns NULL only when udev cannot be
 * watched. */
struct pedal_evdev_watch *pedal_evdev_watch_new(const struct pedal_evdev_params *params,
						const struct pedal_evdev_watch_callbacks *callbacks,
						void *user_data, GError **error);
void pedal_evdev_watch_free(struct pedal_evdev_watch *w);

/* ---- penctl doctor (input/pedal_evdev_doctor.c) ---- */

/* The udev rule that lets group penctld read (and grab) the input device
 * VENDOR:PRODUCT and no other. */
char *pedal_evdev_udev_rule(uint16_t vendor, uint16_t product);

/* The input devices that look like foot switches (a known vendor:product,
 * or few keys and no letters row): one per line,
 * "/dev/input/event5 0c45:7403 "PCsensor FootSwitch" keys KEY_A KEY_B KEY_C
 * [known: PCsensor FootSwitch]", or "none". */
char *pedal_evdev_list_switches(void);

/* The device a [Pedal] Device= spec selects, as found now. */
struct pedal_evdev_selected {
	char *devnode;   /* NULL: none present */
	uint16_t vendor, product;
};
void pedal_evdev_selected_clear(struct pedal_evdev_selected *selected);

/* As pedal_evdev_list_switches(), also listing the device SPEC selects
 * (even one that looks like no foot switch), its line ending
 * " <- selected by [Pedal] Device="; the first such device goes to
 * *SELECTED (may be NULL; clear with pedal_evdev_selected_clear). */
char *pedal_evdev_list_switches_for(const struct pedal_evdev_device_spec *spec,
				    struct pedal_evdev_selected *selected);
