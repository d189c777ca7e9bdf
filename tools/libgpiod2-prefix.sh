#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/libgpiod2-prefix.sh DIR
#
# Unpack libgpiod 2.x (Debian bookworm-backports: libgpiod-dev, libgpiod3) into
# the private prefix DIR, so penctld's second build configuration can compile
# and test its libgpiod v2 back end on a Debian 12 machine whose system
# libgpiod stays 1.6.
#
# Why this way: installing the backport would replace the system's 1.6 (which
# the first configuration, gpiomon and the VM test need).  apt-get runs with a
# private sources file, list directory and cache, so the system's apt setup
# and its package state are not touched; `apt-get download` + `dpkg -x` install
# nothing.  The mirror is the one the machine already uses.
#
# Afterwards: PKG_CONFIG_PATH=DIR/usr/lib/<multiarch>/pkgconfig finds
# libgpiod.pc (its prefix rewritten to point into DIR).
# Prints nothing but errors; idempotent; needs root (apt) but no stdin.

set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi

mkdir -p "$1"
dir=$(cd "$1" && pwd -P)

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
pcdir="$dir/usr/lib/$multiarch/pkgconfig"
pc="$pcdir/libgpiod.pc"

# Done already (and for this DIR: the prefix is rewritten last).
if [ -f "$pc" ] && grep -Fqx "prefix=$dir/usr" "$pc"; then
	exit 0
fi

. /etc/os-release
codename=${PENCTL_DEBIAN_CODENAME:-${VERSION_CODENAME:-bookworm}}
suite="$codename-backports"

# The Debian mirror the machine already uses: the URIs of the deb822 stanza
# that lists the release itself (not -security), else a one-line sources.list
# entry, else Debian's own redirector.
mirror=
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
	mirror=$(awk -v rel="$codename" '
		/^[ \t]*$/ { if (uri != "" && hit) { print uri; exit } uri = ""; hit = 0; next }
		/^URIs:/ { uri = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) hit = 1 }
		END { if (uri != "" && hit) print uri }
	' /etc/apt/sources.list.d/debian.sources | head -n1)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
	mirror=$(awk -v rel="$codename" '
		$1 == "deb" { u = ""; s = "";
			for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { if (u == "") u = $i; else if (s == "") s = $i }
			if (s == rel) { print u; exit } }
	' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg

state="$dir/.apt"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs"
printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite" >"$state/sources.list"

# Everything apt writes goes under $state.  The sandbox user is root because
# _apt cannot write into DIR (and would only warn, which is noise here).
apt_opts="-q -o Dir::Etc::SourceList=$state/sources.list -o Dir::Etc::SourceParts=-
 -o Dir::State::Lists=$state/lists -o Dir::Cache=$state/cache
 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
 -o APT::Sandbox::User=root -o Debug::NoLocking=1"

log="$state/apt.log"
# shellcheck disable=SC2086
if ! apt-get $apt_opts update >"$log" 2>&1; then
	cat "$log" >&2
	echo "$0: apt-get update of $suite from $mirror failed" >&2
	exit 1
fi

cd "$state/debs"
rm -f ./*.deb
# shellcheck disable=SC2086
if ! apt-get $apt_opts download libgpiod-dev/"$suite" libgpiod3/"$suite" >"$log" 2>&1; then
	cat "$log" >&2
	echo "$0: apt-get download of libgpiod-dev, libgpiod3 from $suite failed" >&2
	exit 1
fi

for deb in ./*.deb; do
	dpkg -x "$deb" "$dir"
done

if [ ! -f "$pc" ]; then
	echo "$0: $pc missing after unpacking $(ls ./*.deb | tr '\n' ' ')" >&2
	exit 1
fi

# Point the .pc into DIR: prefix= and any other variable that names /usr
# directly rather than through ${prefix}.
sed -i -e "s|=/usr\$|=$dir/usr|" -e "s|=/usr/|=$dir/usr/|" "$pc"
