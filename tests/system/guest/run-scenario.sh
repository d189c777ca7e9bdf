#!/bin/bash
# The guest-side test driver, run by penctl-test.service inside the VM.
#
# Environment (/results/test.env, written by run-vm.sh):
#   PENCTL_SRCDIR, PENCTL_GUESTDIR   the source tree, as seen in the guest
#   PENCTL_BUILD                     the host build directory (pensim lives there)
#   PENCTL_STAGE                     DESTDIR of `cmake --install`, or empty
#   PENCTL_DEBS                      the .deb files to install, or empty
#   PENCTL_GPIOSIM_KO                gpio-sim.ko for this kernel
#   PENCTL_BLUETOOTH_KO              bluetooth.ko for this kernel, with
#                                    kernel/l2cap-hchan-lifetime.patch
#   PENCTL_SCENARIOS                 scenario names (scenarios/NAME.sh), in order
#   PENCTL_SCENARIO_TIMEOUT          seconds per scenario
#   PENCTL_VM_DEADLINE_S             guest uptime at which the host kills the
#                                    VM, less what collecting the logs takes
#
# Prepares the machine once (Bluetooth with two virtual controllers, the
# gpio-sim pedal, penctld from the packages or the stage), then runs each
# scenario and writes
#   /results/summary              PASS|FAIL|SKIP NAME [detail], one per scenario
#   /results/NAME/{log,figures}   its output and measured figures
#   /results/journal.json, journal.txt, btmon.snoop, console output
set -u
RESULTS=/results
export RESULTS
: >"$RESULTS/summary"
mkdir -p /run/penctl-test
ENV_OUT=/run/penctl-test/env
. "$PENCTL_GUESTDIR/lib.sh"

log "test driver started, $(uptime_s) s after kernel start"
printf 'boot-to-driver=%s s\n' "$(uptime_s)" >"$RESULTS/boot-figures"

prepare_failed() {
	log "PREPARE FAILED: $*"
	for s in $PENCTL_SCENARIOS; do
		echo "FAIL $s: test bed preparation failed: $*" >>"$RESULTS/summary"
	done
	collect
	exit 1
}

collect() {
	log "collecting logs"
	systemctl stop btmon.service 2>/dev/null
	journalctl --no-pager -o json >"$RESULTS/journal.json" 2>/dev/null
	log "journal.json written"
	journalctl --no-pager -o short-monotonic >"$RESULTS/journal.txt" 2>/dev/null
	log "journal.txt written"
	systemctl --no-pager --failed >"$RESULTS/systemctl-failed.txt" 2>&1
	systemd-analyze time >"$RESULTS/boot-analysis.txt" 2>&1
	log "logs collected"
	sync
}

# The kernel logs "hciN: Opcode 0x0c03 failed: -110" when a controller did
# not answer its initialisation in time.
hci_command_timeouts() { dmesg | grep -c 'Bluetooth: hci[0-9]*: Opcode .* failed: -110'; }
controllers_registered_or_timed_out() {
	both_controllers_registered || [ "$(hci_command_timeouts)" -gt "$hci_timeouts_before" ]
}

# Debian's bluetooth.ko rebuilt with the test bed's fix (setup-host.sh),
# loaded before anything asks for Debian's own; its dependencies are Debian's.
load_patched_bluetooth() {
	[ -e /sys/module/bluetooth ] && prepare_failed "bluetooth was loaded before the patched module"
	local deps
	deps=$(modinfo -F depends "$PENCTL_BLUETOOTH_KO" | tr ',' ' ')
	[ -z "$deps" ] || modprobe -a $deps || prepare_failed "modprobe $deps"
	insmod "$PENCTL_BLUETOOTH_KO" || prepare_failed "insmod $PENCTL_BLUETOOTH_KO"
	[ "$(cat /sys/module/bluetooth/srcversion)" = "$(modinfo -F srcversion "$PENCTL_BLUETOOTH_KO")" ] ||
		prepare_failed "the bluetooth module loaded is not $PENCTL_BLUETOOTH_KO"
}

