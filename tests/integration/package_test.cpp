// End to end: packages and Status/ through a real mount of the stand-in node. The node's
// fixtures directory is a temp dir of symlinks to the shared fixtures plus one generated
// 5000-member resource map. Expected members come from the node's own /_corpus report.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace d1::integration {
namespace {

constexpr int big_members = 5000;

// A DataONE-style map: a few real KNB objects, then generated identifiers.
std::string big_map() {
  const std::string base = "https://cn.dataone.org/cn/v2/resolve/";
  std::vector<std::string> members{"cbfs.38.9", "Blandy.77.1"};
  for (int i = 0; members.size() < big_members; ++i)
    members.push_back("big.member." + std::to_string(i));
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rdf:RDF "
                    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                    "xmlns:ore=\"http://www.openarchives.org/ore/terms/\" "
                    "xmlns:dcterms=\"http://purl.org/dc/terms/\">\n"
                    "<rdf:Description rdf:about=\"" + base + "big_package\">"
                    "<rdf:type rdf:resource=\"http://www.openarchives.org/ore/terms/ResourceMap\"/>"
                    "<ore:describes rdf:resource=\"" + base + "big_package#aggregation\"/>"
                    "<dcterms:identifier>big_package</dcterms:identifier></rdf:Description>\n"
                    "<rdf:Description rdf:about=\"" + base + "big_package#aggregation\">"
                    "<rdf:type rdf:resource=\"http://www.openarchives.org/ore/terms/Aggregation\"/>\n";
  for (auto& m : members)
    out += "<ore:aggregates rdf:resource=\"" + base + m + "\"/>\n";
  out += "</rdf:Description>\n";
  for (auto& m : members)
    out += "<rdf:Description rdf:about=\"" + base + m + "\"><dcterms:identifier>" + m
           + "</dcterms:identifier></rdf:Description>\n";
  return out + "</rdf:RDF>\n";
}

class package_integration : public mount_suite<package_integration> {
public:
  // The node serves a temp dir of symlinks to the shared fixtures plus big_package.xml.
  static mount_options options() {
    mount_options options;
    options.config = "[network]\ntimeout_ms = 5000\nmax_retries = 1\n";
    options.needs_fixtures = true;
    options.prepare = [](const std::string& work_dir) {
      auto fx = work_dir + "/fixtures";
      auto shared = fixtures_dir();
      sh("mkdir -p " + quote(fx + "/resource_maps") + " && ln -s " + quote(shared + "/cn") + " "
         + quote(fx + "/cn") + " && ln -s " + quote(shared + "/knb") + " " + quote(fx + "/knb")
         + " && ln -s " + quote(shared) + "/resource_maps/*.xml "
         + quote(fx + "/resource_maps/"));
      std::ofstream{fx + "/resource_maps/big_package.xml"} << big_map();
      return std::vector<std::string>{"--fixtures", fx};
    };
    return options;
  }

protected:
  static void SetUpTestSuite() {
    mount_suite::SetUpTestSuite();
    if (!node_ || !node_->running())
      return;
    corpus_ = std::make_unique<nlohmann::json>(nlohmann::json::parse(
      sh("curl -s " + quote("http://127.0.0.1:" + std::to_string(node_->port()) + "/_corpus"))
        .out,
      nullptr, false));
  }

  static void TearDownTestSuite() {
    corpus_.reset();
    mount_suite::TearDownTestSuite();
  }

  // The node's report of the map read from `file` (relative to the fixtures dir).
  static nlohmann::json map_report(const std::string& file) {
    for (auto& r : (*corpus_)["resource_maps"])
      if (r["file"] == file)
        return r;
    return {};
  }

