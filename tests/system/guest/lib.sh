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
# To stderr: also seen when called inside $(...), whose caller must then
# add `|| exit 1` (the exit leaves only the command substitution).
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# fail_later MSG: a failure that does not stop the checks after it (also
# from inside $(...)): run-scenario.sh fails the scenario at its end.
fail_later() {
	printf 'FAIL: %s\n' "$*" >&2
	printf '%s\n' "$*" >>"$SCENARIO_DIR/deferred-failures"
}
finish() {
	[ -s "$SCENARIO_DIR/deferred-failures" ] && exit 1
	echo "$*"
}
skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }
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

# wait_until SECONDS COMMAND...: retry COMMAND every 0.2 s; 1 on timeout.
wait_until() {
	local deadline=$(($(date +%s%N) + ${1%.*} * 1000000000))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.2
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
# One pensim runs for the whole boot; a scenario sees the lines written
# since it began (PEN_RECORD_OFFSET, set by run-scenario.sh).
pen_record() { tail -n "+$((${PEN_RECORD_OFFSET:-0} + 1))" "$PEN_RECORD" 2>/dev/null || true; }
pen_count() { pen_record | jq -c --arg e "$1" 'select(.event == $e)' | wc -l; }
pen_count_above() { [ "$(pen_count "$1")" -gt "$2" ]; }
# pen_expect_event EVENT SECONDS [AFTER_COUNT]: wait for the (AFTER_COUNT+1)th
# EVENT of this scenario; prints its JSON line.
pen_expect_event() {
	local n=${3:-$(pen_count "$1")}
	wait_until "$2" pen_count_above "$1" "$n" || return 1
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
# Only this scenario's records: those logged after SCENARIO_START_US
# (CLOCK_MONOTONIC, set by run-scenario.sh), filtered by jq on the record's
# own fields (journalctl -u UNIT FIELD=x does not AND the two).
journal_events() { journal_events_after "$1" "${SCENARIO_START_US:-0}"; }
# journal_events_after EVENT AFTER_US: the same, logged after AFTER_US.
journal_events_after() {
	journalctl --no-pager -q -o json _SYSTEMD_UNIT=penctld.service 2>/dev/null |
		jq -c --arg e "$1" --argjson t "$2" \
			'select(.PENCTL_EVENT == $e and (.__MONOTONIC_TIMESTAMP | tonumber) > $t)'
}
journal_event_count() { journal_events "$1" | wc -l; }
journal_count_above() { [ "$(journal_event_count "$1")" -gt "$2" ]; }
# journal_event_us EVENT AFTER_US: the CLOCK_MONOTONIC time (us) of the first
# EVENT record penctld logged after AFTER_US (empty: none).  A figure taken
# from the records is penctld's own time, not the script's polling.
journal_event_us() { journal_events_after "$1" "$2" | jq -r .__MONOTONIC_TIMESTAMP | head -n 1; }
# journal_expect_event EVENT SECONDS [AFTER_COUNT]
journal_expect_event() {
	local n=${3:-$(journal_event_count "$1")}
	wait_until "$2" journal_count_above "$1" "$n"
}

need_penctld() {
	[ -n "${PENCTLD_INSTALLED:-}" ] || skip "penctld is not installed from the build (${PENCTLD_MISSING:-no stage})"
}

# penctld_write_config [EXTRA_TEXT]: the shipped configuration as installed
# (or, if it is missing, penctld's identical built-in defaults), plus drop-ins: 10-testbed.conf points the pedal and the pen at
# the test bed's devices, 50-scenario.conf holds EXTRA_TEXT (later wins).
PENCTLD_CONF_DIR=/etc/penctld
penctld_write_config() {
	mkdir -p "$PENCTLD_CONF_DIR/penctld.conf.d"
	cat >"$PENCTLD_CONF_DIR/penctld.conf.d/10-testbed.conf" <<CONF
# Written by tests/system (guest/lib.sh): the test VM's devices.
[Pedal]
Chip=$PEDAL_CHIP_LABEL
Line=$PEDAL_LINE_NAME
ActiveLow=true
# as-is, not the shipped pull-up: gpio-sim applies a requested bias to its
# simulated pull, so a (re)starting penctld would "release" a held pedal.
# Here the sim's pull attribute is the pedal circuit, pull-up resistor included.
Bias=as-is

[Pen]
Adapter=$PENCTLD_ADAPTER
CONF
	rm -f "$PENCTLD_CONF_DIR/penctld.conf.d/50-scenario.conf"
	if [ -n "${1:-}" ]; then
		printf '%s\n' "$1" >"$PENCTLD_CONF_DIR/penctld.conf.d/50-scenario.conf"
	fi
}

# pensim_start [ARGS...]: the simulated pen on the other controller, with
# its motor record and a control FIFO (pen_command disconnect, ...).  One
# pensim serves every scenario of a boot; started once.  --verbose: every
# heartbeat in the journal, to tell when a watchdog stop was due.
PEN_CONTROL=/run/penctl-test/pen.ctl
pensim_start() {
	systemctl is-active --quiet pensim.service && return 0
	rm -f "$PEN_CONTROL"
	systemd-run --quiet --unit=pensim --collect \
		-p StandardOutput=journal -p StandardError=journal \
		"$PENSIM" --adapter "$PENSIM_ADAPTER" --record "$PEN_RECORD" \
		--control "$PEN_CONTROL" --verbose "$@" || fail "pensim did not start"
	wait_until 20 test -p "$PEN_CONTROL" || fail "pensim made no control FIFO"
}
pensim_stop() { systemctl stop pensim.service 2>/dev/null || true; }
pen_command() { timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' - "$*" "$PEN_CONTROL"; }

# penctld_start: start the service, wait until it is active (READY=1).
penctld_start() {
	timeout 60 systemctl start penctld.service || {
		systemctl --no-pager status penctld.service
		fail "penctld did not start"
	}
}
penctld_pid() { systemctl show -p MainPID --value penctld.service; }

# status_field NAME: one property of `penctl --json status`.
status_field() { penctl_as_operator --json status | jq -r ".$1"; }
status_is() { [ "$(status_field "$1")" = "$2" ]; }

# pair_pen: scan, pair and trust the simulated pen through penctl, then wait
# until penctld has it connected.
pair_pen() {
	local t0
	t0=$(date +%s%N)
	# pensim re-advertises every 3 s, so 6 s normally find it; a second,
	# longer scan covers btvirt's missed-first-advertisement case.
	penctl_as_operator scan --seconds 6 >"$SCENARIO_DIR/scan.txt" 2>&1 ||
		fail "penctl scan failed: $(cat "$SCENARIO_DIR/scan.txt")"
	if ! grep -qi "$PEN_ADDRESS" "$SCENARIO_DIR/scan.txt"; then
		log "the pen was not found in 6 s; scanning 15 s"
		penctl_as_operator scan --seconds 15 >"$SCENARIO_DIR/scan.txt" 2>&1 ||
			fail "penctl scan failed: $(cat "$SCENARIO_DIR/scan.txt")"
	fi
	grep -qi "$PEN_ADDRESS" "$SCENARIO_DIR/scan.txt" ||
		fail "penctl scan did not list the pen $PEN_ADDRESS: $(cat "$SCENARIO_DIR/scan.txt")"
	penctl_as_operator pair "$PEN_ADDRESS" >"$SCENARIO_DIR/pair.txt" 2>&1 ||
		fail "penctl pair failed: $(cat "$SCENARIO_DIR/pair.txt")"
	wait_until 30 status_is PenConnected true ||
		fail "penctld did not connect to the paired pen: $(penctl_as_operator status)"
	figure scan-pair-connect $(( ($(date +%s%N) - t0) / 1000000 )) ms
}

# insert_fresh_cartridge: cartridges are single-use, so every session gets a
# new one (pensim's "cartridge" command), and penctld must have seen it.
insert_fresh_cartridge() {
	local seq_file=/run/penctl-test/cartridge-seq seq id
	seq=$(( $(cat "$seq_file" 2>/dev/null || echo 256) + 1 ))
	echo "$seq" >"$seq_file"
	id=$(printf '00c0ffee%08x' "$seq")
	# A swap as a hand does it: out (Status shows cartridge-missing), then in;
	# penctld reads the Cartridge again when cartridge-missing clears.
	pen_command cartridge none
	wait_until 10 sh -c "penctl --json status | jq -r '.Faults[]?' | grep -q cartridge-missing" ||
		log "penctld showed no cartridge-missing fault (Faults=$(status_field Faults | tr -d '\n '))"
	pen_command cartridge "$id"
	wait_until 15 cartridge_is "$id" && return 0
	# docs/pen-protocol.md 3.6: the daemon reads Cartridge again when
	# cartridge-missing clears.  Record that it did not, then reconnect (it
	# reads Cartridge at connect) so that the rest of the scenario still runs.
	fail_later "penctld did not read the new cartridge $id after cartridge-missing cleared (Cartridge=$(status_field Cartridge))"
	pen_command disconnect
	wait_until 10 status_is PenConnected false
	wait_until 40 status_is PenConnected true || fail "penctld did not reconnect to the pen"
	wait_until 15 cartridge_is "$id" || fail "penctld did not see the new cartridge $id even after a reconnect"
}
cartridge_is() { status_field Cartridge | grep -qi "$1"; }

# session_start_as_is ROLE AREA: one attempt to open a session on the
# cartridge the pen has; prints penctl's JSON answer, returns its status.
session_start_as_is() {
	penctl_as_operator --json session start --operator tester --role "$1" \
		--area "$2" --client system-test --contraindications-checked
}

# session_start ROLE AREA: open a session as the operator; prints its id.
# Cartridges are single-use: when the pen's was used by an earlier session
# of this boot, a fresh one goes in first.  Use as id=$(session_start ...) || exit 1.
session_start() {
	local out
	out=$(session_start_as_is "$1" "$2")
	if [ $? -ne 0 ] && grep -qi cartridge <<<"$out"; then
		log "session refused for the used cartridge; inserting a fresh one" >&2
		insert_fresh_cartridge >&2 || exit 1
		out=$(session_start_as_is "$1" "$2")
	fi
	[ "$(jq -r .session_id <<<"$out" 2>/dev/null)" != null ] && [ -n "$out" ] ||
		fail "session start $1/$2 refused: $out"
	jq -r .session_id <<<"$out"
}

# treatment_ready [CONFIG_DROPIN]: pen running, penctld running with the test
# configuration (+ CONFIG_DROPIN), pen paired and connected.  What an earlier
# scenario of the same boot set up is reused: a changed configuration
# restarts penctld, a pen penctld already knows is not paired again.
treatment_ready() {
	need_penctld
	local before after
	before=$(cat "$PENCTLD_CONF_DIR/penctld.conf.d/"*.conf 2>/dev/null)
	penctld_write_config "${1:-}"
	after=$(cat "$PENCTLD_CONF_DIR/penctld.conf.d/"*.conf 2>/dev/null)
	if ! systemctl is-active --quiet penctld.service; then
		# The one bluetoothd here serves both controllers: the pen's side
		# of a pairing asks its default agent, pensim's (pensim asks to be
		# the default), as a real pen would ask its own stack.  penctld's
		# agent exists only while its own Pair() runs and answers that
		# only, so the order of the two does not matter.
		penctld_start
	elif [ "$before" != "$after" ]; then
		timeout 60 systemctl restart penctld.service || fail "restart with the new configuration failed"
	fi
	pensim_start
	if [ "$(status_field PenAddress)" = "$PEN_ADDRESS" ]; then
		wait_until 40 status_is PenConnected true || fail "penctld did not reconnect to its pen"
	else
		pair_pen
	fi
}

# press_and_expect_motor NAME: press the pedal and wait for the pen's
# motor-start; records the latency as figure NAME.
press_and_expect_motor() {
	local n t0 line
	n=$(pen_count motor-start)
	t0=$(pedal_press)
	line=$(pen_expect_event motor-start 10 "$n") || fail "pen motor did not start after the pedal press"
	figure "$1" $(( $(jq .t_us <<<"$line") - t0 )) us
}
# release_and_expect_stop NAME: release and wait for the pen's motor-stop.
release_and_expect_stop() {
	local n t0 line
	n=$(pen_count motor-stop)
	t0=$(pedal_release)
	line=$(pen_expect_event motor-stop 10 "$n") || fail "pen motor did not stop after the pedal release"
	figure "$1" $(( $(jq .t_us <<<"$line") - t0 )) us
}

# expect_fresh_press_only FIGURE: the pedal, held through a loss (link,
# daemon, bluetoothd), starts nothing; released and pressed afresh it runs
# (latency as figure FIGURE) and stops on release.
expect_fresh_press_only() {
	assert_no_motor_while_held 3
	pedal_release >/dev/null
	sleep 0.5
	ensure_session home face >/dev/null || exit 1
	press_and_expect_motor "$1"
	release_and_expect_stop pedal-to-motor-stop
}

# expect_pen_watchdog_stop FIGURE N T0_US WHAT: the pen's motor-stop after
# the N-th, by its own watchdog, within PenWatchdogMs (1000, the shipped
# value) plus 500 ms for the emulated CPU's late timers.  Records the time
# from T0_US as figure FIGURE; sets PEN_STOP_MS.
expect_pen_watchdog_stop() {
	local stop
	stop=$(pen_expect_event motor-stop 10 "$2") || fail "the pen motor did not stop $4"
	PEN_STOP_MS=$(( ($(jq .t_us <<<"$stop") - $3) / 1000 ))
	figure "$1" "$PEN_STOP_MS" ms
	[ "$(jq -r .reason <<<"$stop")" = watchdog ] || fail "pen stop reason: $stop (expected watchdog)"
	[ "$PEN_STOP_MS" -le 1500 ] ||
		fail "the pen stopped ${PEN_STOP_MS} ms $4, PenWatchdogMs is 1000"
}

# ensure_session ROLE AREA: the open session, or a new one when a restart
# closed it (prints the id).
ensure_session() {
	local id
	id=$(status_field SessionId)
	if [ -z "$id" ] || [ "$id" = null ]; then
		session_start "$1" "$2"
	else
		echo "$id"
	fi
}

# pen_set_depth_um: the depth the pen itself is set to, from pensim's
# "status" line (... depth_um=M (set S) ...).
pen_set_depth_um() {
	local n
	n=$(journalctl -q --no-pager -u pensim.service -o cat | grep -c ' status: ')
	pen_command status
	wait_until 5 sh -c "[ \$(journalctl -q --no-pager -u pensim.service -o cat | grep -c ' status: ') -gt $n ]" ||
		fail "pensim did not answer the status command"
	journalctl -q --no-pager -u pensim.service -o cat | grep ' status: ' | tail -n 1 |
		sed -n 's/.*(set \([0-9]*\)).*/\1/p'
}

pen_depth_is() { [ "$(pen_set_depth_um)" = "$1" ]; }

# assert_no_motor_while_held SECONDS: the pedal is down, the pen stays off.
assert_no_motor_while_held() {
	[ "$(pedal_value)" = 0 ] || fail "the pedal is not held (line reads $(pedal_value))"
	pen_assert_motor_stays_off "$1"
	pen_motor_running && fail "the pen motor runs while it should be off"
	status_is MotorOn false || fail "penctld says MotorOn=true while the held pedal must be ignored"
	return 0
}

# penctld_wait_restarted OLD_PID SECONDS: systemd started a new penctld.
penctld_wait_restarted() {
	wait_until "$2" sh -c "p=\$(systemctl show -p MainPID --value penctld.service); [ \"\$p\" != 0 ] && [ \"\$p\" != $1 ] && systemctl is-active --quiet penctld.service"
}
