# Man pages: penctld(8), penctld.conf(5), and penctl(1) once docs/penctl.1 exists.
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctld.8
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctld.conf.5
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/penctl.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL)

# Every page must render without a single groff warning (needs groff-base).
if(BUILD_TESTING)
  set(PENCTL_MAN_PAGES ${CMAKE_CURRENT_SOURCE_DIR}/penctld.8 ${CMAKE_CURRENT_SOURCE_DIR}/penctld.conf.5)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/penctl.1)
    list(APPEND PENCTL_MAN_PAGES ${CMAKE_CURRENT_SOURCE_DIR}/penctl.1)
  endif()
  add_test(NAME docs/man-pages-render-without-warnings
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check-man.sh ${PENCTL_MAN_PAGES})
  set_tests_properties(docs/man-pages-render-without-warnings PROPERTIES
    LABELS "systemd;docs" TIMEOUT 60)
endif()
