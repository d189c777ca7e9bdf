# The control service: io.penctld.Penctl1 on the system bus (issue 5).
# daemon/io.penctld.Penctl1.xml is the source of the interface: gdbus-codegen
# turns it into a GDBusInterfaceInfo at build time (penctl/dbus_interface.h),
# which the daemon exports and penctl takes its call signatures from, so
# both serve and call exactly what the file says.
find_program(PENCTL_GDBUS_CODEGEN gdbus-codegen REQUIRED)
set(PENCTL_DBUS_XML ${CMAKE_CURRENT_SOURCE_DIR}/io.penctld.Penctl1.xml)
set(PENCTL_DBUS_GENERATED ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${PENCTL_DBUS_GENERATED}/penctl)
add_custom_command(
  OUTPUT ${PENCTL_DBUS_GENERATED}/penctl/dbus_interface.h
  COMMAND ${PENCTL_GDBUS_CODEGEN} --pragma-once --interface-info-header
          --output ${PENCTL_DBUS_GENERATED}/penctl/dbus_interface.h ${PENCTL_DBUS_XML}
  DEPENDS ${PENCTL_DBUS_XML} VERBATIM)
add_custom_command(
  OUTPUT ${PENCTL_DBUS_GENERATED}/penctl/dbus_interface.c
  COMMAND ${PENCTL_GDBUS_CODEGEN} --interface-info-body
          --output ${PENCTL_DBUS_GENERATED}/penctl/dbus_interface.c ${PENCTL_DBUS_XML}
  DEPENDS ${PENCTL_DBUS_XML} ${PENCTL_DBUS_GENERATED}/penctl/dbus_interface.h VERBATIM)
add_library(penctl-dbus-interface STATIC
  ${PENCTL_DBUS_GENERATED}/penctl/dbus_interface.c
  ${PENCTL_DBUS_GENERATED}/penctl/dbus_interface.h)
target_include_directories(penctl-dbus-interface PUBLIC ${PENCTL_DBUS_GENERATED})
target_link_libraries(penctl-dbus-interface PUBLIC PkgConfig::GIO)

# Pure half (properties, summary, error names) apart from the bus glue, so
# the unit tests need no bus.
add_library(penctl-control-model STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/control_properties.c
  ${CMAKE_CURRENT_SOURCE_DIR}/control_errors.c)
target_link_libraries(penctl-control-model PUBLIC penctl-core penctl-pen-codec
  penctl-dbus-interface PkgConfig::GIO)

add_library(penctl-control STATIC ${CMAKE_CURRENT_SOURCE_DIR}/control_service.c)
# penctl-ble for bt_address_is_valid() (bt_address.h), the one validator.
target_link_libraries(penctl-control PUBLIC penctl-control-model penctl-ble)

# The bus policy: who may own the name and who may talk to it.
install(FILES ${CMAKE_SOURCE_DIR}/systemd/io.penctld.Penctl1.conf
  DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/system.d)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/io.penctld.Penctl1.xml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/interfaces)

if(BUILD_TESTING)
  penctl_add_unit_test(control-properties
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_control_properties.c
            ${CMAKE_SOURCE_DIR}/tests/unit/engine_harness.c
    LIBRARIES penctl-control-model)
  target_include_directories(test-control-properties PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit)
  penctl_add_unit_test(control-errors
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_control_errors.c
    LIBRARIES penctl-control-model)
  # The policy file is well-formed XML of the bus configuration DTD.
  find_program(PENCTL_XMLLINT xmllint)
  if(PENCTL_XMLLINT)
    add_test(NAME unit/dbus-policy-wellformed
      COMMAND ${PENCTL_XMLLINT} --noout ${CMAKE_SOURCE_DIR}/systemd/io.penctld.Penctl1.conf
              ${CMAKE_CURRENT_SOURCE_DIR}/io.penctld.Penctl1.xml)
    set_tests_properties(unit/dbus-policy-wellformed PROPERTIES LABELS unit)
  endif()
endif()
