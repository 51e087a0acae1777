// Who spawns whom: the daemon's actors, started in dependency order from one
// daemon_config, and stopped in reverse order so caches flush before the process exits;
// and the supervisor that restarts them all when one of them fails.
#pragma once

#include "actors/control/daemon_config.hpp"
#include "actors/control/supervision.hpp"
#include "actors/dataone/http_client.hpp"
#include "actors/dataone/node_client.hpp"
#include "actors/dataone/solr_querier.hpp"
#include "actors/fs/fs_gateway.hpp"
#include "actors/resolve/d1_object.hpp"
#include "actors/resolve/package.hpp"
#include "actors/resolve/resources.hpp"
#include "actors/resolve/status.hpp"
#include "messages/interfaces.hpp"
#include "messages/mount_gauges.hpp"
#include "storage/kv_store.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace d1 {

/// Handles of the mobile half (control_plane, started first) that the mount's actors use.
/// They outlive restarts of the mount's actors; null ones leave their files out of the tree.
struct mobile_handles {
  job_manager_actor jobs;  // Status/jobs/, Status/jobs.json
  catalogue_actor catalogue;  // Resources/
};

/// The state the mount's actors work on, opened once per process. The caches are
/// disposable: damaged ones are moved aside and the daemon starts with empty ones.
struct daemon_state {
  std::shared_ptr<storage::kv_store> cache_store;  // LMDB: attr and dir tables
  bool cache_persistent = true;  // false: the caches live in memory only (logged)
  std::string content_dir;       // verified object bytes
  std::shared_ptr<mount_gauges> gauges = std::make_shared<mount_gauges>();  // for Status
  /// The mobile half, started before the mount and not restarted with it (none under
  /// tests that start the mount alone: no Resources/, no Status/jobs).
  mobile_handles mobile;
  int64_t mount_time = 0;  // seconds since the epoch: the date of the top folders
};

/// Opens the cache environment and the content folder of `cfg.state_dir`, moving
/// damaged ones aside with a logged warning (storage/disposable.hpp). Fails only if no
/// content folder can be made at all (ec::io_error).
caf::expected<daemon_state> open_daemon_state(const daemon_config& cfg);

/// Every mount actor's own config, as start_daemon spawns them. The handles between the
/// actors are left empty: start_daemon fills them in as it spawns.
struct mount_configs {
  http_client_config http;
  node_client_config nodes;
  solr_querier_config solr;
  content_cache_config content;
  path_cache_config attrs;
  path_cache_config dirs;
  package_config package;
  d1_object_config objects;
  crawl_config crawl;
  status_config status;
  flat_space_config flat_space;
  faceted_search_config search;
  std::vector<named_search> searches;
  resources_config resources;
  fs_gateway_config gateway;
};

/// The one place where a setting several actors share ([network], base_url, the cache
/// TTLs) is copied into each actor's config, and where the state's stores and folders are
/// handed to the actors that keep something in them.
mount_configs mount_configs_of(const daemon_config& cfg, const daemon_state& state);

/// Checks every config of `c` (the catalogue's Resources/ only when there is a catalogue).
/// Returns the first problem (ec::invalid_argument), or an empty error.
caf::error validate(const mount_configs& c);

struct daemon_actors {
  caf::actor_system* system = nullptr;
  std::shared_ptr<storage::kv_store> cache_store;
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
  resolver_actor resources;  // none without a catalogue
  resolver_actor root;
  crawl_guard_actor crawl;
  fs_gateway_actor gateway;

  /// Every actor with its name, front (gateway) to back (http): the shutdown order.
  std::vector<std::pair<caf::actor, std::string>> all() const;

  /// Stops every actor, front (gateway) to back (http), and waits until each has exited,
  /// so that caches have written what they hold.
  void shutdown();
};

/// Spawns the actors over `state`, each failing loudly (supervision.hpp). Fails with the
/// first problem: ec::invalid_argument for a bad setting.
caf::expected<daemon_actors> start_daemon(caf::actor_system& sys, const daemon_config& cfg,
                                          const daemon_state& state);

/// Keeps the mount's actors running: when one of them stops for any reason but an orderly
/// shutdown, the failure is logged, every actor is stopped and the whole set started anew
/// over the same state (the caches persist, so little is lost; requests in flight fail
/// with EIO), and `restarted` gets the new set (for the mount's gateway and the control
/// socket). After `max_restarts` restarts within
/// `restart_window` it gives up instead and calls `give_up` (the daemon must then exit
/// non-zero).
class daemon_supervisor {
public:
  struct hooks {
    std::function<void(const daemon_actors&)> restarted;
    std::function<void(const std::string& why)> give_up;
  };
  static constexpr size_t max_restarts = 5;
  static constexpr std::chrono::minutes restart_window{10};

  /// Starts the actors (start_daemon) and watches them.
  static caf::expected<std::unique_ptr<daemon_supervisor>>
  start(caf::actor_system& sys, const daemon_config& cfg, daemon_state state, hooks h);

  ~daemon_supervisor();

  /// The current actors (their handles change with each restart).
  daemon_actors actors() const;

  /// How many times the actors were restarted since start.
  size_t restarts() const;

  /// Stops watching, then stops the actors in order. Idempotent.
  void shutdown();

private:
  daemon_supervisor(caf::actor_system& sys, daemon_config cfg, daemon_state state, hooks h);
  void on_failure(const std::string& name, const caf::error& reason);
  void watch_all();

  caf::actor_system& sys_;
  daemon_config cfg_;
  daemon_state state_;
  hooks hooks_;
  mutable std::mutex mtx_;
  daemon_actors actors_;
  std::vector<std::chrono::steady_clock::time_point> restart_times_;  // within the window
  size_t restarts_ = 0;
  bool stopped_ = false;
  std::unique_ptr<actor_watch> watch_;
};

}  // namespace d1
