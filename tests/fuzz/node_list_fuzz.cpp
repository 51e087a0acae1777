// Fuzz target: nodeList documents (the CN's node list, shown under Status/nodes/).
#include "actors/dataone/dataone_xml.hpp"
#include "tests/fuzz/fuzz_target.hpp"

D1_FUZZ_TARGET(node_list) {
  auto nodes = d1::parse_node_list(input);
  if (!nodes)
    return;
  for (auto& n : *nodes)
    d1::fuzz::check(!n.identifier.empty() && !n.base_url.empty(),
                    "a node was accepted without identifier or base URL");
}

// The production node list fixture (read in place), whole and cut to its first nodes.
D1_FUZZ_SEEDS(node_list) {
  return d1::fuzz::fixture_and_cuts("cn", "node_list", "node");
}
