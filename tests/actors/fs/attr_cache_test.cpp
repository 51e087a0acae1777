// attr_cache under the deterministic scheduler over a real LMDB in a temp dir: hits and
// misses, TTL per class on a fake clock, LRU eviction read back from LMDB, persistence
// across a restart, batched flushes (count, timer, exit), and a failing store.
#include "actors/fs/attr_cache.hpp"

#include "messages/error.hpp"
#include "storage/codec.hpp"
#include "tests/actors/fs/path_cache_fixture.hpp"

#include <caf/system_messages.hpp>

namespace d1::test {
namespace {

node_info attr(cache_class cls, uint64_t size = 1) {
  node_info x;
  x.kind = entry_kind::file;
  x.cache = cls;
  x.size = size;
  x.mtime = 1700000000;
  x.content = content_kind::inline_text;
  x.set_text("text of size " + std::to_string(size));
  return x;
}

class attr_cache_test : public path_cache_fixture {
protected:
  attr_cache_actor spawn_cache(path_cache_config cfg) {
    return track(sys_.spawn(attr_cache, std::move(cfg)));
  }

  cached_attr get(const attr_cache_actor& a, const std::string& path) {
    auto r = request<cached_attr>(a, get_atom::value, path);
    EXPECT_TRUE(r) << sys_.render(r.error());
    return r ? *r : cached_attr{};
  }

  void put(const attr_cache_actor& a, const std::string& path, node_info info) {
    self_->send(a, put_atom::value, path, std::move(info));
    run();
  }

  cache_stats stats(const attr_cache_actor& a) {
    auto r = request<cache_stats>(a, stats_atom::value);
    EXPECT_TRUE(r);
    return r ? *r : cache_stats{};
  }

