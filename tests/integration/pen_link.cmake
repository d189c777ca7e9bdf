# pen_link against a mock bluetoothd (python-dbusmock, bluez5 + our pen) on
# a private dbus-daemon.  Needs dbus-daemon and Debian's python3-dbusmock,
# python3-dbus (hence /usr/bin/python3, not whatever python3 is on PATH).
add_test(NAME integration/pen-link
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_pen_link.py)
set_tests_properties(integration/pen-link PROPERTIES
  LABELS integration
  TIMEOUT 300
  ENVIRONMENT "PENCTL_PROBE=$<TARGET_FILE:pen-link-probe>;${PENCTL_INTEGRATION_ENV}")
