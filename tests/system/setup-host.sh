#!/bin/sh
# setup-host.sh [CACHEDIR]   (default: $PENCTL_SYSTEM_CACHE)
#
# Prepares everything the whole-system test VM needs, on a Debian 12 host:
#   - packages: tools/install-deps.sh system (QEMU, Debian's 6.1 kernel
#     image + headers, bluez + btvirt, ...);
#   - gpio-sim.ko, built out of tree from three files of linux-source-6.1
#     (Debian's kernel ships without CONFIG_GPIO_SIM);
#   - bluetooth.ko, Debian's, built from the same source with
#     kernel/l2cap-hchan-lifetime.patch (a double free that bluetoothd
#     restarts trip in Debian's 6.1.192: the patch says why);
#   - the guest initramfs (mkinitramfs.sh).
# Idempotent: results are cached in CACHEDIR; a second run takes a second.
# Prints one line per step; details go to CACHEDIR/setup.log.
set -eu

die() { echo "setup-host: $*" >&2; exit 1; }

CACHE=${1:-${PENCTL_SYSTEM_CACHE:-}}
[ -n "$CACHE" ] && [ $# -le 1 ] || die "usage: $0 CACHEDIR (or PENCTL_SYSTEM_CACHE=CACHEDIR $0)"
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/kernel/modules.sh"
LOG="$CACHE/setup.log"
: >"$LOG"

install_packages() {
	"$HERE/../../tools/install-deps.sh" system || die "installing the test bed's packages failed"
	echo "setup-host: packages present"
}

# The guest kernel: Debian 12's 6.1 with its modules, never `uname -r`
# (the host may run something else entirely).
guest_kernel_version() {
	best=
	for d in /lib/modules/6.1.*-amd64; do
		[ -d "$d" ] || continue
		kv=${d#/lib/modules/}
		[ -f "/boot/vmlinuz-$kv" ] && [ -d "$d/build" ] || continue
		best="$best
$kv"
	done
	printf '%s\n' "$best" | sed '/^$/d' | sort -V | tail -n 1
}

# The parts of the guest kernel's own source that the test bed builds
# (gpio-sim, bluetooth), from linux-source-6.1 of the kernel package's
# version: bluetooth.ko is built against that kernel's headers, and its
# structures must be those of the same release.  Sets $src.
linux_source() {
	kv=$1
	version=$(dpkg-query -W -f='${Version}' "linux-image-$kv" 2>/dev/null) ||
		die "no package linux-image-$kv"
	src="$CACHE/linux-source-$version"
	[ -f "$src/.complete" ] && return
	echo "setup-host: fetching linux-source-6.1 $version"
	dl="$CACHE/download"
	rm -rf "$dl" "$src"
	mkdir -p "$dl" "$src"
	# apt-get download runs as the current user into the current dir.
	(cd "$dl" && apt-get download -q "linux-source-6.1=$version" >>"$LOG" 2>&1) ||
		die "apt-get download linux-source-6.1=$version failed, see $LOG" \
			"(the guest kernel is linux-image-$kv $version; if Debian's archive" \
			"has moved on, bring it up to date: apt-get install linux-image-amd64 linux-headers-amd64)"
	deb=$(ls "$dl"/linux-source-6.1_*.deb | head -n 1)
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$dl" --wildcards './usr/src/linux-source-6.1.tar.*'
	tarball=$(ls "$dl"/usr/src/linux-source-6.1.tar.* | head -n 1)
	tar -x -C "$src" --strip-components=1 -f "$tarball" \
		linux-source-6.1/drivers/gpio/gpio-sim.c \
		linux-source-6.1/drivers/gpio/gpiolib.h \
		linux-source-6.1/kernel/irq/irq_sim.c \
		linux-source-6.1/net/bluetooth ||
		die "extracting the sources from linux-source-6.1 $version failed"
	rm -rf "$dl"
	touch "$src/.complete"
}

build_gpio_sim() {
	kv=$1
	out="$CACHE/gpio-sim/$kv"
	if [ -f "$out/gpio-sim.ko" ]; then
		echo "setup-host: gpio-sim.ko cached"
		return
	fi
	echo "setup-host: building gpio-sim for $kv"
	linux_source "$kv"
	work="$CACHE/gpio-sim/work-$kv"
	rm -rf "$work"
	mkdir -p "$work" "$out"
	# The module's own name is gpio-sim, so its main object needs another.
	cp "$src/drivers/gpio/gpio-sim.c" "$work/gpio-sim-main.c"
	cp "$src/drivers/gpio/gpiolib.h" "$work/gpiolib.h"
	# irq_to_desc() is not exported to modules; the domain helper is.
	sed 's/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_domain_irq(work_ctx->domain, offset)/' \
		"$src/kernel/irq/irq_sim.c" >"$work/irq_sim.c"
	grep -q 'generic_handle_domain_irq(work_ctx->domain, offset)' "$work/irq_sim.c" ||
		die "irq_sim.c did not take the expected change"
	cat >"$work/Kbuild" <<'KBUILD'
obj-m := gpio-sim.o
gpio-sim-y := gpio-sim-main.o irq_sim.o
KBUILD
	make -C "/lib/modules/$kv/build" M="$work" modules >>"$LOG" 2>&1 ||
		die "gpio-sim build failed, see $LOG"
	cp "$work/gpio-sim.ko" "$out/gpio-sim.ko"
	rm -rf "$work"
}

build_bluetooth() {
	kv=$1
	out=$(patched_bluetooth_ko "$CACHE" "$kv")
	if [ -f "$out" ]; then
		echo "setup-host: bluetooth.ko (patched) cached"
		return
	fi
	echo "setup-host: building bluetooth.ko for $kv with $(basename "$BLUETOOTH_PATCH")"
	linux_source "$kv"
	work="$CACHE/bluetooth/work-$kv"
	rm -rf "$work"
	mkdir -p "$work/net"
	cp -R "$src/net/bluetooth" "$work/net/bluetooth"
	patch -d "$work" -p1 --no-backup-if-mismatch <"$BLUETOOTH_PATCH" >>"$LOG" 2>&1 ||
		die "$(basename "$BLUETOOTH_PATCH") does not apply to linux-source-6.1 for $kv, see $LOG"
	# bluetooth.ko only: the protocol modules (rfcomm, bnep, ...) stay Debian's.
	make -C "/lib/modules/$kv/build" M="$work/net/bluetooth" \
		CONFIG_BT_RFCOMM= CONFIG_BT_BNEP= CONFIG_BT_CMTP= CONFIG_BT_HIDP= \
		CONFIG_BT_6LOWPAN= modules >>"$LOG" 2>&1 ||
		die "bluetooth.ko build failed, see $LOG"
	mkdir -p "$(dirname "$out")"
	strip --strip-debug -o "$out.tmp" "$work/net/bluetooth/bluetooth.ko"
	mv "$out.tmp" "$out"
	rm -rf "$work"
}

install_packages
KV=$(guest_kernel_version)
[ -n "$KV" ] || die "no Debian 6.1 kernel with headers under /lib/modules and /boot"
echo "setup-host: guest kernel $KV"
build_gpio_sim "$KV"
build_bluetooth "$KV"
"$HERE/mkinitramfs.sh" "$CACHE" "$KV"
printf '%s\n' "$KV" >"$CACHE/kernel-version"
echo "setup-host: ready ($CACHE)"
