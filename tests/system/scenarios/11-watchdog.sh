#!/bin/bash
# Issue 7, scenario 11 — a penctld whose main loop is stopped (kill -STOP)
# is killed and restarted by systemd's watchdog (WatchdogSec=10s), and the
# pen stops by itself meanwhile (figure stop-to-pen-stop).
. "$PENCTL_GUESTDIR/lib.sh"

treatment_ready
ensure_session home face >/dev/null || exit 1
press_and_expect_motor pedal-to-motor-start

pid=$(penctld_pid)
n=$(pen_count motor-stop)
t0=$(mono_us)
t0_wall=$(date +%s%N)
kill -STOP "$pid" || fail "kill -STOP $pid failed"
expect_pen_watchdog_stop stop-to-pen-stop "$n" "$t0" "after penctld hung"

penctld_wait_restarted "$pid" 40 || fail "systemd did not kill and restart the hung penctld"
figure hang-to-restart $(( ($(date +%s%N) - t0_wall) / 1000000 )) ms
journalctl -q --no-pager -u penctld.service | grep -qi 'watchdog timeout' ||
	fail "systemd did not log a watchdog timeout for penctld"
wait_until 40 status_is PenConnected true || fail "the restarted penctld did not reconnect"
expect_fresh_press_only pedal-to-motor-start-after-restart
echo "watchdog: pen stopped by itself in ${PEN_STOP_MS} ms; systemd restarted penctld"
