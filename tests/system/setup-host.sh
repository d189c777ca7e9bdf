#!/bin/sh
# setup-host.sh [CACHEDIR]   (default: $PENCTL_SYSTEM_CACHE)
#
# Prepares everything the whole-system test VM needs, on a Debian 12 host:
#   - packages: tools/install-deps.sh system (QEMU, Debian's 6.1 kernel
#     image + headers, bluez + btvirt, ...);
#   - gpio-sim.ko, built out of tree from three files of linux-source-6.1
#     (Debian's kernel ships without CONFIG_GPIO_SIM);
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

build_gpio_sim() {
	kv=$1
	out="$CACHE/gpio-sim/$kv"
	if [ -f "$out/gpio-sim.ko" ]; then
		echo "setup-host: gpio-sim.ko cached"
		return
	fi
	echo "setup-host: building gpio-sim for $kv"
	src="$CACHE/linux-source"
	if [ ! -f "$src/drivers/gpio/gpio-sim.c" ]; then
		dl="$CACHE/download"
		rm -rf "$dl"
		mkdir -p "$dl" "$src"
		# apt-get download runs as the current user into the current dir.
		(cd "$dl" && apt-get download -q linux-source-6.1 >>"$LOG" 2>&1) ||
			die "apt-get download linux-source-6.1 failed, see $LOG"
		deb=$(ls "$dl"/linux-source-6.1_*.deb | head -n 1)
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$dl" --wildcards './usr/src/linux-source-6.1.tar.*'
		tarball=$(ls "$dl"/usr/src/linux-source-6.1.tar.* | head -n 1)
		tar -x -C "$src" --strip-components=1 -f "$tarball" \
			linux-source-6.1/drivers/gpio/gpio-sim.c \
			linux-source-6.1/drivers/gpio/gpiolib.h \
			linux-source-6.1/kernel/irq/irq_sim.c ||
			die "extracting gpio-sim sources failed"
		rm -rf "$dl"
	fi
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

install_packages
KV=$(guest_kernel_version)
[ -n "$KV" ] || die "no Debian 6.1 kernel with headers under /lib/modules and /boot"
echo "setup-host: guest kernel $KV"
build_gpio_sim "$KV"
"$HERE/mkinitramfs.sh" "$CACHE" "$KV"
printf '%s\n' "$KV" >"$CACHE/kernel-version"
echo "setup-host: ready ($CACHE)"
