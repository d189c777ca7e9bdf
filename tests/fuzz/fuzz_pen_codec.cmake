# libFuzzer target over every parser of the pen codec (ble/pen_codec.c);
# seed corpus in corpus/pen_codec/ (first byte: which parser, 0..8).
penctl_add_fuzzer(pen_codec SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_pen_codec.c LIBRARIES penctl-pen-codec)
