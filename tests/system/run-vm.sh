#!/bin/bash
# run-vm.sh [options] SCENARIO...
#
# Boots the whole-system test VM once and runs SCENARIOs (names of
# tests/system/scenarios/*.sh without .sh, e.g. 00-smoke) inside it, in order.
#
#   --cache DIR      what setup-host.sh prepared (default: $PENCTL_SYSTEM_CACHE,
#                    else <source>/_system-cache)
#   --debs DIR       the Debian packages to test (build-debs.sh makes them):
#                    the guest installs DIR/penctld_*.deb and
#                    penctld-sim_*.deb with dpkg -i, as a clinic may, and the
#                    packages' maintainer scripts make the users, load the
#                    udev rule, enable and start the service.  What ctest,
#                    `make demo` and power-cut.sh use.
#   --build DIR      a CMake build (a quicker loop by hand, without a package
#                    build; ignored for the install with --debs): installed
#                    with `cmake --install --prefix /usr` into a staging
#                    DESTDIR that the guest copies into its root.
#                    A build configured for another prefix than /usr has
#                    paths compiled in (ExecStart=, the config file) that a
#                    --prefix override does not change: then a private build
#                    with -DCMAKE_INSTALL_PREFIX=/usr is made beside it.
#   --results DIR    results of this run (default: <build or cache>/system-results/<first scenario>)
#   --timeout SEC    hard limit of the whole VM run (default 300)
#   --scenario-timeout SEC  limit per scenario inside the guest (default 240)
#   --verbose        show the guest console while it runs
#   --disk IMG       a persistent ext4 disk image: the guest keeps
#                    /var/lib/penctld, /var/lib/bluetooth and the journal
#                    (Storage=persistent) on it (guest/initramfs-init)
#   --power-cut-on NAME  kill QEMU (SIGKILL: a power cut, no shutdown) as
#                    soon as the guest writes RESULTS/NAME; the scenario
#                    running then passes if it asked for it that way
#   --env NAME=VALUE one more variable for the guest's test.env
#
# Prints a PASS/FAIL/SKIP line per scenario.  Exit 0 when all passed, 77 when
# none failed but some were skipped, 1 otherwise; on failure also the tail of
# the guest journal and where the btmon trace is.
set -u
SYSDIR=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$SYSDIR/../.." && pwd)
CACHE=${PENCTL_SYSTEM_CACHE:-$SRCDIR/_system-cache}
BUILD=
DEBS=
RESULTS=
TIMEOUT=300
# What the guest keeps of the hard limit for collecting its logs and
# powering off (journal.json over 9p is slow under TCG).
COLLECT_S=45
SCENARIO_TIMEOUT=240
VERBOSE=
DISK=
POWER_CUT_ON=
EXTRA_ENV=

die() { echo "run-vm: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--cache) CACHE=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--debs) DEBS=$2; shift 2 ;;
	--results) RESULTS=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--scenario-timeout) SCENARIO_TIMEOUT=$2; shift 2 ;;
	--verbose) VERBOSE=1; shift ;;
	--disk) DISK=$2; shift 2 ;;
	--power-cut-on) POWER_CUT_ON=$2; shift 2 ;;
	--env) EXTRA_ENV="$EXTRA_ENV$2
"; shift 2 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || die "usage: $0 [--cache DIR] [--debs DIR | --build DIR] [--results DIR] SCENARIO..."
SCENARIOS="$*"

CACHE=$(cd "$CACHE" 2>/dev/null && pwd) || die "no cache $CACHE: run tests/system/setup-host.sh first"
[ -r "$CACHE/kernel-version" ] || die "$CACHE is incomplete: run tests/system/setup-host.sh $CACHE"
KV=$(cat "$CACHE/kernel-version")
KERNEL=/boot/vmlinuz-$KV
INITRD=$CACHE/initramfs-$KV.cpio.gz
GPIOSIM_KO=$CACHE/gpio-sim/$KV/gpio-sim.ko
HERE=$SYSDIR
. "$SYSDIR/kernel/modules.sh"
BLUETOOTH_KO=$(patched_bluetooth_ko "$CACHE" "$KV")
for f in "$KERNEL" "$INITRD" "$GPIOSIM_KO" "$BLUETOOTH_KO"; do
	[ -r "$f" ] || die "missing $f: run tests/system/setup-host.sh $CACHE"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run setup-host.sh"

for s in $SCENARIOS; do
	[ -f "$SYSDIR/scenarios/$s.sh" ] || die "no scenario $SYSDIR/scenarios/$s.sh"
done

# The guest sees the host's / : an absolute path names the same files there.
if [ -n "$DEBS" ]; then
	DEBS=$(cd "$DEBS" 2>/dev/null && pwd) || die "no package directory $DEBS"
	arch=$(dpkg --print-architecture)
	for p in penctld penctld-sim; do
		ls "$DEBS/${p}_"*"_$arch.deb" >/dev/null 2>&1 ||
			die "no ${p}_*_$arch.deb in $DEBS (tests/system/build-debs.sh makes them)"
	done
fi