  static inline std::unique_ptr<nlohmann::json> corpus_;
};

TEST_F(package_integration, integration_knb_packages_list_their_members) {
  for (std::string pid : {"resourceMap_Blandy.76.2", "resourceMap_BrianGratwicke.4.1",
                          "resourceMap_ODUphyto.7.5"}) {
    SCOPED_TRACE(pid);
    auto report = map_report("knb/data/" + pid);
    ASSERT_TRUE(report.is_object());
    auto entries = ls(object_dir(pid));
    std::set<std::string> names(entries.begin(), entries.end());
    std::set<std::string> want{"resource_map.xml", "system.xml", "search_fields.txt"};
    for (auto& m : report["members"])
      want.insert(segment_for(m.get<std::string>()));
    EXPECT_EQ(names, want);
    // resource_map.xml: the map's bytes, verified, byte for byte.
    auto map = object_dir(pid) + "/resource_map.xml";
    EXPECT_EQ(sh("cmp " + quote(map) + " " + quote(fixtures_dir() + "/knb/data/" + pid)).status,
              0);
    EXPECT_EQ(sh("cat " + quote(object_dir(pid) + "/system.xml")).out,
              read_file(fixtures_dir() + "/knb/sysmeta/" + pid));
  }
}

TEST_F(package_integration, integration_member_folders_serve_verified_bytes) {
  // Blandy.76.2's bytes do not match its system metadata: never served, even in a package.
  auto bad_dir = object_dir("resourceMap_Blandy.76.2") + "/Blandy.76.2";
  std::string bad_name;
  for (auto& e : ls(bad_dir))
    if (e != "system.xml" && e != "search_fields.txt")
      bad_name = e;
  ASSERT_FALSE(bad_name.empty());
  auto refused = sh("cat " + quote(bad_dir + "/" + bad_name) + " > /dev/null", 120);
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("Input/output error"), std::string::npos) << refused.err;
  // Blandy.77.1 is documented by Blandy.76.2 (EML): its folder shows that document too.
  auto member = object_dir("resourceMap_Blandy.76.2") + "/Blandy.77.1";
  auto entries = ls(member);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_NE(std::find(entries.begin(), entries.end(), bad_name), entries.end());
  std::string data;
  for (auto& e : entries)
    if (e != "system.xml" && e != "search_fields.txt" && e != bad_name)
      data = member + "/" + e;
  auto mounted = sh("md5sum " + quote(data), 120);
  ASSERT_EQ(mounted.status, 0) << mounted.err;
  EXPECT_EQ(first_word(mounted.out),
            first_word(sh("md5sum " + quote(fixtures_dir() + "/knb/data/Blandy.77.1")).out));
}

TEST_F(package_integration, integration_malformed_maps_give_error_files) {
  for (std::string file : {"missingIdentifier.xml", "miscodedIdentifier.xml",
                           "nonCnResolveURIs.xml", "nonStandardAggregationResourceURI.xml",
                           "oreTerms.xml"}) {
    SCOPED_TRACE(file);
    auto report = map_report("resource_maps/" + file);
    ASSERT_TRUE(report.is_object());
    auto dir = object_dir(report["pid"].get<std::string>());
    auto entries = ls(dir);
    std::string error;
    for (auto& e : entries)
      if (e.rfind("Malformed resource map - ", 0) == 0)
        error = e;
    ASSERT_FALSE(error.empty()) << ::testing::PrintToString(entries);
    auto details = sh("cat " + quote(dir + "/" + error));
    EXPECT_EQ(details.status, 0);
    EXPECT_NE(details.out.find("Path: /FlatSpace/"), std::string::npos) << details.out;
    EXPECT_EQ(sh("cmp " + quote(dir + "/resource_map.xml") + " "
                 + quote(fixtures_dir() + "/resource_maps/" + file)).status, 0);
  }
}

TEST_F(package_integration, integration_five_thousand_member_package_lists_correctly) {
  auto dir = object_dir("big_package");
  auto entries = ls(dir, 120);
  ASSERT_EQ(entries.size(), size_t{big_members} + 3);
  std::set<std::string> names(entries.begin(), entries.end());
  EXPECT_EQ(names.size(), entries.size());
  EXPECT_TRUE(names.count("big.member.0"));
  EXPECT_TRUE(names.count("big.member." + std::to_string(big_members - 3)));
  EXPECT_TRUE(names.count("resource_map.xml"));
  // A real object among the generated members works as a member folder.
  auto cbfs = ls(dir + "/cbfs.38.9");
  EXPECT_EQ(cbfs.size(), 3u);
  std::string data;
  for (auto& e : cbfs)
    if (e != "system.xml" && e != "search_fields.txt")
      data = dir + "/cbfs.38.9/" + e;
  ASSERT_FALSE(data.empty());
  auto sum = sh("sha1sum < " + quote(data), 60);
  EXPECT_EQ(first_word(sum.out),
            first_word(sh("sha1sum " + quote(fixtures_dir() + "/knb/data/cbfs.38.9")).out));
  // find over the package terminates (members not in the corpus are error folders).
  auto found = sh("find " + quote(dir) + " -maxdepth 1 | wc -l", 120);
  EXPECT_EQ(std::stoi(found.out), big_members + 4);
}

