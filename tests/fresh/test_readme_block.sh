#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/fresh/test_readme_block.sh SOURCEDIR
#
# The blocks test-fresh runs are in README.md, and readme-block.sh refuses
# what would make test-fresh test less than the README says: a missing
# marker, a marker without a code block, an unclosed or empty block.
set -u
src=$1
block="$src/tests/fresh/readme-block.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # WANT(0|1) NAME FILE DESCRIPTION
	"$block" "$3" "$2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$1" -eq 0 ] && [ "$rc" -ne 0 ]; then
		echo "FAIL: $4: $(cat "$tmp/err")"; fail=1
	elif [ "$1" -ne 0 ] && [ "$rc" -eq 0 ]; then
		echo "FAIL: $4: accepted"; fail=1
	else
		echo "ok: $4"
	fi
}

check 0 pi-build-install "$src/README.md" "README.md has the Raspberry Pi build-and-install block"
grep -q '^sudo apt-get install .*libgpiod-dev' "$tmp/out" ||
	{ echo "FAIL: the block has no apt-get install line"; fail=1; }
check 0 make "$src/README.md" "README.md has the make prerequisite block"

printf '# t\n\n```sh\nls\n```\n' >"$tmp/none.md"
check 1 x "$tmp/none.md" "no marker is refused"
printf '<!-- test-fresh: x -->\nsome text\n```sh\nls\n```\n' >"$tmp/text.md"
check 1 x "$tmp/text.md" "a marker followed by text is refused"
printf '<!-- test-fresh: x -->\n```sh\nls\n' >"$tmp/open.md"
check 1 x "$tmp/open.md" "an unclosed block is refused"
printf '<!-- test-fresh: x -->\n```sh\n# only a comment\n\n```\n' >"$tmp/empty.md"
check 1 x "$tmp/empty.md" "an empty block is refused"
printf '<!-- test-fresh: x -->\n\n```sh\n# c\na && b   # why\n\nc\n```\nd\n' >"$tmp/ok.md"
check 0 x "$tmp/ok.md" "a block's commands are read"
[ "$(cat "$tmp/out")" = "a && b   # why
c" ] ||
	{ echo "FAIL: read $(cat "$tmp/out")"; fail=1; }
exit $fail
