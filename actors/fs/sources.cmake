# actors/fs: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
  fs/attr_cache.cpp
  fs/dir_cache.cpp
  fs/path_cache.cpp
  fs/fs_gateway.cpp
  fs/crawl_guard.cpp
)
