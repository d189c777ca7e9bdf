# Integration tests (label "integration"): one fragment per piece of work.
include(${CMAKE_CURRENT_LIST_DIR}/pen_link.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/daemon_cli.cmake OPTIONAL)
include(${CMAKE_CURRENT_LIST_DIR}/pensim.cmake OPTIONAL)
