#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Checks of the installed systemd integration, run by ctest (label "systemd",
# see systemd-checks.cmake) against a DESTDIR install of the build tree:
#
#   check-unit.sh install  --build DIR --root DIR
#   check-unit.sh verify   --root DIR --sbindir P --unitdir P
#   check-unit.sh security --root DIR --sbindir P --unitdir P
#   check-unit.sh sysusers --root DIR --sysusersdir P
#   check-unit.sh catalog  --root DIR --catalogdir P
#   check-unit.sh policy   --root DIR
#
# --root is the DESTDIR; the other paths are the configured install
# directories (absolute, without DESTDIR).  Each check that can pass also runs
# once on a deliberately broken copy and must fail there: a check that cannot
# fail checks nothing.
set -u

# "exposure <= 2.0" from issue 6; systemd-analyze counts in tenths.
readonly MAX_EXPOSURE_TENTHS=20

die() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }

cmd=${1:-}
[ -n "$cmd" ] && shift
root= build= sbindir= unitdir= sysusersdir= catalogdir=
while [ $# -gt 0 ]; do
	case $1 in
	--root) root=$2 ;;
	--build) build=$2 ;;
	--sbindir) sbindir=$2 ;;
	--unitdir) unitdir=$2 ;;
	--sysusersdir) sysusersdir=$2 ;;
	--catalogdir) catalogdir=$2 ;;
	*) die "unknown argument '$1'" ;;
	esac
	[ $# -ge 2 ] || die "$1 needs a value"
	shift 2
done
[ -n "$root" ] || die "--root is required"

need_tool() {
	command -v "$1" >/dev/null || die "$1 not found (Debian package: $2)"
}

tmp=$(mktemp -d) || die "mktemp"
trap 'rm -rf "$tmp"' EXIT

# --- the unit --------------------------------------------------------------

installed_unit() {
	local unit=$root$unitdir/penctld.service
	[ -f "$unit" ] || die "unit not installed: $unit missing"
	echo "$unit"
}

# A copy of the installed unit whose ExecStart= names the binary inside the
# DESTDIR, so that "verify" can check it is executable.  The unit's own
# ExecStart= must be exactly the configured sbindir's penctld.
unit_for_checks() {
	local unit binary
	unit=$(installed_unit) || exit 1
	binary=$root$sbindir/penctld
	grep -qx "ExecStart=$sbindir/penctld" "$unit" ||
		die "$unit: ExecStart= is not $sbindir/penctld: $(grep '^ExecStart=' "$unit")"
	[ -x "$binary" ] || die "penctld not installed: $binary missing (is the penctld target built?)"
	mkdir -p "$tmp/unit"
	sed "s|^ExecStart=.*|ExecStart=$binary|" "$unit" >"$tmp/unit/penctld.service"
	echo "$tmp/unit/penctld.service"
}

# Warnings about our own unit (unknown keys, bad values, missing binaries)
# make --recursive-errors=no exit non-zero; without it verify exits 0.
verify_unit() {
	systemd-analyze verify --man=no --recursive-errors=no "$1"
}

check_verify() {
	need_tool systemd-analyze systemd
	local unit broken
	unit=$(unit_for_checks) || exit 1
	note "systemd-analyze verify --man=no --recursive-errors=no $unit"
	verify_unit "$unit" || die "systemd-analyze verify rejects the unit"

	broken=$tmp/broken/penctld.service
	mkdir -p "${broken%/*}"
	sed 's|^\[Service\]$|[Service]\nWatchdogSec=ten seconds|' "$unit" >"$broken"
	note "self-check: a unit with a bad WatchdogSec= must fail"
	if verify_unit "$broken" 2>/dev/null; then
		die "self-check: verify accepted a broken unit; this check cannot fail"
	fi
	echo "PASS: unit verifies"
}

# Prints the overall exposure in tenths (0.7 -> 7); fails above the maximum.
exposure_tenths() {
	local out level
	out=$(systemd-analyze security --offline=true --threshold=$MAX_EXPOSURE_TENTHS "$1" 2>&1)
	local rc=$?
	level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9]*\)\.\([0-9]\).*/\1\2/p')
	[ -n "$level" ] || { printf '%s\n' "$out" >&2; return 2; }
	echo "$((10#$level))"
	[ $rc -eq 0 ] && [ "$((10#$level))" -le $MAX_EXPOSURE_TENTHS ]
}

