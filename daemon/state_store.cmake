# Persistent state (paired pen, used cartridges) under the state directory.
# Included from daemon/CMakeLists.txt.
add_library(penctl-state STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/penctl_state.c
  ${CMAKE_CURRENT_SOURCE_DIR}/state_store.c)
target_link_libraries(penctl-state PUBLIC PkgConfig::GLIB penctl-bt-address)

if(BUILD_TESTING)
  penctl_add_unit_test(state-store
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_state_store.c
    LIBRARIES penctl-state)
endif()
