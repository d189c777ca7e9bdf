#!/bin/bash
# Issue 14, scenario 15 — the USB foot switch: a uinput device in the guest
# with the ids of a PCsensor FootSwitch (0c45:7403, keys KEY_A/B/C).
#
# Part 1, the evdev layer under a real kernel and udev: the host integration
# test (tests/integration/test_evdev_uinput.py) run here, where uinput
# exists: press, autorepeat, grab, depth keys, unplug, replug held.
# Part 2, the daemon with [Pedal] Source=evdev: press -> pen motor runs;
# release -> stops; autorepeat changes nothing; unplug while running -> stop
# within the GPIO release figure; replug while held -> nothing until
# released; the key does not reach another reader (grab); depth pedals step
# within the limit and are refused above it.
. "$PENCTL_GUESTDIR/lib.sh"

modprobe uinput 2>/dev/null
# Debian's kernel has uinput: without it the scenario would test nothing.
[ -e /dev/uinput ] || fail "no /dev/uinput in the guest (modprobe uinput failed)"
UINPUT_TEST=$PENCTL_SRCDIR/tests/integration/test_evdev_uinput.py
# The package's pedalmon-evdev (penctld carries it); a run with --build
# only has the build's.
PEDALMON_EVDEV=/usr/libexec/penctld/pedalmon-evdev
[ -x "$PEDALMON_EVDEV" ] || PEDALMON_EVDEV=${PENCTL_BUILD:-}/input/pedalmon-evdev
[ -x "$PEDALMON_EVDEV" ] ||
	fail "no pedalmon-evdev in the package or the build (a build needs libevdev-dev and libudev-dev)"

# ---- part 1 -------------------------------------------------------------------
log "part 1: the evdev layer (pedalmon-evdev) against uinput"
/usr/bin/python3 "$UINPUT_TEST" "$PEDALMON_EVDEV" -v 2>&1 ||
	fail "the evdev layer failed against a uinput foot switch (above)"

# ---- part 2 -------------------------------------------------------------------
need_penctld
EVDEV_CONF='[Pedal]
Source=evdev
Device=usb:0c45:7403
Key=KEY_B
DepthDownKey=KEY_A
DepthUpKey=KEY_C
DepthStepMm=0.1'
penctld_write_config "$EVDEV_CONF"
# The test bed's configuration is valid: a refusal now is of these keys.
out=$(penctld --check-config 2>&1)
rc=$?
# Back to the test bed's own: treatment_ready below restarts a penctld that
# an earlier scenario of this boot left running only when it sees the
# configuration change.
penctld_write_config
[ "$rc" -eq 0 ] ||
	fail "penctld --check-config refused the foot switch's configuration: $(grep -m1 'refused' <<<"$out")"

# penctld's access to this switch only: the rule `penctl doctor` prints.
"$PEDALMON_EVDEV" --udev-rule usb:0c45:7403 >/etc/udev/rules.d/61-penctld-footswitch.rules ||
	fail "pedalmon-evdev --udev-rule failed"
udevadm control --reload

# The foot switch, driven through a FIFO; it lives for the whole scenario.
SWITCH_FIFO=/run/penctl-test/footswitch
rm -f "$SWITCH_FIFO"
mkfifo "$SWITCH_FIFO"
systemd-run --quiet --collect --unit=footswitch /usr/bin/python3 "$UINPUT_TEST" --serve "$SWITCH_FIFO" ||
	fail "cannot start the uinput foot switch"
trap 'echo quit >"$SWITCH_FIFO"; systemctl stop footswitch.service 2>/dev/null' EXIT
# switch_cmd WORDS...: prints the monotonic time (µs) of the write.
switch_cmd() { "$PENCTL_GUESTDIR/monotonic-us" write "$SWITCH_FIFO" "$*"; }
wait_until 10 sh -c 'ls /sys/devices/virtual/input/*/name 2>/dev/null | xargs grep -l "PCsensor FootSwitch" >/dev/null' ||
	fail "the uinput foot switch did not appear"

treatment_ready "$EVDEV_CONF"
ensure_session home face >/dev/null || exit 1
journal_expect_event pedal-lost 1 0 && fail "the evdev pedal was lost at start"

# press -> motor, release -> stop (latency figures, as for GPIO).
# evdev_switch_and_expect EVENT FIGURE WHAT WORDS...: writes WORDS to the
# switch, waits for the pen's EVENT and records the latency as FIGURE.
evdev_switch_and_expect() {
	local event=$1 name=$2 what=$3 n t0 line
	shift 3
	n=$(pen_count "$event")
	t0=$(switch_cmd "$@")
	line=$(pen_expect_event "$event" 10 "$n") || fail "pen $event did not come after the foot switch $what"
	figure "$name" $(( $(jq .t_us <<<"$line") - t0 )) us
}
evdev_press_and_expect_motor() { evdev_switch_and_expect motor-start "$1" press down B; }
evdev_release_and_expect_stop() { evdev_switch_and_expect motor-stop "$1" release up B; }
evdev_press_and_expect_motor evdev-press-to-motor-start

