// Values exchanged with attr_cache, dir_cache and content_cache, and their statistics.
#pragma once

#include "messages/fs_types.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

/// attr_cache's answer: `found` false on a miss or an expired entry.
struct cached_attr {
  bool found = false;
  node_info info;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cached_attr& x) {
  return f(caf::meta::type_name("cached_attr"), x.found, x.info);
}

/// dir_cache's answer: `found` false on a miss or an expired entry.
struct cached_listing {
  bool found = false;
  listing value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cached_listing& x) {
  return f(caf::meta::type_name("cached_listing"), x.found, x.value);
}

/// Counters a cache reports to Status.
struct cache_stats {
  uint64_t entries = 0;        // in memory
  uint64_t memory_bytes = 0;   // in memory, estimated
  uint64_t hits = 0;           // served from memory or LMDB
  uint64_t disk_hits = 0;      // of those, read back from LMDB
  uint64_t misses = 0;
  uint64_t expired = 0;
  uint64_t evictions = 0;      // dropped from memory (still in LMDB)
  uint64_t writes = 0;         // records written to LMDB
  uint64_t fetched_bytes = 0;  // content_cache: bytes downloaded from nodes (verified or not)
  uint64_t errors = 0;         // LMDB reads or write batches that failed (served on anyway)
  std::string last_error;      // describe() of the last of them; "" if none
  int64_t last_error_at = 0;   // when, seconds since the epoch
  // content_cache only:
  uint64_t checksum_failures = 0;  // objects whose bytes did not match (discarded)
  uint64_t partial_bytes = 0;      // bytes of objects not complete yet (included in memory_bytes)
  uint64_t active_downloads = 0;   // objects with a transfer in flight
  uint64_t disk_full = 0;          // writes the state disk refused (ENOSPC, EDQUOT)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cache_stats& x) {
  return f(caf::meta::type_name("cache_stats"), x.entries, x.memory_bytes, x.hits,
           x.disk_hits, x.misses, x.expired, x.evictions, x.writes, x.fetched_bytes, x.errors,
           x.checksum_failures, x.partial_bytes, x.active_downloads, x.disk_full,
           x.last_error, x.last_error_at);
}

/// An object whose bytes are partly in the content cache (LMDB table "partial"): enough for
/// a restarted daemon to fetch only the ranges that are missing.
struct partial_object {
  object_ref ref;
  std::vector<uint64_t> ranges;  // begin, end, begin, end, …: the bytes present, in order
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partial_object& x) {
  return f(caf::meta::type_name("partial_object"), x.ref, x.ranges);
}

}  // namespace d1
