# Integration tests (label "integration"): one fragment per piece of work.
#
# They also run from the sanitized build (PENCTL_SANITIZE=ON, `make
# test-integration-asan` in _build-asan): every fragment passes
# PENCTL_INTEGRATION_ENV to its tests, so that penctld and penctl report
# leaks and undefined behaviour (exit status 23, a report on stderr) and the
# python drivers fail on any report.  The suppressions are GLib's one-time
# allocations only (tests/integration/lsan.supp says why each is there).
set(PENCTL_INTEGRATION_ENV
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1"
  "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/lsan.supp:print_suppressions=0"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
  # GLib's own allocator caches would otherwise read as leaks.
  "G_SLICE=always-malloc"
  "G_DEBUG=gc-friendly")
include(${CMAKE_CURRENT_LIST_DIR}/pen_link.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/daemon_cli.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/pensim.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/stress.cmake OPTIONAL)
