// dir_cache: the listings of mount paths, so `ls` of a folder seen before (also before a
// restart) never reaches a resolver. Memory LRU over an LMDB table; see path_cache.hpp.
#pragma once

#include "actors/fs/path_cache.hpp"
#include "messages/interfaces.hpp"

#include <memory>

namespace d1 {

struct dir_cache_state {
  static constexpr const char* name = "dir_cache";
  std::unique_ptr<path_cache<listing>> cache;
  bool flush_scheduled = false;
};

/// Serves dir_cache_actor. With an invalid `cfg` (see validate()) the actor quits with
/// that ec::invalid_argument error at once. Pending writes are flushed in batches (count
/// or timer), on flush_atom, and when the actor exits.
dir_cache_actor::behavior_type
dir_cache(dir_cache_actor::stateful_pointer<dir_cache_state> self, path_cache_config cfg);

}  // namespace d1
