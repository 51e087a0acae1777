// Fuzz target: Solr select responses (actors/dataone/solr_json.hpp) as a CN or a proxy in
// front of it may send them.
#include "actors/dataone/solr_json.hpp"
#include "messages/error.hpp"
#include "tests/fuzz/fuzz_target.hpp"

D1_FUZZ_TARGET(solr_json) {
  bool told = false;
  auto parsed = d1::parse_solr_response(input, [&](const std::string&, size_t docs, uint64_t) {
    told = true;
    static_cast<void>(docs);
  });
  if (!parsed) {
    auto code = d1::code_of(parsed.error());
    d1::fuzz::check(code == d1::ec::parse_error || code == d1::ec::http_status,
                    "a bad Solr response failed with an unexpected code");
    return;
  }
  d1::fuzz::check(told, "the cursor callback was not told about a parsed response");
  auto plain = d1::parse_solr_response(input);
  d1::fuzz::check(plain && plain->docs.size() == parsed->docs.size()
                    && plain->num_found == parsed->num_found,
                  "the two parse_solr_response overloads disagree");
}

// The real CN Solr responses (read in place) and a Solr error body.
D1_FUZZ_SEEDS(solr_json) {
  auto seeds = d1::fuzz::fixture_files("solr_samples");
  seeds.push_back(R"({"responseHeader":{"status":400},"error":{"msg":"undefined field x","code":400}})");
  seeds.push_back(R"({"response":{"numFound":2,"start":0,"docs":[{"id":"a","size":12,)"
                  R"("isPublic":true,"author":["x","y"],"n":{"o":1}}]},"nextCursorMark":"AoE=",)"
                  R"("facet_counts":{"facet_fields":{"formatId":["text/csv",3,"eml",1]}}})");
  return seeds;
}
