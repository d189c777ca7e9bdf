# Structured journal records, the MESSAGE_ID table and the message catalog.
# Included from daemon/CMakeLists.txt.

# The pure record builder and the log writer: GLib only, no engine.
add_library(penctl-journal STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/journal_record.c
  ${CMAKE_CURRENT_SOURCE_DIR}/journal_writer.c
  ${CMAKE_CURRENT_SOURCE_DIR}/message_ids.c)
target_link_libraries(penctl-journal PUBLIC PkgConfig::GLIB PkgConfig::GIO)

# Engine records to journal records: needs the engine's names and the
# depth formatter (penctl-core) and the pen fault names (penctl-pen-codec).
add_library(penctl-journal-engine STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/journal_engine_record.c)
target_link_libraries(penctl-journal-engine PUBLIC penctl-journal penctl-core penctl-pen-codec)

# systemd/penctld.catalog is installed by systemd/service.cmake (to
# PENCTL_CATALOGDIR, <prefix>/lib/systemd/catalog): one owner for the install.

if(BUILD_TESTING)
  penctl_add_unit_test(journal-record
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_journal_record.c
    LIBRARIES penctl-journal)
  penctl_add_unit_test(journal-writer
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_journal_writer.c
    LIBRARIES penctl-journal)
  penctl_add_unit_test(message-catalog
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_message_catalog.c
    LIBRARIES penctl-journal)
  target_compile_definitions(test-message-catalog PRIVATE
    PENCTL_CATALOG_PATH="${CMAKE_SOURCE_DIR}/systemd/penctld.catalog")
  penctl_add_unit_test(journal-engine-record
    SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_journal_engine_record.c
    LIBRARIES penctl-journal-engine)
endif()
