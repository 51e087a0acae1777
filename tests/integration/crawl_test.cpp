// End to end: crawl_guard on a real mount of the stand-in node with 100k synthetic records.
// find, a real updatedb (plocate's), a process named like an indexer, a user's ls beside a
// crawl, and exemptions through the CLI. Solr queries are counted in the node's own log.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>

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


// Threads and budgets of uncached object bytes: what a process is, and what it may read.
class crawl_process_test : public mount_suite<crawl_process_test> {
public:
  static mount_options options() {
    mount_options o{{"--no-fixtures", "--synthetic", "200"},
                    "[network]\ntimeout_ms = 5000\n"
                    "[crawl]\nrate_per_s = 0.01\nburst = 40.0\n"
                    "depth_first_threshold = 1000\nwindow_s = 10\ncooldown_s = 600\n"
                    "cold_burst_mb = 1\ncold_mb_per_s = 0\n"};
    o.prepare = [](const std::string& work) {
      std::vector<std::string> args;
      for (auto name : {"a", "b", "c"}) {
        auto path = work + "/object." + name;
        sh("head -c 614400 /dev/urandom > " + quote(path));
        args.insert(args.end(), {"--object-file", path, std::string{"budget."} + name});
      }
      return args;
    };
    return o;
  }

protected:
  // Object folders of the synthetic records, as path segments.
  static std::vector<std::string> folders() {
    auto j = node_select(*node_, "q=*:*&fl=id&rows=200&sort=id%20asc");
    std::vector<std::string> out;
    for (auto& d : j["response"]["docs"])
      if (d["id"].get<std::string>().rfind("budget.", 0) != 0)
        out.push_back(segment_for(d["id"].get<std::string>()));
    return out;
  }

  // A Python process whose worker threads (named like a pool) list folders: prints its pid,
  // waits for `go` (bounded), then prints how many listings showed the paused file.
  static std::string lister(const std::vector<std::vector<std::string>>& per_thread,
                            const std::string& tag) {
    auto script = dir_->path() + "/lister_" + tag + ".py";
    std::string lists = "[";
    for (auto& chunk : per_thread) {
      lists += "[";
      for (auto& f : chunk)
        lists += "\"" + f + "\",";
      lists += "],";
    }
    lists += "]";
    std::ofstream{script}
      << "import os,sys,threading,time\n"
         "mnt,go,out=sys.argv[1],sys.argv[2],sys.argv[3]\n"
         "open(out+'.pid','w').write(str(os.getpid()))\n"
         "for _ in range(600):\n"
         "    if os.path.exists(go): break\n"
         "    time.sleep(0.05)\n"
         "paused=[]\n"
         "def work(chunk):\n"
         "    for f in chunk:\n"
         "        names=os.listdir(os.path.join(mnt,'FlatSpace',f))\n"
         "        paused.append(any('paused' in n for n in names))\n"
         "threads=[threading.Thread(target=work,args=(c,),name='pool-%d'%i) for i,c in enumerate("
      << lists << ")]\n"
         "for t in threads: t.start()\n"
         "for t in threads: t.join()\n"
         "open(out,'w').write('%d %d\\n'%(sum(paused),len(paused)))\n";
    return script;
  }

  // Runs a lister; `before_go` runs once its pid is known. Returns "paused total".
  static std::string run_lister(const std::string& script, const std::string& tag,
                                const std::function<void(const std::string&)>& before_go) {
    auto out = dir_->path() + "/lister_" + tag + ".out";
    auto go = dir_->path() + "/lister_" + tag + ".go";
    sh("(python3 " + quote(script) + " " + quote(mnt()) + " " + quote(go) + " " + quote(out)
       + " > " + quote(out + ".log") + " 2>&1 &)");
    auto ready = sh("for i in $(seq 200); do test -s " + quote(out + ".pid")
                      + " && exit 0; sleep 0.05; done; exit 1", 30);
    EXPECT_EQ(ready.status, 0);
    before_go(read_file(out + ".pid"));
    sh("touch " + quote(go));
    auto done = sh("for i in $(seq 1200); do test -s " + quote(out)
                     + " && exit 0; sleep 0.1; done; exit 1", 150);
    EXPECT_EQ(done.status, 0) << read_file(out + ".log");
    auto text = read_file(out);
    return text.empty() ? text : text.substr(0, text.size() - 1);
  }

