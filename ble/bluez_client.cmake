# The BlueZ client: the pen link over org.bluez (system bus), its object
# model and the Bluetooth address helpers.
add_library(penctl-ble STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/bt_address.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bluez_objects.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bluez_client.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bluez_agent.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_link.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_link_setup.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_gatt.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_scan.c)
target_include_directories(penctl-ble PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(penctl-ble PUBLIC PkgConfig::GIO PkgConfig::BLUEZ penctl-pen-codec)
target_compile_definitions(penctl-ble PRIVATE G_LOG_DOMAIN="penctl-ble")

if(BUILD_TESTING)
  penctl_add_unit_test(bt-address
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_bt_address.c
    LIBRARIES penctl-ble)
  penctl_add_unit_test(bluez-objects
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_bluez_objects.c
    LIBRARIES penctl-ble)

  # Drives pen_link from a test script: config from argv, commands on
  # stdin, one JSON line per callback on stdout.  Not installed.
  add_executable(pen-link-probe ${CMAKE_SOURCE_DIR}/tests/integration/pen_link_probe.c)
  target_link_libraries(pen-link-probe PRIVATE penctl-ble)
endif()
