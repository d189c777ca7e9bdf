#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/fresh/root.sh CACHEDIR
#
# Prints the path of a clean Debian 12 root made by mmdebstrap, cached in
# CACHEDIR under a key that hashes everything it is made from (suite,
# variant, packages, mirror, mmdebstrap's version), so a change to any of
# them makes a new root and a rerun reuses the old one in no time.  Callers
# never use it directly: they copy it (run.sh), because apt installs a
# package's Recommends only when it first installs the package and each
# scenario must start where nothing was installed before.
#
# The root is minbase plus what every installed Debian 12 or Raspberry Pi OS
# has and minbase lacks: an init (systemd-sysv), udev and sudo.  No apt
# lists (mmdebstrap removes them), like a machine whose lists are stale.
# Progress goes to stderr; mmdebstrap's output to CACHEDIR/mmdebstrap.log.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 CACHEDIR" >&2; exit 2; }
mkdir -p "$1"
cache=$(cd "$1" && pwd -P)

suite=bookworm
variant=minbase
packages=sudo,systemd-sysv,udev
mirror=http://deb.debian.org/debian

command -v mmdebstrap >/dev/null ||
	{ echo "root.sh: mmdebstrap is missing: install mmdebstrap" >&2; exit 1; }
version=$(dpkg-query -W -f='${Version}' mmdebstrap 2>/dev/null || mmdebstrap --version)
key=$(printf 'suite=%s\nvariant=%s\npackages=%s\nmirror=%s\nmmdebstrap=%s\n' \
	"$suite" "$variant" "$packages" "$mirror" "$version" | sha256sum | cut -c1-16)
root="$cache/root-$key"

# Two runs at once (two CI jobs) make the root once.
exec 9>"$cache/root.lock"
flock 9

if [ ! -f "$root.done" ]; then
	echo "fresh: making a clean $suite root ($variant + $packages, mmdebstrap $version)" >&2
	rm -rf "$root" "$root.tmp"
	start=$(date +%s)
	if ! mmdebstrap --variant="$variant" --include="$packages" "$suite" "$root.tmp" \
		"$mirror" >"$cache/mmdebstrap.log" 2>&1; then
		tail -n 20 "$cache/mmdebstrap.log" >&2
		echo "root.sh: mmdebstrap failed, see $cache/mmdebstrap.log" >&2
		rm -rf "$root.tmp"
		exit 1
	fi
	mv "$root.tmp" "$root"
	touch "$root.done"
	echo "fresh: root made in $(($(date +%s) - start)) s ($(du -sh "$root" | cut -f1))" >&2
	# Roots of other keys are outdated: keep only this one.
	for old in "$cache"/root-*.done; do
		[ "$old" = "$root.done" ] && continue
		rm -rf "${old%.done}" "$old"
	done
fi
printf '%s\n' "$root"
