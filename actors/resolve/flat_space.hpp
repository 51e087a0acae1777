// FlatSpace/<pid>/: any object by its identifier (one escaped path segment). Its own
// listing shows the objects visited recently, kept in LMDB across restarts.
#pragma once

#include "actors/resolve/long_names.hpp"
#include "messages/interfaces.hpp"
#include "storage/kv_store.hpp"

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace d1 {

struct flat_space_config {
  size_t recent_objects = 100;  // objects the listing shows, most recently visited first
  // Where the recent objects and shortened names persist (null: memory only).
  std::shared_ptr<storage::kv_store> store;
  size_t max_long_names = 100000;
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not:
/// recent_objects 1 to max_recent_objects, max_long_names ≥ 1.
caf::error validate(const flat_space_config& cfg);

constexpr size_t max_recent_objects = 100000;

/// The recent objects as they persist: PIDs, most recent first, and their folders' mtimes.
struct recent_objects_record {
  std::vector<std::string> pids;
  std::vector<int64_t> uploaded;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recent_objects_record& x) {
  return f(caf::meta::type_name("recent_objects_record"), x.pids, x.uploaded);
}

struct flat_space_state {
  static constexpr const char* name = "flat_space";
  flat_space_config config;
  d1_object_actor objects;
  struct visit {
    std::string pid;
    int64_t uploaded = 0;  // the object folder's mtime
  };
  std::deque<visit> visited;  // most recent first
  std::unique_ptr<long_name_map> long_names;
};

/// Parses the PID segment and hands the rest to `objects`. Loads the recent objects from
/// config.store; an invalid config makes the actor quit at once with that error.
resolver_actor::behavior_type flat_space(resolver_actor::stateful_pointer<flat_space_state> self,
                                         flat_space_config config, d1_object_actor objects);

}  // namespace d1
