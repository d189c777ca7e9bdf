#!/bin/bash
# hold-vm-lock.sh COMMAND [ARG...]
#
# Runs COMMAND holding the host's test-VM lock (vm-lock.sh) from start to
# end, so that the VMs it boots (run-vm.sh, inheriting the lock) run one
# after the other with no other run's VM between them, and no wait for the
# lock counts against a ctest TIMEOUT.  `make test-system` runs
# `ctest -L system` this way.  Exit status: COMMAND's, or 1 without the lock.
set -u
SYSDIR=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 1; }
. "$SYSDIR/vm-lock.sh"
vm_lock_take hold-vm-lock || exit 1
exec "$@"
