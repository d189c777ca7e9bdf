#!/bin/bash
# Issue 7, scenario 11 — a penctld whose main loop is stopped (kill -STOP)
# is killed and restarted by systemd's watchdog (WatchdogSec=10s), and the
# pen stops by itself meanwhile (figure stop-to-pen-stop).
. "$PENCTL_GUESTDIR/lib.sh"

WATCHDOG_MS=1000
TOLERANCE_MS=500

treatment_ready
ensure_session home face >/dev/null || exit 1
press_and_expect_motor pedal-to-motor-start

pid=$(penctld_pid)
n=$(pen_count motor-stop)
t0=$(mono_us)
t0_wall=$(date +%s%N)
kill -STOP "$pid" || fail "kill -STOP $pid failed"
stop=$(pen_expect_event motor-stop 10 "$n") || fail "the pen motor did not stop while penctld hung"
ms=$(( ($(jq .t_us <<<"$stop") - t0) / 1000 ))
figure stop-to-pen-stop "$ms" ms
[ "$(jq -r .reason <<<"$stop")" = watchdog ] || fail "pen stop reason: $stop (expected watchdog)"
[ "$ms" -le $((WATCHDOG_MS + TOLERANCE_MS)) ] || fail "the pen stopped ${ms} ms after the hang"

penctld_wait_restarted "$pid" 40 || fail "systemd did not kill and restart the hung penctld"
figure hang-to-restart $(( ($(date +%s%N) - t0_wall) / 1000000 )) ms
journalctl -q --no-pager -u penctld.service | grep -qi 'watchdog timeout' ||
	fail "systemd did not log a watchdog timeout for penctld"
wait_until 40 status_is PenConnected true || fail "the restarted penctld did not reconnect"
assert_no_motor_while_held 3
pedal_release >/dev/null
sleep 0.5
ensure_session home face >/dev/null || exit 1
press_and_expect_motor pedal-to-motor-start-after-restart
release_and_expect_stop pedal-to-motor-stop
echo "watchdog: pen stopped by itself in ${ms} ms; systemd restarted penctld"
