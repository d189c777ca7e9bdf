#!/bin/bash
# Issue 7, scenario 6 — daemon crash: kill -9 penctld while the motor runs ->
# the pen's own watchdog stops the motor within PenWatchdogMs (figure
# kill-to-pen-stop); systemd restarts penctld; the motor stays off until a
# fresh press.
. "$PENCTL_GUESTDIR/lib.sh"

WATCHDOG_MS=1000   # PenWatchdogMs of the shipped configuration
# Emulated CPUs make timers late by up to a few hundred ms.
TOLERANCE_MS=500

treatment_ready
ensure_session home face >/dev/null || exit 1
press_and_expect_motor pedal-to-motor-start

pid=$(penctld_pid)
n=$(pen_count motor-stop)
t0=$(mono_us)
kill -9 "$pid" || fail "kill -9 $pid failed"
stop=$(pen_expect_event motor-stop 10 "$n") || fail "the pen motor did not stop after penctld died"
ms=$(( ($(jq .t_us <<<"$stop") - t0) / 1000 ))
figure kill-to-pen-stop "$ms" ms
[ "$(jq -r .reason <<<"$stop")" = watchdog ] || fail "pen stop reason: $stop (expected watchdog)"
[ "$ms" -le $((WATCHDOG_MS + TOLERANCE_MS)) ] ||
	fail "the pen stopped ${ms} ms after the kill, PenWatchdogMs is $WATCHDOG_MS"

penctld_wait_restarted "$pid" 30 || fail "systemd did not restart penctld"
[ "$(systemctl show -p NRestarts --value penctld.service)" -ge 1 ] || fail "NRestarts did not count the restart"
wait_until 40 status_is PenConnected true || fail "the restarted penctld did not reconnect"

assert_no_motor_while_held 3
pedal_release >/dev/null
sleep 0.5
ensure_session home face >/dev/null || exit 1
press_and_expect_motor pedal-to-motor-start-after-restart
release_and_expect_stop pedal-to-motor-stop
echo "daemon crash: the pen stopped by itself in ${ms} ms; no motor until a fresh press"
