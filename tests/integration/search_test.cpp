// End to end: FacetedSearch/ and PreconfiguredSearch/ of a real mount of the stand-in node,
// with the shared corpus and with 100k synthetic records. Expected names and counts come
// from the node itself (curl + its JSON), never from the product's code.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <set>

namespace d1::integration {
namespace {

// field:"value" as a Solr phrase, written independently of the product.
std::string phrase_fq(const std::string& field, const std::string& value) {
  std::string out = field + ":\"";
  for (char c : value) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

// Queries of the node (its own Solr API) and sorting of listings, for both suites.
class search_fixture {
public:
  // value → count of `field` under the filters, as the node computes it.
  static std::map<std::string, uint64_t> facet(const test_node& node, const std::string& field,
                                               const std::vector<std::string>& fq = {}) {
    auto counts = node_facet(node, field, fq);
    return {counts.begin(), counts.end()};
  }

  static uint64_t num_found(const test_node& node, const std::vector<std::string>& fq) {
    auto j = node_select(node, fq_params(fq) + "&rows=0");
    return j["response"]["numFound"].get<uint64_t>();
  }

  static std::set<std::string> ids(const test_node& node, const std::vector<std::string>& fq) {
    auto j = node_select(node, fq_params(fq) + "&rows=100000&fl=id");
    std::set<std::string> out;
    for (auto& d : j["response"]["docs"])
      out.insert(d["id"].get<std::string>());
    return out;
  }

  static std::set<std::string> objects_in(const std::vector<std::string>& entries) {
    std::set<std::string> out;
    for (auto& e : entries)
      if (!e.empty() && e[0] != '@')
        out.insert(e);
    return out;
  }

  static std::set<std::string> fields_in(const std::vector<std::string>& entries) {
    std::set<std::string> out;
    for (auto& e : entries)
      if (e.size() > 1 && e[0] == '@' && e[1] != ' ')
        out.insert(e);
    return out;
  }

  static std::set<std::string> segments_of(const std::set<std::string>& pids) {
    std::set<std::string> out;
    for (auto& p : pids)
      out.insert(segment_for(p));
    return out;
  }
};

// -- the shared corpus -----------------------------------------------------------------

class search_corpus_test : public mount_suite<search_corpus_test>, public search_fixture {
public:
  static mount_options options() {
    return {{},
            "[network]\ntimeout_ms = 3000\nmax_retries = 1\n"
            "retry_base_delay_ms = 100\n"
            "[cache.ttl]\ntransient = 1\nerror = 1\n"
            "[faceted_search]\nfields = [\"formatId\", \"formatType\", "
            "\"keywords\", \"origin\", \"checksum\", \"noSuchField\"]\n"
            "[[search]]\nname = \"CSV data\"\n"
            "fq = ['formatId:\"text/csv\"']\n"
            "[[search]]\nname = \"oak/acorn\"\n"
            "fq = ['keywords:\"oak\" OR keywords:\"acorn\"', "
            "'formatType:\"METADATA\"']\n"};
  }

protected:
  void SetUp() override {
    mount_suite::SetUp();
    if (IsSkipped() || HasFailure())
      return;
    if (fixtures_dir().empty())
      GTEST_SKIP() << "shared fixtures absent";
  }
};

TEST_F(search_corpus_test, integration_search_root_lists_fields_and_every_object) {
  auto root = ls(drive_->mountpoint());
  EXPECT_NE(std::find(root.begin(), root.end(), "FacetedSearch"), root.end());
  EXPECT_NE(std::find(root.begin(), root.end(), "PreconfiguredSearch"), root.end());
  auto entries = ls(fs());
  // checksum is not searchable in the description, noSuchField is not there at all.
  EXPECT_EQ(fields_in(entries), (std::set<std::string>{"@formatId", "@formatType", "@keywords",
                                                       "@origin"}));
  EXPECT_EQ(objects_in(entries), segments_of(ids(*node_, {})));
  EXPECT_EQ(objects_in(entries).size(), num_found(*node_, {}));
}

TEST_F(search_corpus_test, integration_facet_values_and_counts_equal_the_node) {
  for (auto field : {"formatId", "formatType", "keywords", "origin"}) {
    SCOPED_TRACE(field);
    auto expected = facet(*node_, field);
    ASSERT_FALSE(expected.empty());
    auto dir = fs() + "/@" + field;
    std::set<std::string> want;
    for (auto& [v, n] : expected)
      want.insert("#" + segment_for(v));
    auto got = ls(dir);
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), want);
    // The size of a value folder is its count; and its listing holds exactly those objects.
    auto sizes = sh("cd " + quote(dir) + " && stat -c '%s %n' -- *");
    std::map<std::string, uint64_t> counts;
    for (auto& line : lines(sizes.out))
      counts["x" + line.substr(line.find(' ') + 1)] = std::stoull(line.substr(0, line.find(' ')));
    for (auto& [v, n] : expected)
      EXPECT_EQ(counts["x#" + segment_for(v)], n) << v;
    auto [value, count] = *expected.begin();
    auto objects = objects_in(ls(dir + "/#" + segment_for(value)));
    EXPECT_EQ(objects.size(), count);
    EXPECT_EQ(objects, segments_of(ids(*node_, {phrase_fq(field, value)})));
  }
}

TEST_F(search_corpus_test, integration_nested_facets_equal_the_node) {
  auto formats = facet(*node_, "formatType");
  ASSERT_TRUE(formats.count("METADATA"));
  auto fq = std::vector<std::string>{phrase_fq("formatType", "METADATA")};
  auto keywords = facet(*node_, "keywords", fq);
  ASSERT_FALSE(keywords.empty());
  auto dir = fs() + "/@formatType/#METADATA";
  auto entries = ls(dir);
  EXPECT_EQ(fields_in(entries), (std::set<std::string>{"@formatId", "@keywords", "@origin"}));
  std::set<std::string> want;
  for (auto& [v, n] : keywords)
    want.insert("#" + segment_for(v));
  auto got = ls(dir + "/@keywords");
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), want);
  // Two levels down, and the other order: the same objects.
  auto [kw, n] = *keywords.rbegin();
  fq.push_back(phrase_fq("keywords", kw));
  auto deep = objects_in(ls(dir + "/@keywords/#" + segment_for(kw)));
  EXPECT_EQ(deep, segments_of(ids(*node_, fq)));
  EXPECT_EQ(deep.size(), n);
  auto swapped = objects_in(ls(fs() + "/@keywords/#" + segment_for(kw) + "/@formatType/#METADATA"));
  EXPECT_EQ(swapped, deep);
}

