# shellcheck shell=sh
# Sourced by setup-host.sh and run-vm.sh (sh and bash): where the test bed's
# rebuilt kernel modules live in the cache, keyed by what they are made of.
# Needs $HERE = tests/system.

BLUETOOTH_PATCH="$HERE/kernel/l2cap-hchan-lifetime.patch"

# patched_bluetooth_ko CACHE KV: bluetooth.ko for kernel KV (its package's
# version) built with $BLUETOOTH_PATCH; either changed is a new path.
patched_bluetooth_ko() {
	echo "$1/bluetooth/$2_$(dpkg-query -W -f='${Version}' "linux-image-$2" 2>/dev/null)_$(sha256sum "$BLUETOOTH_PATCH" | cut -c1-16)/bluetooth.ko"
}
