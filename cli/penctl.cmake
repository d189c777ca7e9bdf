# penctl: the command-line client of penctld (issue 5), its bash completion
# and its man page.
add_library(penctl-cli-lib STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/json_out.c
  ${CMAKE_CURRENT_SOURCE_DIR}/journal_export.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_format.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_input.c
  ${CMAKE_CURRENT_SOURCE_DIR}/journal_access.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_log.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_client.c)
target_include_directories(penctl-cli-lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
# penctl-dbus-interface: the call signatures, generated from
# daemon/io.penctld.Penctl1.xml (daemon/control_service.cmake).
target_link_libraries(penctl-cli-lib PUBLIC penctl-core penctl-dbus-interface PkgConfig::GIO)

add_executable(penctl
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_doctor.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_live.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_watch.c)
# penctl-control-model: the daemon's own limits table, for `penctl limits`
# when the daemon is not running.
target_link_libraries(penctl PRIVATE penctl-cli-lib penctl-control-model penctl-gpio-chip)
target_compile_definitions(penctl PRIVATE PENCTL_VERSION="${PROJECT_VERSION}")
# penctl doctor lists the USB foot switches and prints the one's udev rule.
if(EVDEV_FOUND)
  target_compile_definitions(penctl PRIVATE PENCTL_HAVE_EVDEV)
  target_link_libraries(penctl PRIVATE penctl-evdev)
endif()
install(TARGETS penctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctl.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME penctl)
install(FILES ${CMAKE_SOURCE_DIR}/docs/penctl.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

if(BUILD_TESTING)
  penctl_add_unit_test(penctl-format
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_penctl_format.c
    LIBRARIES penctl-cli-lib)
  penctl_add_unit_test(penctl-input
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_penctl_input.c
    LIBRARIES penctl-cli-lib)
  penctl_add_unit_test(penctl-json
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_penctl_json.c
    LIBRARIES penctl-cli-lib)

  # The man page renders without a single groff warning.
  find_program(PENCTL_GROFF groff)
  if(PENCTL_GROFF)
    add_test(NAME unit/penctl-man-page
      COMMAND sh -c "out=$(${PENCTL_GROFF} -man -ww -z -Tutf8 \"$1\" 2>&1) && test -z \"$out\" || { printf '%s\\n' \"$out\"; exit 1; }"
              sh ${CMAKE_SOURCE_DIR}/docs/penctl.1)
    set_tests_properties(unit/penctl-man-page PROPERTIES LABELS unit)
  endif()
  # The completion script offers the commands and options (plain bash, no
  # bash-completion package needed).
  add_test(NAME unit/penctl-bash-completion
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/unit/test_penctl_completion.sh
            ${CMAKE_CURRENT_SOURCE_DIR}/penctl.bash-completion)
  set_tests_properties(unit/penctl-bash-completion PROPERTIES LABELS unit)
endif()

# penctl report (issue 16): a session as a PDF.  The model (records ->
# timeline and summary) needs only GLib and is always built and tested;
# the drawing needs cairo and pango, so it is a program of its own,
# penctl-report, that `penctl report` runs: a chair that never prints (the
# Raspberry Pi's minimal install) builds without it.
#   PENCTL_REPORT=AUTO  built when cairo and pangocairo are there
#   PENCTL_REPORT=ON    required (the configure fails naming the packages)
#   PENCTL_REPORT=OFF   never
set(PENCTL_REPORT AUTO CACHE STRING "Build penctl-report (cairo, pango): AUTO, ON or OFF")
set_property(CACHE PENCTL_REPORT PROPERTY STRINGS AUTO ON OFF)
add_library(penctl-report-model STATIC ${CMAKE_CURRENT_SOURCE_DIR}/penctl_report_model.c)
target_include_directories(penctl-report-model PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(penctl-report-model PUBLIC PkgConfig::GIO)

set(PENCTL_REPORT_BUILT OFF)
if(NOT PENCTL_REPORT STREQUAL "OFF")
  pkg_check_modules(REPORT_GFX QUIET IMPORTED_TARGET cairo cairo-pdf cairo-png pangocairo)
  if(REPORT_GFX_FOUND)
    set(PENCTL_REPORT_BUILT ON)
  elseif(PENCTL_REPORT STREQUAL "ON")
    message(FATAL_ERROR "penctl-report needs cairo and pango: install libcairo2-dev "
      "libpango1.0-dev (or -DPENCTL_REPORT=OFF)")
  else()
    message(STATUS "penctl-report left out: install libcairo2-dev libpango1.0-dev")
  endif()
endif()
if(PENCTL_REPORT_BUILT)
  add_executable(penctl-report
    ${CMAKE_CURRENT_SOURCE_DIR}/penctl_report_main.c
    ${CMAKE_CURRENT_SOURCE_DIR}/penctl_report_draw.c
    ${CMAKE_CURRENT_SOURCE_DIR}/penctl_report_page.c
    ${CMAKE_CURRENT_SOURCE_DIR}/penctl_report_plot.c)
  target_link_libraries(penctl-report PRIVATE penctl-report-model penctl-cli-lib
    PkgConfig::REPORT_GFX m)
  install(TARGETS penctl-report RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

if(BUILD_TESTING)
  penctl_add_unit_test(report-model
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_report_model.c
    LIBRARIES penctl-report-model)
  find_program(PENCTL_PDFTOTEXT pdftotext)
  find_program(PENCTL_PDFTOPPM pdftoppm)
  if(PENCTL_REPORT_BUILT AND PENCTL_PDFTOTEXT AND PENCTL_PDFTOPPM)
    # The PDF from a recorded journal export: every fact in its text, the
    # plot in its pixels; a generated 3-hour session lays out.
    add_test(NAME unit/report-pdf
      COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/unit/test_report_pdf.py
              $<TARGET_FILE:penctl-report> $<TARGET_FILE:penctl>
              ${CMAKE_SOURCE_DIR}/tests/fixtures/report)
    # From the sanitized build too: leaks and undefined behaviour fail it
    # (fontconfig's process-long cache aside, see the suppression file).
    set_tests_properties(unit/report-pdf PROPERTIES LABELS unit TIMEOUT 300
      ENVIRONMENT "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/fixtures/report/lsan.supp:print_suppressions=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1;G_SLICE=always-malloc")
    # penctl log and penctl report on a clinic server's files: --day,
    # --directory, --file, --chair; the pen's model and firmware.
    add_test(NAME unit/report-log
      COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/unit/test_report_log.py
              $<TARGET_FILE:penctl-report> $<TARGET_FILE:penctl>
              ${CMAKE_SOURCE_DIR}/tests/fixtures/report)
    set_tests_properties(unit/report-log PROPERTIES LABELS unit TIMEOUT 120
      ENVIRONMENT "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/fixtures/report/lsan.supp:print_suppressions=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1;G_SLICE=always-malloc")
  elseif(PENCTL_REPORT_BUILT)
    message(STATUS "report PDF test left out: install poppler-utils")
  endif()
endif()
