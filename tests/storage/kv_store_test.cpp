// The kv_store contract, checked against both implementations: lmdb_store on a real LMDB
// in a temp dir, and memory_store (so the fake behaves like the real thing).
#include "storage/kv_store.hpp"
#include "storage/lmdb_store.hpp"
#include "storage/memory_store.hpp"

#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace d1::storage {
namespace {

using test::temp_dir;

enum class impl { lmdb, memory };

class kv_store_test : public ::testing::TestWithParam<impl> {
protected:
  void SetUp() override {
    if (GetParam() == impl::lmdb) {
      environment_options opts;
      opts.durable = false;
      auto s = lmdb_store::open(tmp_.path(), opts);
      ASSERT_TRUE(s) << describe(s.error());
      store_ = *s;
    } else {
      store_ = std::make_shared<memory_store>();
    }
  }

  std::optional<std::string> get(std::string_view table, std::string_view key) {
    auto v = store_->get(table, key);
    EXPECT_TRUE(v) << describe(v.error());
    return v ? *v : std::nullopt;
  }

  std::vector<std::pair<std::string, std::string>> scan(std::string_view table,
                                                        std::string_view prefix) {
    std::vector<std::pair<std::string, std::string>> out;
    auto err = store_->scan_prefix(table, prefix, [&](auto k, auto v) {
      out.emplace_back(std::string{k}, std::string{v});
      return true;
    });
    EXPECT_FALSE(err) << describe(err);
    return out;
  }

