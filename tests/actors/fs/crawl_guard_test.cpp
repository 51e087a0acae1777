// crawl_guard: the token bucket, the depth-first detector and the known-crawler list,
// driven by explicit time points (crawl_tracker) and by the test clock (the actor).
#include "actors/fs/crawl_guard.hpp"

#include "tests/support/actor_fixture.hpp"

#include <gtest/gtest.h>

#include <pthread.h>
#include <unistd.h>

#include <future>
#include <mutex>
#include <thread>
#include <vector>

using namespace d1;
using namespace std::chrono_literals;

namespace {

using tp = crawl_tracker::time_point;

crawl_config small_config() {
  crawl_config c;
  c.rate_per_s = 1.0;
  c.burst = 3.0;
  c.depth_first_threshold = 5;
  c.window_s = 10;
  c.cooldown_s = 60;
  return c;
}

std::string dir(int i) {
  return "/FacetedSearch/a/v" + std::to_string(i);
}

}  // namespace

TEST(crawl_guard_pure, comm_matches_truncated_names) {
  EXPECT_TRUE(comm_matches("updatedb", "updatedb"));
  EXPECT_TRUE(comm_matches("tracker-miner-f", "tracker-miner-fs-3"));
  EXPECT_TRUE(comm_matches("baloo_file_extr", "baloo_file_extractor"));
  EXPECT_FALSE(comm_matches("updatedb2", "updatedb"));
  EXPECT_FALSE(comm_matches("bash", "baloo_file"));
}

TEST(crawl_guard_pure, only_search_and_object_folders_cost) {
  EXPECT_FALSE(costs_query("/", true));
  EXPECT_FALSE(costs_query("/Status", true));
  EXPECT_FALSE(costs_query("/Status/daemon.txt", false));
  EXPECT_FALSE(costs_query("/FlatSpace", true));
  EXPECT_FALSE(costs_query("/PreconfiguredSearch", true));
  EXPECT_FALSE(costs_query("/FacetedSearch", false));
  EXPECT_TRUE(costs_query("/FacetedSearch", true));
  EXPECT_TRUE(costs_query("/FacetedSearch/x", false));
  EXPECT_TRUE(costs_query("/FlatSpace/some-pid", true));
  EXPECT_TRUE(costs_query("/PreconfiguredSearch/s/x", true));
}

TEST(crawl_guard_pure, bucket_empties_and_refills_with_time) {
  crawl_tracker t{small_config()};
  tp now{};
  // Lookups do not feed the detector: only the bucket counts.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(t.admit(100, "bash", dir(i), false, now), "") << i;
  auto why = t.admit(100, "bash", dir(3), false, now);
  EXPECT_NE(why.find("budget"), std::string::npos) << why;
  EXPECT_EQ(t.refused_total(), 1u);
  // Another process has its own bucket.
  EXPECT_EQ(t.admit(200, "ls", dir(0), false, now), "");
  // One second later one token is back, and only one.
  now += 1s;
  EXPECT_EQ(t.admit(100, "bash", dir(4), false, now), "");
  EXPECT_NE(t.admit(100, "bash", dir(5), false, now), "");
  // The bucket never holds more than the burst.
  now += 1000s;
  EXPECT_DOUBLE_EQ(t.tokens(100), 0.0);  // not refilled until the process asks again
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(t.admit(100, "bash", dir(i), false, now), "");
  EXPECT_NE(t.admit(100, "bash", dir(9), false, now), "");
}

TEST(crawl_guard_pure, depth_first_run_is_flagged_for_the_cooldown) {
  auto cfg = small_config();
  cfg.burst = 100;
  crawl_tracker t{cfg};
  tp now{};
  const char* run[] = {"/FacetedSearch", "/FacetedSearch/a", "/FacetedSearch/a/b",
                       "/FacetedSearch/a/b/c", "/FacetedSearch/a/d"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(t.admit(7, "find", run[i], true, now), "");
    now += 100ms;
  }
  EXPECT_FALSE(t.flagged(7, now));
  auto why = t.admit(7, "find", run[4], true, now);
  EXPECT_NE(why.find("recursive search"), std::string::npos) << why;
  EXPECT_TRUE(t.flagged(7, now));
  // Still flagged before the cool-down ends, free after it.
  now += 59s;
  EXPECT_NE(t.admit(7, "find", "/FacetedSearch/z", true, now), "");
  now += 2s;
  EXPECT_FALSE(t.flagged(7, now));
  EXPECT_EQ(t.admit(7, "find", "/FacetedSearch/y", true, now), "");
  auto report = t.report(now);
  EXPECT_NE(report.find("pid 7 (find)"), std::string::npos) << report;
}

