// What the mount's FUSE side and the supervisor hold, published for Status/daemon.txt:
// counters written by their owners and read by the status actor (local only, never sent).
#pragma once

#include <atomic>
#include <cstdint>

namespace d1 {

struct mount_gauges {
  std::atomic<uint64_t> inodes{0};          // in the inode table
  std::atomic<uint64_t> inode_bytes{0};     // its estimated size
  std::atomic<uint64_t> invalidated{0};     // entries the kernel was told to drop
  std::atomic<uint64_t> actor_restarts{0};  // times the mount's actors were restarted
};

}  // namespace d1