TEST_F(search_corpus_test, integration_object_below_facets_is_the_object_folder) {
  auto pids = ids(*node_, {phrase_fq("formatId", "text/csv")});
  ASSERT_FALSE(pids.empty());
  auto pid = *pids.begin();
  auto below = ls(fs() + "/@formatId/#text%2Fcsv/" + segment_for(pid));
  auto flat = ls(drive_->mountpoint() + "/FlatSpace/" + segment_for(pid));
  EXPECT_EQ(below, flat);
  // The bytes, system.xml, search_fields.txt and the metadata documents of the object.
  auto documents = node_select(*node_, fq_params({phrase_fq("id", pid)}) + "&fl=isDocumentedBy")
                     ["response"]["docs"];
  ASSERT_FALSE(documents.empty());
  EXPECT_EQ(below.size(), 3u + documents[0].value("isDocumentedBy", nlohmann::json::array()).size());
  // The facets are dropped: the object is reachable below a filter it does not match.
  auto elsewhere = ls(fs() + "/@formatType/#RESOURCE/" + segment_for(pid));
  EXPECT_EQ(elsewhere, flat);
  auto bytes = sh("cat " + quote(fs() + "/@formatId/#text%2Fcsv/" + segment_for(pid) + "/"
                                 + below[0]) + " | sha1sum");
  auto direct = sh("cat " + quote(drive_->mountpoint() + "/FlatSpace/" + segment_for(pid) + "/"
                                  + flat[0]) + " | sha1sum");
  EXPECT_EQ(bytes.out, direct.out);
}

