#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/cross/root.sh CACHEDIR
#
# Prints the path of a Debian 12 root for cross-building penctld's package
# for the Raspberry Pi's processors, made by mmdebstrap and cached in
# CACHEDIR under a key that hashes everything it is made from (suite,
# architectures, packages, mirror, mmdebstrap's version and the
# Build-Depends of debian/control, which it holds for both arm64 and armhf),
# so a change to any of them makes a new root and a rerun reuses the old one.
#
# Multiarch (dpkg --add-architecture) happens only in this root, never on
# the host: the VM test bed shares the host's root filesystem.  The root has
# Debian's cross toolchains, the arm64 and armhf -dev libraries from
# debian/control, and qemu-user-static, with which the cross builds run
# their unit tests (no binfmt registration: CMake calls the emulator).
# Progress goes to stderr; mmdebstrap's output to CACHEDIR/mmdebstrap.log.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 CACHEDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
mkdir -p "$1"
cache=$(cd "$1" && pwd -P)

suite=bookworm
arches=amd64,arm64,armhf
packages=build-essential,crossbuild-essential-arm64,crossbuild-essential-armhf,qemu-user-static,debhelper,lintian
mirror=http://deb.debian.org/debian

command -v mmdebstrap >/dev/null ||
	{ echo "cross: mmdebstrap is missing: install mmdebstrap" >&2; exit 1; }
[ "$(dpkg --print-architecture)" = amd64 ] ||
	{ echo "cross: the root is made for an amd64 host" >&2; exit 1; }
version=$(dpkg-query -W -f='${Version}' mmdebstrap 2>/dev/null || mmdebstrap --version)
key=$( { printf 'suite=%s\narches=%s\npackages=%s\nmirror=%s\nmmdebstrap=%s\n' \
	"$suite" "$arches" "$packages" "$mirror" "$version"
	# The field and its continuation lines; nothing else of the file.
	awk '/^Build-Depends/ { f = 1; print; next } f && /^[ \t]/ { print; next } { f = 0 }' \
		"$src/debian/control"; } | sha256sum | cut -c1-16)
root="$cache/root-$key"

exec 9>"$cache/root.lock"
flock 9

if [ ! -f "$root.done" ]; then
	echo "cross: making a $suite root for $arches (mmdebstrap $version)" >&2
	rm -rf "$root" "$root.tmp"
	start=$(date +%s)
	# The build dependencies come from debian/control itself (apt-get
	# build-dep), once per target architecture.
	if ! mmdebstrap --variant=minbase --architectures="$arches" \
		--include="$packages" \
		--customize-hook='mkdir -p "$1/tmp/penctld/debian"' \
		--customize-hook="copy-in $src/debian/control /tmp/penctld/debian" \
		--customize-hook='chroot "$1" apt-get build-dep -y -a arm64 /tmp/penctld' \
		--customize-hook='chroot "$1" apt-get build-dep -y -a armhf /tmp/penctld' \
		--customize-hook='rm -rf "$1/tmp/penctld"' \
		"$suite" "$root.tmp" "$mirror" >"$cache/mmdebstrap.log" 2>&1; then
		tail -n 20 "$cache/mmdebstrap.log" >&2
		echo "cross: mmdebstrap failed, see $cache/mmdebstrap.log" >&2
		rm -rf "$root.tmp"
		exit 1
	fi
	mv "$root.tmp" "$root"
	touch "$root.done"
	echo "cross: root made in $(($(date +%s) - start)) s ($(du -sh "$root" | cut -f1))" >&2
	for old in "$cache"/root-*.done; do
		[ "$old" = "$root.done" ] && continue
		rm -rf "${old%.done}" "$old"
	done
fi
printf '%s\n' "$root"
