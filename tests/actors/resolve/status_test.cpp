// Deterministic tests of Status/: the real node_client and solr_querier over a scripted
// HTTP client (the production CN node list from the shared fixtures), real memory-only
// attr/dir caches and a real content_cache in a temp dir.
#include "actors/dataone/content_cache.hpp"
#include "tests/support/test_paths.hpp"
#include "actors/dataone/node_client.hpp"
#include "actors/dataone/solr_querier.hpp"
#include "actors/fs/attr_cache.hpp"
#include "actors/fs/dir_cache.hpp"
#include "actors/resolve/status.hpp"
#include "messages/status_report.hpp"
#include "messages/error.hpp"
#include "messages/solr_query.hpp"
#include "tests/actors/dataone/fake_http_client.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/actor_fixture.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace d1::test {
namespace {

const std::string fixtures = d1::test::shared_fixtures();
const std::string base = "http://127.0.0.1:9/cn";

std::string slurp(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class status_test : public actor_fixture {
protected:
  status_test() : script_(std::make_shared<fake_http_script>()) {
    http_ = spawn_fake_http(sys_, script_);
    node_client_config nc;
    nc.base_url = base;
    nc.max_retries = 0;
    nodes_ = sys_.spawn(node_client, nc, http_);
    solr_querier_config sc;
    sc.base_url = base;
    sc.max_retries = 0;
    solr_ = sys_.spawn(solr_querier, sc, http_);
    path_cache_config pc;  // memory only
    attrs_ = sys_.spawn(attr_cache, pc);
    dirs_ = sys_.spawn(dir_cache, pc);
    content_cache_config cc;
    cc.directory = dir_ / "content";
    cc.max_bytes = 1 << 20;
    cc.detach_hashing = false;
    content_ = sys_.spawn(content_cache, cc, nodes_);
    status_config st;
    st.base_url = base;
    st.node_list_ttl = std::chrono::seconds(60);
    status_ = sys_.spawn(status, st, nodes_, attrs_, dirs_, content_, solr_);
    run();
  }

  ~status_test() override {
    for (auto a : {caf::actor_cast<caf::actor>(status_), caf::actor_cast<caf::actor>(content_),
                   caf::actor_cast<caf::actor>(dirs_), caf::actor_cast<caf::actor>(attrs_),
                   caf::actor_cast<caf::actor>(solr_), caf::actor_cast<caf::actor>(nodes_),
                   caf::actor_cast<caf::actor>(http_)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  // Status/<rest…> as `of` (default: status_) answers it.
  caf::expected<listing> dir(std::vector<std::string> rest, resolver_actor of = {}) {
    std::vector<std::string> segs{"Status"};
    segs.insert(segs.end(), rest.begin(), rest.end());
    return request<listing>(of ? of : status_, get_dir_atom::value, resolve_request{segs, 1, 1});
  }

  caf::expected<node_info> attr(std::vector<std::string> rest, resolver_actor of = {}) {
    std::vector<std::string> segs{"Status"};
    segs.insert(segs.end(), rest.begin(), rest.end());
    return request<node_info>(of ? of : status_, get_attr_atom::value,
                              resolve_request{segs, 1, 1});
  }

  std::string node_url() const {
    return base + "/v2/node";
  }

  std::shared_ptr<fake_http_script> script_;
  temp_dir dir_;
  http_client_actor http_;
  node_client_actor nodes_;
  solr_querier_actor solr_;
  attr_cache_actor attrs_;
  dir_cache_actor dirs_;
  content_cache_actor content_;
  resolver_actor status_;
};

TEST_F(status_test, status_folder_lists_daemon_files_and_nodes) {
  auto l = dir({});
  ASSERT_TRUE(l) << sys_.render(l.error());
  // Without a job manager (no mobile half) there is no jobs/ nor jobs.json.
  ASSERT_EQ(l->entries.size(), 6u);
  EXPECT_EQ(l->entries[0].name, "daemon.txt");
  EXPECT_EQ(l->entries[1].name, "daemon.json");
  EXPECT_EQ(l->entries[2].name, "nodes");
  EXPECT_EQ(l->entries[3].name, "downloads");
  EXPECT_EQ(l->entries[4].name, "content.txt");
  EXPECT_EQ(l->entries[5].name, "content.json");
  EXPECT_EQ(code_of(attr({"jobs"}).error()), ec::not_found);
  EXPECT_EQ(code_of(attr({"jobs.json"}).error()), ec::not_found);
  auto content = attr({"content.json"});
  ASSERT_TRUE(content) << sys_.render(content.error());
  auto cj = nlohmann::json::parse(content->text());
  EXPECT_EQ(cj["verified_objects"], 0);
  EXPECT_EQ(cj["max_bytes"], 1 << 20);
  EXPECT_TRUE(cj["downloads"].is_array() && cj["downloads"].empty()) << cj.dump();
  EXPECT_TRUE(cj["recent_checksum_failures"].is_array()) << cj.dump();
  auto ct = attr({"content.txt"});
  ASSERT_TRUE(ct);
  EXPECT_NE(ct->text().find("downloads in flight:\n  none"), std::string::npos) << ct->text();
  auto downloads = attr({"downloads"});
  ASSERT_TRUE(downloads) << sys_.render(downloads.error());
  EXPECT_NE(downloads->text().find("checksum failures: 0"), std::string::npos)
    << downloads->text();
  EXPECT_NE(downloads->text().find("downloading:\n  none"), std::string::npos)
    << downloads->text();
  EXPECT_EQ(l->cache, cache_class::live);
  for (auto& e : l->entries)
    EXPECT_EQ(e.info.cache, cache_class::live) << e.name;
  EXPECT_EQ(l->entries[0].info.size, l->entries[0].info.text().size());
}

TEST_F(status_test, daemon_files_show_current_counters) {
  // Some activity: cache lookups (misses, then a hit) and two Solr queries, one failing.
  request<cached_attr>(attrs_, get_atom::value, std::string{"/x"});
  self_->send(caf::actor_cast<caf::actor>(attrs_), put_atom::value, std::string{"/x"},
              node_info{});
  run();
  request<cached_attr>(attrs_, get_atom::value, std::string{"/x"});
  solr_query q;
  q.rows = 1;
  script_->respond(select_url(base, q), 200,
                   R"({"response":{"numFound":0,"start":0,"docs":[]}})");
  ASSERT_TRUE(request<solr_response>(solr_, select_atom::value, q));
  q.rows = 2;
  script_->respond(select_url(base, q), 400, R"({"error":{"msg":"bad","code":400}})");
  EXPECT_FALSE(request<solr_response>(solr_, select_atom::value, q));
  advance(std::chrono::milliseconds(90'500));

  auto txt = attr({"daemon.txt"});
  ASSERT_TRUE(txt) << sys_.render(txt.error());
  EXPECT_EQ(txt->cache, cache_class::live);
  EXPECT_EQ(txt->size, txt->text().size());
  EXPECT_NE(txt->text().find("base URL: " + base), std::string::npos) << txt->text();
  EXPECT_NE(txt->text().find("requests sent: 2"), std::string::npos) << txt->text();

  auto js = attr({"daemon.json"});
  ASSERT_TRUE(js);
  EXPECT_EQ(js->size, js->text().size());
  auto j = nlohmann::json::parse(js->text());
  EXPECT_GE(j["uptime_seconds"].get<double>(), 90.0);
  EXPECT_EQ(j["attr_cache"]["hits"], 1);
  EXPECT_EQ(j["attr_cache"]["misses"], 1);
  EXPECT_EQ(j["attr_cache"]["entries"], 1);
  EXPECT_EQ(j["solr"]["queries"], 2);
  EXPECT_EQ(j["solr"]["requests_sent"], 2);
  EXPECT_EQ(j["solr"]["failures"], 1);
  EXPECT_EQ(j["errors"], 1);
  EXPECT_EQ(j["content_cache"]["entries"], 0);
  EXPECT_EQ(j["content_cache"]["checksum_failures"], 0);
  EXPECT_EQ(j["base_url"], base);
}

TEST_F(status_test, node_files_come_from_the_cn_node_list_fetched_once) {
  auto list = slurp(fixtures + "/cn/node_list_v2.xml");
  if (list.empty())
    GTEST_SKIP() << "shared fixtures absent";
  script_->respond(node_url(), 200, list);
  auto l = dir({"nodes"});
  ASSERT_TRUE(l) << sys_.render(l.error());
  ASSERT_GT(l->entries.size(), 10u);
  const dir_entry* cn = nullptr;
  for (auto& e : l->entries) {
    EXPECT_EQ(e.info.kind, entry_kind::file);
    EXPECT_EQ(e.info.cache, cache_class::live);
    EXPECT_EQ(e.name.substr(e.name.size() - 4), ".txt");
    if (e.info.text().find("type: coordinating node") != std::string::npos)
      cn = &e;
  }
  ASSERT_NE(cn, nullptr);
  EXPECT_NE(cn->info.text().find("base URL: https://"), std::string::npos) << cn->info.text();
  EXPECT_NE(cn->info.text().find("state: "), std::string::npos);
  EXPECT_NE(cn->info.text().find("services:\n  "), std::string::npos) << cn->info.text();
  auto one = attr({"nodes", cn->name});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->text(), cn->info.text());
  EXPECT_FALSE(attr({"nodes", "urn:node:nope.txt"}));
  EXPECT_EQ(script_->count(node_url()), 1u);  // kept for node_list_ttl
  advance(std::chrono::seconds(61));
  ASSERT_TRUE(dir({"nodes"}));
  EXPECT_EQ(script_->count(node_url()), 2u);
}

TEST_F(status_test, node_list_failure_is_an_error_folder) {
  script_->fail(node_url(), ec::network);
  auto l = dir({"nodes"});
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 1u);
  EXPECT_NE(l->entries[0].name.find("Node unreachable"), std::string::npos)
    << l->entries[0].name;
  EXPECT_EQ(l->cache, cache_class::live);
}

TEST_F(status_test, unknown_names_are_enoent) {
  auto a = attr({"nope"});
  ASSERT_FALSE(a);
  EXPECT_EQ(code_of(a.error()), ec::not_found);
  EXPECT_FALSE(dir({"daemon.txt"}));
}

// A job manager that answers the Status request with the jobs it is given and records the
// bound it was asked for; every other request is refused.
struct fake_jobs_world {
  std::vector<job_record> jobs;
  std::vector<uint32_t> asked;
};

job_manager_actor::behavior_type fake_job_manager(job_manager_actor::pointer,
                                                  std::shared_ptr<fake_jobs_world> w) {
  auto no = [](auto&&...) { return make_error(ec::refused, "fake"); };
  return {
    [=](register_atom, const job_request&) -> caf::result<job_ticket> { return no(); },
    [=](register_atom, datum_atom, const datum_registration&) -> caf::result<datum_ticket> {
      return no();
    },
    [=](submit_atom, const job_request&) -> caf::result<job_ticket> { return no(); },
    [=](list_atom, job_atom) -> caf::result<std::vector<job_record>> { return no(); },
    [=](list_atom, job_atom, uint32_t ended) -> std::vector<job_record> {
      w->asked.push_back(ended);
      return w->jobs;
    },
    [=](get_atom, job_atom, uint64_t) -> caf::result<job_record> { return no(); },
    [=](progress_atom, uint64_t) -> caf::result<job_record> { return no(); },
    [=](cancel_atom, uint64_t) -> caf::result<job_record> { return no(); },
    [=](wait_atom, uint64_t) -> caf::result<job_record> { return no(); },
    [=](retry_atom, uint64_t) -> caf::result<job_ticket> { return no(); },
    [=](shift_atom, const std::string&, int32_t) -> caf::result<root_shift> { return no(); },
    [=](tick_atom, uint64_t) {},
    [=](scrub_atom) {},
  };
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

class status_jobs_test : public status_test {
protected:
  status_jobs_test() : world_(std::make_shared<fake_jobs_world>()) {
    jobs_ = sys_.spawn(fake_job_manager, world_);
    status_config st;
    st.base_url = base;
    st.jobs = jobs_;
    st.ended_jobs = 7;
    with_jobs_ = sys_.spawn(status, st, nodes_, attrs_, dirs_, content_, solr_);
    run();
    auto now = wall_ms();
    job_record running;
    running.id = 12;
    running.request.kind = job_kind::copy;
    running.request.uid = "res-a";
    running.request.src_root = "/r1";
    running.request.dst_root = "/r2";
    running.state = job_state::running;
    running.progress = {3, 10, 1, 400 << 20, 1000 << 20, 100 << 20};  // 100 MiB/s
    running.created = now - 8000;
    running.started = now - 6000;
    running.files = {job_file{"/r1", "scan/b.raw", 5, step_state::failed,
                              "io_error: read failed", 2}};
    job_record failed;
    failed.id = 9;
    failed.request.kind = job_kind::verify;
    failed.request.uid = "res-b";
    failed.state = job_state::failed;
    failed.progress = {4, 4, 4, 400, 400, 0};
    failed.created = now - 60000;
    failed.started = now - 50000;
    failed.finished = now - 40000;
    failed.error = "verification_mismatch: 4 files do not match";
    world_->jobs = {running, failed};
  }

  ~status_jobs_test() override {
    caf::anon_send_exit(with_jobs_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(jobs_, caf::exit_reason::user_shutdown);
    run();
  }

  caf::expected<listing> jobs_dir(std::vector<std::string> rest) {
    return dir(std::move(rest), with_jobs_);
  }

  caf::expected<node_info> jobs_attr(std::vector<std::string> rest) {
    return attr(std::move(rest), with_jobs_);
  }

  std::shared_ptr<fake_jobs_world> world_;
  job_manager_actor jobs_;
  resolver_actor with_jobs_;
};

TEST_F(status_jobs_test, jobs_folder_has_a_file_per_job_with_its_progress) {
  auto top = jobs_dir({});
  ASSERT_TRUE(top) << sys_.render(top.error());
  std::vector<std::string> names;
  for (auto& e : top->entries)
    names.push_back(e.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "jobs"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "jobs.json"), names.end());
  auto jobs = jobs_attr({"jobs"});
  ASSERT_TRUE(jobs);
  EXPECT_EQ(jobs->kind, entry_kind::directory);
  auto l = jobs_dir({"jobs"});
  ASSERT_TRUE(l) << sys_.render(l.error());
  ASSERT_EQ(l->entries.size(), 2u);
  EXPECT_EQ(l->entries[0].name, "12-copy.txt");
  EXPECT_EQ(l->entries[1].name, "9-verify.txt");
  EXPECT_EQ(l->cache, cache_class::live);
  ASSERT_FALSE(world_->asked.empty());
  EXPECT_EQ(world_->asked.back(), 7u) << "the configured number of ended jobs was not asked";
  auto f = jobs_attr({"jobs", "12-copy.txt"});
  ASSERT_TRUE(f) << sys_.render(f.error());
  auto t = f->text();
  EXPECT_EQ(f->size, t.size());
  for (auto want : {"job 12: copy\n", "resource: res-a\n", "state: running\n", "from: /r1\n",
                    "to: /r2\n", "files: 3 of 10 done, 1 failed\n",
                    "bytes: 419430400 of 1048576000 (40.0 %)\n", "rate: 100.0 MiB/s\n",
                    "ETA: 6.0 s\n", "error: none\n", "scan/b.raw at /r1: io_error: read failed"})
    EXPECT_NE(t.find(want), std::string::npos) << want << " not in:\n" << t;
  EXPECT_NE(t.find("elapsed: "), std::string::npos) << t;
  auto done = jobs_attr({"jobs", "9-verify.txt"});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->text().find("ETA"), std::string::npos) << "an ended job has no ETA";
  EXPECT_NE(done->text().find("elapsed: 10.0 s"), std::string::npos) << done->text();
  EXPECT_NE(done->text().find("error: verification_mismatch: 4 files do not match"),
            std::string::npos) << done->text();
  EXPECT_EQ(code_of(jobs_attr({"jobs", "13-copy.txt"}).error()), ec::not_found);
  EXPECT_EQ(code_of(jobs_attr({"jobs", "12-copy.txt", "x"}).error()), ec::not_found);
}

TEST_F(status_jobs_test, jobs_json_holds_every_job_with_numbers) {
  auto f = jobs_attr({"jobs.json"});
  ASSERT_TRUE(f) << sys_.render(f.error());
  auto j = nlohmann::json::parse(f->text(), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << f->text();
  ASSERT_EQ(j["jobs"].size(), 2u);
  auto& r = j["jobs"][0];
  EXPECT_EQ(r["id"], 12);
  EXPECT_EQ(r["file"], "12-copy.txt");
  EXPECT_EQ(r["kind"], "copy");
  EXPECT_EQ(r["resource"], "res-a");
  EXPECT_EQ(r["state"], "running");
  EXPECT_EQ(r["files_done"], 3);
  EXPECT_EQ(r["files_total"], 10);
  EXPECT_EQ(r["bytes_done"], 400 << 20);
  EXPECT_EQ(r["bytes_total"], 1000 << 20);
  EXPECT_DOUBLE_EQ(r["rate_bytes_per_s"].get<double>(), 100 << 20);
  EXPECT_DOUBLE_EQ(r["eta_s"].get<double>(), 6.0);
  EXPECT_GE(r["elapsed_s"].get<double>(), 6.0);
  ASSERT_EQ(r["failed"].size(), 1u);
  EXPECT_EQ(r["failed"][0]["rel_path"], "scan/b.raw");
  auto& e = j["jobs"][1];
  EXPECT_EQ(e["state"], "failed");
  EXPECT_TRUE(e["eta_s"].is_null());
  EXPECT_DOUBLE_EQ(e["elapsed_s"].get<double>(), 10.0);
  EXPECT_EQ(e["error"], "verification_mismatch: 4 files do not match");
}

TEST_F(status_jobs_test, a_job_manager_that_does_not_answer_is_an_error_folder) {
  caf::anon_send_exit(jobs_, caf::exit_reason::user_shutdown);
  run();
  auto l = jobs_dir({"jobs"});
  ASSERT_TRUE(l);
  ASSERT_EQ(l->entries.size(), 1u);
  EXPECT_EQ(l->cache, cache_class::live);
  EXPECT_FALSE(jobs_attr({"jobs.json"}));
  // The rest of Status is still there, and jobs/ to say why it is empty.
  auto top = jobs_dir({});
  ASSERT_TRUE(top);
  std::vector<std::string> names;
  for (auto& e : top->entries)
    names.push_back(e.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "jobs"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "jobs.json"), names.end());
  EXPECT_TRUE(jobs_attr({"daemon.txt"}));
}

TEST(status_render, texts_hold_every_field) {
  node_description n;
  n.identifier = "urn:node:X";
  n.name = "X node";
  n.base_url = "https://x.example/mn";
  n.type = "mn";
  n.state = "up";
  n.services = {"MNCore v2 (available)", "MNRead v2 (available)"};
  auto t = node_text(n);
  EXPECT_EQ(t, "name: X node\nidentifier: urn:node:X\ntype: member node (mn)\n"
               "base URL: https://x.example/mn\nstate: up\nreplicate: no\nsynchronize: no\n"
               "services:\n  MNCore v2 (available)\n  MNRead v2 (available)\n");
  EXPECT_EQ(node_file_name(n), "urn:node:X.txt");
  daemon_snapshot s;
  s.base_url = "https://cn.dataone.org/cn";
  s.solr_ok = false;
  auto j = nlohmann::json::parse(daemon_json(s));
  EXPECT_TRUE(j["solr"].is_null());
  EXPECT_NE(daemon_text(s).find("solr: unavailable"), std::string::npos);
}

}  // namespace
}  // namespace d1::test
