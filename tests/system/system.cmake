# Whole-system tests: each scenario boots a QEMU VM with Debian's kernel,
# systemd, bluetoothd, two virtual BLE controllers (btvirt) and a gpio-sim
# pedal, installs this build into it and drives the real service.
# Included from tests/CMakeLists.txt (CMAKE_CURRENT_SOURCE_DIR is tests/).
#
#   tests/system/setup-host.sh <cache>   packages, gpio-sim.ko, initramfs
#   ctest -L system                      every scenario, one fresh VM each
#
# The scenarios are tests/system/scenarios/NN-name.sh; a new file is a new
# test at the next configure.

# The cache (gpio-sim.ko, initramfs) is $PENCTL_SYSTEM_CACHE at test time,
# else <source>/_system-cache: the scripts resolve it themselves, so that
# `PENCTL_SYSTEM_CACHE=... ctest -L system` works without reconfiguring.
set(_penctl_system_dir "${CMAKE_CURRENT_SOURCE_DIR}/system")

# Idempotent and quick once cached; a scenario does not run without it.
add_test(NAME system/setup-host
	COMMAND sh -c "exec '${_penctl_system_dir}/setup-host.sh' \"\${PENCTL_SYSTEM_CACHE:-${CMAKE_SOURCE_DIR}/_system-cache}\"")
set_tests_properties(system/setup-host PROPERTIES
	LABELS system TIMEOUT 900 RUN_SERIAL TRUE FIXTURES_SETUP penctl_system_vm)

file(GLOB _penctl_system_scenarios CONFIGURE_DEPENDS
	"${_penctl_system_dir}/scenarios/[0-9][0-9]-*.sh")
list(SORT _penctl_system_scenarios)
foreach(_script IN LISTS _penctl_system_scenarios)
	get_filename_component(_scenario "${_script}" NAME_WE)
	# run-vm.sh first runs `cmake --install <build> --prefix /usr` into a
	# DESTDIR staging directory, which the guest copies into its root.
	add_test(NAME system/${_scenario}
		COMMAND "${_penctl_system_dir}/run-vm.sh"
			--build "${CMAKE_BINARY_DIR}"
			--results "${CMAKE_BINARY_DIR}/system-results/${_scenario}"
			"${_scenario}")
	set_tests_properties(system/${_scenario} PROPERTIES
		LABELS system TIMEOUT 600 RUN_SERIAL TRUE SKIP_RETURN_CODE 77
		FIXTURES_REQUIRED penctl_system_vm)
endforeach()
