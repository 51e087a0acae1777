// Object bytes on local disk: fetched with HTTP Range as readers need them into a sparse file
// per object, served as they arrive, verified against the system-metadata checksum before the
// last chunk is served, resumed after a restart, bounded in bytes. docs/streaming.md.
#pragma once

#include "actors/dataone/byte_ranges.hpp"
#include "actors/dataone/object_stream.hpp"
#include "actors/dataone/range_sink.hpp"
#include "actors/network_config.hpp"
#include "messages/interfaces.hpp"
#include "storage/kv_store.hpp"

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace d1 {

struct content_cache_config {
  std::string directory;  // created if missing: <sha256(pid)> verified, <…>.part partial
  uint64_t max_bytes = 10ull << 30;  // bytes on disk, partial objects included, before LRU eviction
  uint64_t chunk_bytes = 4ull << 20;       // the tail served only after verification
  uint64_t readahead_bytes = 32ull << 20;  // fetched ahead of a sequential reader
  uint64_t random_read_bytes = 256ull << 10;  // the least fetched for a read out of sequence
  // Resumes on one replica before the next one.
  uint32_t retries_per_location = network_defaults.max_retries;
  caf::timespan resolve_timeout = std::chrono::minutes(2);  // the CN's resolve answer
  // Partial objects' present ranges (null: partial files are deleted at startup).
  std::shared_ptr<storage::kv_store> store;
  std::string table = "partial_objects";
  caf::timespan persist_interval = std::chrono::seconds(1);
  // Hash catch-up in a detached actor (a thread of its own). Tests set false: the worker
  // then runs as an ordinary scheduled actor that the test coordinator drives.
  bool detach_hashing = true;
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const content_cache_config& cfg);

/// Returns the file name an object's bytes get in the cache directory: the lowercase hex
/// SHA-256 of its PID.
std::string content_cache_file_name(const std::string& pid);

/// content_cache_actor plus the messages its object streams and timer send it.
using content_cache_engine_actor = content_cache_actor::extend<
  // Internal: stream `id` reports a stream_event with its two numbers.
  caf::reacts_to<stream_atom, uint64_t, uint8_t, uint64_t, uint64_t>,
  // Internal: persist partial objects, drop idle streams.
  caf::reacts_to<tick_atom>>;

struct content_cache_state {
  static constexpr const char* name = "content_cache";

  /// One transfer of a range of an object.
  struct transfer {
    uint64_t begin = 0;
    uint64_t end = 0;
    size_t location = 0;
    std::shared_ptr<range_sink> sink;
    uint32_t attempt = 0;  // how many transfers of this range came before
    bool fill = false;     // fetches the whole object for verification, not for a reader
  };

  /// One object: verified on disk, or partly present, or being fetched.
  struct entry {
    object_ref ref;
    std::string algorithm;  // canonical DataONE spelling
    bool verified = false;
    uint64_t disk_bytes = 0;  // counted against max_bytes
    std::list<std::string>::iterator lru_pos;
    byte_ranges recorded;  // a partial object without a stream: the bytes on disk
    std::shared_ptr<object_stream> stream;  // while read or fetched
    uint64_t stream_id = 0;
    std::vector<object_location> locations;  // from resolve, once asked
    bool resolving = false;
    std::vector<byte_ranges::range> queued;  // demands waiting for the locations
    size_t preferred = 0;                    // the location tried next
    std::vector<uint32_t> failures;          // per location, since its last bytes
    std::vector<bool> bad;                   // per location: unusable for this object
    std::vector<bool> served;                // per location: sent bytes of this stream
    std::map<uint64_t, transfer> transfers;
    bool whole = false;  // a tail read or a fetch waits: fetch everything, verify
    std::vector<caf::typed_response_promise<std::string>> fetchers;
    caf::error last_error;
    bool dirty = false;  // its ranges changed since they were persisted
    // Since when transfers have run without a pause, and the bytes present then: the
    // download's rate in Status/content.
    caf::actor_clock::time_point fetch_since;
    uint64_t fetch_since_bytes = 0;
  };

  /// Fails what still waits (ec::cancelled), cancels transfers, persists partial objects.
  ~content_cache_state();

  content_cache_config cfg_;
  node_client_actor node_client_;
  std::unordered_map<std::string, entry> entries_;  // by file name
  std::list<std::string> lru_;                      // front: least recently used
  uint64_t total_bytes_ = 0;
  std::unordered_map<uint64_t, std::string> streams_;  // stream id → file name
  uint64_t next_id_ = 1;
  bool tick_pending_ = false;
  // Recent failures for Status/downloads, oldest first (bounded).
  std::deque<std::string> failures_;
  // The last checksum failures for Status/content, oldest first (bounded).
  std::deque<checksum_failure> checksum_failures_;
  cache_stats stats_;
};

/// Spawn with `sys.spawn(content_cache, cfg, node_client)` and keep the result as a
/// content_cache_actor. Scans `cfg.directory` first (verified files; partial ones that
/// `cfg.store` has a record of; other .part files are deleted). An invalid config or an
/// unusable directory makes the actor quit at once with that error.
content_cache_engine_actor::behavior_type
content_cache(content_cache_engine_actor::stateful_pointer<content_cache_state> self,
              content_cache_config cfg, node_client_actor node_client);

}  // namespace d1
