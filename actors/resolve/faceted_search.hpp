// faceted_search: FacetedSearch/ (and, with base filters, PreconfiguredSearch/<name>/) where a
// path is a search: `@field/` lists the values of a field, `#value/` applies one, and every
// search folder lists the unapplied @fields plus the matching objects. Owns only the facet
// segments: an object segment and everything below go to d1_object, no search runs then.
// The grammar is in facet_path.hpp, the listings in object_pager.hpp and value_folders.hpp.
#pragma once

#include "actors/network_config.hpp"
#include "actors/resolve/facet_path.hpp"
#include "actors/resolve/long_names.hpp"
#include "actors/single_flight.hpp"
#include "messages/error_folder.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace d1 {

struct faceted_search_config {
  // One Solr request; a listing fails after 2× this.
  uint32_t timeout_ms = network_defaults.timeout_ms;
  uint64_t object_limit = 1000;        // objects listed in one folder; more: an info file
  uint64_t page_size = 1000;           // Solr rows per cursorMark page
  uint64_t value_limit = 1000;         // #values listed under one @field
  std::string value_sort = "count";    // "count" (most frequent first) or "index" (by value)
  std::vector<std::string> allow_fields = default_facet_fields();  // empty: every field
  std::vector<std::string> deny_fields;                             // never offered
  // Known fields (tests, or a node without a description): if non-empty, solr_querier is
  // not asked for the description.
  std::vector<query_field> fields;
  size_t max_long_names = 100000;      // shortened names remembered for lookups
  // Where shortened names persist, so they resolve after a restart (null: memory only).
  std::shared_ptr<storage::kv_store> store;
};

/// Returns caf::none if `config` is usable, else ec::invalid_argument naming the field:
/// object_limit, page_size and value_limit ≥ 1, value_sort "count" or "index",
/// timeout_ms > 0, max_long_names ≥ 1.
caf::error validate(const faceted_search_config& config);

/// The search counters (for Status and tests).
struct faceted_search_counters {
  uint64_t listings = 0;        // search and value listings answered
  uint64_t coalesced = 0;       // listings that joined an identical one in flight
  uint64_t selects_sent = 0;    // select requests sent to solr_querier (pages included)
  uint64_t failures = 0;        // listings that became error folders
};

struct faceted_search_state {
  static constexpr const char* name = "faceted_search";
  faceted_search_config config;
  solr_querier_actor solr;
  d1_object_actor objects;
  // The facetable fields once the description was read; waiters while it is being read.
  std::optional<std::vector<std::string>> fields;
  std::set<std::string> date_fields;  // of those, the ones that facet by year
  single_flight_one<caf::error> fields_fetch;
  // Shortened names this actor listed → the full segment.
  std::unique_ptr<long_name_map> long_names;
  // Listings being computed, by query key; each waiter gets the same result.
  single_flight<std::string, caf::expected<listing>> listings;
  // Folders whose listing failed recently (mount path → problem, when): a lookup of the
  // error file in them must find it, not take it for an object.
  std::unordered_map<std::string, std::pair<problem, caf::actor_clock::time_point>> failed;
  faceted_search_counters counters;
};

/// The resolver's handle on itself, for the files that compute its listings.
using faceted_search_ptr = faceted_search_actor::stateful_pointer<faceted_search_state>;

/// Where a listing computation delivers its outcome.
using listing_callback = std::function<void(caf::expected<listing>)>;

/// Spawns the resolver. Unless config.fields is set, the fields come from `solr`'s query
/// engine description (asked until one answer arrives). With an invalid config the actor
/// quits at once.
faceted_search_actor::behavior_type
faceted_search(faceted_search_actor::stateful_pointer<faceted_search_state> self,
               faceted_search_config config, solr_querier_actor solr, d1_object_actor objects);

}  // namespace d1
