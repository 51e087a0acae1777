// Building Solr select requests and DataONE REST URLs from values: query-parser escaping,
// phrases, URL encoding of query values and path segments, and the select URL of a
// solr_query (messages/dataone_types.hpp). Pure functions, no I/O.
#pragma once

#include "messages/dataone_types.hpp"

#include <string>
#include <string_view>

namespace d1 {

/// Returns `term` with a backslash before every character the Solr/Lucene query parser
/// treats specially, `+ - & | ! ( ) { } [ ] ^ " ~ * ? : \ /` and `;` (as Solr's own
/// ClientUtils.escapeQueryChars), and before every whitespace character (ASCII and the
/// Unicode spaces Java counts as whitespace, such as U+3000), so that `&&`, `||`, wildcards
/// and field separators lose their meaning. For `field:term` queries. Never fails.
std::string solr_escape_term(std::string_view term);

/// Returns `text` as a quoted query-parser phrase, `"` and `\` backslash-escaped:
/// a"b → "a\"b". For exact matches such as id:"<pid>". Never fails.
std::string solr_phrase(std::string_view text);

/// Returns `field:"value"` (value as solr_phrase): an exact match on a string field.
std::string solr_field_query(std::string_view field, std::string_view value);

/// Returns `value` percent-encoded for a URL query-string value: RFC 3986 unreserved
/// characters (A-Z a-z 0-9 - . _ ~) are kept, every other byte becomes %XX (uppercase),
/// so `+`→%2B, space→%20, `&`→%26, `#`→%23, and UTF-8 is encoded byte by byte.
std::string url_encode_component(std::string_view value);

/// Returns `pid` percent-encoded as one REST path element (`/v2/object/{pid}`), DataONE's
/// rule (d1_common.url.encodePathElement): unreserved characters and `: @ $ ! * ( ) ' , & =`
/// are kept, every other byte becomes %XX (uppercase): `/`→%2F, `?`→%3F, `#`→%23,
/// `%`→%25, space→%20, `+`→%2B, `;`→%3B. The PIDs "." and ".." become %2E and %2E%2E (as
/// dot segments HTTP would resolve them as path steps).
std::string url_encode_path_segment(std::string_view pid);

/// Returns the query string of `query` (no leading '?'), parameters in this fixed order,
/// every value url_encode_component'ed, unset ones omitted:
///   q, fq (one per non-empty entry), fl (non-empty entries joined by ','; omitted if none),
///   rows (always), start (only without a cursorMark), sort (if set), cursorMark (if set),
///   and if facet_fields has a non-empty entry or facet_queries any: facet=true,
///   facet.field (one each), facet.query (one each), facet.limit (unless -1),
///   facet.mincount (always), facet.sort (if set), facet.offset (if > 0); finally wt=json.
std::string to_query_string(const solr_query& query);

/// Returns base_url (trailing slashes removed) + "/v2/query/solr/?" + to_query_string(query).
std::string select_url(std::string_view base_url, const solr_query& query);

}  // namespace d1
