#!/bin/bash
# Issue 7, scenario 3 — depth: a request above the role/area limit is refused
# with the numbers in penctl's message, the pen's depth is unchanged, and the
# journal has a depth-refused record.
. "$PENCTL_GUESTDIR/lib.sh"

treatment_ready
session=$(session_start home face) || exit 1  # limit: min(home 0.50, face 1.50) = 0.50 mm
[ "$(status_field LimitUm)" = 500 ] || fail "LimitUm for home/face is $(status_field LimitUm), expected 500"

# Within the limit the pen follows: the pen path works, so "unchanged" below
# means something.
penctl_as_operator depth 0.4 || fail "depth 0.4 (within 0.50) refused"
wait_until 10 pen_depth_is 400 ||
	fail "the pen's depth did not follow 0.40 mm: $(pen_set_depth_um) um"

out=$(penctl_as_operator depth 1.2 2>&1)
rc=$?
echo "penctl depth 1.2 -> exit $rc: $out"
[ "$rc" -eq 1 ] || fail "depth 1.2 above the limit exited $rc, expected 1 (refused)"
grep -q '1\.20' <<<"$out" && grep -q '0\.50' <<<"$out" ||
	fail "the refusal does not name the numbers 1.20 and 0.50: $out"
sleep 1
[ "$(pen_set_depth_um)" = 400 ] || fail "the pen's depth changed after a refusal: $(pen_set_depth_um) um"
[ "$(status_field DepthUm)" = 400 ] || fail "penctld's DepthUm changed after a refusal: $(status_field DepthUm)"

journal_expect_event depth-refused 5 0 || fail "no depth-refused record in the journal"
rec=$(journal_events depth-refused | tail -n 1)
[ "$(jq -r .PENCTL_DEPTH_UM <<<"$rec")" = 1200 ] || fail "depth-refused PENCTL_DEPTH_UM: $(jq -c . <<<"$rec")"
[ "$(jq -r .PENCTL_LIMIT_UM <<<"$rec")" = 500 ] || fail "depth-refused PENCTL_LIMIT_UM: $(jq -c . <<<"$rec")"
[ "$(jq -r .PENCTL_SESSION <<<"$rec")" = "$session" ] || fail "depth-refused names another session"

# The area limit binds a dermatologist on the forehead (3.0 vs 0.5).
penctl_as_operator session stop >/dev/null || fail "session stop failed"
session_start dermatologist forehead >/dev/null || exit 1
out=$(penctl_as_operator depth 1.0 2>&1) && fail "depth 1.0 on the forehead was accepted: $out"
grep -q '1\.00' <<<"$out" && grep -q '0\.50' <<<"$out" ||
	fail "the area refusal does not name 1.00 and 0.50: $out"
[ "$(pen_set_depth_um)" -le 500 ] || fail "the pen is set deeper than the forehead allows"
echo "depth: refusals name the numbers; the pen kept its depth"
