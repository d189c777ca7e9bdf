/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a practitioner (group penctl) can do from the chair: depth -/+ in
 * 0.1 mm steps, open a session (operator, a role this account may take,
 * area, client reference, the contraindication confirmation), stop it.
 * After a stop the summary and the after-care advice stay on screen until
 * the next session opens.  For an account that may only look, every
 * control is insensitive and a line says why.  A refusal is shown with
 * the daemon's own words (through the model's "why").
 */
#pragma once

#include <gtk/gtk.h>

#include "panel_model.h"

GtkWidget *panel_controls_new(PanelModel *model);
