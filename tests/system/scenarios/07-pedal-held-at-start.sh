#!/bin/bash
# Issue 7, scenario 7 — a pedal held while penctld starts runs nothing until
# it is released and pressed again.
. "$PENCTL_GUESTDIR/lib.sh"

treatment_ready
systemctl stop penctld.service || fail "systemctl stop penctld failed"
pedal_press >/dev/null
penctld_start
wait_until 40 status_is PenConnected true || fail "penctld did not reconnect to the pen"
ensure_session home face >/dev/null || exit 1
assert_no_motor_while_held 3
pedal_release >/dev/null
sleep 0.5
press_and_expect_motor pedal-to-motor-start
release_and_expect_stop pedal-to-motor-stop
echo "pedal held at start: ignored until released and pressed again"
