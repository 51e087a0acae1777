// Parser for Solr select responses in JSON (wt=json), as the DataONE CN's query/solr
// endpoint sends them. A pure function: no I/O, never throws.
#pragma once

#include "messages/dataone_types.hpp"

#include <caf/expected.hpp>

#include <string_view>

namespace d1 {

/// Parses a Solr select response: numFound, start, every field of every doc (strings as
/// given, numbers as decimal strings, booleans "true"/"false", arrays as multiple values,
/// nested objects as compact JSON), nextCursorMark and facet_counts.facet_fields.
/// Returns ec::http_status carrying Solr's msg for a Solr error body
/// ({"error":{"msg":..,"code":400}}), ec::parse_error naming the bad part for anything
/// else that is not a select response.
caf::expected<solr_response> parse_solr_response(std::string_view json);

}  // namespace d1
