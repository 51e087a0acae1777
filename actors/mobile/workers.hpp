// copy_worker and hash_worker: one blocking file operation per message (file_ops.hpp).
// They take values only, so they can later run on another node.
#pragma once

#include "messages/interfaces.hpp"

namespace d1 {

struct copy_worker_state {
  static constexpr const char* name = "copy_worker";
};

/// Spawn detached (`sys.spawn<caf::detached>(copy_worker)`): each request blocks for the
/// whole copy.
copy_worker_actor::behavior_type
copy_worker(copy_worker_actor::stateful_pointer<copy_worker_state> self);

struct hash_worker_state {
  static constexpr const char* name = "hash_worker";
};

/// Spawn detached, like copy_worker.
hash_worker_actor::behavior_type
hash_worker(hash_worker_actor::stateful_pointer<hash_worker_state> self);

}  // namespace d1
