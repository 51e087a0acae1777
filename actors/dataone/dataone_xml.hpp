// Parsers for the XML documents of the DataONE REST API (types v1, v1.1 and v2.0): system
// metadata, objectLocationList, nodeList, objectFormatList, queryEngineDescription and the
// error body. Pure functions: no I/O, never throw; elements match on local names.
#pragma once

#include "messages/dataone_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace d1 {

/// Parses a systemMetadata document (v1 or v2) and keeps `xml` as the raw document.
/// Returns ec::parse_error naming the missing or malformed element (required: identifier,
/// formatId, size, checksum with its algorithm) or the XML syntax error.
caf::expected<system_metadata> parse_system_metadata(std::string_view xml);

/// Parses an objectLocationList (the body of CN resolve) into its locations in document
/// order, the authoritative node first. Returns ec::parse_error if the document is not an
/// objectLocationList or a location lacks nodeIdentifier, baseURL or url.
caf::expected<std::vector<object_location>> parse_object_locations(std::string_view xml);

/// Parses a nodeList; services read "Name version (available|unavailable)". Returns
/// ec::parse_error if a node lacks identifier or baseURL, or the document is no nodeList.
caf::expected<std::vector<node_description>> parse_node_list(std::string_view xml);

/// Parses an objectFormatList (v1 or v2; mediaType and extension are v2 only). Returns
/// ec::parse_error if a format lacks formatId or formatType, or the document is no list.
caf::expected<std::vector<object_format>> parse_object_formats(std::string_view xml);

/// Parses a queryEngineDescription into its query fields, in document order. Returns
/// ec::parse_error if a field lacks its name or carries a boolean that is not one.
caf::expected<std::vector<query_field>> parse_query_engine_description(std::string_view xml);

/// The error body a DataONE node sends with a failure status:
/// <error name="NotFound" errorCode="404" detailCode="1020"><description>..</description></error>
struct dataone_error {
  std::string name;          // "NotFound", "ServiceFailure", …
  std::string error_code;    // the HTTP status as the node wrote it, e.g. "404"
  std::string detail_code;   // the node's detail code, may be empty
  std::string description;   // may be empty
};

/// Parses a DataONE error body. Returns ec::parse_error if `xml` is not one (for example an
/// HTML page from a proxy) or the root lacks its name attribute.
caf::expected<dataone_error> parse_dataone_error(std::string_view xml);

/// Turns a DataONE error into a d1 error: NotFound → ec::not_found, any other name →
/// ec::http_status; the context reads "NotFound (404): <description>".
caf::error to_error(const dataone_error& err);

}  // namespace d1
