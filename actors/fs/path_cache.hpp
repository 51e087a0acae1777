// The engine behind attr_cache and dir_cache: values by mount path, an LRU bounded in
// bytes in memory over an LMDB table (via storage::kv_store), expiry per cache_class as an
// absolute time stored with each record, and writes batched until flush(). Not an actor:
// the two actors own one each and decide when to flush.
#pragma once

#include "messages/cache_types.hpp"
#include "messages/fs_types.hpp"
#include "storage/codec.hpp"
#include "storage/kv_store.hpp"

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace d1 {

/// TTLs in seconds per cache_class. immutable entries never expire and live ones are
/// never cached, whatever the numbers; a TTL of 0 means "do not cache this class".
struct path_cache_ttls {
  int64_t metadata = 3600;
  int64_t search = 600;
  int64_t error = 60;
  int64_t transient = 5;
};

/// Configuration of attr_cache and dir_cache (one each).
struct path_cache_config {
  /// Bytes of estimated entry size kept in memory (LRU beyond that; evicted entries stay
  /// in LMDB). Must be > 0.
  uint64_t memory_budget = uint64_t{64} << 20;
  path_cache_ttls ttl;
  /// Wall-clock seconds since the epoch. Expiry is stored as an absolute time, so it
  /// survives a restart; tests inject a fake clock.
  std::function<int64_t()> now = [] {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  };
  /// Where records persist; null: memory only.
  std::shared_ptr<storage::kv_store> store;
  /// The table in `store` ("attr", "dir"); required when `store` is set.
  std::string table;
  /// Pending writes are flushed as one batch when this many are queued…
  size_t flush_count = 256;
  /// …or this long after the first one was queued.
  caf::timespan flush_delay = std::chrono::milliseconds(50);
};

/// Returns an empty error for a usable config, else ec::invalid_argument saying which
/// field is wrong.
caf::error validate(const path_cache_config& cfg);

/// The absolute expiry of a value of class `cls` put at `now`: 0 for never (immutable),
/// std::nullopt if the class is not cached at all (live, or a TTL of 0).
std::optional<int64_t> expiry_for(cache_class cls, int64_t now, const path_cache_ttls& ttl);

/// Estimated memory footprint of a cached value, in bytes (strings and containers).
size_t estimate_size(const node_info& x);
size_t estimate_size(const listing& x);
inline size_t estimate_size(const listing_ptr& x) {
  return x ? estimate_size(*x) : 0;
}

inline cache_class class_of(const node_info& x) {
  return x.cache;
}
inline cache_class class_of(const listing& x) {
  return x.cache;
}
inline cache_class class_of(const listing_ptr& x) {
  return x ? x->cache : cache_class::live;  // a null listing is never cached
}

/// How a value kept in memory as V persists: as itself, or a shared listing as the
/// listing it points to (same bytes as path_cache<listing>: records stay readable).
template <class V>
struct persisted_form {
  using type = V;
  static const V& of(const V& x) {
    return x;
  }
  static V from(V&& x) {
    return std::move(x);
  }
};

template <>
struct persisted_form<listing_ptr> {
  using type = listing;
  static const listing& of(const listing_ptr& x) {
    return *x;
  }
  static listing_ptr from(listing&& x) {
    return std::make_shared<const listing>(std::move(x));
  }
};

/// The LMDB key of a mount path: the path itself if it fits in `max_key_size`, else a
/// prefix of it followed by '#' and the SHA-256 of the whole path (records keep the full
/// path, so a lookup checks it).
std::string storage_key(const std::string& path, size_t max_key_size);

/// What persists in LMDB for one path.
template <class V>
struct cache_record {
  int64_t expires_at = 0;  // seconds since the epoch; 0: never
  std::string path;        // the full mount path (keys of long paths are hashed)
  V value;
};

template <class Inspector, class V>
typename Inspector::result_type inspect(Inspector& f, cache_record<V>& x) {
  return f(caf::meta::type_name("cache_record"), x.expires_at, x.path, x.value);
}

/// Reports a failed LMDB operation of a cache (log only: the cache keeps serving).
void log_cache_error(const std::string& table, const caf::error& err);

/// Values of type V (node_info, listing or listing_ptr) by absolute mount path.
template <class V>
class path_cache {
public:
  /// `cfg` must have passed validate().
  explicit path_cache(path_cache_config cfg) : cfg_(std::move(cfg)) {
  }

  /// Writes what is still pending: a clean shutdown persists everything.
  ~path_cache() {
    flush();
  }

  path_cache(const path_cache&) = delete;
  path_cache& operator=(const path_cache&) = delete;

  /// Returns the unexpired value of `path` from memory, pending writes or LMDB (promoted
  /// into memory), or std::nullopt on a miss, an expired entry (erased lazily) or an
  /// unreadable record. Never fails: LMDB errors count as misses (stats().errors).
  std::optional<V> get(const std::string& path) {
    auto now = cfg_.now();
    if (auto i = index_.find(path); i != index_.end()) {
      auto& e = *i->second;
      if (is_expired(e.expires_at, now)) {
        ++stats_.expired;
        ++stats_.misses;
        drop_from_memory(i);
        queue_erase(path);
        return std::nullopt;
      }
      lru_.splice(lru_.begin(), lru_, i->second);
      ++stats_.hits;
      return e.value;
    }
    auto key = storage_key(path, max_key_size());
    std::optional<std::string> bytes;
    bool from_disk = false;
    if (auto p = pending_.find(key); p != pending_.end()) {
      // A value not yet written (not kept in memory: over the budget); nullopt: an erase.
      if (!p->second || p->second->path != path) {
        ++stats_.misses;
        return std::nullopt;
      }
      if (is_expired(p->second->expires_at, now)) {
        ++stats_.expired;
        ++stats_.misses;
        queue_erase(path);
        return std::nullopt;
      }
      ++stats_.hits;
      V value = p->second->value;
      remember(path, value, p->second->expires_at);
      return value;
    }
    if (cfg_.store) {
      auto stored = cfg_.store->get(cfg_.table, key);
      if (!stored) {
        ++stats_.errors;
        log_cache_error(cfg_.table, stored.error());
      } else {
        bytes = std::move(*stored);
        from_disk = true;
      }
    }
    if (!bytes) {
      ++stats_.misses;
      return std::nullopt;
    }
    auto record = storage::decode<cache_record<stored_type>>(*bytes);
    if (!record || record->path != path) {
      // Another schema version, a damaged record or (absurdly unlikely) a hash collision:
      // a miss; the next put overwrites it.
      ++stats_.misses;
      return std::nullopt;
    }
    if (is_expired(record->expires_at, now)) {
      ++stats_.expired;
      ++stats_.misses;
      queue_erase(path);
      return std::nullopt;
    }
    ++stats_.hits;
    if (from_disk)
      ++stats_.disk_hits;
    V value = persisted_form<V>::from(std::move(record->value));
    remember(path, value, record->expires_at);
    return value;
  }

  /// Caches `value` for `path` with the TTL of its class and queues its write to LMDB
  /// (encoded at flush(), off the caller's way). Errors and transient values stay in
  /// memory only: they expire within a minute, and endless distinct failing names must
  /// not grow the file. A value of a class that is not cached removes what was cached for
  /// `path`.
  void put(const std::string& path, V value) {
    auto cls = class_of(value);
    auto expires_at = expiry_for(cls, cfg_.now(), cfg_.ttl);
    if (!expires_at) {
      if (auto i = index_.find(path); i != index_.end())
        drop_from_memory(i);
      forget_persisted(path);
      return;
    }
    if (cfg_.store && cls != cache_class::error && cls != cache_class::transient)
      pending_[storage_key(path, max_key_size())] = pending_put{*expires_at, path, value};
    remember(path, std::move(value), *expires_at);
  }

  /// Number of queued LMDB writes (puts and erases).
  size_t pending() const {
    return pending_.size();
  }

  /// True when enough writes are queued to flush at once.
  bool flush_due() const {
    return pending_.size() >= cfg_.flush_count;
  }

  /// Writes every queued put and erase in one batch. On failure the batch is dropped
  /// (the values stay in memory while the budget allows; a cache may lose records, it
  /// must not grow without bound while the disk is full) and the error is logged,
  /// counted in stats().errors and returned. Returns an empty error otherwise.
  caf::error flush() {
    if (pending_.empty() || !cfg_.store) {
      pending_.clear();
      return caf::none;
    }
    storage::write_batch batch;
    last_flush_bytes_ = 0;
    for (auto& [key, put] : pending_) {
      if (put) {
        auto bytes = storage::encode_fields(put->expires_at, put->path,
                                            persisted_form<V>::of(put->value));
        last_flush_bytes_ += bytes.size();
        batch.put(cfg_.table, key, std::move(bytes));
      } else {
        batch.erase(cfg_.table, key);
      }
    }
    pending_.clear();
    if (auto err = cfg_.store->write(batch)) {
      ++stats_.errors;
      stats_.last_error = describe(err);
      stats_.last_error_at = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
      log_cache_error(cfg_.table, err);
      return err;
    }
    stats_.writes += batch.size();
    return caf::none;
  }

  cache_stats stats() const {
    auto result = stats_;
    result.entries = lru_.size();
    result.memory_bytes = memory_bytes_;
    return result;
  }

  const path_cache_config& config() const {
    return cfg_;
  }

  /// Bytes encoded by the last flush() (a large one is worth a malloc_trim afterwards).
  uint64_t last_flush_bytes() const {
    return last_flush_bytes_;
  }

private:
  using stored_type = typename persisted_form<V>::type;

  // A put not yet encoded and written.
  struct pending_put {
    int64_t expires_at;
    std::string path;
    V value;
  };

  struct entry {
    std::string path;
    V value;
    int64_t expires_at;
    size_t size;
  };

  using lru_list = std::list<entry>;
  using index_map = std::unordered_map<std::string, typename lru_list::iterator>;

  static bool is_expired(int64_t expires_at, int64_t now) {
    return expires_at != 0 && now >= expires_at;
  }

  size_t max_key_size() const {
    return cfg_.store ? cfg_.store->max_key_size() : 511;
  }

  // Inserts or replaces the memory entry of `path` as most recently used, then evicts
  // least recently used entries until the budget holds.
  void remember(const std::string& path, V value, int64_t expires_at) {
    if (auto i = index_.find(path); i != index_.end())
      drop_from_memory(i);
    // Key in the index, key and value in the list node, their bookkeeping.
    size_t size = 2 * path.size() + estimate_size(value) + 96;
    if (size > cfg_.memory_budget)
      return;  // would evict everything else; it still persists
    lru_.push_front(entry{path, std::move(value), expires_at, size});
    index_.emplace(path, lru_.begin());
    memory_bytes_ += size;
    while (memory_bytes_ > cfg_.memory_budget && !lru_.empty()) {
      auto victim = index_.find(lru_.back().path);
      drop_from_memory(victim);
      ++stats_.evictions;
    }
  }

  void drop_from_memory(typename index_map::iterator i) {
    memory_bytes_ -= i->second->size;
    lru_.erase(i->second);
    index_.erase(i);
  }

  void queue_erase(const std::string& path) {
    if (cfg_.store)
      pending_[storage_key(path, max_key_size())] = std::nullopt;
  }

  // Erases the persisted record of `path` if there is one (a read is cheap; an erase in
  // every batch for every live Status file would not be).
  void forget_persisted(const std::string& path) {
    if (!cfg_.store)
      return;
    auto key = storage_key(path, max_key_size());
    if (auto p = pending_.find(key); p != pending_.end()) {
      p->second = std::nullopt;
      return;
    }
    auto stored = cfg_.store->get(cfg_.table, key);
    if (stored && *stored)
      pending_[key] = std::nullopt;
  }

  path_cache_config cfg_;
  lru_list lru_;  // most recently used first
  index_map index_;
  uint64_t memory_bytes_ = 0;
  // By storage key: the record to put, or std::nullopt to erase.
  std::unordered_map<std::string, std::optional<pending_put>> pending_;
  uint64_t last_flush_bytes_ = 0;
  cache_stats stats_;
};

/// Keeps an actor's pending writes moving: flushes at once when flush_due(), else arms
/// one delayed flush_atom to the actor itself. `Self` is a stateful actor whose state has
/// `cache` (a path_cache) and `flush_scheduled` (bool).
template <class Self, class FlushAtom>
void schedule_flush(Self* self, FlushAtom flush) {
  auto& st = self->state;
  if (st.cache->flush_due()) {
    st.cache->flush();
  } else if (st.cache->pending() > 0 && !st.flush_scheduled) {
    st.flush_scheduled = true;
    self->delayed_send(self, st.cache->config().flush_delay, flush);
  }
}

}  // namespace d1
