#!/bin/bash
# `make bench` (tests/bench/run.sh), the guest side: measures penctld, asserts
# nothing about speed.  It fails only when it could not measure.  The same
# steps in the same order every run, so that runs compare:
#   1. start -> READY=1 (penctld restarted BENCH_READY times, no pen yet)
#   2. footprint with no pen (nothing paired, pensim not running)
#   3. pensim, pairing; footprint with the pen connected and idle
#   4. a session; footprint with the motor running (pedal held)
#   5. BENCH_PRESSES presses, random hold and rest (pedal -> motor on/off)
#   6. BENCH_DROPS pen-side link drops, BENCH_BT_RESTARTS bluetoothd restarts
#   7. penctld switched to a USB foot switch (a uinput device, as scenario 15
#      makes it), BENCH_EVDEV_PRESSES presses of it (foot switch -> motor)
# Steps 1-6 are those of the GPIO pedal and come first, so that their
# figures compare with runs that had no step 7.
# The raw records go to $SCENARIO_DIR (see guest/bench-drive.py); the host
# computes the table (tests/bench/analyse.py).
# Not a [0-9][0-9]-*.sh file: system.cmake makes no ctest test of it.
. "$PENCTL_GUESTDIR/lib.sh"

drive() { /usr/bin/python3 "$PENCTL_GUESTDIR/bench-drive.py" "$@"; }
D=$SCENARIO_DIR
WINDOW=${BENCH_WINDOW_S:-20}
need_penctld

drive trace-setup || fail "cannot set up the kernel trace (tracefs, uprobe)"
drive clock "$D/clock.jsonl"
cat >"$D/meta.env" <<META
penctld_adapter=$PENCTLD_ADAPTER
pen_adapter=$PENSIM_ADAPTER
pen_address=$PEN_ADDRESS
debounce_ms=${BENCH_DEBOUNCE_MS:-0}
presses=${BENCH_PRESSES:-100}
evdev_presses=${BENCH_EVDEV_PRESSES:-100}
window_s=$WINDOW
META

# The shipped configuration with the test bed's devices; DebounceMs as asked
# (0 by default: the daemon's own cost, without the debounce wait).
penctld_write_config "[Pedal]
DebounceMs=${BENCH_DEBOUNCE_MS:-0}"
penctld_start

log "bench: start -> READY=1, ${BENCH_READY:-5} restarts"
drive ready "${BENCH_READY:-5}" "$D/ready.jsonl" || fail "penctld restarts failed"

sleep 2
log "bench: footprint, no pen (${WINDOW} s)"
drive footprint no-pen "$WINDOW" "$D/footprint.jsonl" || fail "footprint (no pen) failed"

treatment_ready "[Pedal]
DebounceMs=${BENCH_DEBOUNCE_MS:-0}"
drive chars "$D/chars.json" || fail "cannot list the pen's characteristics"
sleep 3
log "bench: footprint, pen connected, idle (${WINDOW} s)"
drive footprint pen-idle "$WINDOW" "$D/footprint.jsonl" || fail "footprint (pen idle) failed"

session=$(session_start home face) || exit 1
log "bench: session $session; footprint, motor running (${WINDOW} s)"
press_and_expect_motor bench-first-press
sleep 1
drive footprint motor-running "$WINDOW" "$D/footprint.jsonl" || fail "footprint (running) failed"
pen_motor_running || fail "the motor stopped during the running footprint: $(pen_record | tail -n 2)"
release_and_expect_stop bench-first-release
sleep 1

n_start=$(pen_count motor-start)
log "bench: ${BENCH_PRESSES:-100} presses"
drive clock "$D/clock.jsonl"
drive presses "${BENCH_PRESSES:-100}" "${BENCH_SEED:-17}" "$PEDAL_PULL" "$D/presses.jsonl" ||
	fail "the press series failed"
