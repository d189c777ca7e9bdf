#!/bin/bash
# Issue 7, scenario 9 — a broken configuration: the service fails with exit
# 78, `systemctl status` and the journal name the key, systemd does not loop;
# once fixed, start and reload work; a reload with a broken file keeps the
# old configuration (config-rejected).
. "$PENCTL_GUESTDIR/lib.sh"

need_penctld
conf=/etc/penctld/penctld.conf
[ -f "$conf" ] || fail_later "the shipped configuration is not installed at $conf"
# The package ships it as a conffile: dpkg keeps a clinic's edits.
if [ -n "${PENCTL_DEBS:-}" ]; then
	dpkg-query -W -f='${Conffiles}\n' penctld | grep -q "^ $conf " ||
		fail_later "$conf is not a conffile of the package penctld"
fi
penctld --check-config >"$SCENARIO_DIR/check-config.txt" 2>&1 ||
	fail "penctld --check-config refuses the shipped configuration: $(cat "$SCENARIO_DIR/check-config.txt")"

systemctl stop penctld.service
systemctl reset-failed penctld.service 2>/dev/null
penctld_write_config "[Session]
WarnPercent=150"
systemctl start penctld.service && fail "penctld started with WarnPercent=150"
wait_until 10 sh -c '[ "$(systemctl show -p ExecMainStatus --value penctld.service)" = 78 ]' ||
	fail "exit status $(systemctl show -p ExecMainStatus --value penctld.service), expected 78"
sleep 3   # RestartSec=1s: a restart would have happened by now
[ "$(systemctl show -p NRestarts --value penctld.service)" = 0 ] ||
	fail "systemd restarted penctld after a config error (RestartPreventExitStatus=78)"
systemctl --no-pager status penctld.service >"$SCENARIO_DIR/status.txt" 2>&1
cat "$SCENARIO_DIR/status.txt"
grep -q WarnPercent "$SCENARIO_DIR/status.txt" || fail "systemctl status does not name WarnPercent"
journalctl -q --no-pager -u penctld.service | grep -q WarnPercent || fail "the journal does not name WarnPercent"

# Fixed: start works.
penctld_write_config "[Session]
MaxMinutes=45"
systemctl reset-failed penctld.service
penctld_start
[ "$(status_field MaxMinutes)" = 45 ] || fail "MaxMinutes is $(status_field MaxMinutes), expected 45"
pid=$(penctld_pid)

# A good reload applies.
penctld_write_config "[Session]
MaxMinutes=40"
n=$(journal_event_count config-reloaded)
timeout 30 systemctl reload penctld.service || fail "systemctl reload failed"
journal_expect_event config-reloaded 10 "$n" || fail "no config-reloaded record"
wait_until 5 status_is MaxMinutes 40 || fail "after reload MaxMinutes is $(status_field MaxMinutes), expected 40"

# A broken reload is rejected and the old configuration stays.
penctld_write_config "[Session]
MaxMinutes=40
WarnPercent=0"
n=$(journal_event_count config-rejected)
# systemctl reload fails (ExecReload waits for the daemon's answer), and
# systemctl status shows why.
if timeout 30 systemctl reload penctld.service; then
	fail "systemctl reload succeeded with a rejected file"
fi
systemctl status --no-pager -n 20 penctld.service 2>&1 | grep -q WarnPercent ||
	fail "systemctl status does not say why the reload failed: $(systemctl status --no-pager -n 20 penctld.service 2>&1 | tail -n 5)"
penctl_as_operator status | grep -q REJECTED ||
	fail "penctl status does not say the file on disk is not what runs"
journal_expect_event config-rejected 10 "$n" || fail "no config-rejected record"
journal_events config-rejected | tail -n 1 | jq -r '.MESSAGE, .PENCTL_DETAIL' | grep -q WarnPercent ||
	fail "config-rejected does not name WarnPercent: $(journal_events config-rejected | tail -n 1 | jq -c '{MESSAGE,PENCTL_DETAIL}')"
systemctl is-active --quiet penctld.service || fail "penctld stopped after a rejected reload"
[ "$(penctld_pid)" = "$pid" ] || fail "penctld was restarted by a rejected reload"
status_is MaxMinutes 40 || fail "a rejected reload changed MaxMinutes to $(status_field MaxMinutes)"
finish "config: exit 78 naming the key, no restart loop, reload applies good, fails on bad and keeps the old"