TEST(crawl_guard_pure, slow_listings_reads_and_other_subtrees_are_not_a_crawl) {
  auto cfg = small_config();
  cfg.burst = 100;
  crawl_tracker t{cfg};
  tp now{};
  // Human pace: one listing every 3 s never has 5 within 10 s.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(t.admit(1, "bash", dir(i), true, now), "");
    now += 3s;
  }
  // Fast, but reading a file in between ends the run.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(t.admit(2, "python3", dir(i), true, now), "");
    if (i % 3 == 2)
      t.file_read(2);
  }
  // Fast, but alternating between top-level folders: no common subtree.
  for (int i = 0; i < 20; ++i) {
    auto p = i % 2 ? "/FlatSpace/pid" + std::to_string(i) : dir(i);
    EXPECT_EQ(t.admit(3, "python3", p, true, now), "");
  }
  EXPECT_FALSE(t.flagged(1, now));
  EXPECT_FALSE(t.flagged(2, now));
  EXPECT_FALSE(t.flagged(3, now));
}

TEST(crawl_guard_pure, known_crawlers_get_nothing_until_allowed) {
  crawl_tracker t{small_config()};
  tp now{};
  auto why = t.admit(9, "updatedb.plocat", "/FacetedSearch", true, now);
  EXPECT_NE(why.find("known crawler"), std::string::npos) << why;
  EXPECT_NE(t.admit(10, "baloo_file", "/FlatSpace/x", true, now), "");
  EXPECT_EQ(t.admit(0, "kernel", "/FlatSpace/x", true, now), "");  // pid 0: kernel
  t.allow("baloo_file");
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(t.admit(10, "baloo_file", dir(i), true, now), "");
  t.allow("9");
  EXPECT_EQ(t.admit(9, "updatedb.plocat", "/FacetedSearch", true, now), "");
  t.forget("9");
  EXPECT_NE(t.admit(9, "updatedb.plocat", "/FacetedSearch", true, now), "");
  auto cfg = small_config();
  cfg.enabled = false;
  crawl_tracker off{cfg};
  EXPECT_EQ(off.admit(9, "updatedb", "/FacetedSearch", true, now), "");
}

TEST(crawl_guard_pure, invalid_config_is_refused) {
  auto c = small_config();
  EXPECT_FALSE(validate(c));
  c.burst = 0;
  EXPECT_TRUE(validate(c));
  c = small_config();
  c.depth_first_threshold = 1;
  EXPECT_TRUE(validate(c));
}

class crawl_guard_test : public d1::test::actor_fixture {};

TEST_F(crawl_guard_test, actor_reads_the_process_name_and_uses_the_actor_clock) {
  auto cfg = small_config();
  auto me = static_cast<int32_t>(::getpid());
  auto guard = sys_.spawn(crawl_guard, cfg);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(request<std::string>(guard, admit_atom::value, me, dir(i), false).value(), "");
  EXPECT_NE(request<std::string>(guard, admit_atom::value, me, dir(3), false).value(), "");
  advance(2000ms);  // the test clock: two tokens back
  EXPECT_EQ(request<std::string>(guard, admit_atom::value, me, dir(4), false).value(), "");
  EXPECT_EQ(request<std::string>(guard, admit_atom::value, me, dir(5), false).value(), "");
  EXPECT_NE(request<std::string>(guard, admit_atom::value, me, dir(6), false).value(), "");
  auto text = request<std::string>(guard, list_atom::value).value();
  EXPECT_NE(text.find("pid " + std::to_string(me) + " ("), std::string::npos) << text;
  EXPECT_NE(text.find("cold queries refused: 2"), std::string::npos) << text;
  // Trusting this process by its own name lifts the limit.
  auto name = read_process_name(me);
  ASSERT_FALSE(name.empty());
  request<std::string>(guard, allow_atom::value, name);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(request<std::string>(guard, admit_atom::value, me, dir(i), true).value(), "");
}

TEST(crawl_guard_pure, uncached_objects_are_budgeted_per_process_and_finished_once_started) {
  auto cfg = small_config();
  cfg.cold_bytes_burst = 1000;
  cfg.cold_bytes_per_s = 100;
  crawl_tracker t{cfg};
  tp now{};
  EXPECT_EQ(t.admit_bytes(5, "grep", "a", 600, now), "");
  EXPECT_EQ(t.admit_bytes(5, "grep", "b", 600, now), "");  // the budget may go below zero
  EXPECT_DOUBLE_EQ(t.byte_tokens(5), -200.0);
  auto why = t.admit_bytes(5, "grep", "c", 10, now);
  EXPECT_NE(why.find("budget of uncached object bytes"), std::string::npos) << why;
  EXPECT_NE(why.find("already cached still read"), std::string::npos) << why;
  // An object it started is finished, whatever the budget says.
  EXPECT_EQ(t.admit_bytes(5, "grep", "b", 600, now), "");
  // Another process has its own budget.
  EXPECT_EQ(t.admit_bytes(6, "cp", "c", 10, now), "");
  // Three seconds later 300 bytes are back: above zero again.
  now += 3s;
  EXPECT_EQ(t.admit_bytes(5, "grep", "c", 10, now), "");
  EXPECT_NE(t.report(now).find("objects refused 1"), std::string::npos) << t.report(now);
}

