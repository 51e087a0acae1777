// Shared fixture of the attr_cache and dir_cache tests: the deterministic actor system, a
// real LMDB environment in a temp dir that a test can close and reopen ("restart"), a fake
// wall clock, and the actors spawned (stopped at the end).
#pragma once

#include "actors/fs/path_cache.hpp"
#include "storage/lmdb_store.hpp"
#include "storage/memory_store.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/actor_fixture.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <memory>
#include <vector>

namespace d1::test {

class path_cache_fixture : public actor_fixture {
protected:
  path_cache_fixture() : clock_(std::make_shared<int64_t>(1'000'000)) {
    open_store();
  }

  ~path_cache_fixture() override {
    for (auto& a : spawned_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  /// (Re)opens the LMDB environment of this test as a cache environment.
  void open_store() {
    storage::environment_options opts;
    opts.durable = false;
    opts.map_size = 1 << 20;  // small: growth is part of the path
    auto s = storage::lmdb_store::open(dir_.path(), opts);
    ASSERT_TRUE(s) << describe(s.error());
    store_ = *s;
  }

  /// A config over the current store with distinct TTLs per class and the fake clock.
  path_cache_config config(const std::string& table) {
    path_cache_config cfg;
    cfg.memory_budget = 1 << 20;
    cfg.ttl.metadata = 3600;
    cfg.ttl.search = 600;
    cfg.ttl.error = 60;
    cfg.ttl.transient = 5;
    auto clock = clock_;
    cfg.now = [clock] { return *clock; };
    cfg.store = store_;
    cfg.table = table;
    return cfg;
  }

  template <class Handle>
  Handle track(Handle h) {
    spawned_.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  /// Stops `h` as a daemon shutdown does, and runs until it is gone.
  template <class Handle>
  void stop(const Handle& h) {
    caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    run();
  }

  /// Closes the LMDB environment (no actor may still use it) and opens it again.
  void restart_store() {
    std::weak_ptr<storage::kv_store> old = store_;
    store_.reset();
    ASSERT_TRUE(old.expired()) << "an actor still holds the store";
    open_store();
  }

  uint64_t stored(const std::string& table) {
    auto n = store_->count(table);
    EXPECT_TRUE(n) << describe(n.error());
    return n ? *n : 0;
  }

  temp_dir dir_;
  std::shared_ptr<int64_t> clock_;
  std::shared_ptr<storage::kv_store> store_;
  std::vector<caf::actor> spawned_;
};

}  // namespace d1::test
