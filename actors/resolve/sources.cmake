# actors/resolve: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
  resolve/root.cpp
  resolve/flat_space.cpp
  resolve/d1_object.cpp
  resolve/science_object.cpp
  resolve/facet_path.cpp
  resolve/faceted_search.cpp
  resolve/object_pager.cpp
  resolve/value_folders.cpp
  resolve/preconfigured_search.cpp
  resolve/package.cpp
  resolve/status.cpp
  resolve/resource_tree.cpp
  resolve/resources.cpp
  resolve/long_names.cpp
)
