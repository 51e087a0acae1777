// End to end: crawl_guard on a real mount of the stand-in node with 100k synthetic records.
// find, a real updatedb (plocate's), a process named like an indexer, a user's ls beside a
// crawl, and exemptions through the CLI. Solr queries are counted in the node's own log.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace d1::integration {
namespace {

using clock_type = std::chrono::steady_clock;

class crawl_test : public mount_suite<crawl_test> {
public:
  static mount_options options() {
    return {{"--no-fixtures", "--synthetic", "100000"},
            "[network]\ntimeout_ms = 15000\n"
            "[crawl]\nrate_per_s = 2.0\nburst = 40.0\n"
            "depth_first_threshold = 10\nwindow_s = 10\n"
            "cooldown_s = 600\n"};
  }

protected:
  // Select requests in the node's log (its own record of every Solr query).
  static size_t selects() {
    return node_->select_count();
  }

  // Values of `field` as the node counts them (straight from its Solr API).
  static std::vector<std::string> values(const std::string& field) {
    std::vector<std::string> out;
    for (auto& [value, count] : node_facet(*node_, field))
      out.push_back(value);
    return out;
  }

  static std::string cli(const std::string& args) {
    auto r = sh(binary_dir() + "/d1drive " + args + " --state-dir "
                  + quote(dir_->path() + "/state"),
                30);
    return r.out + r.err;
  }

  // A program named like a crawler: a copy of ls, so /proc/PID/comm says `name`.
  static std::string crawler_named(const std::string& name) {
    auto path = dir_->path() + "/bin/" + name;
    sh("mkdir -p " + quote(dir_->path() + "/bin") + " && cp /bin/ls " + quote(path));
    return path;
  }
};

TEST_F(crawl_test, integration_simulated_indexer_sees_the_paused_file_and_allow_lifts_it) {
  auto sources = values("datasource");
  ASSERT_GE(sources.size(), 3u);
  auto indexer = crawler_named("baloo_file");
  // A folder nobody listed: the indexer gets one file saying why, never an error.
  auto dir = fs() + "/@datasource/#" + segment_for(sources[0]) + "/@formatType";
  auto before = selects();
  auto r = sh(quote(indexer) + " -A1 " + quote(dir), 30);
  EXPECT_EQ(r.status, 0) << r.err;
  auto entries = lines(r.out);
  ASSERT_EQ(entries.size(), 1u) << r.out;
  EXPECT_NE(entries[0].find("paused"), std::string::npos) << entries[0];
  EXPECT_EQ(selects(), before);
  auto text = sh("cat " + quote(dir + "/" + entries[0])).out;
  EXPECT_NE(text.find("d1drive crawl allow"), std::string::npos) << text;
  // The paused listing is not cached: a user's ls of the same folder gets the real one.
  auto real = lines(sh("ls -A1 " + quote(dir), 60).out);
  EXPECT_FALSE(real.empty());
  EXPECT_TRUE(std::none_of(real.begin(), real.end(), [](const std::string& e) {
    return e.find("paused") != std::string::npos;
  }));
  EXPECT_GT(selects(), before);
  // Trusted by name: a fresh folder is listed for real.
  EXPECT_NE(cli("crawl allow baloo_file").find("trusting"), std::string::npos);
  auto dir2 = fs() + "/@datasource/#" + segment_for(sources[1]) + "/@formatType";
  auto trusted = lines(sh(quote(indexer) + " -A1 " + quote(dir2), 60).out);
  ASSERT_FALSE(trusted.empty());
  EXPECT_EQ(trusted[0].find("paused"), std::string::npos) << trusted[0];
  // Forgotten: paused again.
  EXPECT_NE(cli("crawl forget baloo_file").find("forgot"), std::string::npos);
  auto dir3 = fs() + "/@datasource/#" + segment_for(sources[2]) + "/@formatType";
  auto again = lines(sh(quote(indexer) + " -A1 " + quote(dir3), 30).out);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].find("paused"), std::string::npos);
  auto list = cli("crawl list");
  EXPECT_NE(list.find("cold queries refused:"), std::string::npos) << list;
  EXPECT_NE(list.find("(baloo_file)"), std::string::npos) << list;
}

