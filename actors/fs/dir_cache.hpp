// dir_cache: the listings of mount paths, so `ls` of a folder seen before (also before a
// restart) never reaches a resolver, and a lookup of a listed name is answered from its
// parent's listing. Memory LRU over an LMDB table; see path_cache.hpp.
#pragma once

#include "actors/fs/path_cache.hpp"
#include "messages/interfaces.hpp"

#include <cstddef>
#include <list>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace d1 {

/// Where each name of one large listing is (built on the first lookup in it).
struct listing_name_index {
  listing_ptr of;  // keeps the listing (and the names the views point into) alive
  std::unordered_map<std::string_view, size_t> position;
};

struct dir_cache_state {
  static constexpr const char* name = "dir_cache";
  std::unique_ptr<path_cache<listing_ptr>> cache;
  bool flush_scheduled = false;
  // Name indexes of the listings looked up last (most recent first, a few at most).
  std::list<listing_name_index> indexes;
};

/// Returns whether an entry of class `entry` may be served from a listing of class
/// `listed` for as long as the listing is cached: never for live entries, and only if the
/// entry's own TTL is not shorter than the listing's.
bool servable_from_listing(cache_class entry, cache_class listed, const path_cache_ttls& ttl);

/// Serves dir_cache_actor. With an invalid `cfg` (see validate()) the actor quits with
/// that ec::invalid_argument error at once. Pending writes are flushed in batches (count
/// or timer), on flush_atom, and when the actor exits; a flush that wrote megabytes gives
/// freed memory back to the system (malloc_trim).
dir_cache_actor::behavior_type
dir_cache(dir_cache_actor::stateful_pointer<dir_cache_state> self, path_cache_config cfg);

}  // namespace d1
