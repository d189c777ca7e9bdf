#!/bin/bash
# Issue 7, scenario 4 — time limit: with MaxNeedlingMinutes=1 (the smallest
# value the configuration allows), the pen stops at the budget (figure:
# budget-overshoot), the pedal is then ignored, limit-reached is recorded.
. "$PENCTL_GUESTDIR/lib.sh"

BUDGET_S=60
treatment_ready "[Session]
MaxNeedlingMinutes=1"
[ "$(status_field MaxNeedlingMinutes)" = 1 ] || fail "MaxNeedlingMinutes is $(status_field MaxNeedlingMinutes)"
session=$(session_start home face) || exit 1
press_and_expect_motor pedal-to-motor-start
start=$(pen_record | jq -c 'select(.event == "motor-start")' | tail -n 1)
log "holding the pedal for the ${BUDGET_S} s budget"
stop=$(pen_expect_event motor-stop $((BUDGET_S + 30)) 0) || fail "the pen did not stop within $((BUDGET_S + 30)) s"
ran_us=$(( $(jq .t_us <<<"$stop") - $(jq .t_us <<<"$start") ))
overshoot_ms=$(( (ran_us - BUDGET_S * 1000000) / 1000 ))
figure pen-run-time $((ran_us / 1000)) ms
figure budget-overshoot "$overshoot_ms" ms
# The budget is motor-on time: the pen must not run past it by more than a
# heartbeat or two, nor be stopped noticeably early.
[ "$overshoot_ms" -le 1000 ] || fail "the pen ran ${overshoot_ms} ms past the budget"
[ "$overshoot_ms" -ge -1000 ] || fail "the pen stopped $((-overshoot_ms)) ms before the budget"
[ "$(pedal_value)" = 0 ] || fail "the pedal is not held"

journal_expect_event limit-reached 10 0 || fail "no limit-reached record"
journal_events limit-reached | jq -r .PENCTL_SESSION | grep -qx "$session" ||
	fail "limit-reached does not name the session"
journal_event_count limit-warning | grep -qv '^0$' || fail "no limit-warning record before the limit (WarnPercent)"

# Spent is spent: a fresh press does nothing.
assert_no_motor_while_held 2
pedal_release >/dev/null
sleep 1
pedal_press >/dev/null
assert_no_motor_while_held 3
pedal_release >/dev/null
echo "time limit: stopped ${overshoot_ms} ms from the budget; the pedal is ignored afterwards"
