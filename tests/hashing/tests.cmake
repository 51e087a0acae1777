# tests/hashing (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  hashing/checksum_test.cpp
)
