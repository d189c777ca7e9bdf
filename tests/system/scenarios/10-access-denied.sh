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

# A member of penctl-view reads everything and changes nothing (the real
# system bus and the installed policy).
VIEWER=penctl-viewer
id "$VIEWER" >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin --groups penctl-view "$VIEWER"
out=$(runuser -u "$VIEWER" -- timeout 60 penctl --json status) || fail "penctl status as $VIEWER: $out"
jq -e .State <<<"$out" >/dev/null || fail "no State for $VIEWER: $out"
for cmd in "depth 0.3" "speed 100" "reload" "state acknowledge" "forget"; do
	# shellcheck disable=SC2086 # the words are the command's arguments
	out=$(runuser -u "$VIEWER" -- timeout 60 penctl --json $cmd 2>/dev/null)
	rc=$?
	[ "$rc" -eq 77 ] || fail "penctl $cmd as $VIEWER exited $rc, expected 77: $out"
done
runuser -u "$VIEWER" -- timeout 30 busctl introspect io.penctld.Penctl1 /io/penctld/Penctl1 |
	grep -q '\.Event' || fail "$VIEWER cannot introspect"
echo "access: $VIEWER reads status, is refused 5 commands"
