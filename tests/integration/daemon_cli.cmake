# penctld driven through penctl (issue 5): a private system-type dbus-daemon
# with the shipped policy file, the mock bluetoothd, the daemon as root, and
# penctl as root, as a member of group penctl and as a stranger (setpriv).
# Needs dbus-daemon, setpriv, Debian's python3-dbusmock and python3-dbus
# (hence /usr/bin/python3).  The policy cases need root; as another user
# they are skipped.  When group penctl does not exist the test creates it
# for its run and deletes it afterwards (dbus-daemon resolves group names
# when it reads its configuration).
if(TARGET penctld AND TARGET penctl)
  add_test(NAME integration/daemon-cli
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_daemon_cli.py)
  set_tests_properties(integration/daemon-cli PROPERTIES
    LABELS integration
    TIMEOUT 600
    # Another test may create and delete group penctl; do not overlap.
    RESOURCE_LOCK penctl-group
    ENVIRONMENT "PENCTLD=$<TARGET_FILE:penctld>;PENCTL_CLI=$<TARGET_FILE:penctl>;${PENCTL_INTEGRATION_ENV}")
endif()
