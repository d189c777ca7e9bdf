# The systemd integration, checked as installed (label "systemd"):
# systemd-analyze verify and security (exposure <= 2.0) on the unit,
# systemd-sysusers on the sysusers.d entry, journalctl's catalog import.
# Included from tests/CMakeLists.txt: CMAKE_CURRENT_SOURCE_DIR is tests/.
# Needs only the systemd package (systemd-analyze, systemd-sysusers, journalctl).

set(PENCTL_SYSTEMD_CHECK ${CMAKE_CURRENT_SOURCE_DIR}/systemd/check-unit.sh)
set(PENCTL_SYSTEMD_ROOT ${CMAKE_CURRENT_BINARY_DIR}/systemd-destdir)

# One DESTDIR install of the whole build, shared by the checks below.
add_test(NAME systemd/install
  COMMAND ${PENCTL_SYSTEMD_CHECK} install
    --build ${CMAKE_BINARY_DIR} --root ${PENCTL_SYSTEMD_ROOT})
set_tests_properties(systemd/install PROPERTIES
  LABELS systemd TIMEOUT 120 FIXTURES_SETUP penctl_systemd_destdir)

set(PENCTL_SYSTEMD_CHECK_ARGS
  --root ${PENCTL_SYSTEMD_ROOT}
  --sbindir ${CMAKE_INSTALL_FULL_SBINDIR}
  --unitdir ${PENCTL_SYSTEMDUNITDIR}
  --sysusersdir ${PENCTL_SYSUSERSDIR}
  --catalogdir ${PENCTL_CATALOGDIR})

function(penctl_add_systemd_check name command)
  add_test(NAME systemd/${name}
    COMMAND ${PENCTL_SYSTEMD_CHECK} ${command} ${PENCTL_SYSTEMD_CHECK_ARGS})
  set_tests_properties(systemd/${name} PROPERTIES
    LABELS systemd TIMEOUT 60 FIXTURES_REQUIRED penctl_systemd_destdir)
endfunction()

penctl_add_systemd_check(unit-verifies verify)
penctl_add_systemd_check(unit-exposure-at-most-2.0 security)
penctl_add_systemd_check(sysusers-creates-user-and-groups sysusers)
penctl_add_systemd_check(catalog-parses catalog)
penctl_add_systemd_check(policy-view-is-read-only policy)
