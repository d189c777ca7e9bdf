# The pen simulator (docs/pensim.md): a BLE peripheral through bluetoothd's
# GattManager1/LEAdvertisingManager1 that behaves like a pen implementing
# docs/pen-protocol.md.  The pen's behaviour is a pure model (pensim_model.c)
# with its own unit tests; pensim.c is the D-Bus shell around it.
add_library(penctl-pensim-model STATIC ${CMAKE_CURRENT_SOURCE_DIR}/pensim_model.c)
target_include_directories(penctl-pensim-model PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(penctl-pensim-model PUBLIC penctl-pen-codec)

if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/pensim.c)
  add_executable(pensim ${CMAKE_CURRENT_SOURCE_DIR}/pensim.c)
  target_link_libraries(pensim PRIVATE penctl-pensim-model penctl-pen-codec
                        PkgConfig::GIO PkgConfig::GLIB)
  # Installed under a project-specific name: "pensim" alone is too generic
  # for /usr/bin.  In the build tree it stays tools/pensim.
  install(PROGRAMS $<TARGET_FILE:pensim> DESTINATION ${CMAKE_INSTALL_BINDIR}
          RENAME penctl-pensim)
endif()

if(BUILD_TESTING)
  penctl_add_unit_test(pensim-model
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pensim_model.c
    LIBRARIES penctl-pensim-model)
endif()
