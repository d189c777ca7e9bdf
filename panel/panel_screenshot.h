/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A picture of a window as it is on screen, for the documentation and the
 * tests: rendered by the window's own renderer, saved as PNG.
 */
#pragma once

#include <gtk/gtk.h>
#include <stdbool.h>

/* False and ERROR when the window is not shown yet or the file cannot be
 * written. */
bool panel_screenshot_save(GtkWidget *window, const char *path, GError **error);
