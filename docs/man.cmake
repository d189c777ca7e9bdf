# Man pages of the daemon: penctld(8), penctld.conf(5).
# (penctl(1) is installed and checked by cli/penctl.cmake.)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctld.8
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctld.conf.5
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

# Every page must render without a single groff warning (needs groff-base).
if(BUILD_TESTING)
  add_test(NAME docs/man-pages-render-without-warnings
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check-man.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/penctld.8 ${CMAKE_CURRENT_SOURCE_DIR}/penctld.conf.5)
  set_tests_properties(docs/man-pages-render-without-warnings PROPERTIES
    LABELS "systemd;docs" TIMEOUT 60)
endif()
