# The live views against the integration bed (test_daemon_cli.py's private
# system bus, mock bluetoothd and real penctld): penctl watch, and
# penctl-panel read through the accessibility tree on a headless X server.
# Included from panel/CMakeLists.txt, before tests/integration.cmake is
# read; the sanitizer settings are those of integration.cmake.
set(PENCTL_VIEWS_TEST_ENV
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1"
  "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/lsan.supp:print_suppressions=0"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
  "G_SLICE=always-malloc")

if(TARGET penctld AND TARGET penctl)
  add_test(NAME integration/watch
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_watch.py)
  set_tests_properties(integration/watch PROPERTIES
    LABELS integration
    TIMEOUT 300
    ENVIRONMENT "PENCTLD=$<TARGET_FILE:penctld>;PENCTL_CLI=$<TARGET_FILE:penctl>;${PENCTL_VIEWS_TEST_ENV}")
endif()

# Exit 77 (skipped, with the reason on stdout) without Xvfb, the AT-SPI bus
# or its python bindings.  Screenshots land in the build directory.
if(TARGET penctld AND TARGET penctl AND TARGET penctl-panel)
  add_test(NAME integration/panel
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_panel.py)
  set_tests_properties(integration/panel PROPERTIES
    LABELS integration
    TIMEOUT 600
    SKIP_RETURN_CODE 77
    # The view-group case may create and delete group penctl-view.
    RESOURCE_LOCK penctl-group
    # Sanitized build: the test checks the panel for memory errors and
    # undefined behaviour but not leaks (GTK's process-long caches).
    ENVIRONMENT "PENCTLD=$<TARGET_FILE:penctld>;PENCTL_CLI=$<TARGET_FILE:penctl>;PENCTL_PANEL=$<TARGET_FILE:penctl-panel>;PENCTL_PANEL_SHOTS=${CMAKE_BINARY_DIR}/panel-screenshots;${PENCTL_VIEWS_TEST_ENV}")
endif()
