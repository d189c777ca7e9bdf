#!/bin/bash
# Issue 7, scenario 2 — the pedal: press -> pen motor on; release -> off.
# The latencies from the gpio-sim pull to the pen's motor start and stop are
# the figures of this test (pedal-to-motor-start-N, pedal-to-motor-stop-N).
. "$PENCTL_GUESTDIR/lib.sh"

treatment_ready
session=$(session_start home face) || exit 1
log "session $session"

# No session, no motor is scenario-independent; here: every press runs it.
for i in 1 2 3; do
	press_and_expect_motor "pedal-to-motor-start-$i"
	sleep 1
	pen_motor_running || fail "pen motor stopped while the pedal was held: $(pen_record | tail -n 1)"
	status_is MotorOn true || fail "penctld says MotorOn=false while the pen runs"
	release_and_expect_stop "pedal-to-motor-stop-$i"
	sleep 0.5
done

[ "$(pen_count motor-start)" -eq 3 ] || fail "pen motor started $(pen_count motor-start) times for 3 presses"
# The daemon's record of the same presses.
journal_expect_event motor-start 5 2 || fail "journal has $(journal_event_count motor-start) motor-start records, expected 3"
journal_events motor-stop | jq -r .PENCTL_REASON | grep -q pedal-released ||
	fail "no motor-stop record with PENCTL_REASON=pedal-released: $(journal_events motor-stop | jq -c '{PENCTL_REASON}')"
journal_events motor-start | jq -r .PENCTL_SESSION | grep -qx "$session" ||
	fail "motor-start records do not name the session $session"
echo "pedal: 3 presses, 3 motor runs"