check_security() {
	need_tool systemd-analyze systemd
	local unit tenths weak
	# The analysis reads only the unit file: the installed one, as is.
	unit=$(installed_unit) || exit 1
	note "systemd-analyze security --offline=true --threshold=$MAX_EXPOSURE_TENTHS $unit"
	systemd-analyze security --offline=true "$unit" | grep -v '^✓'
	tenths=$(exposure_tenths "$unit")
	local rc=$?
	[ -n "$tenths" ] || die "could not read the exposure level"
	echo "exposure: $((tenths / 10)).$((tenths % 10)) (maximum $((MAX_EXPOSURE_TENTHS / 10)).$((MAX_EXPOSURE_TENTHS % 10)))"
	[ $rc -eq 0 ] || die "exposure above the maximum"

	# The same unit without its sandbox must score above the maximum.
	weak=$tmp/weak/penctld.service
	mkdir -p "${weak%/*}"
	grep -E '^(\[|Description=|Type=|ExecStart=|User=|Group=)' "$unit" >"$weak"
	note "self-check: the unit without its hardening must fail"
	tenths=$(exposure_tenths "$weak") &&
		die "self-check: unhardened unit passed with $tenths tenths; this check cannot fail"
	[ -n "$tenths" ] || die "self-check: could not read the exposure level"
	echo "PASS: exposure within the maximum"
}

# --- sysusers.d --------------------------------------------------------------

check_sysusers() {
	need_tool systemd-sysusers systemd
	local conf=$root$sysusersdir/penctld.conf sys=$tmp/sys
	[ -f "$conf" ] || die "sysusers.d entry not installed: $conf missing"
	mkdir -p "$sys/etc"
	note "systemd-sysusers --root=$sys $conf"
	systemd-sysusers --root="$sys" "$conf" || die "systemd-sysusers rejects $conf"
	grep -q '^penctld:x:[0-9]*:[0-9]*:' "$sys/etc/passwd" || die "no user penctld created"
	grep -q '^penctld:x:' "$sys/etc/group" || die "no group penctld created"
	grep -q '^penctl:x:' "$sys/etc/group" || die "no group penctl created"
	local group
	for group in gpio bluetooth; do
		grep -Eq "^$group:x:[0-9]+:(.*,)?penctld(,|$)" "$sys/etc/group" ||
			die "penctld is not a member of $group: $(grep "^$group:" "$sys/etc/group")"
	done
	# Every group the shipped configuration binds a role or the supervisors
	# to exists after install: a role nobody can join is a role nobody has.
	local shipped=$root/usr/share/penctld/penctld.conf
	[ -f "$shipped" ] || die "shipped defaults not installed: $shipped missing"
	for group in $(sed -nE 's/^(Group|SupervisorGroup)=([^[:space:]]+).*/\2/p' "$shipped"); do
		grep -q "^$group:x:" "$sys/etc/group" ||
			die "the shipped config names group $group, which sysusers does not create"
	done
	# ...and every group the installed bus policy admits (penctl, the
	# read-only penctl-view): a policy for a missing group admits no one.
	local policy=$root/usr/share/dbus-1/system.d/io.penctld.Penctl1.conf
	[ -f "$policy" ] || die "bus policy not installed: $policy missing"
	local policy_groups
	policy_groups=$(sed -nE 's/.*<policy group="([^"]+)".*/\1/p' "$policy")
	grep -qx penctl-view <<<"$policy_groups" || die "the bus policy has no penctl-view group"
	for group in $policy_groups; do
		grep -q "^$group:x:" "$sys/etc/group" ||
			die "the bus policy admits group $group, which sysusers does not create"
	done
	echo "PASS: sysusers creates penctld, penctl, penctl-view, gpio, bluetooth and the role groups"
}

# --- the journal catalog ----------------------------------------------------

# The message ids the file means to define: every header-like line must be a
# well-formed "-- <32 lowercase hex>" header (journalctl silently reads a
# malformed one as text of the entry before it) and no id may repeat.
catalog_ids() {
	local file=$1 bad dup
	bad=$(grep -nE '^-+[[:space:]]*[[:xdigit:]]{8}' "$file" |
		grep -vE '^[0-9]+:-- [0-9a-f]{32}( [A-Za-z_@.]+)?$')
	[ -z "$bad" ] || { echo "malformed header line(s):" "$bad" >&2; return 1; }
	grep -E '^-- [0-9a-f]{32}' "$file" | cut -c4-35 >"$tmp/ids"
	[ -s "$tmp/ids" ] || { echo "no entries" >&2; return 1; }
	dup=$(sort "$tmp/ids" | uniq -d)
	[ -z "$dup" ] || { echo "duplicate id(s): $dup" >&2; return 1; }
	cat "$tmp/ids"
}