TEST_F(search_corpus_test, integration_malformed_facet_paths_are_error_folders) {
  struct bad_case {
    std::string path;
    std::string says;
  };
  for (auto& c : std::vector<bad_case>{{"/#text%2Fcsv", "without a field"},
                                        {"/@noSuchField", "unknown facet field"},
                                        {"/@checksum", "unknown facet field"},
                                        {"/@formatId/#text%2Fcsv/@formatId", "applied twice"},
                                        {"/@formatId/#bad%zz", "bad escape"},
                                        {"/@formatId/text", "is not a value"}}) {
    SCOPED_TRACE(c.path);
    auto entries = ls(fs() + c.path);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_NE(entries[0].find(c.says), std::string::npos) << entries[0];
    auto text = sh("cat " + quote(fs() + c.path + "/" + entries[0]));
    EXPECT_NE(text.out.find("What to try"), std::string::npos) << text.out;
  }
}

TEST_F(search_corpus_test, integration_preconfigured_searches_filter_and_facet) {
  auto names = ls(drive_->mountpoint() + "/PreconfiguredSearch");
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
            (std::set<std::string>{"CSV data", "oak%2Facorn"}));
  auto csv = ls(drive_->mountpoint() + "/PreconfiguredSearch/CSV data");
  auto csv_fq = std::vector<std::string>{phrase_fq("formatId", "text/csv")};
  EXPECT_EQ(objects_in(csv), segments_of(ids(*node_, csv_fq)));
  std::vector<std::string> oak_fq{"keywords:\"oak\" OR keywords:\"acorn\"",
                                  phrase_fq("formatType", "METADATA")};
  auto oak = drive_->mountpoint() + "/PreconfiguredSearch/oak%2Facorn";
  EXPECT_EQ(objects_in(ls(oak)), segments_of(ids(*node_, oak_fq)));
  auto origins = facet(*node_, "origin", oak_fq);
  std::set<std::string> want;
  for (auto& [v, n] : origins)
    want.insert("#" + segment_for(v));
  auto got = ls(oak + "/@origin");
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), want);
}

TEST_F(search_corpus_test, integration_concurrent_cold_listings_send_one_select) {
  ls(fs());  // the query engine description is read by now
  auto before = node_->select_count();
  auto dir = fs() + "/@formatType/#DATA/@origin";
  auto r = sh("for i in $(seq 20); do ls -A1 " + quote(dir)
                + " > /dev/null & done; wait", 60);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(node_->select_count() - before, 1u);
}

