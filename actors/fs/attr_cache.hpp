// attr_cache: the attributes (node_info) of mount paths, so repeated lookups and stats
// never reach a resolver. Memory LRU over an LMDB table; see path_cache.hpp.
#pragma once

#include "actors/fs/path_cache.hpp"
#include "messages/interfaces.hpp"

#include <memory>

namespace d1 {

struct attr_cache_state {
  static constexpr const char* name = "attr_cache";
  std::unique_ptr<path_cache<node_info>> cache;
  bool flush_scheduled = false;
};

/// Serves attr_cache_actor. With an invalid `cfg` (see validate()) the actor quits with
/// that ec::invalid_argument error at once. Pending writes are flushed in batches (count
/// or timer), on flush_atom, and when the actor exits.
attr_cache_actor::behavior_type
attr_cache(attr_cache_actor::stateful_pointer<attr_cache_state> self, path_cache_config cfg);

}  // namespace d1
