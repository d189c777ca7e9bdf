# The control service: io.penctld.Penctl1 on the system bus (issue 5).
# daemon/io.penctld.Penctl1.xml is the source of the interface; it is embedded
# as a C string so that the daemon serves exactly what the file says.
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/io.penctld.Penctl1.xml PENCTL_CONTROL_XML_TEXT)
string(REPLACE "\\" "\\\\" PENCTL_CONTROL_XML_TEXT "${PENCTL_CONTROL_XML_TEXT}")
string(REPLACE "\"" "\\\"" PENCTL_CONTROL_XML_TEXT "${PENCTL_CONTROL_XML_TEXT}")
string(REPLACE "\n" "\\n\"\n\"" PENCTL_CONTROL_XML_TEXT "${PENCTL_CONTROL_XML_TEXT}")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/control_introspection.c.in
  ${CMAKE_BINARY_DIR}/daemon/control_introspection.c @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/io.penctld.Penctl1.xml)

# Pure half (properties, summary, error names) apart from the bus glue, so
# the unit tests need no bus.
add_library(penctl-control-model STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/control_properties.c
  ${CMAKE_CURRENT_SOURCE_DIR}/control_errors.c
  ${CMAKE_BINARY_DIR}/daemon/control_introspection.c)
target_link_libraries(penctl-control-model PUBLIC penctl-core penctl-pen-codec PkgConfig::GIO)

add_library(penctl-control STATIC ${CMAKE_CURRENT_SOURCE_DIR}/control_service.c)
target_link_libraries(penctl-control PUBLIC penctl-control-model)

# The bus policy: who may own the name and who may talk to it.
install(FILES ${CMAKE_SOURCE_DIR}/systemd/io.penctld.Penctl1.conf
  DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/system.d)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/io.penctld.Penctl1.xml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/interfaces)

if(BUILD_TESTING)
  penctl_add_unit_test(control-properties
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_control_properties.c
    LIBRARIES penctl-control-model)
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
