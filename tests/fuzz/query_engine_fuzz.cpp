// Fuzz target: queryEngineDescription documents (which Solr fields become facets).
#include "actors/dataone/dataone_xml.hpp"
#include "tests/fuzz/fuzz_target.hpp"

D1_FUZZ_TARGET(query_engine) {
  auto fields = d1::parse_query_engine_description(input);
  if (!fields)
    return;
  for (auto& f : *fields)
    d1::fuzz::check(!f.name.empty(), "a query field was accepted without a name");
}

// The production query engine description fixture (read in place), whole and cut to its
// first fields.
D1_FUZZ_SEEDS(query_engine) {
  return d1::fuzz::fixture_and_cuts("cn", "query_engine", "queryField");
}
