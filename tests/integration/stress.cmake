# penctld under thousands of D-Bus calls, malformed ones included, with its
# resident memory sampled before and after (tests/integration/test_stress.py).
if(TARGET penctld AND TARGET penctl)
  add_test(NAME integration/stress
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_stress.py)
  set_tests_properties(integration/stress PROPERTIES
    LABELS integration
    TIMEOUT 900
    RESOURCE_LOCK penctl-group
    ENVIRONMENT "PENCTLD=$<TARGET_FILE:penctld>;PENCTL_CLI=$<TARGET_FILE:penctl>;${PENCTL_INTEGRATION_ENV}")
endif()
