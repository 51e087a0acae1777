// Fuzz target: objectLocationList documents (the CN's resolve answer), which decide the
// member node URLs object bytes are fetched from.
#include "actors/dataone/dataone_xml.hpp"
#include "tests/fuzz/fuzz_target.hpp"

D1_FUZZ_TARGET(object_locations) {
  auto locations = d1::parse_object_locations(input);
  if (!locations)
    return;
  for (auto& loc : *locations)
    d1::fuzz::check(!loc.node_identifier.empty() && !loc.base_url.empty() && !loc.url.empty(),
                    "a location was accepted without node, base URL or URL");
}

// A resolve answer as the tests and the stand-in node write it, and an error body.
D1_FUZZ_SEEDS(object_locations) {
  return {R"(<?xml version="1.0" encoding="UTF-8"?>
<ns2:objectLocationList xmlns:ns2="http://ns.dataone.org/service/types/v2.0">
  <identifier>doi:10.5063/F1/a b</identifier>
  <objectLocation>
    <nodeIdentifier>urn:node:KNB</nodeIdentifier>
    <baseURL>https://knb.ecoinformatics.org/knb/d1/mn</baseURL>
    <version>v2</version>
    <url>https://knb.ecoinformatics.org/knb/d1/mn/v2/object/doi%3A10.5063%2FF1%2Fa%20b</url>
    <preference>0</preference>
  </objectLocation>
</ns2:objectLocationList>
)",
          R"(<?xml version="1.0"?><error name="NotFound" errorCode="404" detailCode="1020">)"
          R"(<description>No system metadata for x</description></error>)"};
}
