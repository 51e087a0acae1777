// The non-template parts of path_cache: config validation, expiry per class, size
// estimates, keys for long paths, and logging of LMDB failures.
#include "actors/fs/path_cache.hpp"

#include "messages/error.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

#include <atomic>

namespace d1 {

caf::error validate(const path_cache_config& cfg) {
  if (cfg.memory_budget == 0)
    return make_error(ec::invalid_argument, "path cache: memory_budget must be > 0");
  if (!cfg.now)
    return make_error(ec::invalid_argument, "path cache: no clock (now) given");
  for (auto ttl : {cfg.ttl.metadata, cfg.ttl.search, cfg.ttl.error, cfg.ttl.transient})
    if (ttl < 0)
      return make_error(ec::invalid_argument, "path cache: a TTL is negative");
  if (cfg.store && cfg.table.empty())
    return make_error(ec::invalid_argument, "path cache: a store needs a table name");
  if (cfg.flush_count == 0)
    return make_error(ec::invalid_argument, "path cache: flush_count must be > 0");
  if (cfg.flush_delay <= caf::timespan{0})
    return make_error(ec::invalid_argument, "path cache: flush_delay must be > 0");
  return caf::none;
}

std::optional<int64_t> expiry_for(cache_class cls, int64_t now, const path_cache_ttls& ttl) {
  int64_t seconds = 0;
  switch (cls) {
    case cache_class::immutable: return int64_t{0};
    case cache_class::live: return std::nullopt;
    case cache_class::metadata: seconds = ttl.metadata; break;
    case cache_class::search: seconds = ttl.search; break;
    case cache_class::error: seconds = ttl.error; break;
    case cache_class::transient: seconds = ttl.transient; break;
    default: return std::nullopt;  // a class from a newer version: do not guess
  }
  if (seconds <= 0)
    return std::nullopt;
  return now + seconds;
}

namespace {

size_t copies_size(const std::vector<local_copy>& copies) {
  size_t result = copies.capacity() * sizeof(local_copy);
  for (auto& c : copies)
    result += c.path.size();
  return result;
}

}  // namespace

size_t estimate_size(const node_info& x) {
  if (!x.source)
    return sizeof(node_info);
  // The shared block (with make_shared's control block) and the strings it holds.
  return sizeof(node_info) + sizeof(content_source) + 16 + x.text().size()
         + x.object().pid.size() + x.object().checksum_algorithm.size()
         + x.object().checksum.size() + copies_size(x.copies());
}

size_t estimate_size(const listing& x) {
  size_t result = sizeof(listing);
  for (auto& e : x.entries)
    result += sizeof(dir_entry) - sizeof(node_info) + e.name.size() + estimate_size(e.info);
  return result;
}

std::string storage_key(const std::string& path, size_t max_key_size) {
  if (path.size() <= max_key_size)
    return path;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(path.data(), path.size(), digest, &digest_size, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string suffix = "#";
  for (unsigned int i = 0; i < digest_size; ++i) {
    suffix += hex[digest[i] >> 4];
    suffix += hex[digest[i] & 0x0f];
  }
  // A readable prefix keeps long paths grouped in key order (prefix scans still work).
  return path.substr(0, max_key_size - suffix.size()) + suffix;
}

void log_cache_error(const std::string& table, const caf::error& err) {
  // A full or broken disk fails every write: one line a minute says so, with the count.
  static std::mutex mtx;
  static std::chrono::steady_clock::time_point last_logged{};
  static uint64_t failures = 0, unlogged = 0;
  std::lock_guard<std::mutex> guard{mtx};
  ++failures;
  ++unlogged;
  auto now = std::chrono::steady_clock::now();
  if (failures > 1 && now - last_logged < std::chrono::minutes(1))
    return;
  spdlog::warn("path cache '{}': {} ({} failed write(s) in the last minute, {} since start; "
               "serving from memory)",
               table, describe(err), unlogged, failures);
  last_logged = now;
  unlogged = 0;
}

}  // namespace d1
