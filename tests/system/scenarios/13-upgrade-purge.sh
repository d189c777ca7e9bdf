#!/bin/bash
# Issue 11 — the package's life on a clinic's machine: installed (by the
# test bed, run-scenario.sh, with apt-get), the site's configuration edited,
# a cartridge used; a newer build installed over it: the edit stays, the
# service restarts, the used cartridge stays refused; then purged: the
# service stops, its unit, files and /var/lib/penctld are gone, the system
# user and groups stay (debian/README.Debian).
. "$PENCTL_GUESTDIR/lib.sh"

need_penctld
[ -n "${PENCTL_DEBS:-}" ] || skip "installed from a CMake build, not the packages (run-vm.sh --debs)"
conf=/etc/penctld/penctld.conf
old_version=$(dpkg-query -W -f='${Version}' penctld) || fail "penctld is not installed as a package"

# 0. The install (run-scenario.sh) started the service at the first try:
# its D-Bus policy was in force before it started (debian/penctld.postinst).
[ "${PENCTLD_INSTALL_NRESTARTS:-}" = 0 ] ||
	fail_later "penctld.service was restarted ${PENCTLD_INSTALL_NRESTARTS:-?} times after the install started it: $(journalctl -q --no-pager -u penctld.service | grep -m1 -i 'lost the d-bus name')"

# 1. The site's change: a valid one, in the conffile itself.
printf '\n# The clinic, %s\n[Session]\nMaxMinutes=42\n' "$(date -u +%F)" >>"$conf"
penctld --check-config >"$SCENARIO_DIR/check-config.txt" 2>&1 ||
	fail "the edited $conf is refused: $(cat "$SCENARIO_DIR/check-config.txt")"
edited=$(sha256sum <"$conf")

# 2. A treatment on the pen's cartridge: it is used from now on.
treatment_ready
[ "$(status_field MaxMinutes)" = 42 ] || fail "the edit is not in effect: MaxMinutes=$(status_field MaxMinutes)"
session=$(session_start home face) || exit 1
cartridge=$(status_field Cartridge)
press_and_expect_motor pedal-to-motor-start
release_and_expect_stop pedal-to-motor-stop
penctl_as_operator session stop >/dev/null || fail "session stop failed"
log "session $session ran on cartridge $cartridge"

# 3. A newer build: the same package with a higher version (dpkg-deb
# repacks it; what an upgrade does is the maintainer scripts' work, and
# those are the build's own).
newer=/run/penctl-test/newer
new_version="$old_version+test1"
arch=$(dpkg --print-architecture)
rm -rf "$newer" && mkdir -p "$newer"
dpkg-deb -R "$(ls "$PENCTL_DEBS"/penctld_*_"$arch".deb)" "$newer/root" ||
	fail "dpkg-deb -R of the package failed"
sed -i "s/^Version: .*/Version: $new_version/" "$newer/root/DEBIAN/control"
dpkg-deb -Zgzip -b "$newer/root" "$newer/penctld_${new_version}_$arch.deb" >/dev/null ||
	fail "dpkg-deb -b of the newer package failed"

pid_before=$(penctld_pid)
inv_before=$(systemctl show -p InvocationID --value penctld.service)
t0=$(date +%s%N)
DEBIAN_FRONTEND=noninteractive apt-get install -y "$newer/penctld_${new_version}_$arch.deb" \
	>"$SCENARIO_DIR/apt-upgrade.log" 2>&1 ||
	fail "apt-get install of $new_version failed: $(tail -n 5 "$SCENARIO_DIR/apt-upgrade.log")"
figure upgrade-time $(( ($(date +%s%N) - t0) / 1000000 )) ms
cat "$SCENARIO_DIR/apt-upgrade.log"
[ "$(dpkg-query -W -f='${Version}' penctld)" = "$new_version" ] ||
	fail "penctld is at $(dpkg-query -W -f='${Version}' penctld) after the upgrade, expected $new_version"

# The edit stays, silently (the shipped file did not change), and applies.
[ "$(sha256sum <"$conf")" = "$edited" ] || fail_later "the upgrade changed the edited $conf"
ls /etc/penctld/penctld.conf.dpkg-* 2>/dev/null && fail_later "dpkg left a new copy beside the edited $conf"
# The service was restarted by the upgrade: another invocation, another process.
wait_until 30 systemctl is-active --quiet penctld.service ||
	fail "penctld is not running after the upgrade"
