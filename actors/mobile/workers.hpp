// copy_worker, its copy_finisher, and hash_worker: blocking file operations (file_ops.hpp)
// behind messages. The workers take values only, so they can later run on another node.
#pragma once

#include "messages/interfaces.hpp"

namespace d1 {

struct copy_worker_state {
  static constexpr const char* name = "copy_worker";
  copy_finisher_actor finisher;  // none: each batch is finished before the reply
  bool direct_reads = true;      // read_options::direct ([mobile] direct_reads)
};

/// Spawn detached (`sys.spawn<caf::detached>(copy_worker)`): each request blocks for the
/// whole batch, sync and renames included. Reads large files with O_DIRECT.
copy_worker_actor::behavior_type
copy_worker(copy_worker_actor::stateful_pointer<copy_worker_state> self);

/// A copy worker that delegates the sync and renames of each batch it has written to
/// `finisher` (spawned detached too, one per worker) and goes on with the next batch, so
/// the disk flush of one batch overlaps the writing of the next. `direct_reads`: files
/// over 4 MiB are read with O_DIRECT (file_ops.hpp, read_options).
copy_worker_actor::behavior_type
pipelined_copy_worker(copy_worker_actor::stateful_pointer<copy_worker_state> self,
                      copy_finisher_actor finisher, bool direct_reads);

/// Spawn detached, one per copy worker.
copy_finisher_actor::behavior_type copy_finisher(copy_finisher_actor::pointer self);

struct hash_worker_state {
  static constexpr const char* name = "hash_worker";
  bool direct_reads = true;
};

/// Spawn detached, like copy_worker; `direct_reads` as for pipelined_copy_worker.
hash_worker_actor::behavior_type
hash_worker(hash_worker_actor::stateful_pointer<hash_worker_state> self, bool direct_reads);

}  // namespace d1
