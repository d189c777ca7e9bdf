#!/bin/bash
# demo.sh [BUILD_DIR [CACHE_DIR]]   (`make demo`)
#
# Builds the Debian packages of this tree (tests/system/build-debs.sh into
# BUILD_DIR/deb: a few minutes, nothing when the tree has not changed since),
# boots the test VM (a virtual Raspberry Pi), installs them there with
# apt-get as a clinic does, and plays one treatment, narrated step by step: scan and pair, a session for a
# home user's face, a refused depth, pedal presses, the time limit stopping
# the pen, the summary with after-care, the session's log and one journal
# record explained.  Ends by itself.  Needs tests/system/setup-host.sh first.
set -u
SYSDIR=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$SYSDIR/../.." && pwd)
BUILD=${1:-$SRCDIR/_build}
CACHE=${2:-${PENCTL_SYSTEM_CACHE:-$SRCDIR/_system-cache}}
RESULTS=$BUILD/demo-results

rm -rf "$RESULTS"
echo "== Building the Debian packages penctld and penctld-sim from this tree ..."
"$SYSDIR/build-debs.sh" "$SRCDIR" "$BUILD/deb" || exit 1
echo "== Booting a virtual Raspberry Pi (QEMU, Debian's kernel, systemd; about two minutes with the package install) ..."
"$SYSDIR/run-vm.sh" --debs "$BUILD/deb" --cache "$CACHE" --results "$RESULTS" \
	--timeout 480 --scenario-timeout 300 demo-treatment >"$BUILD/demo-run.log" 2>&1 &
vm=$!

# The narration appears in the results share as the guest writes it.
while [ ! -e "$RESULTS/narration.txt" ] && kill -0 "$vm" 2>/dev/null; do
	sleep 1
done
if [ -e "$RESULTS/narration.txt" ]; then
	tail -n +1 -F --pid="$vm" "$RESULTS/narration.txt" 2>/dev/null
fi
wait "$vm"
rc=$?
echo
if [ "$rc" -eq 0 ]; then
	grep -E '^run-vm: VM ran' "$BUILD/demo-run.log"
	echo "== Demo complete. Everything the VM wrote: $RESULTS"
else
	cat "$BUILD/demo-run.log"
	echo "== The demo failed (exit $rc); details above and in $RESULTS"
fi
exit "$rc"
