#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/fresh/readme-block.sh README NAME
#
# Prints the commands of the code block that follows the marker line
#   <!-- test-fresh: NAME -->
# in README (the fence lines themselves left out), one command a line;
# blank lines and comment lines are dropped, a trailing "# comment" is kept
# (the shell ignores it).  So the test runs what the README says, and the
# README cannot drift from what is tested.  Fails when the marker, its code
# block or its closing fence is missing, or the block is empty.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 README NAME" >&2; exit 2; }

awk -v name="$2" -v file="$1" '
	state == 0 && $0 ~ "^<!-- test-fresh: " name " -->[ \t]*$" { state = 1; next }
	state == 1 && /^[ \t]*$/ { next }
	state == 1 && /^```/ { state = 2; next }
	state == 1 { bad = "the marker is not followed by a code block"; exit }
	state == 2 && /^```[ \t]*$/ { state = 3; exit }
	state == 2 && /^[ \t]*(#|$)/ { next }
	state == 2 { print; n++ }
	END {
		if (bad == "" && state == 0) bad = "no line <!-- test-fresh: " name " -->"
		if (bad == "" && state == 2) bad = "the code block is not closed"
		if (bad == "" && n == 0) bad = "the code block is empty"
		if (bad != "") { printf "%s: block %s: %s\n", file, name, bad > "/dev/stderr"; exit 1 }
	}
' "$1"
