# tests/messages (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  messages/error_test.cpp
)
