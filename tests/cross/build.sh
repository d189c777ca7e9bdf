#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/cross/build.sh ARCH CACHEDIR OUTDIR
#
# Cross-builds penctld's Debian packages for ARCH (arm64: Raspberry Pi 3, 4,
# 5, Zero 2 W on a 64-bit OS; armhf: a 32-bit Raspberry Pi OS) with
# `dpkg-buildpackage -a ARCH` in the cached root of root.sh, from a copy of
# this source tree as it is (uncommitted changes included).  Unless
# DEB_BUILD_OPTIONS has nocheck, the build runs the unit tests under
# qemu-user (debian/rules).  Then lintian on the result, which must report
# no error and no warning.  The .deb, .buildinfo, .changes and the build log
# go to OUTDIR/ARCH.  Each step prints one line with its time; a failing
# step prints the end of the log.  Needs root (chroot, mount).
set -eu

[ $# -eq 3 ] || { echo "usage: $0 arm64|armhf CACHEDIR OUTDIR" >&2; exit 2; }
arch=$1
case "$arch" in
arm64 | armhf) ;;
*) echo "cross: $arch: arm64 or armhf" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)

if [ "$(id -u)" -ne 0 ]; then
	exec sudo DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-}" "$0" "$@"
fi

mkdir -p "$2" "$3/$arch"
cache=$(cd "$2" && pwd -P)
out=$(cd "$3/$arch" && pwd -P)
log="$out/build.log"
: >"$log"

t0=$(date +%s)
root=$("$here/root.sh" "$cache")
echo "cross: $arch: root ready in $(($(date +%s) - t0)) s ($root)"

# One build at a time in the shared root (each mounts its /proc and /dev).
exec 8>"$cache/build.lock"
flock 8

work=/build/penctld-$arch-$$
mounted=""
cleanup() {
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	mounted=""
	rm -rf "$root/build/penctld-$arch-$$" "$root/build/"*_"$arch".*
}
trap cleanup EXIT
trap 'echo "cross: interrupted"; exit 130' INT
trap 'echo "cross: terminated"; exit 143' TERM

mount_in() { # ARGS... TARGET (the last argument)
	for target; do :; done
	mount "$@"
	mounted="$target $mounted"
}
mount_in -t proc proc "$root/proc"
mount_in -t tmpfs -o mode=0755,nosuid tmpfs "$root/dev"
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
	set -- $n
	mknod -m 0666 "$root/dev/$1" c "$2" "$3"
done
ln -s /proc/self/fd "$root/dev/fd"

# The tree as it is, without build directories and packaging by-products.
mkdir -p "$root$work"
tar -C "$src" --exclude=./.git --exclude='./_*' --exclude='./build*' \
	--exclude='./obj-*' --exclude=./debian/tmp --exclude=./debian/.debhelper \
	--exclude=./debian/penctld --exclude=./debian/penctld-sim -cf - . |
	tar -C "$root$work" -xf -

# step DESCRIPTION COMMAND: COMMAND runs in the root, in the copy.
step() {
	what=$1
	t=$(date +%s)
	printf '== %s\n' "$what" >>"$log"
	if chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-}" \
		/bin/sh -c "cd $work && $2" </dev/null >>"$log" 2>&1; then
		printf 'cross: %s: ok    %4s s  %s\n' "$arch" "$(($(date +%s) - t))" "$what"
	else
		rc=$?
		printf 'cross: %s: FAIL  %4s s  %s (exit %s)\n' "$arch" "$(($(date +%s) - t))" "$what" "$rc"
		tail -n 30 "$log" | sed 's/^/    /'
		echo "cross: FAILED: $arch: $what (whole log: $log)"
		exit 1
	fi
}

profiles=""
case " ${DEB_BUILD_OPTIONS:-} " in
*" nocheck "*) profiles="-Pnocheck" ;;
esac
# -J2: the machines this runs on have 2 cores shared with others.
step "dpkg-buildpackage -a $arch${profiles:+ $profiles}" \
	"dpkg-buildpackage -us -uc -b -a $arch -J2 $profiles"
grep -E '^(100% tests passed|[0-9]+% tests passed)|^Total Test time' "$log" |
	sed "s/^/cross: $arch: ctest: /" || echo "cross: $arch: no unit tests run (nocheck)"
changes=$(cd "$root/build" && ls penctld_*_"$arch".changes)
step "lintian (no error, no warning)" \
	"lintian --fail-on error,warning --tag-display-limit 0 ../$changes"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
cp "$root/build/"*_"$arch".deb "$root/build/$changes" "$root/build/"*_"$arch".buildinfo "$out/"
echo "cross: $arch: packages in $out ($(du -ch "$out"/*.deb | tail -n1 | cut -f1)); $(($(date +%s) - t0)) s in all"
