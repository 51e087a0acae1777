// Parser for Solr select responses in JSON (wt=json), as the DataONE CN's query/solr
// endpoint sends them. A pure function: no I/O, never throws.
#pragma once

#include "messages/dataone_types.hpp"

#include <caf/expected.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace d1 {

/// Parses a Solr select response: numFound, start, every field of every doc (strings as
/// given, numbers as decimal strings, booleans "true"/"false", arrays as multiple values,
/// nested objects as compact JSON), nextCursorMark and facet_counts.facet_fields.
/// Returns ec::http_status carrying Solr's msg for a Solr error body
/// ({"error":{"msg":..,"code":400}}), ec::parse_error naming the bad part for anything
/// else that is not a select response.
caf::expected<solr_response> parse_solr_response(std::string_view json);

/// Told the nextCursorMark (empty if none), the number of documents and numFound of a
/// response as soon as it is parsed, before its documents are copied out.
using solr_cursor_callback =
  std::function<void(const std::string& next_cursor_mark, size_t docs, uint64_t num_found)>;

/// As above, telling `on_cursor` first (not for errors): a cursor walk can ask for its
/// next page while this one is being built.
caf::expected<solr_response> parse_solr_response(std::string_view json,
                                                 const solr_cursor_callback& on_cursor);

}  // namespace d1
