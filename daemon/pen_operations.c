// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Scan, pair and forget on a caller's request (pen_operations.h).
 */
#include "penctl/control_service.h"
#include "pen_operations.h"

#define PAIR_SCAN_SECONDS 5

/* What a task needs besides its callback. */
struct pen_task {
	struct pen_link *pen;
	struct persistence *store;
	char *address;
};

static void pen_task_free(struct pen_task *t)
{
	g_free(t->address);
	g_free(t);
}

static GTask *new_task(struct pen_link *pen, struct persistence *store,
		       GAsyncReadyCallback callback, gpointer user_data)
{
	/* GTask wants a GObject source; pen_link is none, so the data carries it. */
	GTask *task = g_task_new(NULL, NULL, callback, user_data);
	struct pen_task *t = g_new0(struct pen_task, 1);

	t->pen = pen;
	t->store = store;
	g_task_set_task_data(task, t, (GDestroyNotify)pen_task_free);
	return task;
}

static struct pen_task *task_of(GTask *task)
{
	return g_task_get_task_data(task);
}

GError *pen_operations_control_error(const GError *error)
{
	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
		return g_error_new(CONTROL_ERROR, CONTROL_ERROR_BLUETOOTH_UNAVAILABLE,
				   "Bluetooth is not available: %s (is bluetoothd running and an "
				   "adapter powered? see `penctl doctor`)", error->message);
	if (error->domain == CONTROL_ERROR)
		return g_error_copy(error);
	return g_error_new(CONTROL_ERROR, CONTROL_ERROR_FAILED, "%s", error->message);
}

static void scan_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) pens = pen_link_scan_finish(task_of(task)->pen, result, &error);

	(void)source;
	if (!pens)
		g_task_return_error(task, pen_operations_control_error(error));
	else
		g_task_return_pointer(task, g_steal_pointer(&pens), (GDestroyNotify)g_variant_unref);
}

void pen_operations_scan(struct pen_link *pen, unsigned seconds, GAsyncReadyCallback callback,
			 gpointer user_data)
{
	pen_link_scan(pen, seconds, NULL, scan_done, new_task(pen, NULL, callback, user_data));
}

GVariant *pen_operations_scan_finish(GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void pair_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	struct pen_task *t = task_of(task);
	g_autoptr(GError) error = NULL;

	(void)source;
	if (!pen_link_pair_finish(t->pen, result, &error)) {
		g_task_return_error(task, pen_operations_control_error(error));
		return;
	}
	persistence_set_pen_address(t->store, t->address);
	g_message("Paired with the pen %s; it is remembered in %s", t->address,
		  persistence_dir(t->store));
	g_task_return_pointer(task, g_strdup(t->address), g_free);
}

static void pair_address(GTask *task, const char *address)
{
	struct pen_task *t = task_of(task);

	t->address = g_strdup(address);
	pen_link_pair(t->pen, address, NULL, pair_done, task);
}

/* Pair(""): the only pen a short scan finds. */
static void pair_scan_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTask *task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) pens = pen_link_scan_finish(task_of(task)->pen, result, &error);
	const char *address;
	gsize n;

	(void)source;
	if (!pens) {
		g_task_return_error(task, pen_operations_control_error(error));
		g_object_unref(task);
		return;
	}
	n = g_variant_n_children(pens);
	if (n != 1) {
		g_task_return_new_error(task, CONTROL_ERROR,
					n ? CONTROL_ERROR_SEVERAL_PENS_FOUND
					  : CONTROL_ERROR_NO_PEN_FOUND,
					n ? "%zu pens found: name the one to pair (penctl pair "
					    "ADDRESS; penctl scan lists them)"
					  : "No pen found in %zu s: is it switched on and near?",
					n ? n : (gsize)PAIR_SCAN_SECONDS);
		g_object_unref(task);
		return;
	}
	g_variant_get_child(pens, 0, "(&s&sn)", &address, NULL, NULL);
	pair_address(task, address);
}

void pen_operations_pair(struct pen_link *pen, struct persistence *store, const char *address,
			 GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = new_task(pen, store, callback, user_data);

	if (address)
		pair_address(task, address);
	else
		pen_link_scan(pen, PAIR_SCAN_SECONDS, NULL, pair_scan_done, task);
}

char *pen_operations_pair_finish(GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void forget_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	struct pen_task *t = task_of(task);
	g_autoptr(GError) error = NULL;

	(void)source;
	if (!pen_link_forget_finish(t->pen, result, &error)) {
		g_task_return_error(task, pen_operations_control_error(error));
		return;
	}
	persistence_set_pen_address(t->store, "");
	g_task_return_boolean(task, TRUE);
}

void pen_operations_forget(struct pen_link *pen, struct persistence *store,
			   GAsyncReadyCallback callback, gpointer user_data)
{
	pen_link_forget(pen, NULL, forget_done, new_task(pen, store, callback, user_data));
}

bool pen_operations_forget_finish(GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean(G_TASK(result), error);
}