setup_bluetooth() {
	load_patched_bluetooth
	modprobe hci_vhci || prepare_failed "modprobe hci_vhci"
	# LE-only (-L): dual-mode btvirt once crashed the guest kernel.
	# Let udev's coldplug finish first: the emulated CPU is scarce.
	udevadm settle -t 30
	# btvirt must answer the kernel's first HCI commands within 2 s; on a
	# slow emulated CPU the first controller's reset sometimes times out and
	# it never registers with mgmt.  Then start btvirt again.
	# (btvirt creates the second controller before it answers the first
	# one's HCI Reset; the first run, with cold caches, is the slow one.)
	local try
	for try in 1 2 3; do
		hci_timeouts_before=$(hci_command_timeouts)
		systemd-run --quiet --collect --unit=btvirt -p Nice=-15 /usr/bin/btvirt -L -l2 ||
			prepare_failed "btvirt"
		wait_until 20 controllers_registered_or_timed_out
		both_controllers_registered && break
		log "btvirt: controllers did not register (attempt $try): $(btmgmt_cmd info | grep '^hci' | tr '\n' ' ')"
		systemctl stop btvirt.service
		wait_until 10 test ! -e /sys/class/bluetooth/hci0
	done
	both_controllers_registered || prepare_failed "btvirt made no working hci0 and hci1"
	systemd-run --quiet --unit=btmon -p StandardOutput=null /usr/bin/btmon -w "$RESULTS/btmon.snoop" ||
		prepare_failed "btmon"
	systemctl start bluetooth.service || prepare_failed "bluetooth.service did not start"
	wait_until 20 busctl get-property org.bluez /org/bluez/hci1 org.bluez.Adapter1 Address ||
		prepare_failed "bluetoothd shows no hci1"
	# AutoEnable powers the controllers; wait for it before anyone scans.
	local a
	for a in hci0 hci1; do
		wait_until 20 adapter_powered "$a" || prepare_failed "$a is not powered"
	done
	PENCTLD_ADAPTER=hci0
	PENSIM_ADAPTER=hci1
	PEN_ADDRESS=$(adapter_address hci1)
	log "controllers: hci0 $(adapter_address hci0) for penctld, hci1 $PEN_ADDRESS for the pen"
}

setup_gpio_sim() {
	modprobe configfs || prepare_failed "modprobe configfs"
	mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config ||
		prepare_failed "mount configfs"
	insmod "$PENCTL_GPIOSIM_KO" || prepare_failed "insmod $PENCTL_GPIOSIM_KO"
	local d=/sys/kernel/config/gpio-sim/pedal
	mkdir "$d" "$d/bank0" "$d/bank0/line0" || prepare_failed "gpio-sim configfs"
	echo 1 >"$d/bank0/num_lines"
	echo penctl-pedal >"$d/bank0/label"
	echo "PEDAL" >"$d/bank0/line0/name"
	echo 1 >"$d/live" || prepare_failed "gpio-sim did not go live"
	PEDAL_CHIP=$(cat "$d/bank0/chip_name")
	PEDAL_CHIP_LABEL=penctl-pedal
	PEDAL_LINE_NAME=PEDAL
	local line_dir="/sys/devices/platform/$(cat "$d/dev_name")/$PEDAL_CHIP/sim_gpio0"
	PEDAL_PULL=$line_dir/pull
	PEDAL_VALUE=$line_dir/value
	[ -w "$PEDAL_PULL" ] || prepare_failed "no $PEDAL_PULL"
	# Released: the pull-up holds the active-low line high.
	echo pull-up >"$PEDAL_PULL"
	log "pedal: $PEDAL_CHIP (label $PEDAL_CHIP_LABEL) line 0 \"$PEDAL_LINE_NAME\", $PEDAL_PULL"
}

# penctld from the stage (run-vm.sh --build): its real unit, sysusers,
# D-Bus policy, udev rule and catalog, copied into the overlay root, and
# what the packages' maintainer scripts would do, done by hand.
install_stage() {
	cp -a "$PENCTL_STAGE/." / || prepare_failed "copying the stage"
	systemd-sysusers || prepare_failed "systemd-sysusers"
	systemd-tmpfiles --create >/dev/null 2>&1
	journalctl --update-catalog || log "journalctl --update-catalog failed"
	udevadm control --reload
	udevadm trigger --subsystem-match=gpio --action=add
	udevadm settle -t 10
	busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig ||
		log "dbus ReloadConfig failed"
	systemctl daemon-reload
	getent group penctl >/dev/null || groupadd --system penctl
}

