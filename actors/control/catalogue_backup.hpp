// catalogue_backup: the catalogue's rolling backups. A compacted copy (storage/backup.hpp)
// at start when the newest is older than the interval, then once per interval; the newest
// few are kept for `d1drive catalogue restore`.
#pragma once

#include "messages/interfaces.hpp"
#include "storage/environment.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace d1 {

struct catalogue_backup_config {
  std::shared_ptr<storage::environment> env;  // the catalogue's
  std::string backup_root;                    // <state_dir>/catalogue.backup
  std::chrono::seconds every{3600};           // > 0
  size_t keep = 2;                            // ≥ 1
};

/// Returns an empty error for a usable config, else ec::invalid_argument naming the field.
caf::error validate(const catalogue_backup_config& cfg);

struct catalogue_backup_state {
  catalogue_backup_config cfg;
  uint64_t made = 0;
  uint64_t failed = 0;
  static constexpr const char* name = "catalogue_backup";
};

/// Spawn detached. Quits with the validation error for a bad config.
catalogue_backup_actor::behavior_type
catalogue_backup(catalogue_backup_actor::stateful_pointer<catalogue_backup_state> self,
                 catalogue_backup_config cfg);

}  // namespace d1
