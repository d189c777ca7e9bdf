# The foot pedal on a GPIO line (issue 4).
#
# penctl-pedal-logic: the pure debouncer, no libgpiod, no GLib.
# penctl-pedal: the GLib adapter (include/penctl/pedal.h) with exactly one
#   libgpiod back end, chosen here from the version pkg-config found
#   (GPIOD_VERSION from the top-level pkg_check_modules(GPIOD ...)).
#   To build against libgpiod 2 on Debian 12:
#     tools/libgpiod2-prefix.sh DIR
#     PKG_CONFIG_PATH=DIR/usr/lib/<multiarch>/pkgconfig cmake -S . -B BUILD

add_library(penctl-pedal-logic STATIC ${CMAKE_CURRENT_SOURCE_DIR}/pedal_debouncer.c)
target_include_directories(penctl-pedal-logic PUBLIC ${CMAKE_SOURCE_DIR}/include)
set_target_properties(penctl-pedal-logic PROPERTIES POSITION_INDEPENDENT_CODE ON)

if(GPIOD_VERSION VERSION_GREATER_EQUAL 2)
  set(PENCTL_GPIOD_API 2)
else()
  set(PENCTL_GPIOD_API 1)
endif()
set(PENCTL_GPIOD_BACKEND ${CMAKE_CURRENT_SOURCE_DIR}/pedal_gpiod_v${PENCTL_GPIOD_API}.c)
message(STATUS "Foot pedal: libgpiod ${GPIOD_VERSION} from ${GPIOD_LIBDIR}, "
  "API v${PENCTL_GPIOD_API} (gpio/pedal_gpiod_v${PENCTL_GPIOD_API}.c)")

add_library(penctl-pedal STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/pedal.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pedal_backend_common.c
  ${PENCTL_GPIOD_BACKEND})
target_include_directories(penctl-pedal PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(penctl-pedal
  PUBLIC penctl-pedal-logic PkgConfig::GLIB
  PRIVATE PkgConfig::GPIOD)
set_target_properties(penctl-pedal PROPERTIES POSITION_INDEPENDENT_CODE ON)

# Programs linking penctl-pedal find a libgpiod outside the system's library
# path (the private libgpiod 2 prefix) without LD_LIBRARY_PATH.
function(penctl_pedal_rpath target)
  if(GPIOD_LIBRARY_DIRS)
    set_property(TARGET ${target} APPEND PROPERTY BUILD_RPATH ${GPIOD_LIBRARY_DIRS})
  endif()
endfunction()

# pedalmon: prints debounced presses and releases (technician, VM test bed).
add_executable(pedalmon ${CMAKE_SOURCE_DIR}/tools/pedalmon.c)
target_link_libraries(pedalmon PRIVATE penctl-pedal penctl-core)
penctl_pedal_rpath(pedalmon)
install(TARGETS pedalmon DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/penctld)

if(BUILD_TESTING)
  penctl_add_unit_test(pedal-debouncer
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_debouncer.c
    LIBRARIES penctl-pedal-logic)

  # The real back end, without hardware: the errors it gives for a chip or
  # line that is not there.
  penctl_add_unit_test(pedal-backend
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_backend.c
    LIBRARIES penctl-pedal)
  target_include_directories(test-pedal-backend PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  penctl_pedal_rpath(test-pedal-backend)

  # The GLib adapter over a scripted back end (a pipe for the event fd).
  penctl_add_unit_test(pedal-mainloop
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_mainloop.c
            ${CMAKE_SOURCE_DIR}/tests/unit/fake_pedal_backend.c
            ${CMAKE_CURRENT_SOURCE_DIR}/pedal.c
            ${CMAKE_CURRENT_SOURCE_DIR}/pedal_backend_common.c
    LIBRARIES penctl-pedal-logic PkgConfig::GLIB)
  target_include_directories(test-pedal-mainloop PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})

  if(EXISTS ${CMAKE_SOURCE_DIR}/daemon/engine.c AND EXISTS ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_engine.c)
    penctl_add_unit_test(pedal-engine
      SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_engine.c
      LIBRARIES penctl-pedal-logic penctl-core)
  endif()
endif()