# penctld from the packages (run-vm.sh --debs), as a clinic installs them:
# dpkg -i of the two .deb files; their maintainer scripts make the
# users and groups, load the udev rule, enable and start the service.
# dpkg's database is the host's, seen through the overlay: what dpkg
# writes stays in the guest.
install_debs() {
	local arch debs p
	arch=$(dpkg --print-architecture)
	debs=$(ls "$PENCTL_DEBS"/penctld_*_"$arch".deb "$PENCTL_DEBS"/penctld-sim_*_"$arch".deb) ||
		prepare_failed "no penctld and penctld-sim packages in $PENCTL_DEBS"
	# The host's own state must not decide what this test installs over.
	for p in penctld penctld-sim; do
		if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.[^n]'; then
			log "WARNING: the host's dpkg database has $p ($(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' "$p")); purging it in the guest"
			dpkg --purge "$p" >"$RESULTS/dpkg-purge-host-$p.log" 2>&1 ||
				prepare_failed "purging the host's $p in the guest: $(tail -n 3 "$RESULTS/dpkg-purge-host-$p.log")"
		fi
	done
	# dpkg's journal of an operation the host had under way when the
	# guest booted (dpkg --audit would say more, but reads the whole
	# database over 9p: seconds under TCG).
	[ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ] &&
		log "WARNING: the host's dpkg was in the middle of an operation at boot (/var/lib/dpkg/updates is not empty)"
	# Two files of the host (a container image) that a Raspberry Pi does
	# not have, removed from the guest's overlay only: Docker's policy-rc.d
	# (exit 101) forbids maintainer scripts to start services, and man-db's
	# auto-update flag makes dpkg re-index every manual page over 9p, which
	# under TCG took minutes (a run timed out in that trigger).
	rm -f /usr/sbin/policy-rc.d /var/lib/man-db/auto-update
	# The test bed's devices before the service first starts: it would
	# otherwise start on the Raspberry Pi's default pedal chip, absent here.
	penctld_write_config
	local t0=$(date +%s%N)
	# dpkg -i rather than apt-get install: the same maintainer scripts, one
	# read of dpkg's database instead of one per dpkg run apt makes, and no
	# parsing of the host's package lists (together about a minute under
	# TCG).  Scenario 13-upgrade-purge upgrades and purges with apt-get.
	# shellcheck disable=SC2086
	dpkg -i $debs >"$RESULTS/dpkg-install.log" 2>&1 ||
		prepare_failed "dpkg -i $debs: $(tail -n 5 "$RESULTS/dpkg-install.log" | tr '\n' ' ')"
	printf 'package-install=%s ms\n' $(( ($(date +%s%N) - t0) / 1000000 )) >>"$RESULTS/boot-figures"
	log "installed: $(dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' penctld penctld-sim | tr '\n' ' ')"
	# What install promises (debian/penctld.postinst, dh_installsystemd).
	systemctl is-enabled --quiet penctld.service ||
		prepare_failed "the package did not enable penctld.service"
	wait_until 30 systemctl is-active --quiet penctld.service ||
		prepare_failed "the package did not start penctld.service: $(systemctl --no-pager status penctld.service 2>&1 | tail -n 5 | tr '\n' ' ')"
	# A start that failed first and was restarted by systemd (Restart=)
	# would look the same from here: 13-upgrade-purge asserts on it.
	PENCTLD_INSTALL_NRESTARTS=$(systemctl show -p NRestarts --value penctld.service)
	# Scenarios start penctld with their own configuration, as they did
	# with the stage: stopped and with no failure record.
	systemctl stop penctld.service
	systemctl reset-failed penctld.service 2>/dev/null
}

install_penctld() {
	PENCTLD_INSTALLED=
	PENCTLD_MISSING=
	PENSIM=
	if [ -n "${PENCTL_DEBS:-}" ]; then
		install_debs
	elif [ -n "$PENCTL_STAGE" ] && [ -d "$PENCTL_STAGE" ]; then
		install_stage
	else
		PENCTLD_MISSING="no packages and no install stage"
		return
	fi
	# The operator is a clinic's practitioner: the scenarios take every role,
	# so the operator holds the role groups sysusers made (as README.md says
	# a clinic does); the outsider holds none.
	useradd --no-create-home \
		--groups penctl,penctl-aesthetician,penctl-physiotherapist,penctl-dermatologist \
		"$OPERATOR" || prepare_failed "useradd $OPERATOR"
	useradd --no-create-home "$OUTSIDER" || prepare_failed "useradd $OUTSIDER"
	PENSIM=$(command -v penctl-pensim)
	local missing=
	command -v penctld >/dev/null || [ -x /usr/sbin/penctld ] || missing="$missing penctld"
	command -v penctl >/dev/null || missing="$missing penctl"
	systemctl cat penctld.service >/dev/null 2>&1 || missing="$missing penctld.service"
	[ -n "$PENSIM" ] || missing="$missing penctl-pensim"
	# Not fatal here (the built-in defaults are the same): 09-config asserts it.
	[ -f /etc/penctld/penctld.conf ] ||
		log "WARNING: no /etc/penctld/penctld.conf was installed"
	if [ -n "$missing" ]; then
		PENCTLD_MISSING="missing:$missing"
	else
		PENCTLD_INSTALLED=1
	fi
	log "penctld install: ${PENCTLD_INSTALLED:+complete}${PENCTLD_MISSING}"
}

