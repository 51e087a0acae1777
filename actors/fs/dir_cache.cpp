// dir_cache's behaviour: a thin message layer over path_cache<listing>.
#include "actors/fs/dir_cache.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace d1 {

dir_cache_actor::behavior_type
dir_cache(dir_cache_actor::stateful_pointer<dir_cache_state> self, path_cache_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(std::move(err));
    return dir_cache_actor::behavior_type::make_empty_behavior();
  }
  self->state.cache = std::make_unique<path_cache<listing>>(std::move(cfg));
  return {
    [=](get_atom, const std::string& path) -> cached_listing {
      auto value = self->state.cache->get(path);
      // A get may queue the erase of an expired record.
      schedule_flush(self, flush_atom::value);
      if (!value)
        return {};
      return {true, std::move(*value)};
    },
    [=](put_atom, const std::string& path, listing& value) {
      self->state.cache->put(path, std::move(value));
      schedule_flush(self, flush_atom::value);
    },
    [=](stats_atom) -> cache_stats { return self->state.cache->stats(); },
    [=](flush_atom) {
      self->state.flush_scheduled = false;
      self->state.cache->flush();
    },
  };
}

}  // namespace d1