drive clock "$D/clock.jsonl"
sleep 1
gpio_started=$(( $(pen_count motor-start) - n_start ))
log "bench: the pen's motor started $gpio_started times for ${BENCH_PRESSES:-100} presses"
timeout 30 penctl_as_operator session stop >/dev/null 2>&1

log "bench: ${BENCH_DROPS:-10} pen-side drops"
drive drops "${BENCH_DROPS:-10}" "$PEN_CONTROL" "$D/drops.jsonl" || fail "the drop series failed"
log "bench: ${BENCH_BT_RESTARTS:-3} bluetoothd restarts"
drive bluetoothd-restarts "${BENCH_BT_RESTARTS:-3}" "$D/bt-restarts.jsonl" ||
	fail "the bluetoothd restart series failed"
drive clock "$D/clock.jsonl"

# ---- 7. the USB foot switch ------------------------------------------------------
# As scenario 15: uinput, the udev rule `penctl doctor` prints (made before
# the device, so that its node is penctld's group from the start), penctld
# reconfigured for the switch.  The switch is the driver's own uinput device:
# it takes the edge's time just before its write.
log "bench: USB foot switch, ${BENCH_EVDEV_PRESSES:-100} presses"
modprobe uinput 2>/dev/null
[ -e /dev/uinput ] || fail "no /dev/uinput in the guest (modprobe uinput failed)"
PEDALMON_EVDEV=/usr/libexec/penctld/pedalmon-evdev
[ -x "$PEDALMON_EVDEV" ] || PEDALMON_EVDEV=${PENCTL_BUILD:-}/input/pedalmon-evdev
[ -x "$PEDALMON_EVDEV" ] || fail "no pedalmon-evdev installed or built: no USB foot switch to measure"
"$PEDALMON_EVDEV" --udev-rule usb:0c45:7403 >/etc/udev/rules.d/61-penctld-footswitch.rules ||
	fail "pedalmon-evdev --udev-rule failed"
udevadm control --reload
GO=/run/penctl-test/bench-footswitch.go
rm -f "$GO" "$D/footswitch.dev"
mkfifo "$GO"
/usr/bin/python3 "$PENCTL_GUESTDIR/bench-drive.py" footswitch-presses "${BENCH_EVDEV_PRESSES:-100}" \
	"${BENCH_SEED:-17}" "$D/footswitch.dev" "$GO" "$D/evdev-presses.jsonl" &
switch_pid=$!
trap 'kill "$switch_pid" 2>/dev/null' EXIT
wait_until 10 test -s "$D/footswitch.dev" || fail "the uinput foot switch did not appear"
node=$(cat "$D/footswitch.dev")
wait_until 10 sh -c "[ \"\$(stat -c %G $node)\" = penctld ]" ||
	fail "the udev rule did not give $node to penctld: $(stat -c '%U:%G %a' "$node")"
treatment_ready "[Pedal]
Source=evdev
Device=usb:0c45:7403
Key=KEY_B
DebounceMs=${BENCH_DEBOUNCE_MS:-0}"
session=$(session_start home face) || exit 1
log "bench: session $session with the foot switch $node"
n_start=$(pen_count motor-start)
drive clock "$D/clock.jsonl"
echo go >"$GO"
wait "$switch_pid" || fail "the foot switch's press series failed"
drive clock "$D/clock.jsonl"
sleep 1
started=$(( $(pen_count motor-start) - n_start ))
log "bench: the pen's motor started $started times for ${BENCH_EVDEV_PRESSES:-100} foot-switch presses"
timeout 30 penctl_as_operator session stop >/dev/null 2>&1

drive trace-save "$D/trace.txt" || fail "cannot save the kernel trace"
# The host reads pen.jsonl from /results; this scenario's part of it starts here.
echo "pen_record_offset=$PEN_RECORD_OFFSET" >>"$D/meta.env"
figure presses-with-motor-start "$gpio_started" count
figure evdev-presses-with-motor-start "$started" count
echo "bench: measured; the host computes the figures"
