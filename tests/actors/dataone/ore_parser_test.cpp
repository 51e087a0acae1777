// Tests of the OAI-ORE resource map parser against every real resource map in the shared
// fixtures (the malformed ones included), the three KNB resourceMap_* objects, and
// generated maps (5000 members, percent-encoded resolve URIs, garbage).
#include "actors/dataone/ore_parser.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace d1::test {
namespace {

const std::string fixtures = d1::test::shared_fixtures();

caf::expected<resource_map_doc> parse_fixture(const std::string& rel) {
  auto text = slurp(fixtures + "/" + rel);
  if (text.empty())
    return make_error(ec::not_found, "fixture " + rel + " missing");
  return parse_resource_map(text);
}

#define REQUIRE_FIXTURE(doc)                                                    \
  if (!doc && code_of(doc.error()) == ec::not_found)                            \
    GTEST_SKIP() << "shared fixtures absent";                                   \
  ASSERT_TRUE(doc) << describe(doc.error())

bool mentions(const std::vector<std::string>& problems, const std::string& what) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(what) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v)
    out += s + "\n";
  return out;
}

TEST(ore_parser, knb_resource_maps_list_their_members) {
  struct expected_map {
    std::string pid;
    std::vector<std::string> members;
  };
  std::vector<expected_map> maps{
    {"resourceMap_Blandy.76.2", {"Blandy.76.2", "Blandy.77.1"}},
    {"resourceMap_BrianGratwicke.4.1", {"BrianGratwicke.4.1", "BrianGratwicke.3.1"}},
    {"resourceMap_ODUphyto.7.5", {}},
  };
  for (auto& m : maps) {
    SCOPED_TRACE(m.pid);
    auto doc = parse_fixture("knb/data/" + m.pid);
    REQUIRE_FIXTURE(doc);
    EXPECT_EQ(doc->identifier, m.pid);
    EXPECT_TRUE(doc->problems.empty()) << joined(doc->problems);
    EXPECT_EQ(doc->aggregation_uri, doc->uri + "#aggregation");
    auto members = doc->members;
    if (!m.members.empty()) {
      std::sort(members.begin(), members.end());
      auto want = m.members;
      std::sort(want.begin(), want.end());
      EXPECT_EQ(members, want);
    } else {
      EXPECT_GE(members.size(), 2u);
    }
  }
}

TEST(ore_parser, well_formed_shared_maps_have_no_problems) {
  struct expected_map {
    std::string file;
    std::string identifier;
    size_t members;
  };
  std::vector<expected_map> maps{
    {"libclient_java_example_2013_04_15.xml", "r_test3.package.2012120601491354790946", 3},
    {"libclient_python_example_2013_04_16.xml", "test01_file_a", 2},
    {"libclient_python_example_2013_11_5.xml", "MAP_PID", 3},
    {"test_ResMap_DocsOnly_10.xml", "MonolithicPackage", 11},
    {"test_ResMap_isByOnly_5.xml", "MonolithicPackage", 6},
  };
  for (auto& m : maps) {
    SCOPED_TRACE(m.file);
    auto doc = parse_fixture("resource_maps/" + m.file);
    REQUIRE_FIXTURE(doc);
    EXPECT_EQ(doc->identifier, m.identifier);
    EXPECT_EQ(doc->members.size(), m.members);
    EXPECT_TRUE(doc->problems.empty()) << joined(doc->problems);
  }
  auto python = parse_fixture("resource_maps/libclient_python_example_2013_04_16.xml");
  REQUIRE_FIXTURE(python);
  auto members = python->members;
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::string>{"test01_file_a.1.txt", "test01_file_a.2.txt"}));
}

TEST(ore_parser, missing_identifier_is_a_problem_members_still_known) {
  auto doc = parse_fixture("resource_maps/missingIdentifier.xml");
  REQUIRE_FIXTURE(doc);
  EXPECT_EQ(doc->identifier, "");
  EXPECT_TRUE(mentions(doc->problems, "has no dcterms:identifier")) << joined(doc->problems);
  EXPECT_EQ(doc->members.size(), 2u);
}

TEST(ore_parser, miscoded_identifier_is_a_problem) {
  auto doc = parse_fixture("resource_maps/miscodedIdentifier.xml");
  REQUIRE_FIXTURE(doc);
  EXPECT_EQ(doc->identifier, "test01_file_%2Fa");
  EXPECT_TRUE(mentions(doc->problems, "does not match its resolve URI")) << joined(doc->problems);
  EXPECT_EQ(doc->members,
            (std::vector<std::string>{"test01_file_a.1.txt", "test01_file_a.2.txt"}));
}

TEST(ore_parser, non_cn_resolve_uris_are_problems) {
  auto doc = parse_fixture("resource_maps/nonCnResolveURIs.xml");
  REQUIRE_FIXTURE(doc);
  EXPECT_TRUE(mentions(doc->problems, "is not a DataONE resolve URI")) << joined(doc->problems);
  // The members still have their dcterms:identifier.
  EXPECT_FALSE(doc->members.empty());
  for (auto& m : doc->members)
    EXPECT_EQ(m.find("http"), std::string::npos) << m;
}

