# pensim against python-dbusmock's bluez5 template extended with
# GattManager1/LEAdvertisingManager1 (pensim_mock.py), on a private bus.
# Include from tests/CMakeLists.txt or integration.cmake; paths here do not
# depend on which.  Needs dbus-daemon, python3-dbusmock, python3-gi and
# Debian's /usr/bin/python3 (the first python3 on PATH may lack gi/dbus).
if(TARGET pensim)
  add_test(NAME integration/pensim
           COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/integration/test_pensim.py
                   $<TARGET_FILE:pensim>)
  set_tests_properties(integration/pensim PROPERTIES LABELS integration TIMEOUT 120
    ENVIRONMENT "${PENCTL_INTEGRATION_ENV}")
endif()
