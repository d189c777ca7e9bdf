/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * penctl-report: one treatment session as a PDF (and a PNG of its first
 * page), from penctld's own journal records.  `penctl report` runs it; it
 * is a program of its own so that cairo and pango stay off a chair that
 * never prints (the Raspberry Pi's minimal install).  See penctl(1).
 *
 * Exit status as penctl's: 0 ok, 1 refused (no such session, or one id on
 * two chairs), 2 usage, 69 the journal or the output cannot be used.
 */
#include <locale.h>
#include <stdio.h>

#include <gio/gio.h>

#include "penctl_client.h"
#include "penctl_log.h"
#include "penctl_report_draw.h"
#include "penctl_report_model.h"

#define REPORT_PNG_DPI 110.0

static int fail(int code, const char *format, ...) G_GNUC_PRINTF(2, 3);
static int fail(int code, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list args;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	fprintf(stderr, "penctl report: %s\n", message);
	if (code == PENCTL_EXIT_USAGE)
		fprintf(stderr, "Try 'penctl report --help'.\n");
	return code;
}

int main(int argc, char **argv)
{
	g_autofree char *session = NULL, *directory = NULL, *chair = NULL;
	g_autofree char *output = NULL, *png = NULL;
	g_auto(GStrv) files = NULL;
	double dpi = REPORT_PNG_DPI;
	const GOptionEntry entries[] = {
		{ "session", 0, 0, G_OPTION_ARG_STRING, &session,
		  "The session (default: the last one started)", "ID" },
		{ "directory", 'D', 0, G_OPTION_ARG_FILENAME, &directory,
		  "Read the journal in DIR (as journalctl --directory)", "DIR" },
		{ "file", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
		  "Read the journal file FILE (as journalctl --file; may be repeated)", "FILE" },
		{ "chair", 0, 0, G_OPTION_ARG_STRING, &chair,
		  "Only the records of this chair (its host name, _HOSTNAME)", "HOST" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
		  "The PDF to write (default: penctl-report-ID.pdf)", "FILE" },
		{ "png", 0, 0, G_OPTION_ARG_FILENAME, &png, "Also write page 1 as a PNG image",
		  "FILE" },
		{ "dpi", 0, 0, G_OPTION_ARG_DOUBLE, &dpi, "The PNG's resolution (default 110)",
		  "N" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) context = g_option_context_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(penctl_report_builder) builder = NULL;
	g_autoptr(penctl_report) report = NULL;
	struct penctl_journal_source source = { 0 };
	int pages;

	setlocale(LC_ALL, "");
	g_set_prgname("penctl report");
	g_option_context_set_summary(context, "One treatment session as a PDF, from penctld's "
					      "journal records.");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return fail(PENCTL_EXIT_USAGE, "%s", error->message);
	if (argc > 1)
		return fail(PENCTL_EXIT_USAGE, "unexpected argument \"%s\"", argv[1]);
	if (directory && files)
		return fail(PENCTL_EXIT_USAGE, "--directory and --file exclude each other "
			    "(as for journalctl)");
	if (dpi < 30 || dpi > 600)
		return fail(PENCTL_EXIT_USAGE, "--dpi must be 30..600");
	source.directory = directory;
	source.files = (const char *const *)files;
	source.hostname = chair;

	if (!session) {
		session = penctl_log_last_session_in(&source, &error);
		if (error)
			return fail(PENCTL_EXIT_UNAVAILABLE, "cannot read the journal: %s",
				    error->message);
		if (!session)
			return fail(PENCTL_EXIT_REFUSED, "the journal holds no session");
	}
	builder = penctl_report_builder_new(session);
	if (!penctl_log_read_session(&source, session, false, penctl_report_builder_add, builder,
				     &error))
		return fail(PENCTL_EXIT_UNAVAILABLE, "cannot read the journal: %s", error->message);
	report = penctl_report_builder_finish(builder, &error);
	if (!report)
		return fail(PENCTL_EXIT_REFUSED, "%s", error->message);

	if (!output) {
		/* In the current directory, whatever the id holds. */
		g_autofree char *name = g_strdelimit(g_strdup(session), "/", '_');

		output = g_strdup_printf("penctl-report-%s.pdf", name);
	}
	pages = penctl_report_draw(report, output, png, dpi, &error);
	if (pages < 0)
		return fail(PENCTL_EXIT_UNAVAILABLE, "%s", error->message);
	printf("Wrote %s (%d page%s)%s%s.\n", output, pages, pages == 1 ? "" : "s",
	       png ? " and " : "", png ? png : "");
	return PENCTL_EXIT_OK;
}