PEN_RECORD=$RESULTS/pen.jsonl
write_env() {
	{
		for v in PEN_RECORD PENCTLD_ADAPTER PENSIM_ADAPTER PEN_ADDRESS PEDAL_CHIP PEDAL_CHIP_LABEL \
			PEDAL_LINE_NAME PEDAL_PULL PEDAL_VALUE PENCTLD_INSTALLED PENCTLD_MISSING PENSIM \
			PENCTLD_INSTALL_NRESTARTS; do
			printf '%s=%q\n' "$v" "${!v-}"
		done
	} >"$ENV_OUT"
}

setup_bluetooth
setup_gpio_sim
install_penctld
write_env
log "test bed ready, $(uptime_s) s after kernel start"
printf 'boot-to-ready=%s s\n' "$(uptime_s)" >>"$RESULTS/boot-figures"

# The host kills the VM at its hard limit; a scenario that would run past
# it is stopped in time for the logs to come back.
scenario_limit() {
	local left=$(( ${PENCTL_VM_DEADLINE_S:-100000} - ${1%.*} ))
	local limit=${PENCTL_SCENARIO_TIMEOUT:-150}
	[ "$left" -lt "$limit" ] && limit=$left
	echo "$limit"
}

overall=0
for s in $PENCTL_SCENARIOS; do
	script="$PENCTL_SRCDIR/tests/system/scenarios/$s.sh"
	dir="$RESULTS/$s"
	mkdir -p "$dir"
	: >"$dir/figures"
	if [ ! -f "$script" ]; then
		echo "FAIL $s: no scenario $script" >>"$RESULTS/summary"
		overall=1
		continue
	fi
	limit=$(scenario_limit "$(uptime_s)")
	if [ "$limit" -lt 10 ]; then
		echo "FAIL $s: not run: the VM's hard limit leaves no time (boot took $(sed -n 's/^boot-to-ready=//p' "$RESULTS/boot-figures"))" >>"$RESULTS/summary"
		overall=1
		continue
	fi
	log "=== scenario $s (limit ${limit} s)"
	start=$(date +%s%N)
	# This scenario's view of the shared pen record and journal.
	PEN_RECORD_OFFSET=$(cat "$PEN_RECORD" 2>/dev/null | wc -l)
	SCENARIO_START_US=$(mono_us)
	SCENARIO=$s SCENARIO_DIR=$dir PEN_RECORD_OFFSET=$PEN_RECORD_OFFSET \
		SCENARIO_START_US=$SCENARIO_START_US timeout -k 5 "$limit" bash "$script" 2>&1 | tee "$dir/log"
	rc=${PIPESTATUS[0]}
	secs=$(( ($(date +%s%N) - start) / 1000000 ))
	figures=$(tr '\n' ' ' <"$dir/figures" 2>/dev/null)
	# Failures recorded without stopping the scenario (fail_later).
	if [ "$rc" -eq 0 ] && [ -s "$dir/deferred-failures" ]; then
		rc=1
	fi
	case $rc in
	0) echo "PASS $s (${secs} ms) $figures" >>"$RESULTS/summary" ;;
	77) echo "SKIP $s: $(sed -n 's/^SKIP: //p' "$dir/log" | tail -n 1)" >>"$RESULTS/summary" ;;
	124|137) echo "FAIL $s: timed out after $limit s" >>"$RESULTS/summary"; overall=1 ;;
	*) echo "FAIL $s: $(sed -n 's/^FAIL: //p' "$dir/log" | tr '\n' ';' | sed 's/;$//; s/;/; /g')" >>"$RESULTS/summary"; overall=1 ;;
	esac
	# The next scenario starts with the pedal up and no session; penctld and
	# the paired pen stay (treatment_ready reuses them).
	echo pull-up >"$PEDAL_PULL"
	if systemctl is-active --quiet penctld.service; then
		timeout 30 penctl session stop >/dev/null 2>&1
	fi
	systemctl reset-failed penctld.service 2>/dev/null
	log "=== scenario $s: rc $rc"
done

collect
log "test driver done"
exit $overall
