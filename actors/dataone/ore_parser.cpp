// OAI-ORE resource maps → members, with pugixml. RDF/XML writers differ in prefixes
// (cito:, j.0:, …) and in typing (rdf:type or a typed element), so properties are matched
// on their local names and both typing styles are accepted.
#include "actors/dataone/ore_parser.hpp"

#include "messages/error.hpp"
#include "messages/path_codec.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace d1 {
namespace {

constexpr std::string_view resource_map_type = "http://www.openarchives.org/ore/terms/ResourceMap";

std::string_view local_name(std::string_view name) {
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view prefix_of(std::string_view name) {
  auto colon = name.find(':');
  return colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon);
}

/// The value of the attribute with local name `name` (rdf:about, rdf:resource), or "".
std::string attr(const pugi::xml_node& node, std::string_view name) {
  for (auto a : node.attributes())
    if (local_name(a.name()) == name)
      return a.value();
  return {};
}

std::string trimmed_text(const pugi::xml_node& node) {
  std::string out;
  for (auto c : node.children())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)
      out += c.value();
  auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  auto first = std::find_if_not(out.begin(), out.end(), is_space);
  auto last = std::find_if_not(out.rbegin(), out.rend(), is_space).base();
  return first < last ? std::string(first, last) : std::string{};
}

/// The namespace URI bound to `prefix` in scope at `node` ("" if unbound).
std::string namespace_of(pugi::xml_node node, std::string_view prefix) {
  std::string attr_name = prefix.empty() ? "xmlns" : "xmlns:" + std::string{prefix};
  for (; node; node = node.parent())
    if (auto a = node.attribute(attr_name.c_str()))
      return a.value();
  return {};
}

/// Everything the map states about one resource (rdf:about), merged over all its
/// descriptions.
struct subject {
  std::vector<std::string> types;
  std::vector<std::string> identifiers;
  std::vector<std::string> aggregates;
  std::vector<std::string> describes;
};

std::string percent_decode(std::string_view text) {
  // unescape_segment decodes one segment; a tail with raw '/' is decoded per segment.
  std::string out;
  size_t start = 0;
  while (true) {
    auto slash = text.find('/', start);
    auto part = text.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!part.empty()) {
      auto decoded = unescape_segment(part);
      out += decoded ? *decoded : std::string{part};
    }
    if (slash == std::string_view::npos)
      break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

// Every subject of the document (rdf:about; blank nodes carry nothing we use) with what
// we read of it, and their URIs in document order.
struct subjects_read {
  std::map<std::string, subject> subjects;
  std::vector<std::string> order;  // for stable output
};

subjects_read read_subjects(const pugi::xml_node& root) {
  subjects_read out;
  auto& subjects = out.subjects;
  auto& order = out.order;
  for (auto el : root.children()) {
    if (el.type() != pugi::node_element)
      continue;
    auto about = attr(el, "about");
    if (about.empty())
      continue;  // blank nodes (rdf:nodeID: agents) carry nothing we use
    auto [it, fresh] = subjects.try_emplace(about);
    if (fresh)
      order.push_back(about);
    auto& s = it->second;
    if (local_name(el.name()) != "Description")
      s.types.push_back(namespace_of(el, prefix_of(el.name()))
                        + std::string{local_name(el.name())});
    for (auto p : el.children()) {
      if (p.type() != pugi::node_element)
        continue;
      auto name = local_name(p.name());
      auto object = attr(p, "resource");
      if (object.empty())
        object = trimmed_text(p);
      if (name == "type")
        s.types.push_back(object);
      else if (name == "identifier" && !object.empty())
        s.identifiers.push_back(object);
      else if (name == "aggregates" && !object.empty())
        s.aggregates.push_back(object);
      else if (name == "describes" && !object.empty())
        s.describes.push_back(object);
    }
  }
  return out;
}

}  // namespace

std::string identifier_of_resolve_uri(std::string_view uri) {
  constexpr std::string_view marker = "/resolve/";
  auto at = uri.find(marker);
  if (at == std::string_view::npos)
    return {};
  auto tail = uri.substr(at + marker.size());
  if (auto end = tail.find_first_of("?#"); end != std::string_view::npos)
    tail = tail.substr(0, end);
  return percent_decode(tail);
}

caf::expected<resource_map_doc> parse_resource_map(std::string_view xml) {
  pugi::xml_document doc;
  auto loaded = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default);
  if (!loaded)
    return make_error(ec::parse_error, std::string{"resource map is not well-formed XML: "}
                                         + loaded.description() + " at offset "
                                         + std::to_string(loaded.offset));
  auto root = doc.document_element();
  if (local_name(root.name()) != "RDF")
    return make_error(ec::parse_error, "resource map: the root element is <"
                                         + std::string{root.name()} + ">, not rdf:RDF");
  auto [subjects, order] = read_subjects(root);
  std::vector<std::string> maps;
  for (auto& uri : order) {
    auto& types = subjects[uri].types;
    if (std::find(types.begin(), types.end(), resource_map_type) != types.end())
      maps.push_back(uri);
  }
  if (maps.empty())
    return make_error(ec::parse_error,
                      "not a resource map: no resource is typed ore:ResourceMap");
  if (maps.size() > 1)
    return make_error(ec::parse_error, "resource map: " + std::to_string(maps.size())
                                         + " resources are typed ore:ResourceMap");
  resource_map_doc out;
  out.uri = maps.front();
  auto& map = subjects[out.uri];
  if (map.describes.empty())
    return make_error(ec::parse_error, "resource map " + out.uri
                                         + ": ore:describes names no aggregation");
  out.aggregation_uri = map.describes.front();
  auto agg = subjects.find(out.aggregation_uri);
  if (agg == subjects.end() || agg->second.aggregates.empty())
    return make_error(ec::parse_error, "resource map " + out.uri + ": the aggregation "
                                         + out.aggregation_uri + " aggregates nothing");

  // The map itself: its identifier must be stated and match its resolve URI.
  if (map.identifiers.empty())
    out.problems.push_back("the resource map " + out.uri + " has no dcterms:identifier");
  else
    out.identifier = map.identifiers.front();
  auto check_uri = [&](const std::string& uri, const std::string& id, const char* what) {
    if (uri.find("/resolve/") == std::string::npos) {
      out.problems.push_back(std::string{what} + " URI " + uri
                             + " is not a DataONE resolve URI (…/resolve/<identifier>)");
      return;
    }
    auto from_uri = identifier_of_resolve_uri(uri);
    if (!id.empty() && from_uri != id)
      out.problems.push_back(std::string{what} + " identifier '" + id
                             + "' does not match its resolve URI " + uri);
  };
  check_uri(out.uri, out.identifier, "the resource map's");
  if (out.aggregation_uri != out.uri + "#aggregation")
    out.problems.push_back("the aggregation URI " + out.aggregation_uri
                           + " is not the resource map URI followed by #aggregation");

  std::set<std::string> seen;
  for (auto& uri : agg->second.aggregates) {
    std::string id;
    if (auto s = subjects.find(uri); s != subjects.end() && !s->second.identifiers.empty())
      id = s->second.identifiers.front();
    check_uri(uri, id, "a member's");
    if (id.empty())
      id = identifier_of_resolve_uri(uri);
    if (id.empty()) {
      out.problems.push_back("the member " + uri
                             + " has no dcterms:identifier and no resolve URI to tell it by");
      continue;
    }
    if (seen.insert(id).second)
      out.members.push_back(std::move(id));
  }
  return out;
}

}  // namespace d1
