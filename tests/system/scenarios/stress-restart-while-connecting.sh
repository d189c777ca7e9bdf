#!/bin/bash
# A stress, by hand (not in make test: its name has no number):
#   tests/system/run-vm.sh --debs DIR --results DIR --timeout 2400 \
#     --env ROUNDS=30 --env PENCTL_SCENARIO_TIMEOUT=2000 stress-restart-while-connecting
# power-cut-after's order, ROUNDS times: the pen gone (pensim stopped, its
# controller power-cycled), a penctld whose Connect waits for it stopped, a
# new penctld started, then the pen.  bluetoothd still holds the first
# penctld's connection attempt ("Operation already in progress").  Figure:
# the longest time from the pen's start to PenConnected.
. "$PENCTL_GUESTDIR/lib.sh"
treatment_ready
worst=0
for i in $(seq 1 ${ROUNDS:-25}); do
	pensim_stop
	wait_until 20 status_is PenConnected false || fail "round $i: still connected"
	# The pen's radio gone too, as after a power cut: no link, no advertising.
	btmgmt_cmd --index 1 power off >/dev/null
	btmgmt_cmd --index 1 power on >/dev/null
	systemctl reset-failed penctld.service 2>/dev/null
	systemctl restart penctld.service || fail "round $i: restart"
	sleep "0.$((RANDOM % 10))"; sleep $((RANDOM % 4))
	systemctl stop penctld.service
	sleep "0.$((RANDOM % 10))"; sleep $((RANDOM % 6))
	systemctl reset-failed penctld.service 2>/dev/null
	systemctl start penctld.service || fail "round $i: start"
	sleep "0.$((RANDOM % 10))"; sleep $((RANDOM % 2))
	t0=$(date +%s%N)
	pensim_start
	if wait_until 60 status_is PenConnected true; then
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	else
		ms=60000
		fail_later "round $i: penctld did not connect to the pen within 60 s"
	fi
	log "round $i: ${ms} ms from the pen's start to PenConnected"
	[ "$ms" -gt "$worst" ] && worst=$ms
	if [ "$ms" -gt 30000 ]; then
		log "round $i SLOW"
		journalctl -u penctld.service -u bluetooth.service --since "-90s" --no-pager -o short-monotonic | tail -60
	fi
done
figure worst-reconnect "$worst" ms
finish "restart while connecting: ${ROUNDS:-25} rounds, longest ${worst} ms"
