# tests/integration (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  integration/harness.cpp
  integration/mount_test.cpp
  integration/restart_test.cpp
  integration/search_test.cpp
  integration/crawl_test.cpp
  integration/package_test.cpp
  integration/cli_test.cpp
  integration/hostile_control_test.cpp
  integration/state_dir_test.cpp
  integration/memory_test.cpp
)
