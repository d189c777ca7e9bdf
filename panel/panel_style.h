/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The panel's look: panel/panel.css, built into the program.
 */
#pragma once

#include <gtk/gtk.h>

/* Applies the style sheet to every window on DISPLAY. */
void panel_style_apply(GdkDisplay *display);
