// Who spawns whom: the daemon's actors, started in dependency order from one
// daemon_config, and stopped in reverse order so caches flush before the process exits.
#pragma once

#include "actors/control/daemon_config.hpp"
#include "messages/interfaces.hpp"
#include "storage/kv_store.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <memory>

namespace d1 {

struct daemon_actors {
  caf::actor_system* system = nullptr;
  std::shared_ptr<storage::kv_store> cache_store;  // LMDB: attr and dir tables
  http_client_actor http;
  node_client_actor nodes;
  solr_querier_actor solr;
  content_cache_actor content;
  attr_cache_actor attrs;
  dir_cache_actor dirs;
  object_resolver_actor science;
  package_actor package;
  d1_object_actor objects;
  resolver_actor flat_space;
  faceted_search_actor faceted;
  resolver_actor preconfigured;
  resolver_actor status;
  resolver_actor root;
  crawl_guard_actor crawl;
  fs_gateway_actor gateway;

  /// Stops every actor, front (gateway) to back (http), and waits until each has exited,
  /// so that caches have written what they hold.
  void shutdown();
};

/// Opens the state (LMDB, content directory) and spawns the actors. Fails with the first
/// problem: ec::storage_error for an unusable state dir, ec::invalid_argument for a bad
/// setting.
caf::expected<daemon_actors> start_daemon(caf::actor_system& sys, const daemon_config& cfg);

}  // namespace d1
