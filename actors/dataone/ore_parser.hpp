// Parser for DataONE OAI-ORE resource maps (RDF/XML): the map's identifier and the
// identifiers of the aggregated members, with every deviation from the DataONE
// conventions reported as a problem rather than a crash. Pure function, never throws.
#pragma once

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace d1 {

/// What a resource map says about its package.
struct resource_map_doc {
  std::string identifier;       // the map's dcterms:identifier; empty if it has none
  std::string uri;              // the rdf:about of the ore:ResourceMap
  std::string aggregation_uri;  // the object of ore:describes
  // Aggregated members in document order, without duplicates: each member's
  // dcterms:identifier, else the percent-decoded last segment of its resolve URI.
  std::vector<std::string> members;
  // Deviations from the DataONE conventions, one sentence each (missing or mismatching
  // identifiers, URIs that are not CN resolve URIs, a non-standard aggregation URI,
  // members whose identifier cannot be told). Empty for a well-formed map.
  std::vector<std::string> problems;
};

/// Parses an RDF/XML resource map. Returns ec::parse_error when the document cannot be a
/// package at all (not well-formed XML, no rdf:RDF root, no or several ore:ResourceMap
/// resources, no ore:describes, an aggregation that aggregates nothing); every lesser
/// deviation is listed in `problems` and the members that could be identified are kept.
caf::expected<resource_map_doc> parse_resource_map(std::string_view xml);

/// Returns the percent-decoded identifier at the end of a DataONE resolve URI
/// (".../resolve/<id>"), or an empty string if `uri` is no resolve URI.
std::string identifier_of_resolve_uri(std::string_view uri);

}  // namespace d1
