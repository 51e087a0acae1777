// Staging against the stand-in node (two replicas of every object): the real http_client,
// node_client and stager, real files under a temp root. Objects, a nested package, a
// corrupt replica passed over, a member no replica of which matches, and a stage resumed
// over what an interrupted one left.
#include "actors/dataone/http_client.hpp"
#include "actors/dataone/node_client.hpp"
#include "actors/stage/stage_file.hpp"
#include "actors/stage/stager.hpp"
#include "messages/error.hpp"
#include "messages/path_codec.hpp"
#include "tests/integration/harness.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

namespace d1::integration {
namespace {

namespace fs = std::filesystem;

// A DataONE resource map `id` aggregating `members`.
std::string make_map(const std::string& id, const std::vector<std::string>& members) {
  const std::string base = "https://cn.dataone.org/cn/v2/resolve/";
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rdf:RDF "
                    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                    "xmlns:ore=\"http://www.openarchives.org/ore/terms/\" "
                    "xmlns:dcterms=\"http://purl.org/dc/terms/\">\n"
                    "<rdf:Description rdf:about=\"" + base + id + "\">"
                    "<rdf:type rdf:resource=\"http://www.openarchives.org/ore/terms/ResourceMap\"/>"
                    "<ore:describes rdf:resource=\"" + base + id + "#aggregation\"/>"
                    "<dcterms:identifier>" + id + "</dcterms:identifier></rdf:Description>\n"
                    "<rdf:Description rdf:about=\"" + base + id + "#aggregation\">"
                    "<rdf:type rdf:resource=\"http://www.openarchives.org/ore/terms/Aggregation\"/>\n";
  for (auto& m : members)
    out += "<ore:aggregates rdf:resource=\"" + base + m + "\"/>\n";
  out += "</rdf:Description>\n";
  for (auto& m : members)
    out += "<rdf:Description rdf:about=\"" + base + m + "\"><dcterms:identifier>" + m
           + "</dcterms:identifier></rdf:Description>\n";
  return out + "</rdf:RDF>\n";
}

// Every file beneath `root` (relative paths), temporaries included.
std::vector<std::string> files_beneath(const std::string& root) {
  std::vector<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file())
      out.push_back(fs::relative(e.path(), root).string());
  std::sort(out.begin(), out.end());
  return out;
}

bool has_temporaries(const std::string& root) {
  for (auto& f : files_beneath(root))
    if (f.find(".d1stage.") != std::string::npos)
      return true;
  return false;
}

class stage_test : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    if (fixtures_dir().empty())
      return;
    dir_ = std::make_unique<temp_dir>();
    auto fx = dir_->path() + "/fixtures";
    auto shared = fixtures_dir();
    sh("mkdir -p " + quote(fx + "/resource_maps") + " && ln -s " + quote(shared + "/cn") + " "
       + quote(fx + "/cn") + " && ln -s " + quote(shared + "/knb") + " " + quote(fx + "/knb"));
    std::ofstream{fx + "/resource_maps/inner.xml"}
      << make_map("stage_inner", {"jimont.128.4", "knb-lter-nin.19.1"});
    std::ofstream{fx + "/resource_maps/outer.xml"}
      << make_map("stage_outer", {"stage_inner", "cbfs.38.9"});
    node_ = std::make_unique<test_node>(dir_->path(),
                                        std::vector<std::string>{"--fixtures", fx,
                                                                 "--replicas", "2"});
  }

  static void TearDownTestSuite() {
    node_.reset();
    dir_.reset();
  }

  void SetUp() override {
    if (!node_ || !node_->running())
      GTEST_SKIP() << "no fixtures or the stand-in node did not start";
    node_->clear_faults();
    root_ = std::make_unique<temp_dir>();
    http_ = sys_.spawn(http_client, http_client_config{});
    node_client_config nc;
    nc.base_url = node_->cn_url();
    nc.timeout_ms = 10000;
    nc.max_retries = 0;
    nodes_ = sys_.spawn(node_client, nc, http_);
    stage_config sc;
    sc.parallel = 2;
    stager_ = sys_.spawn<caf::detached>(stager, sc, nodes_, job_manager_actor{});
  }

  void TearDown() override {
    for (auto a : {caf::actor_cast<caf::actor>(stager_), caf::actor_cast<caf::actor>(nodes_),
                   caf::actor_cast<caf::actor>(http_)})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  caf::expected<stage_report> stage(const std::string& pid, bool dry_run = false) {
    caf::scoped_actor self{sys_};
    caf::expected<stage_report> out{stage_report{}};
    self->request(stager_, std::chrono::seconds(120), fetch_atom::value,
                  stage_request{pid, root_->path(), dry_run})
      .receive([&](stage_report& r) { out = std::move(r); },
               [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  std::string root() const {
    return root_->path();
  }

  static std::string knb(const std::string& what) {
    return fixtures_dir() + "/knb/" + what;
  }

  static std::string errors_of(const stage_report& r) {
    std::string out;
    for (auto& e : r.errors)
      out += e + "\n";
    return out;
  }

  static inline std::unique_ptr<temp_dir> dir_;
  static inline std::unique_ptr<test_node> node_;
  caf::actor_system_config cfg_;
  caf::actor_system sys_{cfg_};
  std::unique_ptr<temp_dir> root_;
  http_client_actor http_;
  node_client_actor nodes_;
  stager_actor stager_;
};

TEST_F(stage_test, integration_a_data_object_lands_verified_with_its_system_metadata) {
  auto r = stage("cbfs.38.9");
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_TRUE(r->errors.empty()) << errors_of(*r);
  ASSERT_EQ(r->files.size(), 1u);
  auto& f = r->files[0];
  EXPECT_EQ(f.outcome, "fetched");
  EXPECT_EQ(f.rel_path.substr(0, f.rel_path.find('/')), segment_for("cbfs.38.9"));
  EXPECT_EQ(read_file(root() + "/" + f.rel_path), read_file(knb("data/cbfs.38.9")));
  EXPECT_EQ(read_file(root() + "/" + segment_for("cbfs.38.9") + "/system.xml"),
            read_file(knb("sysmeta/cbfs.38.9")));
  EXPECT_EQ(files_beneath(root()).size(), 2u);
  EXPECT_EQ(f.checksum_algorithm, "MD5");
  EXPECT_EQ(r->fetched_bytes, f.size);
}

TEST_F(stage_test, integration_a_metadata_object_lands_under_its_file_name) {
  auto r = stage("knb-lter-nin.19.1");
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_TRUE(r->errors.empty()) << errors_of(*r);
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_EQ(r->files[0].outcome, "fetched");
  EXPECT_EQ(read_file(root() + "/" + r->files[0].rel_path),
            read_file(knb("eml_knb-lter-nin.19.1.xml")));
  EXPECT_FALSE(has_temporaries(root()));
}

TEST_F(stage_test, integration_a_nested_package_lands_as_the_mount_shows_it) {
  auto r = stage("stage_outer");
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_TRUE(r->errors.empty()) << errors_of(*r);
  ASSERT_EQ(r->files.size(), 5u);  // two maps, three objects
  auto outer = segment_for("stage_outer");
  auto inner = outer + "/" + segment_for("stage_inner");
  std::set<std::string> got;
  for (auto& f : r->files) {
    EXPECT_EQ(f.outcome, "fetched") << f.pid << ": " << f.detail;
    got.insert(f.rel_path.substr(0, f.rel_path.rfind('/')));
  }
  std::set<std::string> want{outer, inner, outer + "/" + segment_for("cbfs.38.9"),
                             inner + "/" + segment_for("jimont.128.4"),
                             inner + "/" + segment_for("knb-lter-nin.19.1")};
  EXPECT_EQ(got, want);
  EXPECT_TRUE(fs::exists(root() + "/" + outer + "/resource_map.xml"));
  EXPECT_TRUE(fs::exists(root() + "/" + inner + "/resource_map.xml"));
  for (auto& folder : want)
    EXPECT_TRUE(fs::exists(root() + "/" + folder + "/system.xml")) << folder;
  EXPECT_EQ(read_file(root() + "/" + inner + "/" + segment_for("jimont.128.4") + "/system.xml"),
            read_file(knb("sysmeta/jimont.128.4")));
  EXPECT_FALSE(has_temporaries(root()));
}

TEST_F(stage_test, integration_staging_again_adopts_and_downloads_nothing) {
  auto first = stage("stage_outer");
  ASSERT_TRUE(first && first->errors.empty());
  auto before = node_->request_count();
  auto again = stage("stage_outer");
  ASSERT_TRUE(again) << describe(again.error());
  ASSERT_TRUE(again->errors.empty()) << errors_of(*again);
  EXPECT_EQ(again->files.size(), 5u);
  for (auto& f : again->files)
    EXPECT_EQ(f.outcome, "adopted") << f.pid;
  EXPECT_EQ(again->fetched_bytes, 0u);
  // System metadata and the format list only: no object bytes asked for.
  EXPECT_LE(node_->request_count() - before, 6u);
}

TEST_F(stage_test, integration_a_stage_resumes_over_what_an_interrupted_one_left) {
  // An interrupted run leaves a partial temporary and no file under the final name.
  auto plan = stage("cbfs.38.9", true);
  ASSERT_TRUE(plan && plan->files.size() == 1u);
  EXPECT_EQ(plan->files[0].outcome, "planned");
  EXPECT_TRUE(files_beneath(root()).empty()) << "a dry run wrote something";
  auto final_path = root() + "/" + plan->files[0].rel_path;
  fs::create_directories(fs::path(final_path).parent_path());
  std::ofstream{stage_temp_path(final_path)} << read_file(knb("data/cbfs.38.9")).substr(0, 100);
  auto r = stage("cbfs.38.9");
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_TRUE(r->errors.empty()) << errors_of(*r);
  EXPECT_EQ(read_file(final_path), read_file(knb("data/cbfs.38.9")));
  EXPECT_FALSE(has_temporaries(root()));
}

TEST_F(stage_test, integration_a_corrupt_replica_is_passed_over_for_a_good_one) {
  node_->add_fault(R"({"match": "^/mn/v2/object/jimont\\.128\\.4$", "kind": "corrupt"})");
  auto r = stage("jimont.128.4");
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_TRUE(r->errors.empty()) << errors_of(*r);
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_EQ(r->files[0].outcome, "fetched");
  EXPECT_EQ(read_file(root() + "/" + r->files[0].rel_path), read_file(knb("data/jimont.128.4")));
  EXPECT_EQ(r->fetched_bytes, 2 * r->files[0].size) << "the corrupt copy came first";
}

TEST_F(stage_test, integration_a_member_no_replica_of_which_matches_fails_naming_it) {
  node_->add_fault(R"({"match": "/v2/object/jimont\\.128\\.4$", "kind": "corrupt"})");
  auto r = stage("stage_inner");
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_EQ(r->errors.size(), 1u) << errors_of(*r);
  EXPECT_NE(r->errors[0].find("jimont.128.4"), std::string::npos) << r->errors[0];
  EXPECT_NE(r->errors[0].find("MD5"), std::string::npos) << r->errors[0];
  for (auto& f : r->files) {
    bool bad = f.pid == "jimont.128.4";
    EXPECT_EQ(f.outcome, bad ? "failed" : "fetched") << f.pid;
    EXPECT_EQ(fs::exists(root() + "/" + f.rel_path), !bad) << f.rel_path;
  }
  EXPECT_FALSE(has_temporaries(root()));
}

}  // namespace
}  // namespace d1::integration