inv_after=$(systemctl show -p InvocationID --value penctld.service)
pid_after=$(penctld_pid)
log "before: pid $pid_before invocation $inv_before; after: pid $pid_after invocation $inv_after"
[ "$inv_after" != "$inv_before" ] || fail_later "the upgrade did not restart penctld (InvocationID $inv_after)"
[ "$pid_after" != "$pid_before" ] || fail_later "the upgrade did not restart penctld (MainPID $pid_after)"
status_is MaxMinutes 42 || fail_later "after the upgrade MaxMinutes is $(status_field MaxMinutes), not the edit's 42"

# The used cartridge stays used: the state under /var/lib/penctld survived.
wait_until 40 status_is PenConnected true || fail "penctld did not reconnect to its pen after the upgrade"
wait_until 15 cartridge_is "$cartridge" ||
	fail "the pen shows cartridge $(status_field Cartridge), not $cartridge"
if out=$(session_start_as_is home face 2>&1); then
	fail_later "after the upgrade penctld opened a session on the used cartridge $cartridge: $out"
	penctl_as_operator session stop >/dev/null
fi
echo "session start on the used cartridge $cartridge: $out"
grep -q CartridgeUsed <<<"$out" || fail_later "the refusal is not CartridgeUsed: $out"

# 4. Purge.  The test bed's own drop-in goes first, so that what is left
# under /etc is the package's to answer for.
files=$(dpkg -L penctld | while read -r f; do [ -f "$f" ] && echo "$f"; done)
unit=$(systemctl show -p FragmentPath --value penctld.service)
rm -f /etc/penctld/penctld.conf.d/*.conf
t0=$(date +%s%N)
DEBIAN_FRONTEND=noninteractive apt-get purge -y penctld >"$SCENARIO_DIR/apt-purge.log" 2>&1 ||
	fail "apt-get purge penctld failed: $(tail -n 5 "$SCENARIO_DIR/apt-purge.log")"
figure purge-time $(( ($(date +%s%N) - t0) / 1000000 )) ms
cat "$SCENARIO_DIR/apt-purge.log"

dpkg-query -W -f='${db:Status-Abbrev}' penctld 2>/dev/null | grep -q '^.[^n]' &&
	fail_later "dpkg still knows penctld: $(dpkg-query -W -f='${db:Status-Abbrev}' penctld)"
systemctl is-active --quiet penctld.service && fail_later "penctld.service is still active after the purge"
pgrep -x penctld >/dev/null && fail_later "a penctld process still runs after the purge: $(pgrep -a -x penctld)"
[ -e /var/lib/penctld ] && fail_later "/var/lib/penctld is still there: $(ls -la /var/lib/penctld)"
[ -e "$unit" ] && fail_later "the unit $unit is still there"
systemctl cat penctld.service >/dev/null 2>&1 && fail_later "systemd still has penctld.service"
ls /etc/systemd/system/*.wants/penctld.service 2>/dev/null &&
	fail_later "an enablement link of penctld.service is left"
[ -e /etc/penctld ] && fail_later "/etc/penctld is left: $(find /etc/penctld | tr '\n' ' ')"
left=$(for f in $files; do [ -e "$f" ] && echo "$f"; done)
[ -z "$left" ] || fail_later "files of the package are left: $(echo $left)"
journalctl -q --no-pager -t penctld-purge | grep -q /var/lib/penctld ||
	fail_later "the purge wrote no warning to the journal (identifier penctld-purge)"
# The users and groups stay, as Debian does for every system user
# (debian/README.Debian).
for g in penctl penctl-aesthetician penctl-physiotherapist penctl-dermatologist \
	penctl-supervisor gpio penctld; do
	getent group "$g" >/dev/null || fail_later "the purge removed group $g"
done
getent passwd penctld >/dev/null || fail_later "the purge removed user penctld"
finish "upgrade $old_version -> $new_version kept the edit, restarted penctld, kept cartridge $cartridge used; purge removed the service, its files and /var/lib/penctld"
