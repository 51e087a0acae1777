// facet_path: the grammar of a faceted search path (`@field/#value/…/<pid>/…`), which fields
// a path may name, the years of date fields, and the informational files ("@ …") a search
// folder may list. Pure functions: no actor, no I/O.
#pragma once

#include "messages/dataone_types.hpp"
#include "messages/error_folder.hpp"
#include "messages/fs_types.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace d1 {

/// The default allow list of facet fields: exact-match (string) fields that group the
/// index usefully. Fields absent from the node's query engine description are skipped.
std::vector<std::string> default_facet_fields();

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

/// Returns the year of an instant as Solr writes it ("2013-05-06T…"); 0 if it has none.
int year_of(const std::string& instant);

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

/// Maps a shortened segment back to the full one; nullopt if it is not known.
using long_name_fn = std::function<std::optional<std::string>(const std::string&)>;

/// Parses segments[from, …) against the facetable `fields`. `long_name` maps a shortened
/// segment back to the full one (returns nullopt if it is not known). A malformed segment
/// (a value without a field, an unknown field, a field applied twice, a bad escape, a
/// non-value below `@field`, a value of a field in `date_fields` that is not a year) sets
/// error_at and a problem naming it; parsing stops at the first object segment,
/// informational file, or error. Problems name the path up to the malformed segment.
facet_path parse_facet_path(const std::vector<std::string>& segments, size_t from,
                            const std::vector<std::string>& fields,
                            const long_name_fn& long_name,
                            const std::set<std::string>& date_fields = {});

/// Returns the mount path of the first `n` segments (all of them if there are fewer).
std::string path_upto(const std::vector<std::string>& segments, size_t n);

/// The name of the informational file of a search folder that lists `shown` of `found`
/// objects. Starts with "@ " (never a field, value or PID segment).
std::string more_objects_name(uint64_t shown, uint64_t found);

/// The name of the informational file of an `@field/` folder cut at `shown` values.
std::string more_values_name(uint64_t shown);

/// Returns the text of the informational file `name` (one of the names above) of a search
/// whose config lists `object_limit` objects at once; nullopt if `name` is none of them.
std::optional<std::string> info_file_text(const std::string& name, uint64_t object_limit);

/// The attributes of a search folder (a field, value or object folder) holding `count`
/// objects, as the search caches them.
node_info search_folder_attr(uint64_t count = 0);

/// The attributes of an informational file whose text is `text`.
node_info info_file_attr(std::string text);

}  // namespace d1
