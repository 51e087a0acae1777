// dir_cache under the deterministic scheduler over a real LMDB in a temp dir: listings by
// path with the TTL of the listing's class, LRU eviction read back from LMDB, a restart
// that lists seen folders without any resolver, batched flushes and a failing store.
#include "actors/fs/dir_cache.hpp"

#include "messages/error.hpp"
#include "tests/actors/fs/path_cache_fixture.hpp"

#include <caf/system_messages.hpp>

namespace d1::test {
namespace {

listing folder(cache_class cls, int entries, const std::string& prefix = "pid") {
  listing l;
  l.cache = cls;
  for (int i = 0; i < entries; ++i) {
    dir_entry e;
    e.name = prefix + std::to_string(i);
    e.info.kind = entry_kind::directory;
    e.info.cache = cache_class::immutable;
    l.entries.push_back(std::move(e));
  }
  return l;
}

class dir_cache_test : public path_cache_fixture {
protected:
  dir_cache_actor spawn_cache(path_cache_config cfg) {
    return track(sys_.spawn(dir_cache, std::move(cfg)));
  }

  // The shared listing dir_cache answers (null on a miss).
  listing_ptr get_shared(const dir_cache_actor& a, const std::string& path) {
    auto r = request<listing_ptr>(a, get_atom::value, path);
    EXPECT_TRUE(r) << sys_.render(r.error());
    return r ? *r : nullptr;
  }

  cached_listing get(const dir_cache_actor& a, const std::string& path) {
    auto p = get_shared(a, path);
    return p ? cached_listing{true, *p} : cached_listing{};
  }

  cached_attr get_entry(const dir_cache_actor& a, const std::string& parent,
                        const std::string& name) {
    auto r = request<cached_attr>(a, get_atom::value, parent, name);
    EXPECT_TRUE(r) << sys_.render(r.error());
    return r ? *r : cached_attr{};
  }

  void put(const dir_cache_actor& a, const std::string& path, listing l) {
    self_->send(a, put_atom::value, path, std::make_shared<const listing>(std::move(l)));
    run();
  }

  cache_stats stats(const dir_cache_actor& a) {
    auto r = request<cache_stats>(a, stats_atom::value);
    EXPECT_TRUE(r);
    return r ? *r : cache_stats{};
  }

  void flush(const dir_cache_actor& a) {
    self_->send(a, flush_atom::value);
    run();
  }
};

TEST_F(dir_cache_test, miss_then_hit) {
  auto a = spawn_cache(config("dir"));
  EXPECT_FALSE(get(a, "/FacetedSearch").found);
  auto l = folder(cache_class::search, 3);
  put(a, "/FacetedSearch", l);
  auto r = get(a, "/FacetedSearch");
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.value, l);
  auto s = stats(a);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  // An empty folder is a hit too.
  put(a, "/empty", folder(cache_class::search, 0));
  auto e = get(a, "/empty");
  EXPECT_TRUE(e.found);
  EXPECT_TRUE(e.value.entries.empty());
}

TEST_F(dir_cache_test, the_listing_class_decides_the_ttl) {
  auto a = spawn_cache(config("dir"));
  auto start = *clock_;
  put(a, "/search", folder(cache_class::search, 2));
  put(a, "/error", folder(cache_class::error, 1, "no such object"));
  put(a, "/transient", folder(cache_class::transient, 1, "node down"));
  put(a, "/object", folder(cache_class::immutable, 3));
  put(a, "/Status", folder(cache_class::live, 4));
  EXPECT_FALSE(get(a, "/Status").found);
  *clock_ = start + 5;
  EXPECT_FALSE(get(a, "/transient").found);
  EXPECT_TRUE(get(a, "/error").found);
  *clock_ = start + 60;
  EXPECT_FALSE(get(a, "/error").found);
  EXPECT_TRUE(get(a, "/search").found);
  *clock_ = start + 600;
  EXPECT_FALSE(get(a, "/search").found);
  *clock_ = start + int64_t{50} * 365 * 24 * 3600;
  EXPECT_TRUE(get(a, "/object").found);
  EXPECT_EQ(stats(a).expired, 3u);
  flush(a);
  EXPECT_EQ(stored("dir"), 1u) << "only the immutable listing is left in LMDB";
}

TEST_F(dir_cache_test, big_listings_are_evicted_and_read_back_from_lmdb) {
  auto cfg = config("dir");
  cfg.memory_budget = 256 << 10;
  auto a = spawn_cache(cfg);
  // ~77 KB each (1000 folder entries of 72 bytes and a short name): a few fit in 256 KiB.
  for (int i = 0; i < 10; ++i)
    put(a, "/d/" + std::to_string(i),
        folder(cache_class::immutable, 1000, "n" + std::to_string(i) + "-"));
  flush(a);
  auto s = stats(a);
  EXPECT_GE(s.entries, 2u);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_LE(s.memory_bytes, cfg.memory_budget);
  for (int i = 0; i < 10; ++i) {
    auto r = get(a, "/d/" + std::to_string(i));
    ASSERT_TRUE(r.found) << i;
    ASSERT_EQ(r.value.entries.size(), 1000u);
    EXPECT_EQ(r.value.entries[999].name, "n" + std::to_string(i) + "-999");
  }
  EXPECT_GE(stats(a).disk_hits, s.evictions);
}

TEST_F(dir_cache_test, a_listing_larger_than_the_budget_still_persists) {
  auto cfg = config("dir");
  cfg.memory_budget = 4096;
  auto a = spawn_cache(cfg);
  put(a, "/small", folder(cache_class::immutable, 1));
  put(a, "/huge", folder(cache_class::immutable, 5000));
  EXPECT_EQ(stats(a).entries, 1u) << "the small one was not pushed out";
  flush(a);
  auto r = get(a, "/huge");
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.value.entries.size(), 5000u);
  EXPECT_EQ(stats(a).disk_hits, 1u);
}

