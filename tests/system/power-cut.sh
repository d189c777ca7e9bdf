#!/bin/bash
# power-cut.sh (--debs DIR | --build BUILD) --results DIR [--timeout SEC]
#
# The power-cut test: two boots of the test VM on one persistent disk (an
# ext4 image holding /var/lib/penctld, /var/lib/bluetooth and the journal).
# The first (scenario power-cut-before) runs the motor on a fresh cartridge
# and QEMU is killed mid-run (run-vm.sh --power-cut-on); the second
# (power-cut-after) boots on the same disk and checks what survived.
# --debs and --build are run-vm.sh's: each boot installs penctld afresh on
# its tmpfs root (the packages: with apt-get), over the disk's state.
# Exit codes as run-vm.sh.
set -u
SYSDIR=$(cd "$(dirname "$0")" && pwd)
INSTALL=()
RESULTS=
TIMEOUT=420
die() { echo "power-cut: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--build | --debs) INSTALL=("$1" "$2"); shift 2 ;;
	--results) RESULTS=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	*) die "unknown argument $1" ;;
	esac
done
[ ${#INSTALL[@]} -eq 2 ] && [ -n "$RESULTS" ] || die "usage: $0 --debs DIR|--build BUILD --results DIR"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 missing (package e2fsprogs)"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

# Both boots under one hold of the host's VM lock: another run's VM between
# them would count against this test's time.
. "$SYSDIR/vm-lock.sh"
vm_lock_take power-cut || die "no VM lock"

# The Pi's SD card: 64 MiB are plenty for the state file, bonds and journal.
disk=$RESULTS/persistent.img
truncate -s 64M "$disk" && mkfs.ext4 -q -F -L penctl-persist "$disk" >/dev/null ||
	die "cannot make $disk"

"$SYSDIR/run-vm.sh" "${INSTALL[@]}" --results "$RESULTS/before" --timeout "$TIMEOUT" \
	--disk "$disk" --power-cut-on power-cut-now power-cut-before
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
"$SYSDIR/run-vm.sh" "${INSTALL[@]}" --results "$RESULTS/after" --timeout "$TIMEOUT" \
	--disk "$disk" --env "PENCTL_POWER_CUT_BEFORE=$RESULTS/before" power-cut-after
