#!/bin/bash
# Issue 7, scenario 5 — link loss: the pen drops the connection while running
# -> pen motor off, penctld records pen-disconnected; after reconnection the
# motor stays off until the pedal is released and pressed again.
. "$PENCTL_GUESTDIR/lib.sh"

treatment_ready
session=$(ensure_session home face) || exit 1
press_and_expect_motor pedal-to-motor-start

n=$(pen_count motor-stop)
t0=$(mono_us)
pen_command disconnect
stop=$(pen_expect_event motor-stop 5 "$n") || fail "the pen motor did not stop when the link dropped"
[ "$(jq -r .reason <<<"$stop")" = disconnect ] || fail "pen stop reason: $stop (expected disconnect)"
figure disconnect-to-pen-stop $(( $(jq .t_us <<<"$stop") - t0 )) us
journal_expect_event pen-disconnected 10 0 || fail "no pen-disconnected record"

wait_until 40 status_is PenConnected true || fail "penctld did not reconnect to the pen"
# From penctld's own records: pen-disconnected -> pen-connected.
down=$(journal_event_us pen-disconnected "$t0")
up=$(journal_event_us pen-connected "$down")
[ -n "$down" ] && [ -n "$up" ] || fail "no pen-disconnected/pen-connected records after the drop"
figure reconnect $(( (up - down) / 1000 )) ms

# Still held: no motor until a fresh press.
expect_fresh_press_only pedal-to-motor-start-after-reconnect
echo "link loss: pen stopped, no motor until a fresh press after reconnection"
