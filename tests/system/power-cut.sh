#!/bin/bash
# power-cut.sh --build BUILD --results DIR [--timeout SEC]
#
# The power-cut test: two boots of the test VM on one persistent disk (an
# ext4 image holding /var/lib/penctld, /var/lib/bluetooth and the journal).
# The first (scenario power-cut-before) runs the motor on a fresh cartridge
# and QEMU is killed mid-run (run-vm.sh --power-cut-on); the second
# (power-cut-after) boots on the same disk and checks what survived.
# Exit codes as run-vm.sh.
set -u
SYSDIR=$(cd "$(dirname "$0")" && pwd)
BUILD=
RESULTS=
TIMEOUT=420
die() { echo "power-cut: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--results) RESULTS=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	*) die "unknown argument $1" ;;
	esac
done
[ -n "$BUILD" ] && [ -n "$RESULTS" ] || die "usage: $0 --build BUILD --results DIR"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 missing (package e2fsprogs)"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

# The Pi's SD card: 64 MiB are plenty for the state file, bonds and journal.
disk=$RESULTS/persistent.img
truncate -s 64M "$disk" && mkfs.ext4 -q -F -L penctl-persist "$disk" >/dev/null ||
	die "cannot make $disk"

"$SYSDIR/run-vm.sh" --build "$BUILD" --results "$RESULTS/before" --timeout "$TIMEOUT" \
	--disk "$disk" --power-cut-on power-cut-now power-cut-before
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
"$SYSDIR/run-vm.sh" --build "$BUILD" --results "$RESULTS/after" --timeout "$TIMEOUT" \
	--disk "$disk" --env "PENCTL_POWER_CUT_BEFORE=$RESULTS/before" power-cut-after