first=${SCENARIOS%% *}
if [ -n "$DEBS" ] && [ -z "$BUILD" ]; then
	RESULTS=${RESULTS:-$DEBS/../system-results/$first}
elif [ -n "$BUILD" ]; then
	BUILD=$(cd "$BUILD" && pwd) || die "no build directory $BUILD"
	RESULTS=${RESULTS:-$BUILD/system-results/$first}
else
	RESULTS=${RESULTS:-$CACHE/../system-results/$first}
fi
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)

# The build whose files go into the guest: a system install needs paths
# compiled for /usr (/etc/penctld, /usr/sbin/penctld in the unit).
install_build_for_usr() {
	local prefix
	prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
	if [ "$prefix" = /usr ]; then
		echo "$BUILD"
		return
	fi
	local usr_build=$BUILD/system-usr-build
	echo "run-vm: $BUILD is configured for prefix '${prefix:-?}'; building for /usr in $usr_build" >&2
	cmake -S "$SRCDIR" -B "$usr_build" -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$RESULTS/usr-build.log" 2>&1 &&
		cmake --build "$usr_build" -j"$(nproc)" >>"$RESULTS/usr-build.log" 2>&1 || {
		tail -n 30 "$RESULTS/usr-build.log" >&2
		return 1
	}
	echo "$usr_build"
}

STAGE=
if [ -n "$BUILD" ] && [ -z "$DEBS" ]; then
	# The same files a package would carry: cmake --install with the real
	# prefix into a DESTDIR; the guest copies them into its overlay root.
	INSTALL_FROM=$(install_build_for_usr) || die "building $SRCDIR for /usr failed"
	STAGE=$RESULTS/stage
	if ! DESTDIR=$STAGE cmake --install "$INSTALL_FROM" --prefix /usr >"$RESULTS/install.log" 2>&1; then
		cat "$RESULTS/install.log"
		die "cmake --install $INSTALL_FROM failed"
	fi
fi

cat >"$RESULTS/test.env" <<ENV
PENCTL_SRCDIR=$SRCDIR
PENCTL_GUESTDIR=$SYSDIR/guest
PENCTL_BUILD=$BUILD
PENCTL_STAGE=$STAGE
PENCTL_DEBS=$DEBS
PENCTL_GPIOSIM_KO=$GPIOSIM_KO
PENCTL_BLUETOOTH_KO=$BLUETOOTH_KO
PENCTL_SCENARIOS="$SCENARIOS"
PENCTL_SCENARIO_TIMEOUT=$SCENARIO_TIMEOUT
PENCTL_VM_DEADLINE_S=$((TIMEOUT - COLLECT_S))
ENV
printf '%s' "$EXTRA_ENV" >>"$RESULTS/test.env"

CMDLINE="console=ttyS0 panic=-1 quiet loglevel=4 systemd.show_status=false"
CMDLINE="$CMDLINE systemd.unit=penctl-test.target penctl.guestdir=$SYSDIR/guest"
# Modules udev would load for the emulated CPU and board, useless here and
# slow to load under TCG.
CMDLINE="$CMDLINE module_blacklist=kvm,kvm_amd,kvm_intel,powernow_k8,pcspkr,floppy"

if [ -n "$DISK" ]; then
	[ -w "$DISK" ] || die "cannot write the disk image $DISK"
	CMDLINE="$CMDLINE penctl.persist=1"
fi

# TCG: KVM cannot run a stock guest on these hosts (see ../shared/VM-TESTBED.md).
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2048
	-nographic -no-reboot -nodefaults -nic none -serial stdio -monitor none
	-kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE"
	-fsdev "local,id=fsroot,path=/,readonly=on,security_model=none,multidevs=remap"
	-device "virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot"
	-fsdev "local,id=fsresults,path=$RESULTS,security_model=none,multidevs=remap"
	-device "virtio-9p-pci,fsdev=fsresults,mount_tag=results"
	-pidfile "$RESULTS/qemu.pid")
# The host survives a guest's power cut, so what QEMU already handed to the
# image file stays; what the guest kept in its own page cache is lost.
[ -n "$DISK" ] && qemu+=(-drive "file=$DISK,format=raw,if=virtio,cache=writeback")

