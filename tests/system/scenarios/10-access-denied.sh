#!/bin/bash
# Issue 7, scenario 10 — a user outside group penctl gets AccessDenied from
# every changing method (through penctl, and straight on the bus); a member
# gets through to the daemon.
. "$PENCTL_GUESTDIR/lib.sh"

need_penctld
penctld_write_config
penctld_start

id -nG "$OUTSIDER" | tr ' ' '\n' | grep -qx penctl && fail "$OUTSIDER is in group penctl"
denied=0
while read -r cmd; do
	out=$(penctl_as_outsider --json $cmd 2>/dev/null)
	rc=$?
	echo "outsider: penctl $cmd -> exit $rc $out"
	[ "$rc" -eq 77 ] || fail "penctl $cmd as $OUTSIDER exited $rc, expected 77"
	jq -r .error <<<"$out" | grep -q AccessDenied || fail "penctl $cmd as $OUTSIDER: no AccessDenied in $out"
	denied=$((denied + 1))
done <<'CMDS'
session start --operator x --role home --area face --contraindications-checked
session stop
depth 0.3
speed 100
scan --seconds 1
pair 00:AA:01:01:00:01
forget
CMDS

# Straight on the bus, whatever the arguments: the policy answers first.
for method in StartSession StopSession SetDepth SetSpeed Scan Pair Forget; do
	out=$(runuser -u "$OUTSIDER" -- timeout 30 busctl call io.penctld.Penctl1 /io/penctld/Penctl1 \
		io.penctld.Penctl1 "$method" 2>&1) && fail "$method as $OUTSIDER succeeded: $out"
	grep -qi 'access denied\|AccessDenied' <<<"$out" || fail "$method as $OUTSIDER: $out"
	denied=$((denied + 1))
done
figure denied-calls "$denied" calls

# A member reaches the daemon: its answer is the daemon's, not the bus's.
out=$(penctl_as_operator --json depth 0.3 2>/dev/null)
rc=$?
echo "operator: penctl depth 0.3 -> exit $rc $out"
[ "$rc" -ne 77 ] || fail "a member of penctl was denied: $out"
[ "$(journal_event_count session-start)" = 0 ] || fail "an outsider's call opened a session"
echo "access: $denied calls denied to a non-member"
