// Object bytes on local disk, served only after they matched their system-metadata
// checksum. A file's final name is its verification record, so it survives restarts.
#pragma once

#include "messages/interfaces.hpp"

#include <caf/error.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

namespace d1 {

struct content_cache_config {
  std::string directory;  // created if missing; holds <sha256(pid)> and <sha256(pid)>.part
  uint64_t max_bytes = 0;  // verified bytes kept on disk before LRU eviction
  // How long one resolve, one download or one hash may take before that location counts
  // as failed.
  caf::timespan request_timeout = std::chrono::hours(1);
  // Hash in a detached one-shot actor (a thread of its own). Tests set false: the hasher
  // then runs as an ordinary scheduled actor that the test coordinator drives.
  bool detach_hashing = true;
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const content_cache_config& cfg);

/// Returns the file name an object's bytes get in the cache directory: the lowercase hex
/// SHA-256 of its PID.
std::string content_cache_file_name(const std::string& pid);

struct content_cache_state {
  static constexpr const char* name = "content_cache";

  /// A verified file on disk.
  struct entry {
    uint64_t size = 0;
    std::list<std::string>::iterator lru_pos;
  };

  /// One download in progress; every fetch of its PID waits for it.
  struct download {
    object_ref ref;
    std::string algorithm;  // canonical DataONE spelling
    std::vector<caf::typed_response_promise<std::string>> waiters;
    std::vector<object_location> locations;
    size_t next = 0;                    // index of the location being tried
    std::vector<std::string> failures;  // one line per failed location
    bool mismatch = false;              // some location served wrong bytes
    caf::error last_error;
  };

  /// Delivers ec::cancelled to every fetch still waiting.
  ~content_cache_state();

  content_cache_config cfg_;
  node_client_actor node_client_;
  std::unordered_map<std::string, entry> files_;  // by file name
  std::list<std::string> lru_;                    // front: least recently fetched
  uint64_t total_bytes_ = 0;
  std::unordered_map<std::string, download> downloads_;  // by file name
  // The last failure per PID, for Status (bounded; oldest forgotten first).
  std::unordered_map<std::string, std::string> last_errors_;
  std::deque<std::string> last_error_order_;
  cache_stats stats_;
};

/// Spawn with `sys.spawn(content_cache, cfg, node_client)`. Scans `cfg.directory` first
/// (deletes stale .part files, counts verified ones). An invalid config or an unusable
/// directory makes the actor quit at once with that error.
content_cache_actor::behavior_type
content_cache(content_cache_actor::stateful_pointer<content_cache_state> self,
              content_cache_config cfg, node_client_actor node_client);

}  // namespace d1
