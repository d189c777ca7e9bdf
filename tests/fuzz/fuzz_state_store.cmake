# libFuzzer target for the state store (included from tests/fuzz/CMakeLists.txt).
penctl_add_fuzzer(state_store SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_state_store.c LIBRARIES penctl-state)
