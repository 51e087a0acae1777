// The job manager: accepts register/copy/move/remove/change_root/verify, persists each
// job with a per-file checkpoint, runs up to max_active_jobs jobs that touch disjoint
// files at once, sharing the copy and hash worker pools (files go in batches), retries
// files that failed transiently, schedules scrubs, and resumes unfinished jobs when it
// starts. What each kind of job does is in job_kinds.hpp; how each kind of batch goes to
// the workers in job_phases.hpp.
#pragma once

#include "actors/mobile/catalogue_db.hpp"
#include "actors/mobile/file_system.hpp"
#include "actors/mobile/job_interrupts.hpp"
#include "actors/mobile/job_kinds.hpp"
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
#include <utility>
#include <vector>

namespace d1 {

struct job_manager_config {
  std::shared_ptr<catalogue_db> db;
  host_preferences prefs;
  std::vector<copy_worker_actor> copiers;  // at least one
  std::vector<hash_worker_actor> hashers;  // at least one
  // Replace a worker that did not answer in time (it may be stuck in the kernel on a
  // dead mount); none: the slot is kept and the worker may answer later.
  std::function<copy_worker_actor()> new_copier;
  std::function<hash_worker_actor()> new_hasher;
  std::shared_ptr<file_system> fs;  // roots' identities at submission (default: the real one)
  std::shared_ptr<job_interrupts> interrupts;  // shared with the workers (default: own)
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
  // How a removal re-checks the other copy and the file itself right before deleting.
  recheck_mode recheck = recheck_mode::stat;
  // A file that failed transiently (EIO, a vanished temporary, a worker that did not
  // answer) is tried again up to this many times, after retry_backoff, doubling.
  uint32_t file_retries = 3;
  std::chrono::milliseconds retry_backoff{1000};
  // A request to a worker may take worker_timeout plus its bytes at worker_min_rate;
  // after that its files fail (transiently) and the worker is replaced.
  std::chrono::milliseconds worker_timeout{120000};
  uint64_t worker_min_rate = 1ull << 20;  // bytes per second
  // Scrub: copies whose oldest hash is older than scrub_every are hashed again, one copy
  // at a time, at most scrub_rate bytes per second; looked for every scrub_check. 0: off.
  std::chrono::milliseconds scrub_every{0};
  uint64_t scrub_rate = 50ull << 20;
  std::chrono::milliseconds scrub_check{std::chrono::hours(1)};
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const job_manager_config& cfg);

/// A job that ended while some of its batches were still at the workers (cancelled): its
/// files stay busy until they answer, and what they did is still recorded.
struct draining_job {
  std::set<std::string> footprint;
  size_t in_flight = 0;
};

struct job_manager_state {
  static constexpr const char* name = "job_manager";

  job_manager_config cfg_;
  std::deque<uint64_t> queue_;                // queued job ids, in order
  std::map<uint64_t, active_job> active_;     // running jobs by id
  std::map<uint64_t, draining_job> draining_;
  std::vector<uint32_t> copier_load_;         // requests at each copy worker
  std::vector<uint32_t> hasher_load_;         // requests at each hash worker
  std::vector<uint64_t> copier_gen_;          // bumped when a worker is replaced
  std::vector<uint64_t> hasher_gen_;
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
