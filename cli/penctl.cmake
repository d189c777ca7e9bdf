# penctl: the command-line client of penctld (issue 5), its bash completion
# and its man page.
add_library(penctl-cli-lib STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/json_out.c
  ${CMAKE_CURRENT_SOURCE_DIR}/journal_export.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_format.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_client.c)
target_include_directories(penctl-cli-lib PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(penctl-cli-lib PUBLIC penctl-core PkgConfig::GIO)

add_executable(penctl
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_doctor.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_log.c)
# penctl-control-model: the daemon's own limits table, for `penctl limits`
# when the daemon is not running.
target_link_libraries(penctl PRIVATE penctl-cli-lib penctl-control-model)
target_compile_definitions(penctl PRIVATE PENCTL_VERSION="${PROJECT_VERSION}")
install(TARGETS penctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctl.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME penctl)
install(FILES ${CMAKE_SOURCE_DIR}/docs/penctl.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

if(BUILD_TESTING)
  penctl_add_unit_test(penctl-format
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_penctl_format.c
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
