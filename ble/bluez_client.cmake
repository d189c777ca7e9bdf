# Bluetooth addresses: pure, libc only, so any layer (the core's config
# too) can validate one without linking libbluetooth.
add_library(penctl-bt-address STATIC ${CMAKE_CURRENT_SOURCE_DIR}/bt_address.c)
target_include_directories(penctl-bt-address PUBLIC ${CMAKE_SOURCE_DIR}/include)
set_target_properties(penctl-bt-address PROPERTIES POSITION_INDEPENDENT_CODE ON)

# The pen link over org.bluez (system bus), in three one-way layers
# (docs/architecture-ble.md; tests/unit/check_ble_layers.py checks them):
#   (a) the BlueZ bus client: bluez_objects, bluez_client, bluez_gatt, bluez_write_fd,
#       bluez_agent
#   (c) the pen profiles: pen_profiles, pen_profile_v1, pen_write_queue
#   (b) the pen-link state machine (pen_link_fsm: pure) and its public face:
#       pen_link, pen_scan
add_library(penctl-ble STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/bluez_objects.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bluez_client.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bluez_gatt.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bluez_write_fd.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bluez_agent.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_write_queue.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_profile_v1.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_profiles.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_link_error.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_link_fsm.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_scan.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pen_link.c)
target_include_directories(penctl-ble PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(penctl-ble PUBLIC PkgConfig::GIO penctl-common penctl-pen-codec penctl-bt-address)
target_compile_definitions(penctl-ble PRIVATE G_LOG_DOMAIN="penctl-ble")

if(BUILD_TESTING)
  penctl_add_unit_test(bt-address
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_bt_address.c
    LIBRARIES penctl-bt-address)
  penctl_add_unit_test(bluez-objects
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_bluez_objects.c
    LIBRARIES penctl-ble)
  penctl_add_unit_test(pen-link-fsm
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pen_link_fsm.c
    LIBRARIES penctl-ble)
  target_include_directories(test-pen-link-fsm PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  penctl_add_unit_test(pen-link-errors
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pen_link_errors.c
    LIBRARIES penctl-ble)
  target_include_directories(test-pen-link-errors PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})

  # No include cycle between ble/ files, and no layer including upwards.
  add_test(NAME unit/ble-layers
    COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/unit/check_ble_layers.py
      ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(unit/ble-layers PROPERTIES LABELS unit)

  # Drives pen_link from a test script: config from argv, commands on
  # stdin, one JSON line per callback on stdout.  Not installed.
  add_executable(pen-link-probe ${CMAKE_SOURCE_DIR}/tests/integration/pen_link_probe.c)
  target_link_libraries(pen-link-probe PRIVATE penctl-ble)
endif()