TEST_F(crawl_test, integration_find_over_faceted_search_ends_with_bounded_queries) {
  auto before = selects();
  auto start = clock_type::now();
  auto r = sh("timeout 120 find " + quote(fs()) + " | wc -l", 130);
  auto took = clock_type::now() - start;
  auto queries = selects() - before;
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_LT(took, std::chrono::seconds(60));
  EXPECT_LE(queries, 200u);
  std::printf("[ crawl ] find: %s entries in %.1f s, %zu cold Solr queries\n",
              lines(r.out).empty() ? "?" : lines(r.out)[0].c_str(),
              std::chrono::duration<double>(took).count(), queries);
  auto status = read_file(mnt() + "/Status/crawl");
  EXPECT_NE(status.find("(find)"), std::string::npos) << status;
  EXPECT_NE(status.find("flagged processes:"), std::string::npos) << status;
}

TEST_F(crawl_test, integration_updatedb_finishes_without_cold_queries) {
  if (sh("command -v updatedb").status != 0)
    GTEST_SKIP() << "updatedb (Debian plocate) is not installed";
  auto db = dir_->path() + "/plocate.db";
  auto before = selects();
  auto start = clock_type::now();
  // PRUNEFS and PRUNEPATHS empty: nothing keeps updatedb out but crawl_guard.
  auto r = sh("updatedb -U " + quote(mnt()) + " -o " + quote(db)
                + " --prunefs '' --prunepaths '' --prune-bind-mounts no -l no",
              130);
  auto took = clock_type::now() - start;
  auto queries = selects() - before;
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_LT(took, std::chrono::seconds(60));
  EXPECT_EQ(queries, 0u);
  std::printf("[ crawl ] updatedb: %.1f s, %zu cold Solr queries\n",
              std::chrono::duration<double>(took).count(), queries);
  // It indexed the mount (what was cached and the static folders).
  auto found = sh("locate -d " + quote(db) + " Status | head -3").out;
  EXPECT_NE(found.find(mnt() + "/Status"), std::string::npos) << found;
}

TEST_F(crawl_test, integration_user_ls_keeps_its_latency_beside_a_crawl) {
  auto formats = values("formatId");
  ASSERT_GE(formats.size(), 6u);
  auto list_fresh = [&](size_t from, size_t to) {
    std::vector<double> ms;
    for (size_t i = from; i < to && i < formats.size(); ++i) {
      auto dir = fs() + "/@formatId/#" + segment_for(formats[i]) + "/@datasource";
      auto start = clock_type::now();
      auto r = sh("ls -A1 " + quote(dir) + " > /dev/null", 60);
      ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
      EXPECT_EQ(r.status, 0) << r.err;
    }
    std::sort(ms.begin(), ms.end());
    return ms;
  };
  size_t half = std::min<size_t>(formats.size() / 2, 10);
  auto quiet = list_fresh(0, half);
  // A crawler of the search tree, started fresh (a new pid: not flagged yet).
  auto pid_file = dir_->path() + "/find.pid";
  sh("timeout 60 find " + quote(fs()) + " > /dev/null 2>&1 & echo $! > " + quote(pid_file),
     5);
  auto busy = list_fresh(half, 2 * half);
  ASSERT_FALSE(quiet.empty());
  ASSERT_FALSE(busy.empty());
  std::printf("[ crawl ] ls of fresh folders: quiet p50 %.1f ms max %.1f ms; beside find "
              "p50 %.1f ms max %.1f ms\n",
              quiet[quiet.size() / 2], quiet.back(), busy[busy.size() / 2], busy.back());
  // Generous: a shell and ls are forked each time, and two cores are shared.
  EXPECT_LE(busy.back(), 3 * quiet.back() + 500) << "ls got slow beside a crawl";
  // Only the timeout process this test started (and its find child, by its parent's pid).
  auto pid = lines(read_file(pid_file));
  if (!pid.empty())
    sh("pkill -P " + pid[0] + "; kill " + pid[0] + " 2>/dev/null; true", 5);
}

}  // namespace
}  // namespace d1::integration
