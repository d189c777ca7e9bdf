#!/bin/bash
# Issue 7, scenario 1 — pairing: `penctl scan` finds the pen, `penctl pair`
# pairs and trusts it, and after `systemctl restart penctld` the daemon
# reconnects to it by itself.
. "$PENCTL_GUESTDIR/lib.sh"

treatment_ready
cat "$SCENARIO_DIR/scan.txt"

# BlueZ's own view, from the daemon's adapter: paired and trusted.
dev="/org/bluez/$PENCTLD_ADAPTER/dev_$(tr : _ <<<"$PEN_ADDRESS")"
for prop in Paired Trusted Connected; do
	busctl get-property org.bluez "$dev" org.bluez.Device1 "$prop" | grep -q true ||
		fail "BlueZ says $prop is not true for $PEN_ADDRESS"
done
status_is PenAddress "$PEN_ADDRESS" || fail "penctld's PenAddress is $(status_field PenAddress)"
journal_expect_event pen-connected 5 0 || fail "no pen-connected record"

# The pairing survives the daemon: it remembers the pen and reconnects.
n=$(journal_event_count pen-connected)
t0=$(date +%s%N)
systemctl restart penctld.service || fail "systemctl restart penctld failed"
wait_until 30 status_is PenConnected true || fail "penctld did not reconnect after a restart"
figure restart-to-connected $(( ($(date +%s%N) - t0) / 1000000 )) ms
status_is PenAddress "$PEN_ADDRESS" || fail "after restart PenAddress is $(status_field PenAddress)"
journal_expect_event pen-connected 5 "$n" || fail "no new pen-connected record after the restart"
# The pen saw the central come back: it was never told to run meanwhile.
[ "$(pen_count motor-start)" -eq 0 ] || fail "the pen motor ran during pairing: $(pen_record)"
echo "pairing: paired, trusted, reconnected after restart"
