// attr_cache's behaviour: a thin message layer over path_cache<node_info>.
#include "actors/fs/attr_cache.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace d1 {

attr_cache_actor::behavior_type
attr_cache(attr_cache_actor::stateful_pointer<attr_cache_state> self, path_cache_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(std::move(err));
    return attr_cache_actor::behavior_type::make_empty_behavior();
  }
  self->state.cache = std::make_unique<path_cache<node_info>>(std::move(cfg));
  return {
    [=](get_atom, const std::string& path) -> cached_attr {
      auto value = self->state.cache->get(path);
      // A get may queue the erase of an expired record.
      schedule_flush(self, flush_atom::value);
      if (!value)
        return {};
      return {true, std::move(*value)};
    },
    [=](put_atom, const std::string& path, node_info& info) {
      self->state.cache->put(path, std::move(info));
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
