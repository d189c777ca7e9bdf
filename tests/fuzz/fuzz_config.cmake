penctl_add_fuzzer(config SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_config.c LIBRARIES penctl-core)
