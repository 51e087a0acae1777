# tests/support
list(APPEND D1_TEST_SOURCES
  support/actor_fixture_test.cpp
)
