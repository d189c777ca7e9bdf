# vm-lock.sh: sourced by the scripts that boot the test VM (run-vm.sh,
# power-cut.sh, hold-vm-lock.sh); not run on its own.
#
# One test VM at a time on this host: a guest has two vCPUs under TCG and the
# host two cores, so a second VM (another checkout's tests, a benchmark)
# would starve this one's heartbeats and fail its timing assertions for a
# reason that is not in the code under test.  The lock is the host's, not
# the checkout's.
#
# The lock is an flock(2) on fd 9, held until the holder and every process
# that inherited fd 9 have exited.  A holder passes it on to the scripts it
# runs: `make test-system` holds it for the whole suite (hold-vm-lock.sh),
# power-cut.sh for its two boots, so another run's VM cannot slip in between
# two of them.  That matters to ctest: a test's TIMEOUT counts from its start,
# so a wait for the lock inside a test ate its time (seen: system/15-usb-pedal
# of one run waited for another run's VM, which took the lock between two of
# the first run's groups, and was killed by ctest mid-scenario, before the
# VM's own limit could end it in order).
VM_LOCK=${PENCTL_VM_LOCK:-/run/lock/penctld-vm.lock}

# vm_lock_take WHO: takes the host's VM lock on fd 9, or waits for it saying
# so (prefixed "WHO: "); nothing to wait for when fd 9 already holds it: an
# flock on the open file that holds the lock is granted at once.
vm_lock_take() {
	local who=$1 wait_start
	if ! [ /proc/self/fd/9 -ef "$VM_LOCK" ]; then
		exec 9>"$VM_LOCK" || {
			echo "$who: cannot open the VM lock $VM_LOCK" >&2
			return 1
		}
	fi
	flock -n 9 && return 0
	echo "$who: another test VM runs on this host; waiting for it ($VM_LOCK)"
	wait_start=$(date +%s)
	flock 9 || return 1
	echo "$who: waited $(( $(date +%s) - wait_start )) s for the other VM"
}
