# penctld --check-config on a broken file: exit 78 and the key named.
execute_process(COMMAND ${PROGRAM} --check-config --config ${CONFIG}
  RESULT_VARIABLE status ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(NOT status EQUAL 78)
  message(FATAL_ERROR "expected exit 78, got ${status}: ${out}${err}")
endif()
if(NOT err MATCHES "\\[Role home\\] MaxDeptMm: unknown key; allowed: MaxDepthMm")
  message(FATAL_ERROR "the refusal does not name the key: ${err}")
endif()
message(STATUS "refused as expected: ${err}")
