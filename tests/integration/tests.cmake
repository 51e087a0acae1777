# tests/integration (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
)