TEST_F(search_corpus_test, integration_solr_faults_become_error_folders_within_the_timeout) {
  ls(fs());
  auto all = ids(*node_, {});  // asked before the faults: they hit curl too
  ASSERT_FALSE(all.empty());
  auto some_pid = *all.begin();
  // A folder seen before the faults (they hit the object's Solr record too).
  ASSERT_EQ(ls(drive_->mountpoint() + "/FlatSpace/" + segment_for(some_pid)).size(), 3u);
  struct fault_case {
    std::string json;
    std::string expect;
  };
  std::vector<fault_case> cases{
    {R"({"match": "/cn/v2/query/solr/", "kind": "status", "status": 500})", "Node error"},
    {R"({"match": "/cn/v2/query/solr/", "kind": "garbage"})", "Garbage from node"},
    {R"({"match": "/cn/v2/query/solr/", "kind": "reset"})", "Node unreachable"},
    {R"({"match": "/cn/v2/query/solr/", "kind": "delay", "delay_ms": 9000})", "Timed out"},
  };
  int n = 0;
  for (auto& c : cases) {
    SCOPED_TRACE(c.json);
    node_->add_fault(c.json);
    // A cold folder per case: a keyword the index does not have.
    auto dir = fs() + "/@keywords/#fault-case-" + std::to_string(n++);
    auto start = std::chrono::steady_clock::now();
    auto entries = ls(dir, 30);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, std::chrono::seconds(8));  // timeout_ms 3000: at most 2× per listing
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_NE(entries[0].find(c.expect), std::string::npos) << entries[0];
    // The daemon stays responsive: the root and seen folders answer at once.
    auto quick = std::chrono::steady_clock::now();
    EXPECT_FALSE(ls(fs()).empty());
    EXPECT_FALSE(ls(drive_->mountpoint()).empty());
    EXPECT_EQ(ls(drive_->mountpoint() + "/FlatSpace/" + segment_for(some_pid)).size(), 3u);
    EXPECT_LT(std::chrono::steady_clock::now() - quick, std::chrono::seconds(3));
    node_->clear_faults();
  }
  // Once the node is well again, the error folders expire (transient = 1 s) and list.
  sh("sleep 2");
  auto healed = ls(fs() + "/@keywords/#fault-case-0");
  EXPECT_EQ(healed.size(), 3u);  // @formatId @formatType @origin, no objects
}

TEST_F(search_corpus_test, integration_restart_serves_seen_search_folders_without_requests) {
  temp_dir dir;
  auto state = dir.path() + "/state";
  std::vector<std::string> paths{"/FacetedSearch", "/FacetedSearch/@formatId",
                                 "/FacetedSearch/@formatId/#text%2Fcsv",
                                 "/PreconfiguredSearch/CSV data/@keywords"};
  auto config = "[[search]]\nname = \"CSV data\"\nfq = ['formatId:\"text/csv\"']\n";
  // Names, sizes and modes; not times: facet folders carry the mount's start time, which a
  // restart changes (and `ls -l` shows it to the minute).
  const std::string ls_without_times = "ls -l --time-style=+ ";
  std::string first;
  {
    mounted_drive drive{dir.path(), node_->cn_url(), state, config};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    ls(drive.mountpoint() + "/PreconfiguredSearch");
    ls(drive.mountpoint() + "/PreconfiguredSearch/CSV data");
    for (auto& p : paths)
      first += sh(ls_without_times + quote(drive.mountpoint() + p)).out;
    EXPECT_EQ(drive.unmount(), 0);
  }
  auto before = node_->request_count();
  mounted_drive drive{dir.path(), node_->cn_url(), state, config};
  ASSERT_TRUE(drive.live()) << drive.mount_output();
  std::string second;
  for (auto& p : paths)
    second += sh(ls_without_times + quote(drive.mountpoint() + p)).out;
  EXPECT_EQ(node_->request_count(), before) << "a seen search folder cost requests";
  EXPECT_EQ(second, first);
}

// -- 100k synthetic records ------------------------------------------------------------

class search_synthetic_test : public mount_suite<search_synthetic_test>, public search_fixture {
public:
  static mount_options options() {
    return {{"--no-fixtures", "--synthetic", "100000"},
            "[network]\ntimeout_ms = 15000\n"
            "[faceted_search]\nobject_limit = 20000\npage_size = 2000\n"};
  }
};

TEST_F(search_synthetic_test, integration_facet_counts_at_scale_equal_the_node) {
  auto expected = facet(*node_, "formatId");
  ASSERT_GT(expected.size(), 5u);
  auto dir = fs() + "/@formatId";
  auto sizes = sh("cd " + quote(dir) + " && stat -c '%s %n' -- *", 60);
  std::map<std::string, uint64_t> got;
  for (auto& line : lines(sizes.out))
    got[line.substr(line.find(' ') + 1)] = std::stoull(line.substr(0, line.find(' ')));
  std::map<std::string, uint64_t> want;
  for (auto& [v, n] : expected)
    want["#" + segment_for(v)] = n;
  EXPECT_EQ(got, want);
  // One level down, against the node's numbers for the same filter.
  auto top = std::max_element(expected.begin(), expected.end(),
                              [](auto& a, auto& b) { return a.second < b.second; });
  auto nested = facet(*node_, "datasource", {phrase_fq("formatId", top->first)});
  auto values = ls(dir + "/#" + segment_for(top->first) + "/@datasource");
  std::set<std::string> want_values;
  for (auto& [v, n] : nested)
    want_values.insert("#" + segment_for(v));
  EXPECT_EQ(std::set<std::string>(values.begin(), values.end()), want_values);
}

