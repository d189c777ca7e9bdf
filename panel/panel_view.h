/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the practitioner reads from a metre: depth and limit, needling and
 * wall time left, motor and pedal, battery, cartridge, and why the motor
 * stopped or was refused.  Redrawn from the model's signals only.
 */
#pragma once

#include <gtk/gtk.h>

#include "panel_model.h"

GtkWidget *panel_view_new(PanelModel *model);