TEST_F(package_integration, integration_status_files_are_readable_with_plausible_numbers) {
  // Some traffic first, so the counters have something to count.
  ls(object_dir("resourceMap_Blandy.76.2"));
  auto entries = ls(mnt() + "/Status");
  EXPECT_EQ(entries, (std::vector<std::string>{"content.json", "content.txt", "crawl",
                                                "daemon.json", "daemon.txt", "downloads", "jobs",
                                                "jobs.json", "nodes"}));
  // Every JSON file of Status parses as one JSON object.
  for (auto name : {"daemon.json", "content.json", "jobs.json"}) {
    auto r = sh("cat " + quote(mnt() + "/Status/" + name));
    ASSERT_EQ(r.status, 0) << name << ": " << r.err;
    auto parsed = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_TRUE(parsed.is_object()) << name << ":\n" << r.out;
  }
  auto json_path = mnt() + "/Status/daemon.json";
  auto text = sh("cat " + quote(json_path));
  ASSERT_EQ(text.status, 0) << text.err;
  auto j = nlohmann::json::parse(text.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text.out;
  EXPECT_GT(j["uptime_seconds"].get<double>(), 0.0);
  EXPECT_LT(j["uptime_seconds"].get<double>(), 3600.0);
  EXPECT_GT(j["solr"]["requests_sent"].get<uint64_t>(), 0u);
  EXPECT_GT(j["dir_cache"]["entries"].get<uint64_t>(), 0u);
  EXPECT_GT(j["attr_cache"]["hits"].get<uint64_t>() + j["attr_cache"]["misses"].get<uint64_t>(),
            0u);
  EXPECT_EQ(j["base_url"], node_->cn_url());
  // Listing the package downloaded its resource map through the content cache.
  EXPECT_GE(j["bytes_fetched"].get<uint64_t>(), 2536u);
  auto txt = sh("cat " + quote(mnt() + "/Status/daemon.txt"));
  EXPECT_NE(txt.out.find("uptime seconds: "), std::string::npos) << txt.out;
  // stat sizes are right for generated files: what cat reads is what stat said.
  for (auto name : {"daemon.txt", "daemon.json", "content.txt", "content.json", "jobs.json"}) {
    auto path = mnt() + "/Status/" + name;
    auto both = sh("stat -c %s " + quote(path) + "; cat " + quote(path) + " | wc -c");
    std::istringstream in{both.out};
    uint64_t stat_size = 0, read_size = 1;
    in >> stat_size >> read_size;
    EXPECT_GT(read_size, 0u) << name;
    // The figures may change between stat and cat: same order of magnitude, never empty.
    EXPECT_LT(stat_size > read_size ? stat_size - read_size : read_size - stat_size, 64u)
      << name;
  }
}

TEST_F(package_integration, integration_status_nodes_list_the_test_cn_and_mn) {
  auto nodes = ls(mnt() + "/Status/nodes");
  std::set<std::string> names(nodes.begin(), nodes.end());
  ASSERT_TRUE(names.count("urn:node:D1TESTCN.txt")) << ::testing::PrintToString(nodes);
  ASSERT_TRUE(names.count("urn:node:D1TESTMN.txt"));
  auto cn = sh("cat " + quote(mnt() + "/Status/nodes/urn:node:D1TESTCN.txt"));
  EXPECT_NE(cn.out.find("base URL: " + node_->cn_url()), std::string::npos) << cn.out;
  EXPECT_NE(cn.out.find("type: coordinating node"), std::string::npos) << cn.out;
  auto mn = sh("cat " + quote(mnt() + "/Status/nodes/urn:node:D1TESTMN.txt"));
  EXPECT_NE(mn.out.find("base URL: " + node_->mn_url()), std::string::npos) << mn.out;
  EXPECT_NE(mn.out.find("services:"), std::string::npos) << mn.out;
}

}  // namespace
}  // namespace d1::integration
