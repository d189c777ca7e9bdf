# The foot pedal (issue 4) and its drivers (issue 13, issue 14).
#
# penctl-pedal-logic: the pure debouncer, no libgpiod, no GLib.
# penctl-gpio-chip: which GPIO chip [Pedal] Chip= names, by the kernel's
#   chip ioctl (no libgpiod); the gpio driver and `penctl doctor` use it.
# penctl-pedal: the GLib adapter (include/penctl/pedal.h) and the driver
#   table (gpio/pedal_drivers.c) with the drivers this build has:
#   gpio, when libgpiod was found, with exactly one libgpiod back end,
#   chosen here from the version pkg-config found (GPIOD_VERSION from the
#   top-level pkg_check_modules(GPIOD ...)); evdev (a USB foot switch,
#   input/pedal_driver_evdev.c over input/'s penctl-evdev), when libevdev
#   and libudev were found (EVDEV_FOUND).
#   To build against libgpiod 2 on Debian 12:
#     tools/libgpiod2-prefix.sh DIR
#     PKG_CONFIG_PATH=DIR/usr/lib/<multiarch>/pkgconfig cmake -S . -B BUILD
# daemon/default_config.c.in says which Source values the configuration
# accepts, on the same conditions as the drivers compiled here.

add_library(penctl-pedal-logic STATIC ${CMAKE_CURRENT_SOURCE_DIR}/pedal_debouncer.c)
target_include_directories(penctl-pedal-logic PUBLIC ${CMAKE_SOURCE_DIR}/include)
add_library(penctl-gpio-chip STATIC ${CMAKE_CURRENT_SOURCE_DIR}/pedal_gpio_chip.c)
target_include_directories(penctl-gpio-chip PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(penctl-gpio-chip PUBLIC PkgConfig::GLIB)
set_target_properties(penctl-pedal-logic penctl-gpio-chip PROPERTIES POSITION_INDEPENDENT_CODE ON)

add_library(penctl-pedal STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/pedal.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pedal_drivers.c)
target_include_directories(penctl-pedal PUBLIC ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(penctl-pedal PUBLIC penctl-pedal-logic penctl-core penctl-common PkgConfig::GLIB)
set_target_properties(penctl-pedal PROPERTIES POSITION_INDEPENDENT_CODE ON)

# The gpio driver's files, without its back end (the fake back end of the
# unit tests takes that place).
set(PENCTL_PEDAL_GPIO_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/pedal_driver_gpio.c
  ${CMAKE_CURRENT_SOURCE_DIR}/pedal_backend_common.c)
if(GPIOD_FOUND)
  if(GPIOD_VERSION VERSION_GREATER_EQUAL 2)
    set(PENCTL_GPIOD_API 2)
  else()
    set(PENCTL_GPIOD_API 1)
  endif()
  message(STATUS "Foot pedal: driver gpio with libgpiod ${GPIOD_VERSION} from ${GPIOD_LIBDIR}, "
    "API v${PENCTL_GPIOD_API} (gpio/pedal_gpiod_v${PENCTL_GPIOD_API}.c)")
  target_sources(penctl-pedal PRIVATE ${PENCTL_PEDAL_GPIO_SOURCES}
    ${CMAKE_CURRENT_SOURCE_DIR}/pedal_gpiod_v${PENCTL_GPIOD_API}.c)
  target_compile_definitions(penctl-pedal PRIVATE PENCTL_PEDAL_DRIVER_GPIO)
  target_link_libraries(penctl-pedal PRIVATE penctl-gpio-chip PkgConfig::GPIOD)
else()
  message(STATUS "Foot pedal: no libgpiod, so no gpio driver (install libgpiod-dev)")
endif()

if(EVDEV_FOUND)
  target_sources(penctl-pedal PRIVATE ${CMAKE_SOURCE_DIR}/input/pedal_driver_evdev.c)
  target_compile_definitions(penctl-pedal PRIVATE PENCTL_PEDAL_DRIVER_EVDEV)
  target_link_libraries(penctl-pedal PRIVATE penctl-evdev)
endif()

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

  # The chip lookup without hardware: paths and labels that are not there.
  penctl_add_unit_test(pedal-gpio-chip
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_gpio_chip.c
    LIBRARIES penctl-gpio-chip)

  # The driver table: the configuration's Source picks the driver, and
  # the configuration accepts exactly the drivers compiled in.
  penctl_add_unit_test(pedal-driver
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_driver.c
    LIBRARIES penctl-pedal)
  penctl_pedal_rpath(test-pedal-driver)

  if(GPIOD_FOUND)
    # The real back end, without hardware: the errors it gives for a chip
    # or line that is not there.
    penctl_add_unit_test(pedal-backend
      SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_backend.c
      LIBRARIES penctl-pedal penctl-gpio-chip)
    target_include_directories(test-pedal-backend PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    penctl_pedal_rpath(test-pedal-backend)

    # The GLib adapter and the gpio driver over a scripted back end (a
    # pipe for the event fd).
    penctl_add_unit_test(pedal-mainloop
      SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_mainloop.c
              ${CMAKE_SOURCE_DIR}/tests/unit/fake_pedal_backend.c
              ${CMAKE_CURRENT_SOURCE_DIR}/pedal.c
              ${CMAKE_CURRENT_SOURCE_DIR}/pedal_drivers.c
              ${PENCTL_PEDAL_GPIO_SOURCES}
      LIBRARIES penctl-pedal-logic penctl-gpio-chip penctl-core penctl-common PkgConfig::GLIB)
    target_compile_definitions(test-pedal-mainloop PRIVATE PENCTL_PEDAL_DRIVER_GPIO)
    target_include_directories(test-pedal-mainloop PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  endif()

  # The GLib adapter over a scripted driver with depth pedals and a
  # hotplug fd (what the evdev driver adds), in every build: the test
  # brings its own driver table.
  penctl_add_unit_test(pedal-hotplug
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_hotplug.c
            ${CMAKE_CURRENT_SOURCE_DIR}/pedal.c
    LIBRARIES penctl-pedal-logic penctl-core penctl-common PkgConfig::GLIB)

  if(EXISTS ${CMAKE_SOURCE_DIR}/daemon/engine.c AND EXISTS ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_engine.c)
    penctl_add_unit_test(pedal-engine
      SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pedal_engine.c
      LIBRARIES penctl-pedal-logic penctl-core)
  endif()
endif()
