/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The persistent state on disk: read at start, written atomically after
 * every change.  A bad file never stops the daemon; it is set aside.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "penctl/state_store.h"

#define STATE_GROUP_PEN "Pen"
#define STATE_KEY_ADDRESS "Address"
#define STATE_GROUP_CARTRIDGES "Cartridges"
#define STATE_KEY_USED "Used"

/* Parse the key file text; false with ERROR on anything we cannot trust. */
static bool state_parse(const char *data, gsize length, const char *path,
			struct penctl_state *state, GError **error)
{
	g_autoptr(GKeyFile) key_file = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_autofree char *address = NULL;
	g_auto(GStrv) used = NULL;

	if (!g_key_file_load_from_data(key_file, data, length, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
			    "%s is not a key file: %s", path, local->message);
		return false;
	}

	address = g_key_file_get_string(key_file, STATE_GROUP_PEN, STATE_KEY_ADDRESS, NULL);
	if (address && !penctl_state_set_pen_address(state, address)) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "%s: [%s] %s=%s is not a Bluetooth address", path, STATE_GROUP_PEN,
			    STATE_KEY_ADDRESS, address);
		return false;
	}

	used = g_key_file_get_string_list(key_file, STATE_GROUP_CARTRIDGES, STATE_KEY_USED,
					  NULL, NULL);
	for (char **id = used; id && *id; id++) {
		guint64 cartridge;

		/* Written as 16 hex digits; a shorter one is still the same id. */
		if (!g_ascii_string_to_unsigned(*id, 16, 1, G_MAXUINT64, &cartridge, NULL)) {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
				    "%s: [%s] %s has \"%s\", not a cartridge id (1 to 16 hex digits, not 0)",
				    path, STATE_GROUP_CARTRIDGES, STATE_KEY_USED, *id);
			return false;
		}
		penctl_state_add_cartridge(state, cartridge);
	}
	return true;
}

/* Move a corrupt PATH out of the way; the name of where it went, or NULL
 * with *ERRSV set. */
static char *state_set_aside(const char *dir, const char *path, int *errsv)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	for (int attempt = 0; attempt < 100; attempt++) {
		g_autofree char *name = attempt ?
			g_strdup_printf(PENCTL_STATE_FILE_NAME ".corrupt-%" G_GINT64_FORMAT ".%d", now, attempt) :
			g_strdup_printf(PENCTL_STATE_FILE_NAME ".corrupt-%" G_GINT64_FORMAT, now);
		g_autofree char *aside = g_build_filename(dir, name, NULL);

		/* Never overwrite an earlier corrupt file: it is evidence. */
		if (g_file_test(aside, G_FILE_TEST_EXISTS))
			continue;
		if (g_rename(path, aside) == 0)
			return g_steal_pointer(&aside);
		*errsv = errno;
		return NULL;
	}
	*errsv = EEXIST;
	return NULL;
}

bool state_store_load(const char *dir, struct penctl_state **out, GError **warning)
{
	g_autoptr(penctl_state) state = penctl_state_new();
	g_autofree char *path = g_build_filename(dir, PENCTL_STATE_FILE_NAME, NULL);
	g_autofree char *data = NULL;
	g_autofree char *aside = NULL;
	g_autoptr(GError) error = NULL;
	gsize length;
	int errsv = 0;

	if (!g_file_get_contents(path, &data, &length, &error)) {
		*out = g_steal_pointer(&state);
		if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return true; /* first start, or the directory is not there yet */
		g_propagate_prefixed_error(warning, g_steal_pointer(&error),
					   "state not read, starting empty: ");
		return false;
	}

	if (state_parse(data, length, path, state, &error)) {
		*out = g_steal_pointer(&state);
		return true;
	}

	/* Whatever was parsed before the error is not to be trusted either. */
	*out = penctl_state_new();
	aside = state_set_aside(dir, path, &errsv);
	if (aside)
		g_set_error(warning, error->domain, error->code,
			    "%s; set aside as %s, starting with an empty state", error->message,
			    aside);
	else
		g_set_error(warning, error->domain, error->code,
			    "%s; could not set it aside (%s), starting with an empty state",
			    error->message, g_strerror(errsv));
	return false;
}

static char *state_serialize(const struct penctl_state *state, gsize *length)
{
	g_autoptr(GKeyFile) key_file = g_key_file_new();
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

	g_key_file_set_comment(key_file, NULL, NULL,
			       " penctld persistent state: the paired pen and the used cartridges.\n"
			       " Written by penctld; a used cartridge must never be removed.",
			       NULL);
	g_key_file_set_string(key_file, STATE_GROUP_PEN, STATE_KEY_ADDRESS, state->pen_address);
	for (guint i = 0; i < state->used_cartridges->len; i++)
		g_ptr_array_add(ids, g_strdup_printf("%016" PRIx64,
						     g_array_index(state->used_cartridges,
								   uint64_t, i)));
	g_key_file_set_string_list(key_file, STATE_GROUP_CARTRIDGES, STATE_KEY_USED,
				   (const char *const *)ids->pdata, ids->len);
	return g_key_file_to_data(key_file, length, NULL);
}

static bool state_write_all(int fd, const char *data, gsize length)
{
	while (length > 0) {
		ssize_t n = write(fd, data, length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return false;
		data += n;
		length -= (gsize)n;
	}
	return true;
}

static bool state_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved_errno;
	bool ok;

	if (fd < 0)
		return false;
	ok = fsync(fd) == 0;
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
	return ok;
}

static void state_set_errno_error(GError **error, int errsv, const char *what, const char *path)
{
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv), "%s %s: %s", what, path,
		    g_strerror(errsv));
}

bool state_store_save(const char *dir, const struct penctl_state *state, GError **error)
{
	g_autofree char *path = g_build_filename(dir, PENCTL_STATE_FILE_NAME, NULL);
	g_autofree char *tmp = g_build_filename(dir, "." PENCTL_STATE_FILE_NAME ".XXXXXX", NULL);
	g_autofree char *data = NULL;
	gsize length;
	int fd, errsv;

	data = state_serialize(state, &length);
	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		errsv = errno;
		if (errsv == ENOENT || errsv == ENOTDIR)
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv),
				    "cannot save state: state directory %s %s", dir,
				    errsv == ENOENT ? "does not exist" : "is not a directory");
		else
			state_set_errno_error(error, errsv, "cannot save state: cannot create a file in",
					      dir);
		return false;
	}

	if (!state_write_all(fd, data, length) || fsync(fd) < 0) {
		errsv = errno;
		close(fd);
		g_unlink(tmp);
		state_set_errno_error(error, errsv, "cannot save state: cannot write", tmp);
		return false;
	}
	/* close() reports delayed write errors on some file systems (NFS). */
	if (close(fd) < 0) {
		errsv = errno;
		g_unlink(tmp);
		state_set_errno_error(error, errsv, "cannot save state: cannot write", tmp);
		return false;
	}
	if (g_rename(tmp, path) < 0) {
		errsv = errno;
		g_unlink(tmp);
		state_set_errno_error(error, errsv, "cannot save state: cannot replace", path);
		return false;
	}
	/* The rename is only durable once the directory entry is on disk. */
	if (!state_fsync_dir(dir)) {
		state_set_errno_error(error, errno,
				      "state saved but may not survive a power cut: cannot sync", dir);
		return false;
	}
	return true;
}