TEST_F(search_synthetic_test, integration_paging_lists_every_object_once_past_10k) {
  // A filter matching between 10k and 20k objects (the object limit): every one listed once.
  std::vector<std::string> fq;
  std::string path;
  for (auto field : {"formatId", "datasource", "formatType"}) {
    for (auto& [v, n] : facet(*node_, field)) {
      if (n > 10000 && n <= 20000 && fq.empty()) {
        fq = {phrase_fq(field, v)};
        path = fs() + "/@" + field + "/#" + segment_for(v);
      }
    }
  }
  if (fq.empty()) {
    // Two filters then: the most common format within the most common data source.
    auto formats = facet(*node_, "formatId");
    auto top = std::max_element(formats.begin(), formats.end(),
                                [](auto& a, auto& b) { return a.second < b.second; });
    fq = {phrase_fq("formatId", top->first)};
    path = fs() + "/@formatId/#" + segment_for(top->first);
  }
  auto found = num_found(*node_, fq);
  ASSERT_GT(found, 10000u);
  auto start = std::chrono::steady_clock::now();
  auto r = sh("ls -A1 " + quote(path) + " | grep -v '^@' | sort | uniq | wc -l; "
              "ls -A1 " + quote(path) + " | grep -v '^@' | wc -l", 120);
  auto took = std::chrono::steady_clock::now() - start;
  auto counts = lines(r.out);
  ASSERT_EQ(counts.size(), 2u) << r.out << r.err;
  auto shown = std::min<uint64_t>(found, 20000);
  EXPECT_EQ(std::stoull(counts[0]), shown);  // distinct
  EXPECT_EQ(std::stoull(counts[1]), shown);  // all
  auto info = sh("ls -A1 " + quote(path) + " | grep '^@ '").out;
  if (found > 20000)
    EXPECT_NE(info.find("of " + std::to_string(found) + " objects shown"), std::string::npos);
  else
    EXPECT_TRUE(info.empty()) << info;
  EXPECT_LT(took, std::chrono::seconds(60));
}

TEST_F(search_synthetic_test, integration_large_folder_shows_an_informational_file) {
  auto found = num_found(*node_, {});
  ASSERT_GT(found, 20000u);
  auto entries = ls(fs(), 120);
  size_t objects = 0;
  std::vector<std::string> info;
  for (auto& e : entries) {
    if (e.rfind("@ ", 0) == 0)
      info.push_back(e);
    else if (!e.empty() && e[0] != '@')
      ++objects;
  }
  EXPECT_EQ(objects, 20000u);
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0], "@ 20000 of " + std::to_string(found)
                       + " objects shown - open an @ folder to narrow.txt");
  auto text = sh("cat " + quote(fs() + "/" + info[0])).out;
  EXPECT_NE(text.find(std::to_string(found - 20000) + " more are not listed"),
            std::string::npos)
    << text;
}