# --power-cut-on: a watcher kills QEMU when the guest asks for it.
watcher=
if [ -n "$POWER_CUT_ON" ]; then
	rm -f "$RESULTS/$POWER_CUT_ON"
	(
		while [ ! -e "$RESULTS/$POWER_CUT_ON" ]; do
			sleep 0.1
		done
		pid=$(cat "$RESULTS/qemu.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -KILL "$pid" && echo "run-vm: power cut (QEMU $pid killed)"
	) &
	watcher=$!
fi

# One VM at a time on this host (vm-lock.sh); released when this script
# exits, unless the caller holds it for longer.
. "$SYSDIR/vm-lock.sh"
vm_lock_take run-vm || die "no VM lock"
echo "run-vm: booting $KV for: $SCENARIOS (results in $RESULTS)"
# --foreground: QEMU stays in this script's process group, so a Ctrl-C at
# the terminal (make demo, a run by hand) reaches it and ends the VM at once;
# in timeout's own group it ran on to the hard limit, holding the VM lock.
start=$(date +%s%N)
if [ -n "$VERBOSE" ]; then
	timeout --foreground -k 5 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | tee "$RESULTS/console.log"
	rc=${PIPESTATUS[0]}
else
	timeout --foreground -k 5 "$TIMEOUT" "${qemu[@]}" </dev/null >"$RESULTS/console.log" 2>&1
	rc=$?
fi
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
if [ -n "$watcher" ]; then
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
fi
cut=
[ -n "$POWER_CUT_ON" ] && [ -e "$RESULTS/$POWER_CUT_ON" ] && cut=1
echo "run-vm: VM ran $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000))) s"
[ -r "$RESULTS/boot-figures" ] && sed 's/^/run-vm: /' "$RESULTS/boot-figures"

status=0
if [ -n "$cut" ]; then
	: # killed on purpose: the scenario asked for the power cut
elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "FAIL vm: no power-off within the hard limit of $TIMEOUT s"
	status=1
elif [ "$rc" -ne 0 ]; then
	echo "FAIL vm: qemu exited with $rc"
	status=1
fi

summary=$RESULTS/summary
for s in $SCENARIOS; do
	line=$(grep -E "^(PASS|FAIL|SKIP) $s([ :]|$)" "$summary" 2>/dev/null | tail -n 1)
	if [ -z "$line" ] && [ -n "$cut" ] && [ -s "$RESULTS/$s/figures" ] &&
		! grep -q "^FAIL: " "$RESULTS/$s/log" 2>/dev/null &&
		[ ! -s "$RESULTS/$s/deferred-failures" ]; then
		# The scenario that asked for the power cut, cut as it asked.
		line="PASS $s (power cut) $(tr '\n' ' ' <"$RESULTS/$s/figures")"
	fi
	if [ -z "$line" ]; then
		line="FAIL $s: no result (the guest did not finish it)"
	fi
	echo "$line"
	case "$line" in
	PASS*) ;;
	SKIP*) [ "$status" -eq 0 ] && status=77 ;;
	*) status=1 ;;
	esac
done

# A fault of the guest's kernel is not penctld's, but it can take the stack
# down with it (seen once: "list_del corruption" in hci_chan_del, in
# bluetoothd's close(), killed bluetoothd, which Debian's unit does not
# restart): say so, before any failure's details, whatever the result.
kernel_faults=$(cat "$RESULTS/console.log" "$RESULTS/journal.txt" 2>/dev/null |
	grep -E 'kernel BUG at|BUG: |Oops|general protection fault|list_(add|del) corruption' |
	sed 's/^.*\(kernel BUG at\|BUG: \|Oops\|general protection fault\|list_add corruption\|list_del corruption\)/\1/' |
	sort -u | head -n 5)
if [ -n "$kernel_faults" ]; then
	echo "run-vm: the guest kernel reported a fault (Debian's kernel, not penctld):"
	printf '%s\n' "$kernel_faults" | sed 's/^/run-vm:   /'
fi

if [ "$status" -eq 1 ]; then
	for s in $SCENARIOS; do
		grep -q "^PASS $s" "$summary" 2>/dev/null && continue
		[ -s "$RESULTS/$s/log" ] || continue
		echo "---- $s: scenario output (tail) ----"
		tail -n 25 "$RESULTS/$s/log"
	done
	# CI keeps only this output.  The scenarios' penctl polls log two PAM
	# lines each (runuser), which filled the whole tail of a failed wait.
	echo "---- guest journal (tail, without the polls' runuser/PAM lines) ----"
	if [ -s "$RESULTS/journal.txt" ]; then
		grep -v -E ' runuser\[[0-9]+\]: pam_unix\(runuser:session\)' "$RESULTS/journal.txt" | tail -n 80
	else
		echo "(no journal came back; guest console:)"
		tail -n 60 "$RESULTS/console.log"
	fi
	# What the controllers were told and said (scanning, advertising,
	# connections), for a link that never came: the last of it.
	if [ -s "$RESULTS/btmon.snoop" ] && command -v btmon >/dev/null; then
		echo "---- HCI and mgmt trace (tail, without data packets) ----"
		btmon -C 200 -t -r "$RESULTS/btmon.snoop" 2>/dev/null |
			grep -E '^[<>@] (HCI|MGMT)' | grep -v -E 'Number of Completed|ACL Data' |
			sed 's/  */ /g' | tail -n 40
	fi
	echo "----"
	echo "full journal: $RESULTS/journal.json (journalctl --file is not possible: use jq)"
	echo "guest console: $RESULTS/console.log"
	# The trace is whole; Debian 12's btmon 5.66 -r dies (SIGSEGV) printing a
	# pairing's address and key PDUs and shows nothing after them.
	[ -e "$RESULTS/btmon.snoop" ] && echo "btmon trace: $RESULTS/btmon.snoop (btmon -r; btmon -a counts packets;" \
		"btmon -r stops at the first pairing's keys: it crashes there, the file goes on)"
fi
exit "$status"
