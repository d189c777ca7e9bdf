#!/bin/bash
# Issue 7, scenario 6 — daemon crash: kill -9 penctld while the motor runs ->
# the pen's own watchdog stops the motor within PenWatchdogMs (figure
# kill-to-pen-stop); systemd restarts penctld; the motor stays off until a
# fresh press.
. "$PENCTL_GUESTDIR/lib.sh"

treatment_ready
ensure_session home face >/dev/null || exit 1
press_and_expect_motor pedal-to-motor-start

pid=$(penctld_pid)
n=$(pen_count motor-stop)
t0=$(mono_us)
kill -9 "$pid" || fail "kill -9 $pid failed"
expect_pen_watchdog_stop kill-to-pen-stop "$n" "$t0" "after penctld was killed"

penctld_wait_restarted "$pid" 30 || fail "systemd did not restart penctld"
[ "$(systemctl show -p NRestarts --value penctld.service)" -ge 1 ] || fail "NRestarts did not count the restart"
wait_until 40 status_is PenConnected true || fail "the restarted penctld did not reconnect"

expect_fresh_press_only pedal-to-motor-start-after-restart
echo "daemon crash: the pen stopped by itself in ${PEN_STOP_MS} ms; no motor until a fresh press"