  static std::string cli(const std::string& args) {
    auto r = sh(binary_dir() + "/d1drive " + args + " --state-dir "
                  + quote(dir_->path() + "/state"), 30);
    return r.out + r.err;
  }
};

TEST_F(crawl_process_test, integration_threads_spend_one_bucket_for_their_process) {
  auto all = folders();
  ASSERT_GE(all.size(), 120u);
  // Two threads, 15 cold folders each (a lookup and a listing apiece): 60 queries from one
  // process with a bucket of 40 (a bucket per thread would pause none).
  std::vector<std::vector<std::string>> chunks{{all.begin(), all.begin() + 15},
                                               {all.begin() + 15, all.begin() + 30}};
  std::string pid;
  auto result = run_lister(lister(chunks, "shared"), "shared",
                           [&](const std::string& p) { pid = p; });
  std::istringstream in{result};
  int paused = 0, total = 0;
  in >> paused >> total;
  EXPECT_EQ(total, 30);
  EXPECT_GE(paused, 5) << "the threads had a bucket each";
  auto list = cli("crawl list");
  EXPECT_NE(list.find("pid " + pid + " ("), std::string::npos) << list;
  // No thread of it shows as a process of its own.
  EXPECT_EQ(list.find("(pool-"), std::string::npos) << list;
}

TEST_F(crawl_process_test, integration_trusting_a_process_trusts_its_threads) {
  auto all = folders();
  ASSERT_GE(all.size(), 120u);
  std::vector<std::vector<std::string>> chunk{{all.begin() + 40, all.begin() + 97}};  // 57
  auto result = run_lister(lister(chunk, "trusted"), "trusted", [&](const std::string& pid) {
    auto allowed = cli("crawl allow " + pid);
    EXPECT_NE(allowed.find("trusting pid " + pid), std::string::npos) << allowed;
  });
  EXPECT_EQ(result, "0 57") << "a thread of a trusted process was paused";
}

TEST_F(crawl_process_test, integration_a_process_over_its_byte_budget_reads_only_cached_objects) {
  auto file = [](const std::string& name) {
    auto dir = mnt() + "/FlatSpace/budget." + name;
    for (auto& e : ls(dir))
      if (e != "system.xml" && e != "search_fields.txt")
        return dir + "/" + e;
    return dir;
  };
  auto out = dir_->path() + "/budget.out";
  auto pidfile = dir_->path() + "/budget.pid";
  // One process: a and b fit (600 KiB each from 1 MiB: the second drives it below zero),
  // c does not, a again is cached.
  auto r = sh("sh -c 'echo $$ > " + pidfile + "; exec cat \"$@\"' cat " + quote(file("a")) + " "
                + quote(file("b")) + " " + quote(file("c")) + " " + quote(file("a")) + " > "
                + quote(out),
              60);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Resource temporarily unavailable"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("budget.c"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("budget.a"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(out).size(), 3u * 614400);
  auto pid = read_file(pidfile);
  if (!pid.empty() && pid.back() == '\n')
    pid.pop_back();
  auto status = sh("cat " + quote(mnt() + "/Status/crawl")).out;
  EXPECT_NE(status.find("pid " + pid + " (cat): over its budget of uncached object bytes"),
            std::string::npos)
    << status;
  EXPECT_NE(cli("crawl list").find("over its budget"), std::string::npos);
  // Another process has a budget of its own.
  EXPECT_EQ(sh("cat " + quote(file("c")) + " > /dev/null").status, 0);
}
}  // namespace
}  // namespace d1::integration
