# tests/integration (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  integration/harness.cpp
  integration/mount_test.cpp
  integration/restart_test.cpp
  integration/search_test.cpp
  integration/crawl_test.cpp
  integration/package_test.cpp
  integration/cli_test.cpp
  integration/streaming_test.cpp
  integration/status_test.cpp
  integration/datum_cli_test.cpp
  integration/roots_cli_test.cpp
  integration/resources_test.cpp
  integration/hostile_control_test.cpp
  integration/state_dir_test.cpp
  integration/memory_test.cpp
  integration/mount_helper_test.cpp
  integration/service_test.cpp
  integration/install_test.cpp
  integration/tree_test.cpp
  integration/stage_test.cpp
  integration/stage_cli_test.cpp
)
# The Debian package is built once (cpack, about 10 s) for all of install_test's tests, so
# they run in one process: one ctest test (left out of gtest discovery in tests/).
add_test(NAME install_test.integration_package
  COMMAND d1drive_tests --gtest_filter=install_test.*)
set_tests_properties(install_test.integration_package PROPERTIES TIMEOUT 900)
