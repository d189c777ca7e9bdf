penctl_add_fuzzer(engine SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_engine.c LIBRARIES penctl-core)
