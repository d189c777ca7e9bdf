#!/bin/bash
# The power-cut test, first boot (tests/system/power-cut.sh): the motor runs
# on a fresh cartridge when the power goes.  run-vm.sh --power-cut-on kills
# QEMU as soon as this scenario writes $RESULTS/power-cut-now: no shutdown,
# no sync, the guest's page cache is lost.  What penctld had logged and the
# cartridge it ran on go to the host (power-cut/, written through the
# results share) for the second boot to look for (power-cut-after.sh).
. "$PENCTL_GUESTDIR/lib.sh"

mountpoint -q /var/lib/penctld && mountpoint -q /var/log/journal ||
	fail "no persistent disk on /var/lib/penctld and /var/log/journal (run-vm.sh --disk)"
handover=$RESULTS/power-cut
mkdir -p "$handover"

treatment_ready
# The pairing is days old on a real Pi when the power goes: its keys are on
# the card.  bluetoothd does not fsync them itself.
sync

session=$(session_start home face) || exit 1
cartridge=$(status_field Cartridge)
press_and_expect_motor pedal-to-motor-start
journal_expect_event motor-start 5 0 || fail "no motor-start record"
pen_motor_running || fail "the pen motor is not running"

# Every penctld record of this boot, as the journal has it now.
journalctl --no-pager -q -o json _SYSTEMD_UNIT=penctld.service _BOOT_ID="$(tr -d - </proc/sys/kernel/random/boot_id)" |
	jq -c '{cursor: .__CURSOR, t_us: (.__MONOTONIC_TIMESTAMP | tonumber),
		event: (.PENCTL_EVENT // ""), message: .MESSAGE}' >"$handover/records.jsonl"
printf '%s\n' "$cartridge" >"$handover/cartridge"
printf '%s\n' "$session" >"$handover/session"
figure records-before-cut "$(wc -l <"$handover/records.jsonl")" records
log "cutting the power: motor running, session $session, cartridge $cartridge"
# The host kills QEMU when this file appears (run-vm.sh --power-cut-on):
# renamed into place, so that it is never seen empty.
mono_us >"$RESULTS/power-cut-now.tmp" && mv "$RESULTS/power-cut-now.tmp" "$RESULTS/power-cut-now"
sleep 120
fail "the power was not cut within 120 s of asking"