TEST_F(dir_cache_test, a_restarted_daemon_lists_seen_folders) {
  auto a = spawn_cache(config("dir"));
  put(a, "/FlatSpace", folder(cache_class::search, 5));
  put(a, "/FlatSpace/doi%3A10.1%2Fx", folder(cache_class::immutable, 3));
  stop(a);
  restart_store();
  auto b = spawn_cache(config("dir"));
  auto flat = get(b, "/FlatSpace");
  ASSERT_TRUE(flat.found);
  EXPECT_EQ(flat.value, folder(cache_class::search, 5));
  auto obj = get(b, "/FlatSpace/doi%3A10.1%2Fx");
  ASSERT_TRUE(obj.found);
  EXPECT_EQ(obj.value.entries.size(), 3u);
  EXPECT_EQ(stats(b).disk_hits, 2u);
}

TEST_F(dir_cache_test, flushes_on_count_and_on_timer) {
  auto cfg = config("dir");
  cfg.flush_count = 10;
  auto a = spawn_cache(cfg);
  for (int i = 0; i < 9; ++i)
    put(a, "/c/" + std::to_string(i), folder(cache_class::immutable, 1));
  EXPECT_EQ(stored("dir"), 0u);
  put(a, "/c/9", folder(cache_class::immutable, 1));
  EXPECT_EQ(stored("dir"), 10u);
  put(a, "/c/10", folder(cache_class::immutable, 1));
  // The timer armed by the first batch fires 50 ms after it.
  advance(std::chrono::milliseconds(50));
  EXPECT_EQ(stored("dir"), 11u);
  put(a, "/c/11", folder(cache_class::immutable, 1));
  advance(std::chrono::milliseconds(49));
  EXPECT_EQ(stored("dir"), 11u);
  advance(std::chrono::milliseconds(1));
  EXPECT_EQ(stored("dir"), 12u);
}

TEST_F(dir_cache_test, a_failing_store_does_not_kill_the_cache) {
  auto store = std::make_shared<storage::memory_store>();
  storage::memory_store::faults faults;
  faults.fail_writes = true;
  store->set_faults(faults);
  auto cfg = config("dir");
  cfg.store = store;
  auto a = spawn_cache(cfg);
  put(a, "/x", folder(cache_class::search, 2));
  advance(std::chrono::milliseconds(50));
  EXPECT_EQ(stats(a).errors, 1u);
  EXPECT_TRUE(get(a, "/x").found);
  store->set_faults({});
  put(a, "/y", folder(cache_class::search, 2));
  advance(std::chrono::milliseconds(50));
  EXPECT_EQ(*store->count("dir"), 1u);
}

TEST_F(dir_cache_test, an_invalid_config_stops_the_actor) {
  auto cfg = config("dir");
  cfg.flush_delay = caf::timespan{0};
  auto a = sys_.spawn(dir_cache, cfg);
  self_->monitor(a);
  run();
  bool down = false;
  self_->receive([&](caf::down_msg& msg) { down = code_of(msg.reason) == ec::invalid_argument; },
                 caf::after(std::chrono::seconds(0)) >> [&] {});
  EXPECT_TRUE(down);
}