  temp_dir tmp_;
  std::shared_ptr<kv_store> store_;
};

TEST_P(kv_store_test, put_get_erase) {
  EXPECT_EQ(get("t", "a"), std::nullopt);
  ASSERT_FALSE(store_->put("t", "a", "1"));
  EXPECT_EQ(get("t", "a"), "1");
  ASSERT_FALSE(store_->put("t", "a", "2"));
  EXPECT_EQ(get("t", "a"), "2");
  // Tables are separate namespaces.
  EXPECT_EQ(get("other", "a"), std::nullopt);
  ASSERT_FALSE(store_->erase("t", "a"));
  EXPECT_EQ(get("t", "a"), std::nullopt);
  EXPECT_FALSE(store_->erase("t", "a")) << "erasing an absent key is not an error";
}

TEST_P(kv_store_test, keeps_binary_keys_and_values) {
  std::string key{"k\0ey", 4};
  std::string value{"\0\xff\x01", 3};
  ASSERT_FALSE(store_->put("t", key, value));
  EXPECT_EQ(get("t", key), value);
  ASSERT_FALSE(store_->put("t", "empty", ""));
  EXPECT_EQ(get("t", "empty"), std::string{});
}

TEST_P(kv_store_test, rejects_empty_and_too_long_keys) {
  auto err = store_->put("t", "", "v");
  EXPECT_EQ(code_of(err), ec::invalid_argument) << describe(err);
  std::string long_key(store_->max_key_size() + 1, 'k');
  err = store_->put("t", long_key, "v");
  EXPECT_EQ(code_of(err), ec::invalid_argument);
  EXPECT_FALSE(store_->get("t", long_key));
  std::string max_key(store_->max_key_size(), 'k');
  EXPECT_FALSE(store_->put("t", max_key, "v"));
  EXPECT_EQ(get("t", max_key), "v");
}

TEST_P(kv_store_test, scans_in_key_order_and_by_prefix) {
  write_batch batch;
  for (auto k : {"/b/2", "/a", "/b/1", "/c", "/b", "/ba"})
    batch.put("t", k, std::string{"v"} + k);
  ASSERT_FALSE(store_->write(batch));
  auto all = scan("t", "");
  ASSERT_EQ(all.size(), 6u);
  std::vector<std::string> keys;
  for (auto& [k, v] : all)
    keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"/a", "/b", "/b/1", "/b/2", "/ba", "/c"}));
  EXPECT_EQ(all[2].second, "v/b/1");
  auto under_b = scan("t", "/b/");
  ASSERT_EQ(under_b.size(), 2u);
  EXPECT_EQ(under_b[0].first, "/b/1");
  EXPECT_EQ(under_b[1].first, "/b/2");
  EXPECT_TRUE(scan("t", "/z").empty());
  EXPECT_TRUE(scan("never-written", "").empty());
  // Stopping early.
  int calls = 0;
  EXPECT_FALSE(store_->scan("t", [&](auto, auto) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

TEST_P(kv_store_test, a_batch_is_one_ordered_all_or_nothing_write) {
  ASSERT_FALSE(store_->put("t", "gone", "x"));
  write_batch batch;
  batch.put("t", "k1", "a");
  batch.put("t", "k1", "b");  // later wins
  batch.put("u", "k2", "c");
  batch.erase("t", "gone");
  batch.put("t", "k3", "d");
  batch.erase("t", "k3");
  ASSERT_FALSE(store_->write(batch));
  EXPECT_EQ(get("t", "k1"), "b");
  EXPECT_EQ(get("u", "k2"), "c");
  EXPECT_EQ(get("t", "gone"), std::nullopt);
  EXPECT_EQ(get("t", "k3"), std::nullopt);
  EXPECT_EQ(*store_->count("t"), 1u);
  EXPECT_EQ(*store_->count("u"), 1u);
  EXPECT_EQ(*store_->count("never-written"), 0u);
  // An invalid key anywhere in a batch writes nothing of it.
  write_batch bad;
  bad.put("t", "fine", "1");
  bad.put("t", "", "2");
  EXPECT_EQ(code_of(store_->write(bad)), ec::invalid_argument);
  EXPECT_EQ(get("t", "fine"), std::nullopt);
  EXPECT_FALSE(store_->write(write_batch{}));
}

TEST_P(kv_store_test, a_large_batch) {
  write_batch batch;
  for (int i = 0; i < 20000; ++i)
    batch.put("t", "key" + std::to_string(i), std::string(50, 'v'));
  ASSERT_FALSE(store_->write(batch));
  EXPECT_EQ(*store_->count("t"), 20000u);
  EXPECT_EQ(get("t", "key19999"), std::string(50, 'v'));
}

TEST_P(kv_store_test, clear_empties_one_table) {
  ASSERT_FALSE(store_->put("t", "a", "1"));
  ASSERT_FALSE(store_->put("u", "a", "1"));
  ASSERT_FALSE(store_->clear("t"));
  EXPECT_EQ(*store_->count("t"), 0u);
  EXPECT_EQ(*store_->count("u"), 1u);
  ASSERT_FALSE(store_->put("t", "b", "2"));
  EXPECT_EQ(get("t", "b"), "2");
}

TEST_P(kv_store_test, concurrent_writers_and_readers) {
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([this, w] {
      for (int i = 0; i < 300; ++i) {
        auto key = "w" + std::to_string(w) + "-" + std::to_string(i);
        EXPECT_FALSE(store_->put("t", key, key));
        auto v = store_->get("t", key);
        EXPECT_TRUE(v && *v && **v == key);
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(*store_->count("t"), 1200u);
}

INSTANTIATE_TEST_SUITE_P(both, kv_store_test, ::testing::Values(impl::lmdb, impl::memory),
                         [](const auto& info) {
                           return info.param == impl::lmdb ? "lmdb" : "memory";
                         });

// -- LMDB only: what survives closing the environment ---------------------------------

TEST(lmdb_store_test, reopening_keeps_every_committed_write) {
  temp_dir tmp;
  for (bool durable : {true, false}) {
    auto dir = tmp / (durable ? "durable" : "nosync");
    {
      environment_options opts;
      opts.durable = durable;
      auto store = lmdb_store::open(dir, opts);
      ASSERT_TRUE(store) << describe(store.error());
      ASSERT_FALSE((*store)->put("t", "single", "1"));
      write_batch batch;
      for (int i = 0; i < 100; ++i)
        batch.put("t", "b" + std::to_string(i), std::to_string(i));
      ASSERT_FALSE((*store)->write(batch));
      ASSERT_FALSE((*store)->erase("t", "b7"));
    }
    auto store = lmdb_store::open(dir);
    ASSERT_TRUE(store) << describe(store.error());
    EXPECT_EQ(*(*store)->get("t", "single"), std::optional<std::string>{"1"});
    EXPECT_EQ(*(*store)->get("t", "b42"), std::optional<std::string>{"42"});
    EXPECT_EQ(*(*store)->get("t", "b7"), std::nullopt);
    EXPECT_EQ(*(*store)->count("t"), 100u);
  }
}

TEST(lmdb_store_test, two_stores_share_one_environment) {
  temp_dir tmp;
  auto env = environment::open(tmp.path());
  ASSERT_TRUE(env);
  lmdb_store a{*env};
  lmdb_store b{*env};
  ASSERT_FALSE(a.put("attr", "/x", "1"));
  EXPECT_EQ(*b.get("attr", "/x"), std::optional<std::string>{"1"});
}

}  // namespace
}  // namespace d1::storage