# Import FILE the way "journalctl --update-catalog" does on a real system,
# into a fresh root, and check that every entry came out with a subject.
catalog_parses() {
	local file=$1 croot ids list id line
	croot=$(mktemp -d -p "$tmp") || return 1
	mkdir -p "$croot/usr/lib/systemd/catalog"
	cp "$file" "$croot/usr/lib/systemd/catalog/penctld.catalog"
	ids=$(catalog_ids "$file") || return 1
	journalctl --root="$croot" --update-catalog 2>"$croot/err" || {
		cat "$croot/err" >&2
		return 1
	}
	[ ! -s "$croot/err" ] || { cat "$croot/err" >&2; return 1; }
	list=$(journalctl --root="$croot" --list-catalog) || return 1
	for id in $ids; do
		line=$(printf '%s\n' "$list" | grep "^$id ")
		[ -n "$line" ] || { echo "$id: not in the imported catalog" >&2; return 1; }
		case $line in
		*": n/a") echo "$id: no Subject:" >&2; return 1 ;;
		"$id n/a:"*) echo "$id: no Defined-By:" >&2; return 1 ;;
		esac
	done
	echo "$(echo "$ids" | wc -l) entries"
}

check_catalog() {
	need_tool journalctl systemd
	local file=$root$catalogdir/penctld.catalog broken
	[ -f "$file" ] || die "catalog missing: $file not installed (systemd/penctld.catalog absent?)"
	note "journalctl --root=TMP --update-catalog / --list-catalog on $file"
	catalog_parses "$file" || die "catalog does not parse"

	broken=$tmp/broken-payload.catalog
	{ echo "text before the first entry"; cat "$file"; } >"$broken"
	note "self-check: text before the first id must fail"
	catalog_parses "$broken" 2>/dev/null &&
		die "self-check: a catalog with text before its first id passed"
	broken=$tmp/broken-header.catalog
	sed '0,/^-- [0-9a-f]\{32\}/s/^\(-- [0-9a-f]\{31\}\)[0-9a-f]/\1/' "$file" >"$broken"
	note "self-check: a truncated id must fail"
	catalog_parses "$broken" 2>/dev/null &&
		die "self-check: a catalog with a truncated id passed"
	echo "PASS: catalog parses"
}

# --- install -----------------------------------------------------------------

check_install() {
	[ -n "$build" ] || die "--build is required"
	rm -rf "$root"
	note "DESTDIR=$root cmake --install $build"
	DESTDIR=$root cmake --install "$build" >"$tmp/install.log" 2>&1 || {
		cat "$tmp/install.log" >&2
		die "cmake --install failed"
	}
	echo "PASS: installed into $root"
}

# --- the bus policy -----------------------------------------------------------

# What group GROUP of the policy POLICY may send to io.penctld.Penctl1:
# "allow|deny interface member" lines ("*" when the rule leaves it open),
# "own NAME" for every own=, "allow|deny receive" for receive_sender=.
policy_rules() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import xml.etree.ElementTree as ET
for policy in ET.parse(sys.argv[1]).getroot().iter('policy'):
    if policy.get('group') != sys.argv[2]:
        continue
    for rule in policy:
        if rule.get('own'):
            print('own', rule.get('own'))
        if rule.get('receive_sender') == 'io.penctld.Penctl1':
            print(rule.tag, 'receive')
        if rule.get('send_destination') == 'io.penctld.Penctl1':
            print(rule.tag, rule.get('send_interface', '*'), rule.get('send_member', '*'))
PY
}

# The rights group penctl-view may have: read properties, introspect
# (receiving signals needs no send rule).  Anything else, or a rule without
# an interface or member, is a method call it must not have.
view_rules_read_only() {
	local rules
	rules=$(policy_rules "$1" penctl-view) || die "cannot parse $1"
	[ -n "$rules" ] || { echo "no rules for group penctl-view"; return 1; }
	grep -vxE 'allow receive|allow org\.freedesktop\.DBus\.Properties (Get|GetAll)|allow org\.freedesktop\.DBus\.Introspectable Introspect' <<<"$rules" &&
		return 1
	grep -q 'GetAll' <<<"$rules" || { echo "penctl-view may not GetAll"; return 1; }
	grep -qx 'allow receive' <<<"$rules" || { echo "penctl-view receives no signals"; return 1; }
	return 0
}

check_policy() {
	local policy=$root/usr/share/dbus-1/system.d/io.penctld.Penctl1.conf
	[ -f "$policy" ] || die "bus policy not installed: $policy missing"
	view_rules_read_only "$policy" || die "group penctl-view must read, introspect and receive, and nothing more: see above"
	# Self-check: the same policy with penctl-view allowed a method fails.
	sed 's|<policy group="penctl-view">|&<allow send_destination="io.penctld.Penctl1" send_interface="io.penctld.Penctl1" send_member="SetDepth"/>|' \
		"$policy" >"$tmp/widened.conf"
	view_rules_read_only "$tmp/widened.conf" >/dev/null &&
		die "self-check: a penctl-view allowed SetDepth passed; this check cannot fail"
	echo "PASS: group penctl-view may read properties, introspect and receive signals only"
}

case $cmd in
install) check_install ;;
verify) check_verify ;;
security) check_security ;;
sysusers) check_sysusers ;;
catalog) check_catalog ;;
policy) check_policy ;;
*) die "usage: $0 install|verify|security|sysusers|catalog|policy --root DIR ..." ;;
esac
