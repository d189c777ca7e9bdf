#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/install-deps.sh build|report|test|deb|cross|system
#
# Installs, with apt-get, the Debian 12 packages penctld needs, and says
# which.  Only missing packages are installed; nothing else is changed.
#   build   compiler, make, CMake and the libraries penctld links (libevdev
#           and libudev for the USB foot switch): exactly what a build
#           without tests needs (tests/fresh checks that in a clean Debian
#           12 root)
#   report  + cairo and pango for penctl-report (penctl report's PDF), GTK 4
#           for penctl-panel (the chair-side touch panel); a build without
#           them leaves those out (PENCTL_REPORT=AUTO, PENCTL_PANEL=AUTO), as
#           on the Raspberry Pi's minimal install
#   test    build + report + cmocka, a D-Bus daemon, python-dbusmock
#           (integration tests), evtest and python3-evdev (a uinput foot
#           switch, tests/integration/test_evdev_uinput.py), systemd-analyze (unit checks), groff (man
#           page checks), poppler-utils (penctl report's PDF checked as text
#           and pixels), systemd-journal-remote (a real journal file for
#           penctl report --directory), clang with libFuzzer (tests/fuzz),
#           mmdebstrap (tests/fresh and tests/cross, whose roots have their
#           own packages), Xvfb and AT-SPI (the panel read as a person sees it)
#   deb     build + debhelper and the rest of debian/control's build
#           dependencies, lintian: `make deb`
#   cross   mmdebstrap: `make deb-arm64`, `make test-cross` (the cross
#           toolchains, qemu-user and lintian are in tests/cross's root)
#   system  the QEMU test bed's (tests/system/setup-host.sh): QEMU, Debian's
#           6.1 kernel image + headers (the guest kernel, whatever the host
#           runs), static busybox, bluez + btvirt, gpiod, a compiler for the
#           gpio-sim module; systemd-journal-remote, openssl, ssl-cert and
#           poppler-utils for the clinic server scenario (14)
# Two of these at once (two checkouts' `make test`, a Pi's unattended
# upgrades at boot) wait for each other instead of failing on apt's lock.
set -eu

build_pkgs="cmake gcc make pkg-config libglib2.0-dev libgpiod-dev libevdev-dev libudev-dev"
report_pkgs="libcairo2-dev libpango1.0-dev fonts-dejavu-core libgtk-4-dev"
test_pkgs="libcmocka-dev evtest python3-evdev dbus python3-dbusmock python3-dbus python3-gi bluez systemd groff-base man-db util-linux libxml2-utils dpkg-dev
	clang libclang-rt-14-dev mmdebstrap poppler-utils systemd-journal-remote
	xvfb at-spi2-core gir1.2-atspi-2.0"
deb_pkgs="debhelper dpkg-dev pkgconf libcmocka-dev lintian"
system_pkgs="qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
	bluez bluez-test-tools gpiod build-essential kmod xz-utils cpio jq
	util-linux passwd python3-minimal python3-gi e2fsprogs
	systemd-journal-remote openssl ssl-cert poppler-utils"
# systemd.pc (where units go, debian/rules): package systemd on Debian 12,
# systemd-dev from Debian 13 (Raspberry Pi OS trixie) on.
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
case "$codename" in
bookworm | "") deb_pkgs="$deb_pkgs systemd" ;;
*) deb_pkgs="$deb_pkgs systemd-dev" ;;
esac

case "${1:-build}" in
build) want="$build_pkgs" ;;
report) want="$build_pkgs $report_pkgs" ;;
test) want="$build_pkgs $report_pkgs $test_pkgs" ;;
deb) want="$build_pkgs $deb_pkgs" ;;
cross) want="mmdebstrap" ;;
system) want="$system_pkgs" ;;
*) echo "usage: $0 build|report|test|deb|cross|system" >&2; exit 2 ;;
esac

# One of these scripts at a time, and the check under the same lock as the
# install: while another run's apt-get configures packages, the ones whose
# triggers it set off (man-db, for every man page) are in state
# triggers-pending, and were read here as missing, and the install then
# failed on apt's lock (seen: two fresh-clone `make test`s, one in
# test-deps while the other's setup-host installed QEMU).  flock works on a
# file opened for reading, so a user's run shares the lock file root made
# (touch, not a shell redirection: a failed redirection of a special
# built-in ends a POSIX shell; a clean root may have no /run/lock).
lock=${PENCTL_INSTALL_DEPS_LOCK:-/run/lock/penctld-install-deps.lock}
touch "$lock" 2>/dev/null || true
if [ -r "$lock" ]; then
	exec 8<"$lock"
	flock 8
fi

# Installed and configured: "installed", or configured with triggers still
# to run (triggers-pending, triggers-awaited), which dpkg counts as installed
# for dependencies too.
missing=""
for p in $want; do
	case "$(dpkg-query -W -f='${db:Status-Want} ${db:Status-Status}' "$p" 2>/dev/null)" in
	"install installed" | "install triggers-pending" | "install triggers-awaited") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "penctld: installing Debian packages:$missing"
# A package manager that is not ours (unattended-upgrades on a Pi after
# boot) holds dpkg's lock: apt waits for it, saying so, for up to 10 min.
apt_wait="-o DPkg::Lock::Timeout=600"
# An unreachable extra repository must not stop the install from Debian's own.
$sudo apt-get $apt_wait update -qq >/dev/null 2>&1 || echo "penctld: apt-get update reported errors; trying the install anyway" >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get $apt_wait install -y -qq --no-install-recommends $missing </dev/null >/dev/null