  void flush(const attr_cache_actor& a) {
    self_->send(a, flush_atom::value);
    run();
  }
};

TEST_F(attr_cache_test, miss_then_hit) {
  auto a = spawn_cache(config("attr"));
  EXPECT_FALSE(get(a, "/FlatSpace/x").found);
  auto info = attr(cache_class::search, 42);
  put(a, "/FlatSpace/x", info);
  auto r = get(a, "/FlatSpace/x");
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.info, info);
  EXPECT_FALSE(get(a, "/FlatSpace/y").found);
  auto s = stats(a);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_GT(s.memory_bytes, 0u);
  // A second put replaces the first.
  put(a, "/FlatSpace/x", attr(cache_class::search, 7));
  EXPECT_EQ(get(a, "/FlatSpace/x").info.size, 7u);
  EXPECT_EQ(stats(a).entries, 1u);
}

TEST_F(attr_cache_test, each_class_expires_after_its_ttl) {
  auto a = spawn_cache(config("attr"));
  struct cls_ttl {
    cache_class cls;
    int64_t ttl;
  };
  for (auto [cls, ttl] : {cls_ttl{cache_class::metadata, 3600}, cls_ttl{cache_class::search, 600},
                          cls_ttl{cache_class::error, 60}, cls_ttl{cache_class::transient, 5}}) {
    auto path = "/class/" + std::to_string(static_cast<int>(cls));
    auto start = *clock_;
    put(a, path, attr(cls));
    *clock_ = start + ttl - 1;
    EXPECT_TRUE(get(a, path).found) << path;
    *clock_ = start + ttl;
    EXPECT_FALSE(get(a, path).found) << path;
    // Expired entries are erased (lazily): not from memory, not from LMDB.
    flush(a);
    EXPECT_EQ(*store_->get("attr", path), std::nullopt) << path;
  }
  EXPECT_EQ(stats(a).expired, 4u);
  EXPECT_EQ(stats(a).entries, 0u);
}

TEST_F(attr_cache_test, expiry_also_applies_to_records_read_from_lmdb) {
  auto cfg = config("attr");
  auto a = spawn_cache(cfg);
  put(a, "/s", attr(cache_class::search));
  stop(a);
  *clock_ += 600;
  auto b = spawn_cache(config("attr"));
  EXPECT_FALSE(get(b, "/s").found);
  EXPECT_EQ(stats(b).expired, 1u);
  flush(b);
  EXPECT_EQ(stored("attr"), 0u);
}

TEST_F(attr_cache_test, immutable_never_expires) {
  auto a = spawn_cache(config("attr"));
  put(a, "/FlatSpace/pid", attr(cache_class::immutable));
  *clock_ += int64_t{100} * 365 * 24 * 3600;
  EXPECT_TRUE(get(a, "/FlatSpace/pid").found);
  stop(a);
  restart_store();
  auto b = spawn_cache(config("attr"));
  EXPECT_TRUE(get(b, "/FlatSpace/pid").found);
}

TEST_F(attr_cache_test, live_entries_are_never_stored) {
  auto a = spawn_cache(config("attr"));
  put(a, "/Status/daemon", attr(cache_class::live));
  EXPECT_FALSE(get(a, "/Status/daemon").found);
  flush(a);
  EXPECT_EQ(stored("attr"), 0u);
  EXPECT_EQ(stats(a).entries, 0u);
  // A live answer for a path cached before removes it, in memory and in LMDB.
  put(a, "/p", attr(cache_class::search));
  flush(a);
  EXPECT_EQ(stored("attr"), 1u);
  put(a, "/p", attr(cache_class::live));
  EXPECT_FALSE(get(a, "/p").found);
  flush(a);
  EXPECT_EQ(stored("attr"), 0u);
}

TEST_F(attr_cache_test, a_ttl_of_zero_disables_a_class) {
  auto cfg = config("attr");
  cfg.ttl.transient = 0;
  auto a = spawn_cache(cfg);
  put(a, "/t", attr(cache_class::transient));
  EXPECT_FALSE(get(a, "/t").found);
  put(a, "/m", attr(cache_class::metadata));
  EXPECT_TRUE(get(a, "/m").found);
}

TEST_F(attr_cache_test, lru_eviction_keeps_entries_in_lmdb) {
  auto cfg = config("attr");
  // Room for a few entries of ~2 KB each.
  cfg.memory_budget = 8 * 1024;
  auto a = spawn_cache(cfg);
  const int n = 20;
  for (int i = 0; i < n; ++i) {
    auto info = attr(cache_class::immutable, i);
    info.set_text(std::string(2000, 'a' + i % 26));
    put(a, "/e/" + std::to_string(i), info);
  }
  flush(a);
  auto s = stats(a);
  EXPECT_LE(s.memory_bytes, cfg.memory_budget);
  EXPECT_LT(s.entries, static_cast<uint64_t>(n));
  EXPECT_EQ(s.evictions, n - s.entries);
  // The most recent ones are in memory, the oldest ones come back from LMDB.
  for (int i = n - 1; i >= 0; --i) {
    auto r = get(a, "/e/" + std::to_string(i));
    ASSERT_TRUE(r.found) << i;
    EXPECT_EQ(r.info.size, static_cast<uint64_t>(i));
    EXPECT_EQ(r.info.text(), std::string(2000, 'a' + i % 26));
  }
  auto after = stats(a);
  EXPECT_EQ(after.hits, static_cast<uint64_t>(n));
  EXPECT_GE(after.disk_hits, n - s.entries);
  EXPECT_LE(after.memory_bytes, cfg.memory_budget);
}

TEST_F(attr_cache_test, evicted_entries_are_served_before_they_are_flushed) {
  auto cfg = config("attr");
  cfg.memory_budget = 1024;
  auto a = spawn_cache(cfg);
  for (int i = 0; i < 10; ++i)
    put(a, "/e/" + std::to_string(i), attr(cache_class::immutable, i));
  EXPECT_EQ(stored("attr"), 0u) << "nothing flushed yet (no time passed)";
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(get(a, "/e/" + std::to_string(i)).found) << i;
}

TEST_F(attr_cache_test, a_restarted_cache_serves_what_was_put_before) {
  auto a = spawn_cache(config("attr"));
  std::vector<std::string> paths;
  for (int i = 0; i < 50; ++i) {
    paths.push_back("/FacetedSearch/@formatId/#text%2Fcsv/pid" + std::to_string(i));
    put(a, paths.back(), attr(cache_class::metadata, i));
  }
  // A path longer than LMDB's key limit.
  std::string long_path = "/FlatSpace/" + std::string(1000, 'L');
  put(a, long_path, attr(cache_class::immutable, 4242));
  // No flush, no timer: exiting persists what is pending.
  stop(a);
  restart_store();
  EXPECT_EQ(stored("attr"), 51u);
  *clock_ += 3599;
  auto b = spawn_cache(config("attr"));
  for (int i = 0; i < 50; ++i) {
    auto r = get(b, paths[i]);
    ASSERT_TRUE(r.found) << paths[i];
    EXPECT_EQ(r.info.size, static_cast<uint64_t>(i));
  }
  auto r = get(b, long_path);
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.info.size, 4242u);
  // Another long path with the same prefix is not confused with it.
  EXPECT_FALSE(get(b, long_path + "x").found);
  auto s = stats(b);
  EXPECT_EQ(s.disk_hits, 51u);
  EXPECT_EQ(s.hits, 51u);
  // Now in memory: no more disk hits.
  EXPECT_TRUE(get(b, paths[0]).found);
  EXPECT_EQ(stats(b).disk_hits, 51u);
  // The metadata TTL counts from the first put, across the restart.
  *clock_ += 1;
  EXPECT_FALSE(get(b, paths[1]).found);
}

TEST_F(attr_cache_test, writes_are_batched_until_256_are_pending) {
  auto a = spawn_cache(config("attr"));
  for (int i = 0; i < 255; ++i)
    put(a, "/b/" + std::to_string(i), attr(cache_class::immutable));
  EXPECT_EQ(stored("attr"), 0u);
  put(a, "/b/255", attr(cache_class::immutable));
  EXPECT_EQ(stored("attr"), 256u);
  EXPECT_EQ(stats(a).writes, 256u);
  // Rewriting the same path many times is one pending write.
  for (int i = 0; i < 300; ++i)
    put(a, "/same", attr(cache_class::immutable, i));
  EXPECT_EQ(stored("attr"), 256u);
  flush(a);
  EXPECT_EQ(stored("attr"), 257u);
  auto last = storage::decode<cache_record<node_info>>(**store_->get("attr", "/same"));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->value.size, 299u);
  EXPECT_EQ(last->expires_at, 0);
}

