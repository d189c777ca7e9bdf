# The daemon executable: the glue between the engine and its adapters.
add_executable(penctld
  ${CMAKE_CURRENT_SOURCE_DIR}/main.c
  ${CMAKE_CURRENT_SOURCE_DIR}/penctld.c
  ${CMAKE_CURRENT_SOURCE_DIR}/action_executor.c
  ${CMAKE_CURRENT_SOURCE_DIR}/engine_inputs.c
  ${CMAKE_CURRENT_SOURCE_DIR}/persistence.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_operations.c
  ${CMAKE_CURRENT_SOURCE_DIR}/sd_notify.c)
target_compile_definitions(penctld PRIVATE PENCTL_VERSION="${PROJECT_VERSION}")
target_link_libraries(penctld PRIVATE penctl-common penctl-core penctl-journal-engine penctl-state
  penctl-control penctl-ble penctl-pedal PkgConfig::GIO)
if(COMMAND penctl_pedal_rpath)
  penctl_pedal_rpath(penctld)
endif()
install(TARGETS penctld DESTINATION ${CMAKE_INSTALL_SBINDIR})

if(BUILD_TESTING)
  penctl_add_unit_test(sd-notify
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_sd_notify.c ${CMAKE_CURRENT_SOURCE_DIR}/sd_notify.c
    LIBRARIES PkgConfig::GLIB)
  # --check-config: the shipped file passes and prints the table; a typo is
  # refused with exit 78 and a message naming the key.
  add_test(NAME unit/check-config-shipped
    COMMAND penctld --check-config --config ${CMAKE_CURRENT_SOURCE_DIR}/penctld.conf)
  set_tests_properties(unit/check-config-shipped PROPERTIES LABELS unit
    PASS_REGULAR_EXPRESSION "dermatologist +3\\.00 +1\\.50 +0\\.50 +1\\.00 +1\\.50")
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/typo.conf
    "[Role home]\nMaxDeptMm=0.5\n[Area face]\nMaxDepthMm=1.5\n")
  add_test(NAME unit/check-config-typo
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:penctld>
      -DCONFIG=${CMAKE_CURRENT_BINARY_DIR}/typo.conf
      -P ${CMAKE_SOURCE_DIR}/tests/unit/expect_config_refusal.cmake)
  set_tests_properties(unit/check-config-typo PROPERTIES LABELS unit)
endif()

if(BUILD_TESTING)
  # The action executor against a twin engine: the engine's order, replies
  # from the step, cartridge answers after the step, no nesting.
  penctl_add_unit_test(action-executor
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_action_executor.c
      ${CMAKE_CURRENT_SOURCE_DIR}/action_executor.c
    LIBRARIES penctl-core)
  target_include_directories(test-action-executor PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  # A depth pedal through engine_inputs.c into the real engine: the path
  # and the refusals of `penctl depth` (issue 14).
  penctl_add_unit_test(engine-inputs-depth
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_engine_inputs_depth.c
      ${CMAKE_CURRENT_SOURCE_DIR}/action_executor.c
      ${CMAKE_CURRENT_SOURCE_DIR}/engine_inputs.c
    LIBRARIES penctl-core penctl-journal-engine)
  target_include_directories(test-engine-inputs-depth PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  penctl_add_unit_test(conditions
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_conditions.c
    LIBRARIES penctl-core)
endif()
