/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The window to a PNG (see panel_screenshot.h).
 */
#include <errno.h>
#include <stdio.h>

#include "panel_screenshot.h"

bool panel_screenshot_save(GtkWidget *window, const char *path, GError **error)
{
	int width = gtk_widget_get_width(window);
	int height = gtk_widget_get_height(window);
	GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(window));
	g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(window);
	g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new();
	g_autoptr(GskRenderNode) node = NULL;
	g_autoptr(GdkTexture) texture = NULL;
	g_autofree char *temporary = g_strdup_printf("%s.tmp", path);

	if (!renderer || width <= 0 || height <= 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
			    "the window is not on screen yet");
		return false;
	}
	gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), width, height);
	node = gtk_snapshot_to_node(snapshot);
	if (!node) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
			    "the window has nothing drawn yet");
		return false;
	}
	texture = gsk_renderer_render_texture(renderer, node,
					      &GRAPHENE_RECT_INIT(0, 0, (float)width, (float)height));
	/* Written whole, then renamed: a reader never sees half a picture. */
	if (!gdk_texture_save_to_png(texture, temporary)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s", temporary);
		return false;
	}
	if (rename(temporary, path) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot rename to %s: %s",
			    path, g_strerror(errno));
		return false;
	}
	return true;
}
