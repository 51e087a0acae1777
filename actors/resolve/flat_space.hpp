// FlatSpace/<pid>/: any object by its identifier (one escaped path segment). Its own
// listing shows the objects visited recently.
#pragma once

#include "messages/interfaces.hpp"

#include <deque>
#include <string>

namespace d1 {

struct flat_space_state {
  static constexpr const char* name = "flat_space";
  d1_object_actor objects;
  size_t max_visited = 100;
  struct visit {
    std::string pid;
    int64_t uploaded = 0;  // the object folder's mtime
  };
  std::deque<visit> visited;  // most recent first
};

/// Parses the PID segment and hands the rest to `objects`.
resolver_actor::behavior_type flat_space(resolver_actor::stateful_pointer<flat_space_state> self,
                                         d1_object_actor objects, size_t max_visited);

}  // namespace d1
