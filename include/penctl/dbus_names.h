/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The D-Bus face of penctld: one well-known name, one object, one versioned
 * interface (daemon/io.penctld.Penctl1.xml is the source of truth), shared by
 * the daemon's control service and the penctl command.
 */
#pragma once

#define PENCTL_DBUS_NAME        "io.penctld.Penctl1"
#define PENCTL_DBUS_PATH        "/io/penctld/Penctl1"
#define PENCTL_DBUS_INTERFACE   "io.penctld.Penctl1"
/* Every refusal is PENCTL_DBUS_ERROR_PREFIX + a name such as "DepthAboveLimit". */
#define PENCTL_DBUS_ERROR_PREFIX "io.penctld.Penctl1.Error."

/* Scan(seconds): the accepted range. */
#define PENCTL_SCAN_SECONDS_MIN 1u
#define PENCTL_SCAN_SECONDS_MAX 60u

/* StartSession() options (a{sv}). */
#define PENCTL_OPTION_CONTRAINDICATIONS_CHECKED "contraindications-checked" /* b */

/* Keys of the StopSession() summary (a{sv}). */
#define PENCTL_SUMMARY_SESSION_ID       "session-id"       /* s */
#define PENCTL_SUMMARY_WALL_MS          "wall-ms"          /* t */
#define PENCTL_SUMMARY_NEEDLING_MS      "needling-ms"      /* t */
#define PENCTL_SUMMARY_MAX_DEPTH_UM     "max-depth-um"     /* u */
#define PENCTL_SUMMARY_STROKES          "strokes"          /* u */
#define PENCTL_SUMMARY_ABOVE_ANESTHETIC "above-anesthetic" /* b */
#define PENCTL_SUMMARY_ANESTHETIC_UM    "anesthetic-advisory-um" /* u: the threshold */
#define PENCTL_SUMMARY_CARTRIDGES       "cartridges"       /* as: 16 hex digits each */
#define PENCTL_SUMMARY_STOPS            "stops"            /* a{su}: reason -> motor stops */

/* Event(kind s, reason s, fields a{sv}): kind is the journal's PENCTL_EVENT
 * ("motor-stop"), reason its PENCTL_REASON ("pedal-released", "none");
 * fields holds only those that apply to the record: */
#define PENCTL_EVENT_DEPTH_UM   "depth-um"   /* u */
#define PENCTL_EVENT_LIMIT_UM   "limit-um"   /* u: the effective limit */
#define PENCTL_EVENT_USED_MS    "used-ms"    /* t: time used (limit-warning/-reached, motor-stop) */
#define PENCTL_EVENT_BUDGET_MS  "budget-ms"  /* t: the budget (limit-warning/-reached) */
#define PENCTL_EVENT_PERCENT    "percent"    /* u: of the budget (limit-warning) */
#define PENCTL_EVENT_CARTRIDGE  "cartridge"  /* s: 16 hex digits */
#define PENCTL_EVENT_FAULTS     "faults"     /* as: the pen's fault names */
#define PENCTL_EVENT_DETAIL     "detail"     /* s: free text */
