// Fuzz target: OAI-ORE resource maps (actors/dataone/ore_parser.hpp), which a package
// folder lists, and the identifier at the end of a resolve URI.
#include "actors/dataone/ore_parser.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <set>

D1_FUZZ_TARGET(resource_map) {
  static_cast<void>(d1::identifier_of_resolve_uri(input));
  auto map = d1::parse_resource_map(input);
  if (!map)
    return;
  std::set<std::string> distinct(map->members.begin(), map->members.end());
  d1::fuzz::check(distinct.size() == map->members.size(),
                  "a resource map listed a member twice");
  d1::fuzz::check(!map->aggregation_uri.empty(), "a resource map without ore:describes");
}

// The resource map fixtures, malformed ones included, and the KNB packages' maps.
D1_FUZZ_SEEDS(resource_map) {
  auto seeds = d1::fuzz::fixture_files("resource_maps");
  for (auto& map : d1::fuzz::fixture_files("knb/data", "resourceMap_"))
    seeds.push_back(std::move(map));
  return seeds;
}
