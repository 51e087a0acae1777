// The Solr JSON parser against the real CN responses in ../shared/fixtures/dataone and
// against error bodies, truncations and garbage.
#include "actors/dataone/solr_json.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <random>

namespace d1 {
namespace {

const std::string samples = d1::test::shared_fixtures() + "/solr_samples";

using test::slurp;

void expect_error(const caf::expected<solr_response>& x, ec code, const std::string& needle) {
  ASSERT_FALSE(x) << "expected an error mentioning " << needle;
  EXPECT_EQ(code_of(x.error()), code) << describe(x.error());
  EXPECT_NE(context_of(x.error()).find(needle), std::string::npos)
    << "'" << context_of(x.error()) << "' does not mention '" << needle << "'";
}

std::vector<std::string> names_of(const solr_record& rec) {
  std::vector<std::string> out;
  for (auto& f : rec.fields)
    out.push_back(f.name);
  return out;
}

TEST(solr_json, search_expected_fixture) {
  auto r = parse_solr_response(slurp(samples + "/search_expected.json"));
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->num_found, 2u);
  EXPECT_EQ(r->start, 0u);
  ASSERT_EQ(r->docs.size(), 2u);
  EXPECT_EQ(names_of(r->docs[0]),
            (std::vector<std::string>{"checksum", "dateUploaded", "id"}));
  EXPECT_EQ(r->docs[0].first("id"), "arctic-data.10011.1");
  EXPECT_EQ(r->docs[0].first("checksum"), "3a03be67589a4247a90a431b92798eb1");
  EXPECT_EQ(r->docs[0].first("dateUploaded"), "2017-01-04T00:00:00Z");
  EXPECT_EQ(r->docs[1].first("id"), "ark:/c5146/r3fg6p/1/AcademicLibraries_RDS_Survey.xlsx");
  EXPECT_EQ(r->docs[1].first("dateUploaded"), "2017-01-08T21:34:21.296Z");
  EXPECT_TRUE(r->next_cursor_mark.empty());
  EXPECT_TRUE(r->facets.empty());
}

TEST(solr_json, search_no_results_fixture) {
  auto r = parse_solr_response(slurp(samples + "/search_no_results.json"));
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->num_found, 0u);
  EXPECT_TRUE(r->docs.empty());
}

TEST(solr_json, facet_fixture_is_invalid_json_until_repaired) {
  // The sample was line-wrapped inside a string (a raw newline): Solr never sends that,
  // and a strict parser must refuse it.
  auto raw = slurp(samples + "/field_alpha_histogram.json");
  expect_error(parse_solr_response(raw), ec::parse_error, "not valid JSON");
  auto pos = raw.find("openxmlformats-\nofficedocument");
  ASSERT_NE(pos, std::string::npos);
  raw.erase(pos + std::string_view{"openxmlformats-"}.size(), 1);
  auto r = parse_solr_response(raw);
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->num_found, 1388u);
  EXPECT_TRUE(r->docs.empty());
  ASSERT_EQ(r->facets.size(), 1u);
  EXPECT_EQ(r->facets[0].field, "formatId");
  ASSERT_EQ(r->facets[0].counts.size(), 1u);
  EXPECT_EQ(r->facets[0].counts[0].value, "http://datadryad.org/profile/v3.1");
  EXPECT_EQ(r->facets[0].counts[0].count, 653u);
}

TEST(solr_json, other_samples_are_not_select_responses) {
  expect_error(parse_solr_response(slurp(samples + "/search_iterator.json")), ec::parse_error,
               "not a JSON object");
  expect_error(parse_solr_response(slurp(samples + "/get_ids.json")), ec::parse_error,
               "no \"response\" object");
  expect_error(parse_solr_response(slurp(samples + "/get_field_values.json")),
               ec::parse_error, "no \"response\" object");
  expect_error(parse_solr_response(slurp(samples + "/get_object_invalid_pid.json")),
               ec::parse_error, "not valid JSON");
}

