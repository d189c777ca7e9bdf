/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The panel's picture of penctld: what penctl_live keeps current, as a
 * GObject the views connect to.  It emits, never polls:
 *   "changed" (names, a NULL-terminated char **): properties changed;
 *   "daemon" (running, message): penctld came or went; MESSAGE says why
 *     it cannot be seen ("penctld is not running", "permission denied");
 *   "event" (kind, reason, words, fields a{sv}): one journal record;
 *   notify::warning: a time budget reached WarnPercent (the daemon's
 *     limit-warning record; or, should the daemon publish a WarnPercent
 *     property, the time properties), cleared when a session opens or ends;
 *   notify::why: the last stop, refusal or fault in words ("" when none).
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

G_BEGIN_DECLS

#define PANEL_TYPE_MODEL (panel_model_get_type())
G_DECLARE_FINAL_TYPE(PanelModel, panel_model, PANEL, MODEL, GObject)

/* Watches penctld on BUS (the system bus). */
PanelModel *panel_model_new(GDBusConnection *bus);

GDBusConnection *panel_model_get_bus(PanelModel *model);
bool panel_model_running(PanelModel *model);
/* Why the daemon cannot be seen, "" when it can. */
const char *panel_model_away(PanelModel *model);
bool panel_model_warning(PanelModel *model);
/* The warning in words ("Time warning: 80 % of the session time used"),
 * "" when there is none. */
const char *panel_model_warning_text(PanelModel *model);
const char *panel_model_why(PanelModel *model);
/* Say why in words (a refusal the panel got as a D-Bus error, say). */
void panel_model_set_why(PanelModel *model, const char *why);

/* The current properties, tolerant of a missing or mistyped one. */
const char *panel_model_string(PanelModel *model, const char *name);
uint64_t panel_model_uint(PanelModel *model, const char *name);
bool panel_model_bool(PanelModel *model, const char *name);
/* Property NAME when it has TYPE, else NULL; unref it. */
GVariant *panel_model_value(PanelModel *model, const char *name, const GVariantType *type);
/* A string-array property (as); free with g_strfreev(). */
char **panel_model_strv(PanelModel *model, const char *name);

G_END_DECLS
