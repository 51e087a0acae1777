// copy_worker, its copy_finisher, and hash_worker: blocking file operations behind
// messages. The workers take values only, so they can later run on another node.
#pragma once

#include "actors/mobile/file_system.hpp"
#include "actors/mobile/job_interrupts.hpp"
#include "messages/interfaces.hpp"

#include <memory>

namespace d1 {

/// What every worker is spawned with (not messages: they stay on the worker's node).
struct worker_setup {
  std::shared_ptr<file_system> fs;  // the disk (a fault-injecting one in tests)
  bool direct_reads = true;         // [mobile] direct_reads: files over 4 MiB with O_DIRECT
  std::shared_ptr<job_interrupts> interrupts;  // cancelled jobs, a stopping daemon
};

struct copy_worker_state {
  static constexpr const char* name = "copy_worker";
  copy_finisher_actor finisher;  // none: each batch is finished before the reply
  worker_setup setup;
};

/// Spawn detached (it blocks on the disk). Copies batches, delegating the sync and renames
/// of each batch it has written to `finisher` (spawned detached too, one per worker; none:
/// it finishes each batch itself) and goes on with the next batch, so the disk flush of
/// one batch overlaps the writing of the next. Removes batches after their re-checks.
copy_worker_actor::behavior_type
copy_worker(copy_worker_actor::stateful_pointer<copy_worker_state> self,
            copy_finisher_actor finisher, worker_setup setup);

struct copy_finisher_state {
  static constexpr const char* name = "copy_finisher";
  worker_setup setup;
};

/// Spawn detached, one per copy worker.
copy_finisher_actor::behavior_type
copy_finisher(copy_finisher_actor::stateful_pointer<copy_finisher_state> self,
              worker_setup setup);

struct hash_worker_state {
  static constexpr const char* name = "hash_worker";
  worker_setup setup;
};

/// Spawn detached, like copy_worker.
hash_worker_actor::behavior_type
hash_worker(hash_worker_actor::stateful_pointer<hash_worker_state> self, worker_setup setup);

}  // namespace d1