TEST(crawl_guard_pure, crawlers_by_process_name_or_executable_read_only_cached_objects) {
  crawl_tracker t{small_config()};
  tp now{};
  EXPECT_NE(t.admit_bytes(7, "clamscan", "a", 1, now), "");
  // A scanner whose process renamed itself is still known by its executable.
  EXPECT_NE(t.admit_bytes(8, "worker-3", "a", 1, now, "clamscan"), "");
  EXPECT_NE(t.admit(8, "worker-3", dir(0), true, now, "clamscan"), "");
  EXPECT_EQ(t.admit_bytes(9, "python3", "a", 1, now, "python3.11"), "");
  t.allow("clamscan");
  EXPECT_EQ(t.admit_bytes(7, "clamscan", "a", 1, now), "");
  crawl_config off;
  off.enabled = false;
  crawl_tracker none{off};
  EXPECT_EQ(none.admit_bytes(7, "clamscan", "a", 1, now), "");
}

TEST(crawl_guard_pure, a_flagged_process_reads_only_cached_objects) {
  auto cfg = small_config();
  cfg.burst = 100;
  crawl_tracker t{cfg};
  tp now{};
  for (int i = 0; i < 5; ++i)
    t.admit(11, "find", "/FacetedSearch/a/v" + std::to_string(i), true, now);
  ASSERT_TRUE(t.flagged(11, now));
  EXPECT_NE(t.admit_bytes(11, "find", "x", 1, now), "");
}

// The threads of one process: FUSE names the thread, the guard keeps the process.
TEST(crawl_guard_identity, a_thread_is_its_process) {
  auto me = static_cast<int32_t>(::getpid());
  std::promise<int32_t> tid;
  std::promise<void> done;
  auto finished = done.get_future();
  std::thread worker([&] {
    tid.set_value(static_cast<int32_t>(::gettid()));
    finished.wait();
  });
  auto thread_id = tid.get_future().get();
  // Worker threads often carry names of their own.
  ::pthread_setname_np(worker.native_handle(), "pool-worker-1");
  auto id = read_process_identity(thread_id);
  done.set_value();
  worker.join();
  EXPECT_NE(thread_id, me);
  EXPECT_EQ(id.pid, me);
  EXPECT_EQ(id.comm, read_process_name(me));
  EXPECT_NE(id.comm, "pool-worker-1");
  EXPECT_FALSE(id.exe.empty());
  EXPECT_EQ(read_process_identity(0).comm, "kernel");
}

TEST_F(crawl_guard_test, threads_of_one_process_share_its_budget_flags_and_trust) {
  auto cfg = small_config();  // burst 3
  auto guard = sys_.spawn(crawl_guard, cfg);
  auto me = static_cast<int32_t>(::getpid());
  std::vector<int32_t> tids;
  std::promise<void> done;
  auto finished = done.get_future().share();
  std::vector<std::thread> threads;
  std::mutex m;
  std::vector<std::promise<void>> started(2);
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] {
      {
        std::lock_guard<std::mutex> guard_ids{m};
        tids.push_back(static_cast<int32_t>(::gettid()));
      }
      started[i].set_value();
      finished.wait();
    });
  for (auto& s : started)
    s.get_future().wait();
  // Two cold queries from each thread: one bucket of 3 for the process.
  int refused = 0;
  for (auto tid : tids)
    for (int i = 0; i < 2; ++i)
      refused += !request<std::string>(guard, admit_atom::value, tid, dir(i), false).value().empty();
  EXPECT_EQ(refused, 1);
  auto text = request<std::string>(guard, list_atom::value).value();
  EXPECT_NE(text.find("pid " + std::to_string(me) + " ("), std::string::npos) << text;
  for (auto tid : tids)
    EXPECT_EQ(text.find("pid " + std::to_string(tid) + " ("), std::string::npos) << text;
  // Trusting the process (by the id of any of its threads) trusts all its threads.
  request<std::string>(guard, allow_atom::value, std::to_string(tids[0]));
  EXPECT_EQ(request<std::string>(guard, admit_atom::value, tids[1], dir(9), false).value(), "");
  done.set_value();
  for (auto& t : threads)
    t.join();
}
