// Values exchanged with attr_cache, dir_cache and content_cache, and their statistics.
#pragma once

#include "messages/dataone_types.hpp"
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

/// A checksum failure the content cache remembers for Status/content (the last few).
struct checksum_failure {
  int64_t at_ms = 0;  // when, ms since the epoch
  std::string pid;
  // The replicas that sent the bytes (all of them when the cache cannot tell which did).
  std::vector<object_location> sources;
  std::string algorithm;  // as DataONE spells it
  std::string expected;   // lowercase hex, from the system metadata
  std::string computed;   // lowercase hex, of the bytes that arrived
  uint64_t bytes = 0;     // the object's size
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checksum_failure& x) {
  return f(caf::meta::type_name("checksum_failure"), x.at_ms, x.pid, x.sources, x.algorithm,
           x.expected, x.computed, x.bytes);
}

/// An object whose bytes are being fetched now.
struct download_progress {
  std::string pid;
  uint64_t bytes_present = 0;   // on disk so far
  uint64_t size = 0;            // the whole object
  uint64_t rate = 0;            // bytes per second since its transfers started
  int64_t elapsed_ms = 0;       // since its transfers started
  uint32_t transfers = 0;       // ranged GETs in flight
  uint32_t readers = 0;         // open handles
  std::vector<std::string> nodes;  // node identifiers the transfers read from
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, download_progress& x) {
  return f(caf::meta::type_name("download_progress"), x.pid, x.bytes_present, x.size, x.rate,
           x.elapsed_ms, x.transfers, x.readers, x.nodes);
}

/// What the content cache holds and does, for Status/content.txt and content.json.
struct content_report {
  uint64_t verified_objects = 0;
  uint64_t verified_bytes = 0;
  uint64_t partial_objects = 0;  // partly present, fetched or not
  uint64_t partial_bytes = 0;
  uint64_t max_bytes = 0;        // the cache's budget on disk
  uint64_t fetched_bytes = 0;    // downloaded since the start (verified or not)
  uint64_t checksum_failures = 0;  // since the start
  uint64_t disk_full = 0;        // writes the state disk refused
  std::vector<download_progress> downloads;  // in flight, in no particular order
  std::vector<checksum_failure> failures;    // the most recent, oldest first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, content_report& x) {
  return f(caf::meta::type_name("content_report"), x.verified_objects, x.verified_bytes,
           x.partial_objects, x.partial_bytes, x.max_bytes, x.fetched_bytes,
           x.checksum_failures, x.disk_full, x.downloads, x.failures);
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