TEST_F(dir_cache_test, a_cached_listing_is_shared_not_copied) {
  auto a = spawn_cache(config("dir"));
  auto l = std::make_shared<const listing>(folder(cache_class::search, 100));
  self_->send(a, put_atom::value, std::string{"/s"}, l);
  run();
  // The very listing put, before and after its write to LMDB.
  EXPECT_EQ(get_shared(a, "/s"), l);
  flush(a);
  EXPECT_EQ(get_shared(a, "/s"), l);
  EXPECT_EQ(stored("dir"), 1u);
}

TEST_F(dir_cache_test, a_listing_over_budget_is_served_before_its_write) {
  auto cfg = config("dir");
  cfg.memory_budget = 4096;
  auto a = spawn_cache(cfg);
  put(a, "/huge", folder(cache_class::immutable, 5000));
  EXPECT_EQ(stored("dir"), 0u);
  auto r = get(a, "/huge");  // from the pending write, not from LMDB
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.value.entries.size(), 5000u);
  EXPECT_EQ(stats(a).disk_hits, 0u);
  flush(a);
  EXPECT_EQ(stored("dir"), 1u);
}

TEST_F(dir_cache_test, entries_are_looked_up_in_the_parent_listing) {
  auto a = spawn_cache(config("dir"));
  EXPECT_FALSE(get_entry(a, "/none", "x").found);
  // Small (searched) and large (indexed) listings.
  put(a, "/small", folder(cache_class::search, 3));
  put(a, "/large", folder(cache_class::search, 5000));
  auto s = get_entry(a, "/small", "pid2");
  ASSERT_TRUE(s.found);
  EXPECT_EQ(s.info.cache, cache_class::immutable);
  EXPECT_FALSE(get_entry(a, "/small", "pid3").found);
  for (int i : {0, 4999, 1234}) {
    auto e = get_entry(a, "/large", "pid" + std::to_string(i));
    EXPECT_TRUE(e.found) << i;
  }
  EXPECT_FALSE(get_entry(a, "/large", "pid5000").found);
  // A name listed twice answers with its first entry, as a linear search would.
  auto twice = folder(cache_class::search, 100);
  twice.entries[70].name = "pid7";
  twice.entries[70].info.size = 70;
  put(a, "/twice", twice);
  EXPECT_EQ(get_entry(a, "/twice", "pid7").info.size, 0u);
  EXPECT_TRUE(get_entry(a, "/twice", "pid99").found);
  EXPECT_FALSE(get_entry(a, "/twice", "pid70").found);
  // A replaced listing answers with its new entries.
  put(a, "/large", folder(cache_class::search, 5000, "other"));
  EXPECT_FALSE(get_entry(a, "/large", "pid1").found);
  EXPECT_TRUE(get_entry(a, "/large", "other1").found);
  // Expired with the listing; also read back from LMDB after a restart.
  put(a, "/later", folder(cache_class::search, 2));
  stop(a);
  restart_store();
  auto b = spawn_cache(config("dir"));
  EXPECT_TRUE(get_entry(b, "/later", "pid1").found);
  *clock_ += 600;
  EXPECT_FALSE(get_entry(b, "/later", "pid1").found);
}

TEST_F(dir_cache_test, an_entry_is_served_no_longer_than_its_own_class_allows) {
  auto a = spawn_cache(config("dir"));
  listing l;
  l.cache = cache_class::search;
  for (auto [name, cls] : {std::pair{"live", cache_class::live},
                           {"transient", cache_class::transient},
                           {"error", cache_class::error},
                           {"search", cache_class::search},
                           {"metadata", cache_class::metadata},
                           {"immutable", cache_class::immutable}}) {
    dir_entry e;
    e.name = name;
    e.info.cache = cls;
    l.entries.push_back(e);
  }
  put(a, "/mixed", l);
  EXPECT_FALSE(get_entry(a, "/mixed", "live").found);
  EXPECT_FALSE(get_entry(a, "/mixed", "transient").found);
  EXPECT_FALSE(get_entry(a, "/mixed", "error").found);
  EXPECT_TRUE(get_entry(a, "/mixed", "search").found);
  EXPECT_TRUE(get_entry(a, "/mixed", "metadata").found);
  EXPECT_TRUE(get_entry(a, "/mixed", "immutable").found);
  path_cache_ttls ttl;
  EXPECT_TRUE(servable_from_listing(cache_class::transient, cache_class::transient, ttl));
  EXPECT_FALSE(servable_from_listing(cache_class::search, cache_class::immutable, ttl));
  EXPECT_TRUE(servable_from_listing(cache_class::search, cache_class::error, ttl));
}

}  // namespace
}  // namespace d1::test
