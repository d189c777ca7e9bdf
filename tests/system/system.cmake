# Whole-system tests: a QEMU VM with Debian's kernel, systemd, bluetoothd,
# two virtual BLE controllers (btvirt) and a gpio-sim pedal; the Debian
# packages of this tree are installed into it with apt-get, as a clinic
# installs them, and the real service is driven from inside.
# Included from tests/CMakeLists.txt (CMAKE_CURRENT_SOURCE_DIR is tests/).
#
#   tests/system/setup-host.sh [CACHE]    packages, gpio-sim.ko, initramfs
#   tests/system/hold-vm-lock.sh ctest -L system   every scenario, one VM
#                                         at a time with no other run's between
#   tests/system/build-debs.sh SRC B/deb  the packages (fixture system/deb)
#   tests/system/run-vm.sh --debs B/deb S... one VM for scenarios S (by hand)
#   tests/system/power-cut.sh --debs B/deb --results R   the power-cut test
#
# The cache is $PENCTL_SYSTEM_CACHE at test time, else <source>/_system-cache;
# the scripts resolve it themselves, so `PENCTL_SYSTEM_CACHE=... ctest -L
# system` works without reconfiguring.
#
# A boot with its Bluetooth and pedal set-up costs about as much as a
# scenario, so scenarios that leave the machine as they found it share one
# boot ("group|scenario..."), in the order given.  A scenario file
# (scenarios/NN-name.sh) in no group gets a VM of its own.
set(_penctl_system_dir "${CMAKE_CURRENT_SOURCE_DIR}/system")
set(_penctl_system_groups
	"service|00-smoke 10-access-denied 09-config"
	"pen-basics|01-pairing 02-pedal 03-depth 07-pedal-held-at-start"
	"pen-limits|04-time-limit 05-link-loss"
	"failures|06-daemon-crash 11-watchdog 08-bluetoothd-restart")
set(_penctl_system_debs "${CMAKE_BINARY_DIR}/deb")
# Scenarios that run apt-get in the guest get 4 more minutes: each apt-get
# reads the host's package lists and dpkg's database over 9p, about a minute
# under TCG.
set(_penctl_system_apt_scenarios 13-upgrade-purge)
# Scenarios of two parts get 2 more minutes: 15-usb-pedal runs the evdev
# layer's uinput test, then the daemon with Source=evdev and its own
# pairing (about 120 s under TCG, measured).
set(_penctl_system_long_scenarios 15-usb-pedal)

# Idempotent and quick once cached; no scenario runs without it.
add_test(NAME system/setup-host
	COMMAND sh -c "exec '${_penctl_system_dir}/setup-host.sh' \"\${PENCTL_SYSTEM_CACHE:-${CMAKE_SOURCE_DIR}/_system-cache}\"")
set_tests_properties(system/setup-host PROPERTIES
	LABELS system TIMEOUT 900 RUN_SERIAL TRUE FIXTURES_SETUP penctl_system_vm)

# The packages every VM installs, built once per test run from the tree as
# it is (dpkg-buildpackage, nocheck: the unit tests run on their own; about
# 2 minutes, nothing when the tree has not changed since the last build).
add_test(NAME system/deb
	COMMAND "${_penctl_system_dir}/build-debs.sh" "${CMAKE_SOURCE_DIR}" "${_penctl_system_debs}")
set_tests_properties(system/deb PROPERTIES
	LABELS system TIMEOUT 1200 RUN_SERIAL TRUE FIXTURES_SETUP penctl_system_debs)

