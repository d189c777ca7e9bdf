#!/bin/bash
# tests/bench/run.sh [--quick] [--build DIR] [--out DIR] [--cache DIR] [--debounce MS]
#
# `make bench`: boots the test VM (tests/system/run-vm.sh, which waits for
# the host-wide VM lock), runs the benchmark scenario bench-penctld inside it,
# then prints one table and writes it as JSON (OUT/bench.json, default
# _build/bench/).  docs/performance.md says what is measured and how.
#
#   --quick   a smoke run (10 presses, 3 drops, 1 bluetoothd restart, 5 s
#             windows, 5 presses of the USB foot switch): proves the
#             benchmark still measures; its figures are too few to compare.
#
# Exit 0 when every figure was measured, 1 when something could not be (too
# few samples, the VM failed), 77 when the VM test bed is not set up.  No
# figure is judged: a benchmark reports, it does not pass or fail on speed.
set -u
BENCHDIR=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$BENCHDIR/../.." && pwd)
BUILD=$SRCDIR/_build
OUT=
CACHE=${PENCTL_SYSTEM_CACHE:-$SRCDIR/_system-cache}
QUICK=
DEBOUNCE=0

die() { echo "bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; shift ;;
	--build) BUILD=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--cache) CACHE=$2; shift 2 ;;
	--debounce) DEBOUNCE=$2; shift 2 ;;
	*) die "usage: $0 [--quick] [--build DIR] [--out DIR] [--cache DIR] [--debounce MS]" ;;
	esac
done
[ -d "$BUILD" ] || die "no build directory $BUILD (make build)"
BUILD=$(cd "$BUILD" && pwd)
OUT=${OUT:-$BUILD/bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [ ! -r "$CACHE/kernel-version" ]; then
	echo "bench: SKIP: the VM test bed is not set up ($CACHE): run tests/system/setup-host.sh $CACHE" >&2
	exit 77
fi

if [ -n "$QUICK" ]; then
	mode=quick
	env=(BENCH_PRESSES=10 BENCH_READY=2 BENCH_DROPS=3 BENCH_BT_RESTARTS=1 BENCH_WINDOW_S=5
		BENCH_EVDEV_PRESSES=5)
	timeout=480
else
	mode=full
	env=(BENCH_PRESSES=100 BENCH_READY=5 BENCH_DROPS=10 BENCH_BT_RESTARTS=3 BENCH_WINDOW_S=20
		BENCH_EVDEV_PRESSES=100)
	timeout=1080
fi
env+=(BENCH_DEBOUNCE_MS="$DEBOUNCE" BENCH_SEED=17)
args=()
for e in "${env[@]}"; do
	args+=(--env "$e")
done

RESULTS=$OUT/vm
"$SRCDIR/tests/system/run-vm.sh" --cache "$CACHE" --build "$BUILD" --results "$RESULTS" \
	--timeout "$timeout" --scenario-timeout $((timeout - 150)) "${args[@]}" bench-penctld
vm_rc=$?
if [ ! -s "$RESULTS/bench-penctld/trace.txt" ]; then
	echo "bench: the VM run measured nothing (run-vm.sh exit $vm_rc; $RESULTS)" >&2
	exit 1
fi
commit=$(git -C "$SRCDIR" describe --always --dirty 2>/dev/null || echo unknown)
/usr/bin/python3 "$BENCHDIR/analyse.py" --results "$RESULTS" --mode "$mode" \
	--commit "$commit" --json "$OUT/bench.json" --table "$OUT/bench.txt"
rc=$?
[ "$vm_rc" -ne 0 ] && [ "$rc" -eq 0 ] && rc=1
# A run that could not measure shows the link's story in its own output:
# CI keeps the output, not the results directory.
if [ "$rc" -ne 0 ] && [ -r "$RESULTS/journal.txt" ]; then
	echo "bench: the pen link as penctld, pensim and bluetoothd logged it (last 150 lines;" \
		"all of it in $RESULTS/journal.txt):"
	grep -E 'penctld\[|penctl-pensim\[|bluetoothd\[' "$RESULTS/journal.txt" |
		grep -v -E 'Heartbeat|plugin|sap|experimental' | tail -n 150
fi
exit "$rc"
