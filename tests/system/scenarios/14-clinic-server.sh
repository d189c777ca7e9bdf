#!/bin/bash
# Issue 16 — the clinic server: docs/clinic-server.md's steps, run as written
# (its blocks marked test-fresh: clinic-*), make a CA and certificates with
# tools/clinic-ca.sh, a systemd-journal-remote receiving over HTTPS and a
# systemd-journal-upload sending this machine's journal to it (the server and
# the chair are one machine here: SERVER=localhost).  A session runs; the
# server is cut (its socket and service stopped) in the middle of it for
# OUTAGE_S and restored.  Then every penctld record of the session is on the
# server exactly once, and penctl report on the server's files gives the
# same PDF text as on the chair's own journal.
# Figures: outage, records on the chair and on the server, records written
# during the outage, the time the server took to catch up after it.
. "$PENCTL_GUESTDIR/lib.sh"

DOC=$PENCTL_SRCDIR/docs/clinic-server.md
BLOCK=$PENCTL_SRCDIR/tests/fresh/readme-block.sh
REMOTE_DIR=/var/log/journal/remote
OUTAGE_S=20
WORK=/run/penctl-test/clinic
mkdir -p "$WORK"

[ -x /lib/systemd/systemd-journal-remote ] && [ -x /lib/systemd/systemd-journal-upload ] ||
	skip "package systemd-journal-remote is not installed on the host (tests/system/setup-host.sh installs it)"
command -v openssl >/dev/null || skip "openssl is not installed on the host"
command -v pdftotext >/dev/null || skip "pdftotext (poppler-utils) is not installed on the host"
# The guest has no network card (-nic none): the server is on the loopback.
[ $(( $(cat /sys/class/net/lo/flags) & 1 )) -eq 1 ] || fail "lo is down in the guest"

treatment_ready

SERVER=localhost
CHAIR=$(cat /proc/sys/kernel/hostname)
# run_doc_block NAME: the commands of the marked block, as root, stopping at
# the first that fails.
run_doc_block() {
	local commands
	commands=$("$BLOCK" "$DOC" "$1") || fail "docs/clinic-server.md has no block $1"
	(cd "$PENCTL_SRCDIR" && SERVER=$SERVER CHAIR=$CHAIR bash -e -c "$commands") \
		>"$SCENARIO_DIR/block-$1.log" 2>&1 ||
		fail "block $1 of docs/clinic-server.md failed: $(tail -n 5 "$SCENARIO_DIR/block-$1.log")"
	log "docs/clinic-server.md block $1: done"
}
run_doc_block clinic-ca
run_doc_block clinic-server
run_doc_block clinic-chair