const char* full_response = R"({
  "responseHeader": {"status": 0, "QTime": 3, "params": {"q": "*:*", "wt": "json"}},
  "response": {"numFound": 12345678901, "start": 20, "numFoundExact": true, "docs": [
    {"id": "doi:10.5063/F1ABC", "size": 41320, "archived": false, "isPublic": true,
     "latitude": -34.5, "tiny": 1.5e-7, "keywords": ["soil", "carbon", 7, true],
     "dateUploaded": "2013-11-14T23:10:42.118Z", "nothing": null, "empty": [],
     "nested": {"a": [1, 2]}, "title": "Ünïcödé \"quoted\" \\ back\nslash",
     "_version_": 1761234567890123456, "big": 18446744073709551615}
  ]},
  "nextCursorMark": "AoE/E2RvaToxMC41MDYzL0YxQUJD",
  "facet_counts": {
    "facet_queries": {},
    "facet_fields": {
      "formatId": ["text/csv", 41, "eml://ecoinformatics.org/eml-2.1.1", 12],
      "size": [0, 3, 1024, 1],
      "formatType": {"DATA": 5, "METADATA": 2}
    },
    "facet_ranges": {}
  }
})";

TEST(solr_json, every_kind_of_value) {
  auto r = parse_solr_response(full_response);
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->num_found, 12345678901u);
  EXPECT_EQ(r->start, 20u);
  ASSERT_EQ(r->docs.size(), 1u);
  auto& doc = r->docs[0];
  EXPECT_EQ(names_of(doc),
            (std::vector<std::string>{"id", "size", "archived", "isPublic", "latitude", "tiny",
                                      "keywords", "dateUploaded", "empty", "nested", "title",
                                      "_version_", "big"}));
  EXPECT_EQ(doc.first("size"), "41320");
  EXPECT_EQ(doc.first("archived"), "false");
  EXPECT_EQ(doc.first("isPublic"), "true");
  EXPECT_EQ(doc.first("latitude"), "-34.5");
  EXPECT_EQ(doc.first("tiny"), "1.5e-07");
  EXPECT_EQ(doc.all("keywords"), (std::vector<std::string>{"soil", "carbon", "7", "true"}));
  EXPECT_EQ(doc.first("dateUploaded"), "2013-11-14T23:10:42.118Z");
  EXPECT_TRUE(doc.all("empty").empty());
  EXPECT_EQ(doc.first("nested"), R"({"a":[1,2]})");
  EXPECT_EQ(doc.first("title"), "Ünïcödé \"quoted\" \\ back\nslash");
  EXPECT_EQ(doc.first("_version_"), "1761234567890123456");
  EXPECT_EQ(doc.first("big"), "18446744073709551615");
  EXPECT_EQ(r->next_cursor_mark, "AoE/E2RvaToxMC41MDYzL0YxQUJD");
  ASSERT_EQ(r->facets.size(), 3u);
  EXPECT_EQ(r->facets[0].field, "formatId");
  ASSERT_EQ(r->facets[0].counts.size(), 2u);
  EXPECT_EQ(r->facets[0].counts[1].value, "eml://ecoinformatics.org/eml-2.1.1");
  EXPECT_EQ(r->facets[0].counts[1].count, 12u);
  EXPECT_EQ(r->facets[1].counts[1].value, "1024");
  EXPECT_EQ(r->facets[2].counts[0].value, "DATA");
  EXPECT_EQ(r->facets[2].counts[0].count, 5u);
}

TEST(solr_json, solr_error_body_is_http_status_with_solr_msg) {
  auto r = parse_solr_response(R"({"responseHeader":{"status":400,"QTime":1},
    "error":{"metadata":["error-class","org.apache.solr.common.SolrException"],
    "msg":"org.apache.solr.search.SyntaxError: Cannot parse 'id:(': Encountered \"<EOF>\"",
    "code":400}})");
  expect_error(r, ec::http_status,
               "Solr 400: org.apache.solr.search.SyntaxError: Cannot parse 'id:('");
  expect_error(parse_solr_response(R"({"error":{"trace":"java.lang.NullPointerException\n\tat x",
                                       "code":500}})"),
               ec::http_status, "Solr 500: java.lang.NullPointerException");
}