TEST_F(attr_cache_test, pending_writes_are_flushed_50ms_after_the_first) {
  auto a = spawn_cache(config("attr"));
  put(a, "/t/1", attr(cache_class::immutable));
  advance(std::chrono::milliseconds(30));
  put(a, "/t/2", attr(cache_class::immutable));
  EXPECT_EQ(stored("attr"), 0u);
  advance(std::chrono::milliseconds(19));
  EXPECT_EQ(stored("attr"), 0u);
  advance(std::chrono::milliseconds(1));
  EXPECT_EQ(stored("attr"), 2u);
  // The next write arms the timer again.
  put(a, "/t/3", attr(cache_class::immutable));
  advance(std::chrono::milliseconds(50));
  EXPECT_EQ(stored("attr"), 3u);
}

TEST_F(attr_cache_test, a_failing_store_does_not_kill_the_cache) {
  auto store = std::make_shared<storage::memory_store>();
  storage::memory_store::faults faults;
  faults.fail_writes = true;
  store->set_faults(faults);
  auto cfg = config("attr");
  cfg.store = store;
  auto a = spawn_cache(cfg);
  for (int i = 0; i < 300; ++i)
    put(a, "/f/" + std::to_string(i), attr(cache_class::immutable, i));
  advance(std::chrono::milliseconds(50));
  auto s = stats(a);
  EXPECT_GE(s.errors, 2u);  // the batch of 256 and the timer's batch of 44
  EXPECT_EQ(s.writes, 0u);
  EXPECT_EQ(*store->count("attr"), 0u);
  // Still alive and serving from memory.
  for (int i = 0; i < 300; ++i)
    EXPECT_TRUE(get(a, "/f/" + std::to_string(i)).found) << i;
  // Failing reads are misses, not errors.
  faults.fail_reads = true;
  store->set_faults(faults);
  EXPECT_FALSE(get(a, "/not-in-memory").found);
  EXPECT_GE(stats(a).errors, 3u);
  // The store recovers: later writes persist.
  store->set_faults({});
  put(a, "/after", attr(cache_class::immutable));
  flush(a);
  EXPECT_EQ(*store->count("attr"), 1u);
  EXPECT_EQ(stats(a).writes, 1u);
}

TEST_F(attr_cache_test, a_record_of_another_schema_version_is_a_miss) {
  auto record = storage::encode(cache_record<node_info>{0, "/old", attr(cache_class::immutable)});
  record[0] = static_cast<char>(storage::schema_version + 1);
  ASSERT_FALSE(store_->put("attr", "/old", record));
  ASSERT_FALSE(store_->put("attr", "/junk", "\x01garbage"));
  auto a = spawn_cache(config("attr"));
  EXPECT_FALSE(get(a, "/old").found);
  EXPECT_FALSE(get(a, "/junk").found);
  put(a, "/old", attr(cache_class::immutable, 5));
  flush(a);
  stop(a);
  auto b = spawn_cache(config("attr"));
  auto r = get(b, "/old");
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.info.size, 5u);
}

TEST_F(attr_cache_test, works_in_memory_only_without_a_store) {
  auto cfg = config("");
  cfg.store = nullptr;
  cfg.memory_budget = 1024;
  auto a = spawn_cache(cfg);
  for (int i = 0; i < 20; ++i)
    put(a, "/m/" + std::to_string(i), attr(cache_class::immutable));
  EXPECT_TRUE(get(a, "/m/19").found);
  EXPECT_FALSE(get(a, "/m/0").found) << "evicted, and there is no LMDB behind it";
  advance(std::chrono::milliseconds(100));
  EXPECT_EQ(stats(a).writes, 0u);
}

TEST_F(attr_cache_test, an_invalid_config_stops_the_actor_with_an_error) {
  auto check = [&](path_cache_config cfg, const char* what) {
    auto a = sys_.spawn(attr_cache, std::move(cfg));
    self_->monitor(a);
    run();
    bool down = false;
    self_->receive(
      [&](caf::down_msg& msg) {
        down = true;
        EXPECT_EQ(code_of(msg.reason), ec::invalid_argument) << what;
      },
      caf::after(std::chrono::seconds(0)) >> [&] {});
    EXPECT_TRUE(down) << what;
  };
  auto cfg = config("attr");
  cfg.memory_budget = 0;
  check(cfg, "memory_budget 0");
  cfg = config("");
  check(cfg, "store without table");
  cfg = config("attr");
  cfg.ttl.search = -1;
  check(cfg, "negative ttl");
  cfg = config("attr");
  cfg.flush_count = 0;
  check(cfg, "flush_count 0");
  cfg = config("attr");
  cfg.now = nullptr;
  check(cfg, "no clock");
}

}  // namespace
}  // namespace d1::test