TEST_F(search_synthetic_test, integration_cold_listing_is_read_while_its_pages_arrive) {
  // 15027 objects from KNB: 8 cursor pages of 2000. Every page after the first is delayed
  // 400 ms, so the whole listing takes ≥ 2.8 s; its first entries must be readable after
  // the first page, and the rest exactly once, in the order a second (cached) read shows.
  auto found = num_found(*node_, {phrase_fq("datasource", "urn:node:KNB")});
  ASSERT_GT(found, 4000u);
  auto pages = (std::min<uint64_t>(found, 20000) + 1999) / 2000;
  node_->add_fault(R"j({"match": "KNB.*cursorMark=(?!%2A)", "kind": "delay", "delay_ms": 400,)j"
                   R"j( "count": )j" + std::to_string(pages - 1) + "}");
  auto path = fs() + "/@datasource/#urn:node:KNB";
  auto before = node_->select_count();
  auto start = std::chrono::steady_clock::now();
  DIR* dir = ::opendir(path.c_str());
  ASSERT_NE(dir, nullptr) << std::strerror(errno);
  std::vector<std::string> names;
  dirent* e = nullptr;
  while (names.size() < 3 && (e = ::readdir(dir)) != nullptr)
    names.push_back(e->d_name);
  auto first = std::chrono::steady_clock::now() - start;
  auto selects_at_first = node_->select_count() - before;
  while ((e = ::readdir(dir)) != nullptr)
    names.push_back(e->d_name);
  auto all = std::chrono::steady_clock::now() - start;
  ::closedir(dir);
  node_->clear_faults();
  EXPECT_LT(selects_at_first, pages) << "the first entries waited for the last page";
  EXPECT_LT(first, all);
  EXPECT_EQ(node_->select_count() - before, pages);
  size_t objects = std::count_if(names.begin(), names.end(), [](const std::string& n) {
    return n != "." && n != ".." && n[0] != '@';
  });
  EXPECT_EQ(objects, std::min<uint64_t>(found, 20000));
  std::vector<std::string> again;
  dir = ::opendir(path.c_str());
  ASSERT_NE(dir, nullptr) << std::strerror(errno);
  while ((e = ::readdir(dir)) != nullptr)
    again.push_back(e->d_name);
  ::closedir(dir);
  EXPECT_EQ(again, names) << "the cached listing differs from the streamed one";
  EXPECT_EQ(node_->select_count() - before, pages) << "the second listing was not cached";
}

TEST_F(search_synthetic_test, integration_a_page_failing_mid_listing_keeps_the_entries_shown) {
  // 10025 objects from LTER: 6 pages of 2000; every page after the first answers 500.
  auto found = num_found(*node_, {phrase_fq("datasource", "urn:node:LTER")});
  ASSERT_GT(found, 2000u);
  node_->add_fault(R"j({"match": "LTER.*cursorMark=(?!%2A)", "kind": "status", "status": 500})j");
  auto path = fs() + "/@datasource/#urn:node:LTER";
  auto r = sh("ls -f1 " + quote(path), 60);
  node_->clear_faults();
  ASSERT_EQ(r.status, 0) << r.err;
  auto names = lines(r.out);
  size_t objects = 0;
  std::vector<std::string> errors;
  for (auto& n : names) {
    if (n.find("Node error") != std::string::npos)
      errors.push_back(n);
    else if (n != "." && n != ".." && n[0] != '@')
      ++objects;
  }
  EXPECT_EQ(objects, 2000u) << "the first page's objects were not kept";
  ASSERT_EQ(errors.size(), 1u) << r.out.substr(0, 2000);
  EXPECT_EQ(names.back(), errors[0]) << "the error folder follows the entries shown";
  // Not cached as if complete: the folder is now the error folder alone (until it expires).
  auto again = ls(path);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0], errors[0]);
}

TEST_F(search_synthetic_test, integration_concurrent_cold_listings_at_scale_send_one_select) {
  auto formats = facet(*node_, "formatId");
  ASSERT_FALSE(formats.empty());
  ls(fs() + "/@formatId");
  auto before = node_->select_count();
  // A value folder listing under a nested filter: one facet select, however many callers.
  auto dir = fs() + "/@formatId/#" + segment_for(formats.begin()->first) + "/@datasource";
  auto r = sh("for i in $(seq 20); do ls -A1 " + quote(dir) + " > /dev/null & done; wait", 60);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(node_->select_count() - before, 1u);
}

}  // namespace
}  // namespace d1::integration