function(_penctl_add_system_test name)
	list(LENGTH ARGN count)
	# The VM's own hard limit: boot, set-up and the package install, then
	# 2 min a scenario.  ctest's is 2 min more, for run-vm.sh's own work
	# after the VM, and for a wait for the host's VM lock only when ctest
	# runs without holding it (make test-system holds it for the whole
	# suite: hold-vm-lock.sh; by hand, run ctest under it as well).
	math(EXPR vm_timeout "150 + 120 * ${count}")
	foreach(_s IN LISTS ARGN)
		if(_s IN_LIST _penctl_system_apt_scenarios)
			math(EXPR vm_timeout "${vm_timeout} + 240")
		endif()
		if(_s IN_LIST _penctl_system_long_scenarios)
			math(EXPR vm_timeout "${vm_timeout} + 120")
		endif()
	endforeach()
	math(EXPR ctest_timeout "${vm_timeout} + 120")
	if(ctest_timeout LESS 600)
		set(ctest_timeout 600)
	endif()
	add_test(NAME system/${name}
		COMMAND "${_penctl_system_dir}/run-vm.sh"
			--debs "${_penctl_system_debs}"
			--results "${CMAKE_BINARY_DIR}/system-results/${name}"
			--timeout ${vm_timeout}
			--env "PENCTL_REPORT_PROGRAM=${CMAKE_BINARY_DIR}/cli/penctl-report"
			${ARGN})
	set_tests_properties(system/${name} PROPERTIES
		LABELS system TIMEOUT ${ctest_timeout} RUN_SERIAL TRUE SKIP_RETURN_CODE 77
		FIXTURES_REQUIRED "penctl_system_vm;penctl_system_debs")
endfunction()

set(_penctl_grouped "")
foreach(_group IN LISTS _penctl_system_groups)
	string(REPLACE "|" ";" _parts "${_group}")
	list(GET _parts 0 _name)
	list(GET _parts 1 _members)
	separate_arguments(_members UNIX_COMMAND "${_members}")
	set(_present "")
	foreach(_s IN LISTS _members)
		if(EXISTS "${_penctl_system_dir}/scenarios/${_s}.sh")
			list(APPEND _present ${_s})
		endif()
	endforeach()
	list(APPEND _penctl_grouped ${_present})
	if(_present)
		_penctl_add_system_test(${_name} ${_present})
	endif()
endforeach()

file(GLOB _penctl_system_scenarios CONFIGURE_DEPENDS
	"${_penctl_system_dir}/scenarios/[0-9][0-9]-*.sh")
list(SORT _penctl_system_scenarios)
foreach(_script IN LISTS _penctl_system_scenarios)
	get_filename_component(_scenario "${_script}" NAME_WE)
	if(NOT _scenario IN_LIST _penctl_grouped)
		_penctl_add_system_test(${_scenario} ${_scenario})
	endif()
endforeach()

# The power cut: two boots on one persistent disk, QEMU killed mid-run in
# between (power-cut.sh; scenarios power-cut-before and power-cut-after).
if(EXISTS "${_penctl_system_dir}/scenarios/power-cut-before.sh")
	add_test(NAME system/power-cut
		COMMAND "${_penctl_system_dir}/power-cut.sh"
			--debs "${_penctl_system_debs}"
			--results "${CMAKE_BINARY_DIR}/system-results/power-cut"
			--timeout 450)
	set_tests_properties(system/power-cut PROPERTIES
		LABELS system TIMEOUT 1200 RUN_SERIAL TRUE SKIP_RETURN_CODE 77
		FIXTURES_REQUIRED "penctl_system_vm;penctl_system_debs")
endif()

# The benchmark's smoke run (tests/bench/run.sh --quick, docs/performance.md):
# a VM of its own; it fails only when it could not measure, never on a figure.
add_test(NAME system/bench-smoke
	COMMAND "${CMAKE_CURRENT_SOURCE_DIR}/bench/run.sh" --quick
		--build "${CMAKE_BINARY_DIR}" --out "${CMAKE_BINARY_DIR}/bench-smoke")
set_tests_properties(system/bench-smoke PROPERTIES
	LABELS system TIMEOUT 720 RUN_SERIAL TRUE SKIP_RETURN_CODE 77
	FIXTURES_REQUIRED penctl_system_vm)
