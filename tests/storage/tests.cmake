# tests/storage (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  storage/codec_test.cpp
  storage/environment_test.cpp
  storage/kv_store_test.cpp
  storage/memory_store_test.cpp
  storage/disposable_test.cpp
)
