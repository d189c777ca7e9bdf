#!/bin/bash
# test_vm_lock.sh: vm-lock.sh's promises, on a private lock file (ctest
# unit/vm-lock; no VM involved).
#   1. a script under a holder (hold-vm-lock.sh) takes the lock at once;
#   2. a script with no lock waits while another process holds it, says so,
#      and goes on when it is released;
#   3. while a holder's command runs, an outside taker waits for all of it.
set -u
SYSDIR=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PENCTL_VM_LOCK=$tmp/vm.lock
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# What run-vm.sh does: take the lock, then report.
cat >"$tmp/taker.sh" <<TAKER
. "$SYSDIR/vm-lock.sh"
vm_lock_take taker || exit 1
echo taken
TAKER

# 1. Under a holder: granted at once, no wait (a reopen of the file would
#    wait for its own holder for ever: timeout says so).
out=$(timeout 10 "$SYSDIR/hold-vm-lock.sh" bash "$tmp/taker.sh" 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "under a holder the taker exited $rc: $out"
[ "$out" = taken ] || fail "under a holder the taker did not take the lock at once: $out"

# Each holder below says on a FIFO when it has the lock, so that the taker
# tries only then, however slow the host is.
mkfifo "$tmp/held"

# 2. Another process holds it: the taker waits, says so, then takes it.
flock "$PENCTL_VM_LOCK" sh -c "echo held >'$tmp/held'; sleep 1" &
holder=$!
timeout 10 sh -c "read _ <'$tmp/held'" || fail "the holder did not say it holds the lock"
out=$(timeout 10 bash "$tmp/taker.sh" 2>&1)
rc=$?
wait "$holder"
[ "$rc" -eq 0 ] || fail "the waiting taker exited $rc: $out"
grep -q '^taker: another test VM runs on this host; waiting' <<<"$out" ||
	fail "the taker did not say it waits: $out"
grep -q '^taker: waited [0-9]* s for the other VM$' <<<"$out" ||
	fail "the taker did not say how long it waited: $out"
[ "$(tail -n 1 <<<"$out")" = taken ] || fail "the taker did not take the lock after the wait: $out"

# 3. A holder's command runs two takers one after the other (as ctest runs
#    two groups); an outside taker that tries between them gets the lock
#    only when the holder's command has ended.
timeout 10 "$SYSDIR/hold-vm-lock.sh" bash -c "bash '$tmp/taker.sh' >/dev/null; echo held >'$tmp/held'; sleep 1; bash '$tmp/taker.sh' >/dev/null; echo inner-done >>'$tmp/order'" &
suite=$!
timeout 10 sh -c "read _ <'$tmp/held'" || fail "the holder did not say it holds the lock"
(timeout 10 bash "$tmp/taker.sh" >/dev/null && echo outside-taken >>"$tmp/order") &
outside=$!
wait "$suite" "$outside"
order=$(tr '\n' ' ' <"$tmp/order" 2>/dev/null)
[ "$order" = "inner-done outside-taken " ] ||
	fail "an outside taker got the lock inside a holder's command: order '$order'"

[ "$failures" -eq 0 ] && echo "vm-lock: 3 checks passed"
exit $((failures > 0))
