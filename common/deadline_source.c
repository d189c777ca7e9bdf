// SPDX-License-Identifier: GPL-2.0-or-later
/* A one-shot deadline on the main loop (penctl/deadline_source.h). */
#include "penctl/deadline_source.h"

static gboolean deadline_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	g_source_set_ready_time(source, -1);
	return callback ? callback(user_data) : G_SOURCE_CONTINUE;
}

static GSourceFuncs deadline_source_funcs = {
	.dispatch = deadline_dispatch,
};

GSource *penctl_deadline_source_new(int priority, const char *name, GSourceFunc callback,
				    gpointer user_data)
{
	GSource *source = g_source_new(&deadline_source_funcs, sizeof(GSource));

	g_source_set_priority(source, priority);
	g_source_set_callback(source, callback, user_data, NULL);
	g_source_set_ready_time(source, -1);
	g_source_set_name(source, name);
	g_source_attach(source, NULL);
	return source;
}
