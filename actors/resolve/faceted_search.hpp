// faceted_search: FacetedSearch/ (and, with base filters, PreconfiguredSearch/<name>/) where a
// path is a search: `@field/` lists the values of a field, `#value/` applies one, and every
// search folder lists the unapplied @fields plus the matching objects. Owns only the facet
// segments: an object segment and everything below go to d1_object, no search runs then.
#pragma once

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

/// The default allow list of facet fields: exact-match (string) fields that group the
/// index usefully. Fields absent from the node's query engine description are skipped.
std::vector<std::string> default_facet_fields();

struct faceted_search_config {
  uint32_t timeout_ms = 15000;         // one Solr request; a listing fails after 2× this
  uint64_t object_limit = 1000;        // objects listed in one folder; more: an info file
  uint64_t page_size = 1000;           // Solr rows per cursorMark page
  uint64_t value_limit = 1000;         // #values listed under one @field
  std::string value_sort = "count";    // "count" (most frequent first) or "index" (by value)
  std::vector<std::string> allow_fields = default_facet_fields();  // empty: every field
  std::vector<std::string> deny_fields;                             // never offered
  // Known fields (tests, or a node without a description): skips the fetch if non-empty.
  std::vector<query_field> fields;
  size_t max_long_names = 100000;      // shortened names remembered for lookups
  // Where shortened names persist, so they resolve after a restart (null: memory only).
  std::shared_ptr<storage::kv_store> store;
};

/// Returns caf::none if `config` is usable, else ec::invalid_argument naming the field:
/// object_limit, page_size and value_limit ≥ 1, value_sort "count" or "index",
/// timeout_ms > 0, max_long_names ≥ 1.
caf::error validate(const faceted_search_config& config);

/// Returns the facetable fields of a query engine description: searchable and returnable,
/// in `allow` (unless `allow` is empty), not in `deny`; in the order of `allow` (or of the
/// description when `allow` is empty).
std::vector<std::string> facetable_fields(const std::vector<query_field>& described,
                                          const std::vector<std::string>& allow,
                                          const std::vector<std::string>& deny);

/// Returns true for a Solr field type that holds instants (date, tdate, pdate): such a
/// field facets by year (`@dateUploaded/#2013/`).
bool is_date_type(const std::string& type);

/// Returns the filter of one year of a date field, e.g. for ("dateUploaded", "2013"):
/// `dateUploaded:[2013-01-01T00:00:00Z TO 2014-01-01T00:00:00Z}`; nullopt unless `year`
/// is four digits (1000 to 9998).
std::optional<std::string> year_query(const std::string& field, const std::string& year);

/// A facet path, parsed: the filters applied so far and where the facet part ends.
struct facet_path {
  std::vector<std::pair<std::string, std::string>> applied;  // field, value
  std::optional<std::string> open_field;  // the path ends in `@field`: list its values
  std::optional<size_t> object_at;        // index of the first object (PID) segment
  std::string pid;                        // its identifier, valid if object_at
  std::optional<size_t> info_at;          // index of an informational file ("@ …")
  std::optional<size_t> error_at;         // index of the malformed segment
  problem error;                          // valid if error_at
};

/// Parses segments[from, …) against the facetable `fields`. `long_name` maps a shortened
/// segment back to the full one (returns nullopt if it is not known). A malformed segment
/// (a value without a field, an unknown field, a field applied twice, a bad escape, a
/// non-value below `@field`, a value of a field in `date_fields` that is not a year) sets
/// error_at and a problem naming it; parsing stops at the first object segment,
/// informational file, or error. Problems name the path up to the malformed segment.
facet_path parse_facet_path(const std::vector<std::string>& segments, size_t from,
                            const std::vector<std::string>& fields,
                            const std::function<std::optional<std::string>(
                              const std::string&)>& long_name,
                            const std::set<std::string>& date_fields = {});

/// The name of the informational file of a search folder that lists `shown` of `found`
/// objects. Starts with "@ " (never a field, value or PID segment).
std::string more_objects_name(uint64_t shown, uint64_t found);

/// The name of the informational file of an `@field/` folder cut at `shown` values.
std::string more_values_name(uint64_t shown);

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

/// Spawns the resolver. Unless config.fields is set, the fields come from `solr`'s query
/// engine description (asked until one answer arrives). With an invalid config the actor
/// quits at once.
faceted_search_actor::behavior_type
faceted_search(faceted_search_actor::stateful_pointer<faceted_search_state> self,
               faceted_search_config config, solr_querier_actor solr, d1_object_actor objects);

}  // namespace d1