# Autorepeat while held changes nothing: no second start, no stop.
starts=$(pen_count motor-start)
stops=$(pen_count motor-stop)
for _ in 1 2 3 4 5; do switch_cmd repeat B >/dev/null; sleep 0.1; done
sleep 0.5
[ "$(pen_count motor-start)" -eq "$starts" ] && [ "$(pen_count motor-stop)" -eq "$stops" ] ||
	fail "autorepeat changed the motor: $(pen_record | tail -n 2)"
pen_motor_running || fail "the motor stopped during autorepeat"

# The grab: another reader of the node sees none of the keys.
node=$(for d in /sys/devices/virtual/input/*; do
	grep -qx "PCsensor FootSwitch" "$d/name" 2>/dev/null && basename "$d"/event*; done | head -n 1)
[ -n "$node" ] || fail "no event node for the foot switch"
[ "$(stat -c %G "/dev/input/$node")" = penctld ] ||
	fail "the udev rule did not give /dev/input/$node to penctld: $(stat -c '%U:%G %a' "/dev/input/$node")"
seen=$(timeout 2 evtest "/dev/input/$node" 2>/dev/null & sleep 0.5; switch_cmd repeat B >/dev/null; wait)
grep -q "KEY_B), value" <<<"$seen" && fail "another reader saw the pedal's key: the device is not grabbed"

evdev_release_and_expect_stop evdev-release-to-motor-stop

# Two more presses: with the first, three figures each, as 02-pedal takes
# for the GPIO pedal.
for i in 2 3; do
	sleep 0.5
	evdev_press_and_expect_motor "evdev-press-to-motor-start-$i"
	sleep 1
	pen_motor_running || fail "pen motor stopped while the foot switch was held"
	evdev_release_and_expect_stop "evdev-release-to-motor-stop-$i"
done

# Unplug while running -> pedal lost, the motor stops at once.
sleep 0.5
evdev_press_and_expect_motor evdev-press-before-unplug
n=$(pen_count motor-stop)
lost_before=$(journal_event_count pedal-lost)
t0=$(switch_cmd unplug)
line=$(pen_expect_event motor-stop 10 "$n") || fail "pen motor did not stop after the foot switch was unplugged"
figure evdev-unplug-to-motor-stop $(( $(jq .t_us <<<"$line") - t0 )) us
journal_expect_event pedal-lost 5 "$lost_before" || fail "no pedal-lost record for the unplug"

# Replug while held: nothing until released and pressed again.
switch_cmd plug >/dev/null
switch_cmd down B >/dev/null
pen_assert_motor_stays_off 3
status_is MotorOn false || fail "penctld runs the motor for a pedal held while replugged"
switch_cmd up B >/dev/null
sleep 0.5
ensure_session home face >/dev/null || exit 1
evdev_press_and_expect_motor evdev-replug-press-to-motor-start
evdev_release_and_expect_stop evdev-replug-release-to-motor-stop

# Depth pedals: 0.1 mm steps through the same path as `penctl depth`;
# home/face limit 0.50 mm.
penctl_as_operator depth 0.3 || fail "depth 0.3 refused"
wait_until 10 pen_depth_is 300 || fail "the pen's depth did not follow 0.30 mm"
switch_cmd down C >/dev/null; switch_cmd up C >/dev/null
wait_until 10 pen_depth_is 400 || fail "DepthUpKey did not step 0.30 -> 0.40 mm: $(pen_set_depth_um) um"
switch_cmd down C >/dev/null; switch_cmd up C >/dev/null
wait_until 10 pen_depth_is 500 || fail "DepthUpKey did not step 0.40 -> 0.50 mm: $(pen_set_depth_um) um"
refused_before=$(journal_event_count depth-refused)
switch_cmd down C >/dev/null; switch_cmd up C >/dev/null
journal_expect_event depth-refused 5 "$refused_before" || fail "a step above the 0.50 mm limit was not refused"
[ "$(pen_set_depth_um)" = 500 ] || fail "the pen went above the limit: $(pen_set_depth_um) um"
switch_cmd down A >/dev/null; switch_cmd repeat A >/dev/null; switch_cmd up A >/dev/null
wait_until 10 pen_depth_is 400 || fail "DepthDownKey did not step 0.50 -> 0.40 mm (once): $(pen_set_depth_um) um"
sleep 1
pen_depth_is 400 || fail "a held depth key stepped more than once: $(pen_set_depth_um) um"
echo "USB foot switch: press/release, autorepeat, grab, unplug, replug held, depth steps"
