// PreconfiguredSearch/<name>/: named searches from the config, each a base set of Solr filter
// queries with faceted search beneath (handed to faceted_search with those filters).
#pragma once

#include "messages/interfaces.hpp"

#include <caf/error.hpp>

#include <string>
#include <vector>

namespace d1 {

/// One named search: its folder name (any text; shown escaped like a PID) and the Solr
/// filter queries (fq) every query below it carries, verbatim.
struct named_search {
  std::string name;
  std::vector<std::string> fq;
};

/// Returns caf::none if every search has a non-empty, unique name and at least one
/// non-empty fq; else ec::invalid_argument naming the search.
caf::error validate(const std::vector<named_search>& searches);

struct preconfigured_search_state {
  static constexpr const char* name = "preconfigured_search";
  std::vector<named_search> searches;
  faceted_search_actor faceted;
};

/// Lists the named searches; `<name>/…` goes to `faceted` with the search's filters.
/// Unknown names are ec::not_found (the set is fixed by the config). With invalid
/// searches the actor quits at once.
resolver_actor::behavior_type
preconfigured_search(resolver_actor::stateful_pointer<preconfigured_search_state> self,
                     std::vector<named_search> searches, faceted_search_actor faceted);

}  // namespace d1
