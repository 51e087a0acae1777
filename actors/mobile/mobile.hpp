// Wiring of the mobile-files actors: the catalogue database, the worker pools, the
// catalogue and the job manager, started from daemon_config and stopped in reverse.
#pragma once

#include "actors/control/daemon_config.hpp"
#include "actors/mobile/catalogue_db.hpp"
#include "actors/mobile/file_system.hpp"
#include "actors/mobile/job_interrupts.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <memory>
#include <string>
#include <vector>

namespace d1 {

struct mobile_actors {
  caf::actor_system* system = nullptr;
  std::shared_ptr<catalogue_db> db;
  catalogue_actor catalogue;
  job_manager_actor jobs;
  std::vector<copy_worker_actor> copiers;  // each with its own finisher
  std::vector<hash_worker_actor> hashers;
  std::shared_ptr<job_interrupts> interrupts;

  /// Stops the workers' batches (within a piece), then the job manager (jobs in flight
  /// stay resumable), the catalogue and the workers, waiting up to 60 s for each.
  void shutdown();
};

/// This host's preferred roots from `cfg.host_roots` and its root map from
/// `cfg.host_root_maps` (host from gethostname()).
host_preferences host_preferences_of(const daemon_config& cfg);

/// Opens <state_dir>/catalogue.lmdb and spawns the actors (all detached: they block on
/// disk). The job manager resumes unfinished jobs at once. `fs`: the disk the workers
/// use (none: the real one; tests inject faults), with this host's root map applied. Returns the handles, or
/// ec::storage_error for an unusable catalogue, ec::invalid_argument for bad settings.
caf::expected<mobile_actors> start_mobile(caf::actor_system& sys, const daemon_config& cfg,
                                          std::shared_ptr<file_system> fs = nullptr);

}  // namespace d1
