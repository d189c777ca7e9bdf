#!/bin/bash
# A stress, by hand (not in make test: its name has no number):
#   tests/system/run-vm.sh --build BUILD --timeout 2400 \
#     --env ROUNDS=40 --env PENCTL_SCENARIO_TIMEOUT=2000 stress-bluetoothd-restart
# ROUNDS times: the pen connected (the motor off), `systemctl restart
# bluetooth`, penctld reconnects.  Stops at the first fault the guest kernel
# reports (dmesg), saying in which round.
. "$PENCTL_GUESTDIR/lib.sh"
treatment_ready
worst=0
for i in $(seq 1 "${ROUNDS:-25}"); do
	wait_until 60 status_is PenConnected true || fail "round $i: not connected"
	t0=$(date +%s%N)
	systemctl restart bluetooth.service || fail "round $i: systemctl restart bluetooth failed"
	sleep 1
	if dmesg | grep -q -E 'kernel BUG at|list_(add|del) corruption|Oops|BUG: '; then
		dmesg | grep -B 5 -A 40 -E 'list_(add|del) corruption|kernel BUG at' | head -n 80
		fail "round $i: the guest kernel reported a fault"
	fi
	if wait_until 60 status_is PenConnected true; then
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	else
		fail "round $i: penctld did not reconnect within 60 s"
	fi
	log "round $i: ${ms} ms from the restart to PenConnected"
	[ "$ms" -gt "$worst" ] && worst=$ms
done
figure worst-reconnect "$worst" ms
finish "bluetoothd restarts: ${ROUNDS:-25} rounds, no kernel fault, longest ${worst} ms"
