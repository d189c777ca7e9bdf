# Install tests: what `cmake --install` does to a system, in a DESTDIR.
# Included from daemon/CMakeLists.txt (after penctld.cmake: it needs penctld).
add_test(NAME install/site-config-survives-reinstall
  COMMAND ${CMAKE_COMMAND}
    -DBINARY_DIR=${CMAKE_BINARY_DIR}
    -DWORK=${CMAKE_CURRENT_BINARY_DIR}/install-test
    -DPENCTLD=$<TARGET_FILE:penctld>
    -DSYSCONFDIR=${PENCTL_SYSCONFDIR}
    -DSHARED_CONFIG=${CMAKE_INSTALL_FULL_DATADIR}/penctld/penctld.conf
    -DSHIPPED=${CMAKE_SOURCE_DIR}/daemon/penctld.conf
    -P ${CMAKE_SOURCE_DIR}/tests/install/site_config_survives_reinstall.cmake)
# It needs the whole build (cmake --install installs every target), nothing else.
set_tests_properties(install/site-config-survives-reinstall PROPERTIES
  LABELS "install;unit" TIMEOUT 120)