TEST(solr_json, malformed_parts_are_named) {
  expect_error(parse_solr_response(""), ec::parse_error, "empty document");
  expect_error(parse_solr_response("<html><body>502 Bad Gateway</body></html>"),
               ec::parse_error, "not valid JSON");
  expect_error(parse_solr_response(R"({"response":{"start":0,"docs":[]}})"), ec::parse_error,
               "response.numFound is missing");
  expect_error(parse_solr_response(R"({"response":{"numFound":-1,"docs":[]}})"),
               ec::parse_error, "response.numFound is not a non-negative integer");
  expect_error(parse_solr_response(R"({"response":{"numFound":"2","docs":[]}})"),
               ec::parse_error, "response.numFound");
  expect_error(parse_solr_response(R"({"response":{"numFound":2,"docs":{}}})"),
               ec::parse_error, "response.docs is missing or not a list");
  expect_error(parse_solr_response(R"({"response":{"numFound":2,"docs":[{"id":"a"},3]}})"),
               ec::parse_error, "response.docs[1] is not an object");
  expect_error(parse_solr_response(R"({"response":{"numFound":0,"docs":[]},
    "facet_counts":{"facet_fields":{"formatId":["a",1,"b"]}}})"),
               ec::parse_error, "facet_fields.formatId has an odd number of entries");
  expect_error(parse_solr_response(R"({"response":{"numFound":0,"docs":[]},
    "facet_counts":{"facet_fields":{"formatId":["a","many"]}}})"),
               ec::parse_error, "facet_fields.formatId[1] is not a non-negative integer");
}

TEST(solr_json, every_truncation_is_an_error) {
  auto json = slurp(samples + "/search_expected.json");
  auto end = json.rfind('}');
  for (size_t n = 0; n <= end; ++n) {
    auto r = parse_solr_response(std::string_view{json}.substr(0, n));
    ASSERT_FALSE(r) << "cut at " << n << " parsed";
    ASSERT_EQ(code_of(r.error()), ec::parse_error);
  }
}

TEST(solr_json, random_bytes_are_errors) {
  std::mt19937 rng(42);
  auto json = std::string{full_response};
  for (int i = 0; i < 500; ++i) {
    std::string junk(rng() % 1024, '\0');
    for (auto& c : junk)
      c = static_cast<char>(rng());
    if (i % 2 == 1) {
      // a few flipped bytes in a valid response
      junk = json;
      for (int k = 0; k < 3; ++k)
        junk[rng() % junk.size()] = static_cast<char>(rng());
    }
    auto r = parse_solr_response(junk);
    if (!r) {
      EXPECT_TRUE(code_of(r.error()) == ec::parse_error
                  || code_of(r.error()) == ec::http_status);
    }
  }
}

TEST(solr_json, facet_queries_keep_each_query_with_its_count) {
  auto r = parse_solr_response(R"({"response":{"numFound":3,"start":0,"docs":[]},
    "facet_counts":{"facet_queries":{"dateUploaded:[2012-01-01T00:00:00Z TO 2013-01-01T00:00:00Z}":2,
                                     "dateUploaded:[2013-01-01T00:00:00Z TO 2014-01-01T00:00:00Z}":0}}})");
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_EQ(r->facet_queries.size(), 2u);
  EXPECT_EQ(r->facet_queries[0].value,
            "dateUploaded:[2012-01-01T00:00:00Z TO 2013-01-01T00:00:00Z}");
  EXPECT_EQ(r->facet_queries[0].count, 2u);
  EXPECT_EQ(r->facet_queries[1].count, 0u);
  auto bad = parse_solr_response(R"({"response":{"numFound":0,"start":0,"docs":[]},
    "facet_counts":{"facet_queries":{"x:1":"many"}}})");
  EXPECT_FALSE(bad);
}

}  // namespace
}  // namespace d1
