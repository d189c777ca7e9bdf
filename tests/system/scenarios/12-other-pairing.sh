#!/bin/bash
# Someone pairs another device (headphones, a keyboard) on the same machine
# while penctld runs: penctld's pairing agent takes no part, and the pairing
# succeeds.
#
# bluetoothd asks the default agent about every pairing request that no
# Pair() caller of its own answers (here: the device's side of the pairing),
# and the first agent registered is the default one.  The person's agent is
# registered the way bluetoothctl registers its own: without asking to be the
# default.  So the request reaches the person's agent only if penctld holds
# no agent: before, penctld registered one for good and asked to be the
# default, refused the request ("pairing authorization ... rejected") and the
# pairing failed.
#
# A second btvirt gives a second radio: hci2 (the person's central) and hci3
# (the other device), both on bluetoothd but not penctld's hci0.  A VM of
# its own (no group in system.cmake): it stops pensim and adds a radio.
. "$PENCTL_GUESTDIR/lib.sh"

treatment_ready

# pensim's agent is the test bed's stand-in for the pen's own stack and is
# the default agent of this bluetoothd; without it only penctld and the
# person register agents, as on a Pi whose pen is another device.
# Then the link goes too (pensim leaves it up), so that the pen's return is
# an ordinary reconnection, as in 05-link-loss.
pensim_stop
busctl call org.bluez "/org/bluez/$PENCTLD_ADAPTER/dev_$(tr : _ <<<"$PEN_ADDRESS")" \
	org.bluez.Device1 Disconnect || log "Disconnect of the pen's link failed"
wait_until 20 status_is PenConnected false || fail "penctld still says the pen is connected"

other_controllers_registered() {
	local info
	info=$(btmgmt_cmd info)
	grep -q '^hci2:' <<<"$info" && grep -q '^hci3:' <<<"$info"
}
# As in run-scenario.sh: under TCG a controller sometimes misses the
# kernel's first HCI Reset; then btvirt starts again.
for try in 1 2 3; do
	systemd-run --quiet --collect --unit=btvirt-other -p Nice=-15 /usr/bin/btvirt -L -l2 ||
		fail "second btvirt did not start"
	wait_until 20 other_controllers_registered && break
	log "second btvirt: controllers did not register (attempt $try)"
	systemctl stop btvirt-other.service
	wait_until 10 test ! -e /sys/class/bluetooth/hci2
done
other_controllers_registered || fail "the second btvirt made no hci2 and hci3"
for a in hci2 hci3; do
	wait_until 20 adapter_powered "$a" || fail "$a is not powered"
done
central_address=$(adapter_address hci2)
device_address=$(adapter_address hci3)
log "the person's central: hci2 $central_address; the other device: hci3 $device_address"

# The other device is connectable and discoverable; it starts advertising
# once the person's central is discovering.  btvirt (emulator/btdev.c in
# bluez 5.66) tells a scanner about an advertiser at two moments only: when
# the advertiser switches advertising on, and when the scanner switches
# scanning on.  The second is a race: btdev sends the report right behind the
# Scan Enable's Command Complete, and the kernel drops a report that comes
# before its discovery state is "finding" (mgmt_device_found); then the next
# chance is the next discovery cycle, 10.24 s later.  Three lost races ran out
# other-central's 30 s (a fresh-clone CI run; passing runs took 2.9, 5.7 and
# 26.3 s).  A real device advertises every 20-100 ms, so it cannot be missed
# this way; here advertising goes on after hci2 says Discovering, and its one
# report reaches a discovery that is running.
for setting in "connectable on" "discov on"; do
	btmgmt_cmd --index 3 $setting | tee -a "$SCENARIO_DIR/btmgmt.txt"
done
hci2_discovering() {
	busctl get-property org.bluez /org/bluez/hci2 org.bluez.Adapter1 Discovering 2>/dev/null |
		grep -q true
}

t0=$(date +%s%N)
agent_log=$SCENARIO_DIR/other-agent.jsonl
: >"$agent_log"
timeout 120 /usr/bin/python3 "$PENCTL_GUESTDIR/other-central.py" hci2 "$device_address" \
	"$agent_log" >"$SCENARIO_DIR/other-central.txt" 2>&1 &
central_pid=$!
wait_until 20 hci2_discovering || fail_later "hci2 did not start discovering"
btmgmt_cmd --index 3 advertising on | tee -a "$SCENARIO_DIR/btmgmt.txt"
wait "$central_pid"
rc=$?
cat "$SCENARIO_DIR/other-central.txt"
figure other-pairing $(( ($(date +%s%N) - t0) / 1000000 )) ms

device_side="/org/bluez/hci3/dev_$(tr : _ <<<"$central_address")"
penctld_agent=$(journalctl --no-pager -q -o json _SYSTEMD_UNIT=penctld.service |
	jq -r --argjson t "$SCENARIO_START_US" \
		'select((.__MONOTONIC_TIMESTAMP | tonumber) > $t) | .MESSAGE' | grep 'agent:')
[ -z "$penctld_agent" ] || fail_later "penctld's agent was asked about another pairing: $penctld_agent"
[ "$rc" -eq 0 ] || fail_later "the other pairing failed: $(tail -n 3 "$SCENARIO_DIR/other-central.txt")"
# (Not jq -e: jq 1.6 exits 0 on an empty file.)
[ "$(jq -c --arg d "$device_side" 'select(.device == $d)' "$agent_log" | wc -l)" -gt 0 ] ||
	fail_later "the person's agent was not asked about the device's side ($device_side): $(cat "$agent_log")"
busctl get-property org.bluez "/org/bluez/hci2/dev_$(tr : _ <<<"$device_address")" \
	org.bluez.Device1 Paired | grep -q true || fail_later "bluetoothd does not say the other device is paired"
systemctl is-active --quiet penctld.service || fail_later "penctld is not running"

# As found: the second radio gone, the pen back and connected.
systemctl stop btvirt-other.service
pensim_start
wait_until 40 status_is PenConnected true || fail "penctld did not reconnect to its pen"
finish "other pairing: succeeded through the person's agent; penctld's agent took no part"
