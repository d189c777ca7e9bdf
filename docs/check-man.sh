#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Render each man page with groff and every warning enabled; any diagnostic
# fails.  Used by ctest (docs/man.cmake).  Needs groff-base.
command -v groff >/dev/null || { echo "FAIL: groff not found (Debian package: groff-base)" >&2; exit 1; }
status=0
for page in "$@"; do
	[ -f "$page" ] || { echo "FAIL: $page missing" >&2; status=1; continue; }
	# -t: tables; -z: no output, diagnostics only.
	out=$(groff -t -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -n "$out" ]; then
		echo "FAIL: $page:" >&2
		echo "$out" >&2
		status=1
	else
		echo "ok: $page"
	fi
done
exit $status
