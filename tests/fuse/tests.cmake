# tests/fuse (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  fuse/inode_table_test.cpp
  fuse/kernel_timeouts_test.cpp
  fuse/session_test.cpp
  fuse/local_copy_test.cpp
)
