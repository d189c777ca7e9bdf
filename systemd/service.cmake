# The systemd unit and its friends: sysusers.d entry, udev rule, journal catalog.
#
# Install directories default to ${CMAKE_INSTALL_PREFIX}/lib/..., which
# systemd, systemd-sysusers, udev and journalctl all search both for the
# /usr/local default prefix and for /usr (Debian is merged-/usr).  A packager
# can point them elsewhere with -DPENCTL_SYSTEMDUNITDIR=... etc.
set(PENCTL_SYSTEMDUNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
  CACHE PATH "Where penctld.service is installed")
set(PENCTL_SYSUSERSDIR "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d"
  CACHE PATH "Where the sysusers.d entry is installed (as penctld.conf)")
set(PENCTL_UDEVRULESDIR "${CMAKE_INSTALL_PREFIX}/lib/udev/rules.d"
  CACHE PATH "Where the gpiochip udev rule is installed")
set(PENCTL_CATALOGDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/catalog"
  CACHE PATH "Where the journal message catalog is installed")

# Only @VAR@ is substituted: the unit uses ${...} and $MAINPID itself.
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/penctld.service.in
  ${CMAKE_CURRENT_BINARY_DIR}/penctld.service @ONLY)

install(FILES ${CMAKE_CURRENT_BINARY_DIR}/penctld.service
  DESTINATION ${PENCTL_SYSTEMDUNITDIR})
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctld.sysusers
  DESTINATION ${PENCTL_SYSUSERSDIR} RENAME penctld.conf)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/60-penctld-gpio.rules
  DESTINATION ${PENCTL_UDEVRULESDIR})
# The catalog is written with the journal records (daemon/journal_record.c);
# the "systemd" test fails with "catalog missing" while it is absent.
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctld.catalog
  DESTINATION ${PENCTL_CATALOGDIR} OPTIONAL)