TEST(ore_parser, non_standard_aggregation_uri_is_a_problem) {
  auto doc = parse_fixture("resource_maps/nonStandardAggregationResourceURI.xml");
  REQUIRE_FIXTURE(doc);
  EXPECT_EQ(doc->identifier, "resource_map_id");
  EXPECT_TRUE(mentions(doc->problems, "#aggregation")) << joined(doc->problems);
  auto members = doc->members;
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::string>{"scidata_id", "scimeta_id"}));
}

TEST(ore_parser, ore_vocabulary_is_not_a_resource_map) {
  auto doc = parse_fixture("resource_maps/oreTerms.xml");
  if (!doc && context_of(doc.error()).find("missing") != std::string::npos)
    GTEST_SKIP() << "shared fixtures absent";
  ASSERT_FALSE(doc);
  EXPECT_EQ(code_of(doc.error()), ec::parse_error);
  EXPECT_NE(context_of(doc.error()).find("ore:ResourceMap"), std::string::npos);
}

TEST(ore_parser, garbage_and_wrong_documents_are_parse_errors) {
  for (std::string text : {std::string{""}, std::string{"not xml at all"},
                           std::string{"<rdf:RDF xmlns:rdf='x'><unclosed></rdf:RDF>"},
                           std::string{"<html><body>proxy error</body></html>"},
                           std::string{"\x01\x02\xff\xfe", 4}}) {
    SCOPED_TRACE(text);
    auto doc = parse_resource_map(text);
    ASSERT_FALSE(doc);
    EXPECT_EQ(code_of(doc.error()), ec::parse_error);
  }
}

// A DataONE-style map of `n` members, the way the Java and Python libclients write them.
std::string generated_map(const std::string& id, size_t n, bool with_identifiers) {
  const std::string base = "https://cn.dataone.org/cn/v2/resolve/";
  std::string out = "<?xml version=\"1.0\"?>\n<rdf:RDF "
                    "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                    "xmlns:ore=\"http://www.openarchives.org/ore/terms/\" "
                    "xmlns:dcterms=\"http://purl.org/dc/terms/\">\n";
  out += "<rdf:Description rdf:about=\"" + base + id + "\"><rdf:type rdf:resource=\""
         "http://www.openarchives.org/ore/terms/ResourceMap\"/><ore:describes rdf:resource=\""
         + base + id + "#aggregation\"/><dcterms:identifier>" + id
         + "</dcterms:identifier></rdf:Description>\n";
  out += "<ore:Aggregation rdf:about=\"" + base + id + "#aggregation\">\n";
  for (size_t i = 0; i < n; ++i)
    out += "<ore:aggregates rdf:resource=\"" + base + "member%2F" + std::to_string(i)
           + "\"/>\n";
  out += "</ore:Aggregation>\n";
  if (with_identifiers)
    for (size_t i = 0; i < n; ++i)
      out += "<rdf:Description rdf:about=\"" + base + "member%2F" + std::to_string(i)
             + "\"><dcterms:identifier>member/" + std::to_string(i)
             + "</dcterms:identifier></rdf:Description>\n";
  out += "</rdf:RDF>\n";
  return out;
}

TEST(ore_parser, five_thousand_members_in_document_order) {
  auto doc = parse_resource_map(generated_map("big_package", 5000, true));
  ASSERT_TRUE(doc) << describe(doc.error());
  EXPECT_TRUE(doc->problems.empty()) << joined(doc->problems);
  ASSERT_EQ(doc->members.size(), 5000u);
  EXPECT_EQ(doc->members.front(), "member/0");
  EXPECT_EQ(doc->members.back(), "member/4999");
}

TEST(ore_parser, members_without_identifier_fall_back_to_the_decoded_resolve_uri) {
  auto doc = parse_resource_map(generated_map("p", 3, false));
  ASSERT_TRUE(doc) << describe(doc.error());
  EXPECT_EQ(doc->members, (std::vector<std::string>{"member/0", "member/1", "member/2"}));
  EXPECT_TRUE(doc->problems.empty()) << joined(doc->problems);
}

TEST(ore_parser, identifier_of_resolve_uri_decodes_the_last_part) {
  EXPECT_EQ(identifier_of_resolve_uri("https://cn.dataone.org/cn/v1/resolve/doi%3A10.5063%2FF1"),
            "doi:10.5063/F1");
  EXPECT_EQ(identifier_of_resolve_uri("https://cn.dataone.org/cn/resolve/a%25b#aggregation"),
            "a%b");
  EXPECT_EQ(identifier_of_resolve_uri("http://129.24.63.115/apps/dataone/v1/object/x"), "");
}

}  // namespace
}  // namespace d1::test
