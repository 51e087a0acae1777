// The job manager: accepts register/copy/move/remove/change_root/verify, persists each
// job with a per-file checkpoint, runs one job at a time with its files spread over the
// copy and hash worker pools, and resumes unfinished jobs when it starts.
#pragma once

#include "actors/mobile/catalogue_db.hpp"
#include "messages/interfaces.hpp"

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace d1 {

struct job_manager_config {
  std::shared_ptr<catalogue_db> db;
  host_preferences prefs;
  std::vector<copy_worker_actor> copiers;  // at least one
  std::vector<hash_worker_actor> hashers;  // at least one
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const job_manager_config& cfg);

struct job_manager_state {
  static constexpr const char* name = "job_manager";

  job_manager_config cfg_;
  std::deque<uint64_t> queue_;         // queued job ids, in order
  std::optional<job_record> active_;   // the running job
  resource_detail res_;                // its resource, as loaded when (re)started
  size_t in_flight_ = 0;               // files of the active job at workers
  size_t cursor_ = 0;                  // next file index to consider
  bool cancel_ = false;                // cancel requested for the active job
  bool stop_dispatch_ = false;         // a failure that dooms the rest (disk full)
  size_t next_copier_ = 0;
  size_t next_hasher_ = 0;
  std::chrono::steady_clock::time_point run_start_;
  uint64_t run_bytes_base_ = 0;
  std::map<uint64_t, std::vector<caf::typed_response_promise<job_record>>> waiters_;
};

/// Spawn with `sys.spawn<caf::detached>(job_manager, cfg)` (it commits to LMDB). Resumes
/// every queued or running job of `cfg.db` at once. An invalid config makes the actor
/// quit with that error.
job_manager_actor::behavior_type
job_manager(job_manager_actor::stateful_pointer<job_manager_state> self, job_manager_config cfg);

}  // namespace d1
