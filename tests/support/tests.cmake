# tests/support
list(APPEND D1_TEST_SOURCES
  support/actor_fixture_test.cpp
  support/test_paths.cpp
)
# Only test_paths.cpp carries the checkout's absolute directories: the other test files then
# compile identically in every checkout and ccache shares them.
set_source_files_properties(support/test_paths.cpp PROPERTIES COMPILE_DEFINITIONS
  "D1_SOURCE_DIR=\"${PROJECT_SOURCE_DIR}\";D1_BINARY_DIR=\"${PROJECT_BINARY_DIR}\"")
