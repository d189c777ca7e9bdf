# Shared helpers of the guest-side test driver and its scenarios (bash).
# Sourced by run-scenario.sh and by every tests/system/scenarios/*.sh.
#
# A scenario reads like its specification:
#   pedal_press; pen_expect_event motor-start 5 || fail "pen motor did not start"
# Exit codes of a scenario: 0 pass, 1 fail, 77 skip (with the reason).

RESULTS=${RESULTS:-/results}
TEST_ENV=/run/penctl-test/env
[ -r "$TEST_ENV" ] && . "$TEST_ENV"

log() { printf '[%8.3f] %s\n' "$(uptime_s)" "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }
skip() { printf 'SKIP: %s\n' "$*"; exit 77; }
# figure NAME VALUE UNIT: a measured number, collected into the summary.
figure() {
	printf 'FIGURE %s=%s %s\n' "$1" "$2" "$3"
	[ -n "${SCENARIO_DIR:-}" ] && printf '%s=%s %s\n' "$1" "$2" "$3" >>"$SCENARIO_DIR/figures"
	return 0
}

uptime_s() { cut -d' ' -f1 /proc/uptime; }
# CLOCK_MONOTONIC in microseconds (the clock of journal __MONOTONIC_TIMESTAMP
# and of pensim's t_us).
mono_us() { "$PENCTL_GUESTDIR/monotonic-us"; }

# wait_until SECONDS COMMAND...: retry COMMAND every 0.1 s; 1 on timeout.
wait_until() {
	local deadline=$(($(date +%s%N) + ${1%.*} * 1000000000))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ---- Bluetooth --------------------------------------------------------------
# btmgmt prints nothing when stdin is /dev/null: give it a pipe.
btmgmt_cmd() { : | timeout 10 btmgmt "$@" 2>&1 | sed "s/\x1b\[[0-9;]*m//g"; }
# Both controllers passed their initialisation (mgmt lists only those).
both_controllers_registered() {
	local info
	info=$(btmgmt_cmd info)
	printf '%s\n' "$info" | grep -q '^hci0:' && printf '%s\n' "$info" | grep -q '^hci1:'
}
adapter_powered() {
	busctl get-property org.bluez "/org/bluez/$1" org.bluez.Adapter1 Powered 2>/dev/null | grep -q true
}
adapter_address() {
	busctl get-property org.bluez "/org/bluez/$1" org.bluez.Adapter1 Address |
		sed 's/^s "\(.*\)"$/\1/'
}

# ---- The pedal (gpio-sim line) -----------------------------------------------
# The pedal is wired active-low with a pull-up, as on the Raspberry Pi:
# pressed = line pulled low.  pedal_set prints the monotonic time (µs) of the
# write, the moment the "foot" moved.
pedal_set() {
	"$PENCTL_GUESTDIR/monotonic-us" write "$PEDAL_PULL" "$1"
}
pedal_press() { pedal_set pull-down; }
pedal_release() { pedal_set pull-up; }
pedal_value() { cat "$PEDAL_VALUE"; }

# ---- The pen (pensim's motor record) -----------------------------------------
# JSON lines {"t_us":..,"event":"motor-start"|"motor-stop","reason":..}.
pen_record() { cat "$PEN_RECORD" 2>/dev/null || true; }
pen_count() { pen_record | jq -c --arg e "$1" 'select(.event == $e)' | wc -l; }
# pen_expect_event EVENT SECONDS [AFTER_COUNT]: wait for the (AFTER_COUNT+1)th
# EVENT; prints its JSON line.
pen_expect_event() {
	local n=${3:-$(pen_count "$1")}
	wait_until "$2" test "$(pen_count "$1")" -gt "$n" || return 1
	pen_record | jq -c --arg e "$1" 'select(.event == $e)' | sed -n "$((n + 1))p"
}
pen_motor_running() {
	[ "$(pen_record | jq -r 'select(.event == "motor-start" or .event == "motor-stop") | .event' |
		tail -n 1)" = motor-start ]
}
# pen_assert_motor_stays_off SECONDS: no motor-start during SECONDS.
pen_assert_motor_stays_off() {
	local before
	before=$(pen_count motor-start)
	sleep "$1"
	[ "$(pen_count motor-start)" -eq "$before" ] || fail "pen motor started: $(pen_record | tail -n 1)"
}

# ---- penctld -------------------------------------------------------------------
OPERATOR=penctl-op
OUTSIDER=penctl-outsider
# penctl as a member of group penctl.
penctl_as_operator() { runuser -u "$OPERATOR" -- timeout 60 penctl "$@"; }
penctl_as_outsider() { runuser -u "$OUTSIDER" -- timeout 60 penctl "$@"; }

# journal_events EVENT: penctld's records of kind EVENT, as JSON lines.
journal_events() {
	journalctl --no-pager -q -u penctld.service -o json PENCTL_EVENT="$1" 2>/dev/null
}
journal_event_count() { journal_events "$1" | wc -l; }
journal_expect_event() {
	local n=${3:-$(journal_event_count "$1")}
	wait_until "$2" test "$(journal_event_count "$1")" -gt "$n"
}

need_penctld() {
	[ -n "${PENCTLD_INSTALLED:-}" ] || skip "penctld is not installed from the build (${PENCTLD_MISSING:-no stage})"
}

# penctld_write_config [EXTRA_TEXT]: the test configuration; EXTRA_TEXT is
# appended as a drop-in (later wins).
penctld_write_config() {
	mkdir -p /etc/penctld/penctld.conf.d
	cat >/etc/penctld/penctld.conf <<CONF
# Written by tests/system (guest/lib.sh).
[Pedal]
Chip=$PEDAL_CHIP_LABEL
Line=$PEDAL_LINE_NAME
ActiveLow=true
Bias=pull-up

[Pen]
Adapter=$PENCTLD_ADAPTER
CONF
	rm -f /etc/penctld/penctld.conf.d/test.conf
	if [ -n "${1:-}" ]; then
		printf '%s\n' "$1" >/etc/penctld/penctld.conf.d/test.conf
	fi
}

# pensim_start [ARGS...]: the simulated pen on the other controller.
pensim_start() {
	rm -f "$PEN_RECORD"
	systemd-run --quiet --unit=pensim --collect \
		-p StandardOutput=journal -p StandardError=journal \
		"$PENSIM" --adapter "$PENSIM_ADAPTER" --record "$PEN_RECORD" "$@" ||
		fail "pensim did not start"
}
pensim_stop() { systemctl stop pensim.service 2>/dev/null || true; }

# penctld_start: start the service, wait until it is active (READY=1).
penctld_start() {
	timeout 30 systemctl start penctld.service || {
		systemctl --no-pager status penctld.service
		fail "penctld did not start"
	}
}

# pair_pen: scan, pair and trust the simulated pen through penctl; waits
# until penctld reports it connected.
pair_pen() {
	penctl_as_operator scan --timeout 20 >"$SCENARIO_DIR/scan.txt" 2>&1 ||
		fail "penctl scan failed: $(cat "$SCENARIO_DIR/scan.txt")"
	grep -qi "$PEN_ADDRESS" "$SCENARIO_DIR/scan.txt" ||
		fail "penctl scan did not list the pen $PEN_ADDRESS: $(cat "$SCENARIO_DIR/scan.txt")"
	penctl_as_operator pair "$PEN_ADDRESS" >"$SCENARIO_DIR/pair.txt" 2>&1 ||
		fail "penctl pair failed: $(cat "$SCENARIO_DIR/pair.txt")"
}
