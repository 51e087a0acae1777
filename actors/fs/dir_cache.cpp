// dir_cache's behaviour: a thin message layer over path_cache<listing_ptr>, plus lookups of
// one name in a cached listing.
#include "actors/fs/dir_cache.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <malloc.h>

namespace d1 {

namespace {

using self_ptr = dir_cache_actor::stateful_pointer<dir_cache_state>;

// Listings this small are searched; larger ones get a name index.
constexpr size_t index_threshold = 64;
constexpr size_t max_indexes = 2;
// A flush that encoded this much followed a large listing whose transient copies (Solr
// pages, messages, the encoding) were freed in several threads' malloc arenas.
constexpr uint64_t trim_after_bytes = uint64_t{4} << 20;

const dir_entry* find_entry(dir_cache_state& st, const listing_ptr& dir, const std::string& name) {
  auto& entries = dir->entries;
  if (entries.size() < index_threshold) {
    for (auto& e : entries)
      if (e.name == name)
        return &e;
    return nullptr;
  }
  auto i = st.indexes.begin();
  while (i != st.indexes.end() && i->of != dir)
    ++i;
  if (i == st.indexes.end()) {
    listing_name_index index;
    index.of = dir;
    index.position.reserve(entries.size());
    for (size_t k = 0; k < entries.size(); ++k)
      index.position.emplace(entries[k].name, k);
    st.indexes.push_front(std::move(index));
    if (st.indexes.size() > max_indexes)
      st.indexes.pop_back();
  } else {
    st.indexes.splice(st.indexes.begin(), st.indexes, i);
  }
  auto& position = st.indexes.front().position;
  auto p = position.find(name);
  return p == position.end() ? nullptr : &entries[p->second];
}

void flush_and_trim(self_ptr self) {
  auto& cache = *self->state.cache;
  cache.flush();
  if (cache.last_flush_bytes() >= trim_after_bytes)
    malloc_trim(0);
}

}  // namespace

bool servable_from_listing(cache_class entry, cache_class listed, const path_cache_ttls& ttl) {
  if (entry == cache_class::live)
    return false;
  if (entry == cache_class::immutable || entry == listed)
    return true;
  auto ttl_of = [&](cache_class c) -> std::optional<int64_t> {
    switch (c) {
      case cache_class::immutable: return INT64_MAX;
      case cache_class::metadata: return ttl.metadata;
      case cache_class::search: return ttl.search;
      case cache_class::error: return ttl.error;
      case cache_class::transient: return ttl.transient;
      default: return std::nullopt;
    }
  };
  auto e = ttl_of(entry);
  auto l = ttl_of(listed);
  return e && l && *e > 0 && *e >= *l;
}

dir_cache_actor::behavior_type
dir_cache(dir_cache_actor::stateful_pointer<dir_cache_state> self, path_cache_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(std::move(err));
    return dir_cache_actor::behavior_type::make_empty_behavior();
  }
  self->state.cache = std::make_unique<path_cache<listing_ptr>>(std::move(cfg));
  return {
    [=](get_atom, const std::string& path) -> listing_ptr {
      auto value = self->state.cache->get(path);
      // A get may queue the erase of an expired record.
      schedule_flush(self, flush_atom::value);
      if (!value)
        return nullptr;
      return std::move(*value);
    },
    [=](get_atom, const std::string& parent, const std::string& name) -> cached_attr {
      auto& st = self->state;
      auto dir = st.cache->get(parent);
      schedule_flush(self, flush_atom::value);
      if (!dir || !*dir)
        return {};
      auto entry = find_entry(st, *dir, name);
      if (!entry || !servable_from_listing(entry->info.cache, (*dir)->cache, st.cache->config().ttl))
        return {};
      return {true, entry->info};
    },
    [=](put_atom, const std::string& path, listing_ptr& value) {
      if (!value)
        return;
      auto& st = self->state;
      st.cache->put(path, std::move(value));
      // Indexes of listings nothing else holds any more (replaced or evicted) go too.
      st.indexes.remove_if([](const listing_name_index& x) { return x.of.use_count() <= 1; });
      schedule_flush(self, flush_atom::value);
    },
    [=](stats_atom) -> cache_stats { return self->state.cache->stats(); },
    [=](flush_atom) {
      self->state.flush_scheduled = false;
      flush_and_trim(self);
    },
  };
}

}  // namespace d1