# chair_records / server_records: the session's penctld records, one line
# each: boot, both timestamps, event and message (the fields the chair's
# journald set, which the server keeps).
record_keys() {
	jq -r '[._BOOT_ID, .__REALTIME_TIMESTAMP, .__MONOTONIC_TIMESTAMP, .PENCTL_EVENT,
		(.MESSAGE | tostring)] | join(" ")'
}
chair_records() {
	journalctl --no-pager -q -o json _SYSTEMD_UNIT=penctld.service "PENCTL_SESSION=$1" | record_keys
}
server_records() {
	journalctl --no-pager -q -o json --directory="$REMOTE_DIR" _SYSTEMD_UNIT=penctld.service \
		"PENCTL_SESSION=$1" 2>/dev/null | record_keys
}
server_has_all() {
	[ "$(server_records "$1" | wc -l)" -ge "$(chair_records "$1" | wc -l)" ]
}
server_has_upload() { ls "$REMOTE_DIR"/*.journal >/dev/null 2>&1; }
upload_restarts() { systemctl show -p NRestarts --value systemd-journal-upload.service; }

wait_until 30 server_has_upload ||
	fail "no journal file in $REMOTE_DIR 30 s after the chair's set-up: $(systemctl --no-pager status systemd-journal-upload.service 2>&1 | tail -n 5)"
log "the server receives: $(ls "$REMOTE_DIR")"

session=$(session_start home face) || exit 1
log "session $session"
press_and_expect_motor pedal-to-motor-start-1
sleep 1
release_and_expect_stop pedal-to-motor-stop-1
wait_until 20 server_has_all "$session" || fail "the server did not get the session's first records"

# The cut: the receiver's socket and service stop (the socket would start
# the service again at the next upload).
restarts_before=$(upload_restarts)
cut_us=$(date +%s%6N)
systemctl stop systemd-journal-remote.socket systemd-journal-remote.service ||
	fail "could not stop systemd-journal-remote"
log "server cut"
press_and_expect_motor pedal-to-motor-start-2
sleep 1
release_and_expect_stop pedal-to-motor-stop-2
penctl_as_operator depth 0.3 >/dev/null || fail "depth 0.3 refused"
# At least OUTAGE_S in all, and some seconds after the last record of the
# outage, so that the uploader has tried and failed at least once.
left=$(( OUTAGE_S - ($(date +%s%6N) - cut_us) / 1000000 ))
sleep $(( left > 12 ? left : 12 ))
systemctl is-failed --quiet systemd-journal-upload.service &&
	fail "systemd-journal-upload gave up during the outage: $(systemctl --no-pager status systemd-journal-upload.service | tail -n 3)"
restore_us=$(date +%s%6N)
systemctl start systemd-journal-remote.socket || fail "could not start systemd-journal-remote.socket"
log "server restored"
outage_ms=$(( (restore_us - cut_us) / 1000 ))
figure outage "$outage_ms" ms
figure upload-restarts-during-outage $(( $(upload_restarts) - restarts_before )) count

# The session's end is written after the restore.
penctl_as_operator session stop >/dev/null || fail "session stop failed"
journal_expect_event session-end 10 0 || fail "no session-end record on the chair"

wait_until 60 server_has_all "$session" ||
	fail_later "60 s after the session ended the server has $(server_records "$session" | wc -l) of its $(chair_records "$session" | wc -l) records"
figure catch-up-after-restore $(( ($(date +%s%6N) - restore_us) / 1000 )) ms

chair_records "$session" | sort >"$WORK/chair.keys"
server_records "$session" | sort >"$WORK/server.keys"
cp "$WORK/chair.keys" "$WORK/server.keys" "$SCENARIO_DIR/"
during=$(journalctl --no-pager -q -o json _SYSTEMD_UNIT=penctld.service "PENCTL_SESSION=$session" |
	jq -r --argjson a "$cut_us" --argjson b "$restore_us" \
		'select((.__REALTIME_TIMESTAMP | tonumber) > $a and (.__REALTIME_TIMESTAMP | tonumber) < $b) | .PENCTL_EVENT' |
	wc -l)
figure records-chair "$(wc -l <"$WORK/chair.keys")" count
figure records-server "$(wc -l <"$WORK/server.keys")" count
figure records-during-outage "$during" count
# A press (motor-start, motor-stop) and a depth change.
[ "$during" -ge 3 ] || fail_later "only $during records were written during the outage (expected the press's start and stop and the depth change)"
dups=$(uniq -d "$WORK/server.keys")
[ -z "$dups" ] || fail_later "records on the server more than once: $dups"
missing=$(comm -23 "$WORK/chair.keys" "$WORK/server.keys")
[ -z "$missing" ] || fail_later "records of the chair missing on the server: $missing"
extra=$(comm -13 "$WORK/chair.keys" "$WORK/server.keys")
[ -z "$extra" ] || fail_later "records on the server the chair does not have: $extra"

# The report: the same text from the chair's journal and the server's files.
# penctl-report is in no package yet (cairo, pango): the build's, alone on
# PATH, so that penctl is still the installed one.
if ! command -v penctl-report >/dev/null; then
	[ -x "${PENCTL_REPORT_PROGRAM:-}" ] ||
		fail "no penctl-report: installed nowhere, and PENCTL_REPORT_PROGRAM=${PENCTL_REPORT_PROGRAM:-} is not a program"
	mkdir -p /run/penctl-report-bin
	ln -sf "$PENCTL_REPORT_PROGRAM" /run/penctl-report-bin/penctl-report
	PATH=/run/penctl-report-bin:$PATH
fi
(cd "$WORK" && penctl report --session "$session" -o chair.pdf) >"$SCENARIO_DIR/report-chair.log" 2>&1 ||
	fail "penctl report on the chair failed: $(cat "$SCENARIO_DIR/report-chair.log")"
(cd "$WORK" && penctl report --directory "$REMOTE_DIR" --chair "$CHAIR" --session "$session" -o server.pdf) \
	>"$SCENARIO_DIR/report-server.log" 2>&1 ||
	fail "penctl report on the server's files failed: $(cat "$SCENARIO_DIR/report-server.log")"
pdftotext -layout "$WORK/chair.pdf" "$SCENARIO_DIR/report-chair.txt"
pdftotext -layout "$WORK/server.pdf" "$SCENARIO_DIR/report-server.txt"
grep -q "$session" "$SCENARIO_DIR/report-server.txt" || fail_later "the server's report does not name the session"
grep -q "$CHAIR" "$SCENARIO_DIR/report-server.txt" || fail_later "the server's report does not name the chair $CHAIR"
diff -u "$SCENARIO_DIR/report-chair.txt" "$SCENARIO_DIR/report-server.txt" >"$SCENARIO_DIR/report.diff" ||
	fail_later "the reports differ: $(head -n 20 "$SCENARIO_DIR/report.diff")"

# The server's day: this chair's session listed, named by its host name.
start_us=$(journalctl --no-pager -q -o json _SYSTEMD_UNIT=penctld.service "PENCTL_SESSION=$session" \
	PENCTL_EVENT=session-start | jq -r .__REALTIME_TIMESTAMP | head -n 1)
day=$(date -d "@$((start_us / 1000000))" +%F)
penctl log --day "$day" --directory "$REMOTE_DIR" >"$SCENARIO_DIR/day.txt" 2>&1 ||
	fail_later "penctl log --day $day on the server's files failed: $(cat "$SCENARIO_DIR/day.txt")"
grep -q "  $CHAIR (.*  $session  tester .* ended" "$SCENARIO_DIR/day.txt" ||
	fail_later "penctl log --day $day does not list the session as ended on $CHAIR: $(cat "$SCENARIO_DIR/day.txt")"
finish "clinic server: $(wc -l <"$WORK/server.keys") records of the session on the server, $during of them written during a $((outage_ms / 1000)) s outage"
