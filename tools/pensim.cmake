# The pen simulator (docs/pensim.md): a BLE peripheral through bluetoothd's
# GattManager1/LEAdvertisingManager1 that behaves like a pen implementing
# docs/pen-protocol.md.  The pen's behaviour (pensim_model.c) and the
# control-line parser (pensim_command.c) are pure and unit-tested; pensim.c,
# pensim_bluez.c and pensim_gatt.c are the program and D-Bus shell around them.
add_library(penctl-pensim-core STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/pensim_model.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pensim_command.c)
target_include_directories(penctl-pensim-core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(penctl-pensim-core PUBLIC penctl-pen-codec m)

add_executable(pensim
  ${CMAKE_CURRENT_SOURCE_DIR}/pensim.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pensim_bluez.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pensim_gatt.c)
target_compile_definitions(pensim PRIVATE PENSIM_VERSION="${PROJECT_VERSION}")
target_link_libraries(pensim PRIVATE penctl-pensim-core penctl-pen-codec
                      PkgConfig::GIO PkgConfig::GLIB)
# Installed under a project-specific name: "pensim" alone is too generic
# for /usr/bin.  In the build tree it stays tools/pensim.
install(PROGRAMS $<TARGET_FILE:pensim> DESTINATION ${CMAKE_INSTALL_BINDIR}
        RENAME penctl-pensim)

if(BUILD_TESTING)
  penctl_add_unit_test(pensim-model
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pensim_model.c
    LIBRARIES penctl-pensim-core)
  penctl_add_unit_test(pensim-command
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pensim_command.c
    LIBRARIES penctl-pensim-core)
endif()
