# The pen GATT profile codec (docs/pen-protocol.md): pure, libc only.
add_library(penctl-pen-codec STATIC ${CMAKE_CURRENT_SOURCE_DIR}/pen_codec.c)
target_include_directories(penctl-pen-codec PUBLIC ${CMAKE_SOURCE_DIR}/include)
set_target_properties(penctl-pen-codec PROPERTIES POSITION_INDEPENDENT_CODE ON)

if(BUILD_TESTING)
  penctl_add_unit_test(pen-codec
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_pen_codec.c
    LIBRARIES penctl-pen-codec)
endif()
