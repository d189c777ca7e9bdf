#!/bin/bash
# Smoke: the test bed itself works, without penctld.
# systemd booted, bluetoothd runs with two LE controllers, the gpio-sim
# pedal line is visible and its edges reach a libgpiod consumer.
. "$PENCTL_GUESTDIR/lib.sh"

state=$(systemctl is-system-running 2>&1)
log "system state: $state"
case "$state" in
running|starting|degraded) ;;
*) fail "systemd is not running normally: $state" ;;
esac
failed=$(systemctl --no-legend --failed | awk '{print $2}' | tr '\n' ' ')
[ -z "$failed" ] || log "failed units (reported, not fatal): $failed"

systemctl is-active --quiet bluetooth.service || fail "bluetooth.service is not active"

info=$(btmgmt_cmd info)
printf '%s\n' "$info"
for a in hci0 hci1; do
	printf '%s\n' "$info" | grep -q "^$a:" || fail "btmgmt info does not list $a"
done
printf '%s\n' "$info" | grep -A3 '^hci1:' | grep -q 'current settings:.*powered.*le' ||
	printf '%s\n' "$info" | grep -A3 '^hci1:' | grep -q 'current settings:.*le.*powered' ||
	fail "hci1 is not a powered LE controller"

lines=$(gpioinfo "$PEDAL_CHIP")
printf '%s\n' "$lines"
printf '%s\n' "$lines" | grep -q '"PEDAL"' || fail "gpioinfo does not show the line PEDAL on $PEDAL_CHIP"

# Released (pull-up) -> press (pull-down) -> release: FALLING then RISING.
[ "$(pedal_value)" = 1 ] || fail "released pedal line reads $(pedal_value), expected 1"
events="$SCENARIO_DIR/gpiomon.txt"
timeout 20 gpiomon --num-events=2 "$PEDAL_CHIP" 0 >"$events" 2>&1 &
mon=$!
sleep 1
t_press=$(pedal_press)
sleep 0.5
[ "$(pedal_value)" = 0 ] || fail "pressed pedal line reads $(pedal_value), expected 0"
t_release=$(pedal_release)
wait "$mon" || fail "gpiomon did not see two edges: $(cat "$events")"
cat "$events"
sed -n 1p "$events" | grep -q FALLING || fail "first edge is not FALLING (press)"
sed -n 2p "$events" | grep -q RISING || fail "second edge is not RISING (release)"

# gpiomon 1.6: "event: FALLING EDGE offset: 0 timestamp: [  12.345678901]"
k_press=$(sed -n '1s/.*\[ *\([0-9]*\)\.\([0-9]*\)\].*/\1\2/p' "$events")
if [ -n "$k_press" ]; then
	figure pull-to-edge-press $(( (10#$k_press / 1000) - t_press )) us
fi
figure boot-to-scenario "$(uptime_s)" s
echo "smoke: all checks passed"
