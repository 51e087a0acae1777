// The job manager: accepts register/copy/move/remove/change_root/verify, persists each
// job with a per-file checkpoint, runs up to max_active_jobs jobs that touch disjoint
// files at once, sharing the copy and hash worker pools (copies go in batches), and
// resumes unfinished jobs when it starts.
#pragma once

#include "actors/mobile/catalogue_db.hpp"
#include "messages/interfaces.hpp"

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace d1 {

struct job_manager_config {
  std::shared_ptr<catalogue_db> db;
  host_preferences prefs;
  std::vector<copy_worker_actor> copiers;  // at least one
  std::vector<hash_worker_actor> hashers;  // at least one
  uint32_t copy_batch_files = 256;         // at most this many files per copy batch
  uint64_t copy_batch_bytes = 256ull << 20;  // and this many bytes (a larger file: alone)
  uint32_t batches_per_copier = 2;         // copy requests queued per worker (dispatch ahead)
  uint32_t max_active_jobs = 2;            // jobs running at once (at least one)
  // Finished batches' checkpoints are committed together (each commit syncs the catalogue
  // twice) once they reach this many files or bytes, or the oldest waits this long, or
  // the job has nothing left at the workers. Files done but not yet committed are on disk
  // under their final names: a resumed job adopts them (copies) or finds them gone
  // (removals), so a crash loses only work, never files.
  uint32_t commit_files = 1024;
  uint64_t commit_bytes = 1ull << 30;
  std::chrono::milliseconds commit_interval{1000};
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const job_manager_config& cfg);

/// One running job.
struct active_job {
  job_record job;
  resource_detail res;                 // its resource, as loaded when (re)started
  std::unordered_map<std::string, size_t> file_index;  // root + '\n' + rel → res.files
  std::set<std::string> footprint;     // "uid:" + uid and every absolute path it touches
  size_t in_flight = 0;                // requests of this job at workers (a batch is one)
  size_t cursor = 0;                   // next file index to consider
  bool cancel = false;                 // cancel requested
  bool stop_dispatch = false;          // a failure that dooms the rest (disk full)
  bool started = false;                // begun: its resource is loaded
  std::vector<size_t> unsaved;         // files whose checkpoint commit failed
  // Outcomes set in memory, not yet committed (see job_manager_config::commit_files).
  std::vector<size_t> uncommitted;
  std::vector<std::function<caf::error(catalogue_txn&)>> uncommitted_changes;
  uint64_t uncommitted_bytes = 0;
  std::chrono::steady_clock::time_point uncommitted_since;
  std::chrono::steady_clock::time_point run_start;
  uint64_t run_bytes_base = 0;
};

struct job_manager_state {
  static constexpr const char* name = "job_manager";

  job_manager_config cfg_;
  std::deque<uint64_t> queue_;                // queued job ids, in order
  std::map<uint64_t, active_job> active_;     // running jobs by id
  std::vector<uint32_t> copier_load_;         // requests at each copy worker
  std::vector<uint32_t> hasher_load_;         // requests at each hash worker
  uint64_t turn_ = 0;                         // rotates which job dispatches first
  std::map<uint64_t, std::vector<caf::typed_response_promise<job_record>>> waiters_;
  // Jobs that ended while the catalogue refused every write, even of their failure: the
  // store still says they run (a restart resumes them), so get, wait and list answer
  // from here until then.
  std::map<uint64_t, job_record> unrecorded_;
  // The job submit() has just stored (id 0: none, or taken), and the resource it was
  // checked against, while submit() starts it: start_next() and begin() need not read
  // back what is in memory. Nothing else runs in between to change them.
  uint64_t fresh_id_ = 0;
  job_record fresh_job_;
  std::optional<std::pair<uint64_t, resource_detail>> fresh_detail_;
};

/// Spawn with `sys.spawn<caf::detached>(job_manager, cfg)` (it commits to LMDB). Resumes
/// every queued or running job of `cfg.db` at once. An invalid config makes the actor
/// quit with that error.
job_manager_actor::behavior_type
job_manager(job_manager_actor::stateful_pointer<job_manager_state> self, job_manager_config cfg);

}  // namespace d1
