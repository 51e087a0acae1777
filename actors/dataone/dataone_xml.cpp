// DataONE XML documents → values with pugixml. Namespace prefixes differ between nodes and
// API versions (d1:, ns2:, ns3:, none), so every element is matched on its local name.
#include "actors/dataone/dataone_xml.hpp"

#include "messages/error.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <exception>

namespace d1 {
namespace {

std::string_view local_name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

/// The first element child of `parent` with local name `name`, or a null node.
pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
  for (auto c : parent.children())
    if (c.type() == pugi::node_element && local_name(c) == name)
      return c;
  return {};
}

std::string trim(std::string s) {
  auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  auto first = std::find_if_not(s.begin(), s.end(), is_space);
  auto last = std::find_if_not(s.rbegin(), s.rend(), is_space).base();
  return first < last ? std::string(first, last) : std::string{};
}

/// The text of an element (all its text and CDATA children), without surrounding blanks.
std::string text_of(const pugi::xml_node& node) {
  std::string out;
  for (auto c : node.children())
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)
      out += c.value();
  return trim(std::move(out));
}

std::string child_text(const pugi::xml_node& parent, std::string_view name) {
  auto c = child(parent, name);
  return c ? text_of(c) : std::string{};
}

caf::error malformed(std::string_view doc, std::string what) {
  std::string ctx{doc};
  ctx += ": ";
  ctx += what;
  return make_error(ec::parse_error, std::move(ctx));
}

/// Loads `xml` into `doc` and returns its root element if its local name is `root_name`.
caf::expected<pugi::xml_node> load_root(pugi::xml_document& doc, std::string_view xml,
                                        std::string_view root_name);

/// The text of the required child `name`; an error if it is missing or empty.
caf::expected<std::string> required_text(std::string_view doc, const pugi::xml_node& parent,
                                         std::string_view name) {
  auto c = child(parent, name);
  if (!c)
    return malformed(doc, "missing <" + std::string{name} + ">");
  auto text = text_of(c);
  if (text.empty())
    return malformed(doc, "<" + std::string{name} + "> is empty");
  return text;
}

/// xs:boolean: "true", "false", "1", "0"; an absent element or attribute is false.
caf::expected<bool> parse_bool(std::string_view doc, std::string_view name,
                               const std::string& text) {
  if (text.empty() || text == "false" || text == "0")
    return false;
  if (text == "true" || text == "1")
    return true;
  return malformed(doc, "<" + std::string{name} + "> is not a boolean: '" + text + "'");
}

caf::expected<uint64_t> parse_uint(std::string_view doc, std::string_view name,
                                   const std::string& text) {
  uint64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (err != std::errc{} || end != text.data() + text.size())
    return malformed(doc, "<" + std::string{name} + "> is not a non-negative integer: '"
                            + text.substr(0, 64) + "'");
  return value;
}

bool is_hex(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isxdigit(c) != 0;
  });
}

std::string lowercase(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

caf::expected<pugi::xml_node> load_root(pugi::xml_document& doc, std::string_view xml,
                                        std::string_view root_name) {
  if (xml.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return malformed(root_name, "empty document");
  auto res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default,
                             pugi::encoding_auto);
  if (!res)
    return malformed(root_name, std::string{"not well-formed XML at byte "}
                                  + std::to_string(res.offset) + ": " + res.description());
  auto root = doc.document_element();
  if (!root)
    return malformed(root_name, "no root element");
  if (local_name(root) == root_name)
    return root;
  // A node that answers a failure with status 200 still says why: show that.
  if (local_name(root) == "error" && root_name != "error") {
    if (auto d1err = parse_dataone_error(xml))
      return malformed(root_name, "the node sent an error instead: "
                                    + context_of(to_error(*d1err)));
  }
  return malformed(root_name, "the document is <" + std::string{root.name()} + ">, not <"
                                + std::string{root_name} + ">");
}

/// Runs `f`, turning any exception (allocation failure) into ec::parse_error.
template <class F>
auto guarded(std::string_view doc, F f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return malformed(doc, std::string{"internal failure: "} + e.what());
  }
}

}  // namespace

caf::expected<system_metadata> parse_system_metadata(std::string_view xml) {
  return guarded("systemMetadata", [&]() -> caf::expected<system_metadata> {
    constexpr std::string_view doc_name = "systemMetadata";
    pugi::xml_document doc;
    auto root = load_root(doc, xml, doc_name);
    if (!root)
      return root.error();
    system_metadata out;
    auto identifier = required_text(doc_name, *root, "identifier");
    if (!identifier)
      return identifier.error();
    out.identifier = std::move(*identifier);
    auto format_id = required_text(doc_name, *root, "formatId");
    if (!format_id)
      return format_id.error();
    out.format_id = std::move(*format_id);
    auto size_text = required_text(doc_name, *root, "size");
    if (!size_text)
      return size_text.error();
    auto size = parse_uint(doc_name, "size", *size_text);
    if (!size)
      return size.error();
    // A size is a file's st_size (off_t) and an offset for Range requests.
    if (*size > uint64_t(INT64_MAX))
      return malformed(doc_name, "<size> " + *size_text + " is larger than any file can be");
    out.size = *size;
    auto checksum = child(*root, "checksum");
    if (!checksum)
      return malformed(doc_name, "missing <checksum>");
    out.checksum.algorithm = trim(checksum.attribute("algorithm").value());
    if (out.checksum.algorithm.empty())
      return malformed(doc_name, "<checksum> has no algorithm attribute");
    out.checksum.value = lowercase(text_of(checksum));
    if (!is_hex(out.checksum.value))
      return malformed(doc_name, "<checksum> is not hexadecimal: '"
                                   + out.checksum.value.substr(0, 160) + "'");
    out.submitter = child_text(*root, "submitter");
    out.rights_holder = child_text(*root, "rightsHolder");
    out.origin_member_node = child_text(*root, "originMemberNode");
    out.authoritative_member_node = child_text(*root, "authoritativeMemberNode");
    out.obsoletes = child_text(*root, "obsoletes");
    out.obsoleted_by = child_text(*root, "obsoletedBy");
    out.date_uploaded = child_text(*root, "dateUploaded");
    out.date_modified = child_text(*root, "dateSysMetadataModified");
    out.file_name = child_text(*root, "fileName");
    if (auto media = child(*root, "mediaType"))
      out.media_type = trim(media.attribute("name").value());
    auto archived = parse_bool(doc_name, "archived", child_text(*root, "archived"));
    if (!archived)
      return archived.error();
    out.archived = *archived;
    for (auto c : root->children()) {
      if (c.type() != pugi::node_element || local_name(c) != "replica")
        continue;
      auto node = child_text(c, "replicaMemberNode");
      if (node.empty())
        return malformed(doc_name, "<replica> without <replicaMemberNode>");
      out.replica_member_nodes.push_back(std::move(node));
    }
    out.xml = std::string{xml};
    return out;
  });
}

caf::expected<std::vector<object_location>> parse_object_locations(std::string_view xml) {
  return guarded("objectLocationList",
                 [&]() -> caf::expected<std::vector<object_location>> {
    constexpr std::string_view doc_name = "objectLocationList";
    pugi::xml_document doc;
    auto root = load_root(doc, xml, doc_name);
    if (!root)
      return root.error();
    std::vector<object_location> out;
    for (auto c : root->children()) {
      if (c.type() != pugi::node_element || local_name(c) != "objectLocation")
        continue;
      auto n = std::to_string(out.size() + 1);
      object_location loc;
      loc.node_identifier = child_text(c, "nodeIdentifier");
      loc.base_url = child_text(c, "baseURL");
      loc.url = child_text(c, "url");
      if (loc.node_identifier.empty())
        return malformed(doc_name, "<objectLocation> #" + n + " has no <nodeIdentifier>");
      if (loc.base_url.empty())
        return malformed(doc_name, "<objectLocation> #" + n + " (" + loc.node_identifier
                                     + ") has no <baseURL>");
      if (loc.url.empty())
        return malformed(doc_name, "<objectLocation> #" + n + " (" + loc.node_identifier
                                     + ") has no <url>");
      out.push_back(std::move(loc));
    }
    return out;
  });
}

caf::expected<std::vector<node_description>> parse_node_list(std::string_view xml) {
  return guarded("nodeList", [&]() -> caf::expected<std::vector<node_description>> {
    constexpr std::string_view doc_name = "nodeList";
    pugi::xml_document doc;
    auto root = load_root(doc, xml, doc_name);
    if (!root)
      return root.error();
    std::vector<node_description> out;
    for (auto c : root->children()) {
      if (c.type() != pugi::node_element || local_name(c) != "node")
        continue;
      node_description node;
      node.identifier = child_text(c, "identifier");
      if (node.identifier.empty())
        return malformed(doc_name, "<node> #" + std::to_string(out.size() + 1)
                                     + " has no <identifier>");
      node.name = child_text(c, "name");
      node.description = child_text(c, "description");
      node.base_url = child_text(c, "baseURL");
      if (node.base_url.empty())
        return malformed(doc_name, "<node> " + node.identifier + " has no <baseURL>");
      node.type = trim(c.attribute("type").value());
      node.state = trim(c.attribute("state").value());
      auto replicate = parse_bool(doc_name, "node replicate",
                                  trim(c.attribute("replicate").value()));
      if (!replicate)
        return replicate.error();
      node.replicate = *replicate;
      auto synchronize = parse_bool(doc_name, "node synchronize",
                                    trim(c.attribute("synchronize").value()));
      if (!synchronize)
        return synchronize.error();
      node.synchronize = *synchronize;
      if (auto services = child(c, "services")) {
        for (auto s : services.children()) {
          if (s.type() != pugi::node_element || local_name(s) != "service")
            continue;
          auto available = parse_bool(doc_name, "service available",
                                      trim(s.attribute("available").value()));
          if (!available)
            return available.error();
          node.services.push_back(trim(s.attribute("name").value()) + " "
                                  + trim(s.attribute("version").value())
                                  + (*available ? " (available)" : " (unavailable)"));
        }
      }
      out.push_back(std::move(node));
    }
    return out;
  });
}

caf::expected<std::vector<object_format>> parse_object_formats(std::string_view xml) {
  return guarded("objectFormatList", [&]() -> caf::expected<std::vector<object_format>> {
    constexpr std::string_view doc_name = "objectFormatList";
    pugi::xml_document doc;
    auto root = load_root(doc, xml, doc_name);
    if (!root)
      return root.error();
    std::vector<object_format> out;
    for (auto c : root->children()) {
      if (c.type() != pugi::node_element || local_name(c) != "objectFormat")
        continue;
      object_format fmt;
      fmt.id = child_text(c, "formatId");
      if (fmt.id.empty())
        return malformed(doc_name, "<objectFormat> #" + std::to_string(out.size() + 1)
                                     + " has no <formatId>");
      fmt.name = child_text(c, "formatName");
      fmt.type = child_text(c, "formatType");
      if (fmt.type.empty())
        return malformed(doc_name, "<objectFormat> " + fmt.id + " has no <formatType>");
      if (auto media = child(c, "mediaType"))
        fmt.media_type = trim(media.attribute("name").value());
      fmt.extension = child_text(c, "extension");
      // Some nodes write ".csv"; the value type promises no dot.
      if (!fmt.extension.empty() && fmt.extension.front() == '.')
        fmt.extension.erase(0, 1);
      out.push_back(std::move(fmt));
    }
    return out;
  });
}

caf::expected<std::vector<query_field>>
parse_query_engine_description(std::string_view xml) {
  return guarded("queryEngineDescription",
                 [&]() -> caf::expected<std::vector<query_field>> {
    constexpr std::string_view doc_name = "queryEngineDescription";
    pugi::xml_document doc;
    auto root = load_root(doc, xml, doc_name);
    if (!root)
      return root.error();
    std::vector<query_field> out;
    for (auto c : root->children()) {
      if (c.type() != pugi::node_element || local_name(c) != "queryField")
        continue;
      query_field field;
      field.name = child_text(c, "name");
      if (field.name.empty())
        return malformed(doc_name, "<queryField> #" + std::to_string(out.size() + 1)
                                     + " has no <name>");
      field.type = child_text(c, "type");
      field.description = child_text(c, "description");
      for (auto [name, target] : {std::pair{"searchable", &field.searchable},
                                  std::pair{"returnable", &field.returnable},
                                  std::pair{"multivalued", &field.multivalued}}) {
        auto value = parse_bool(doc_name, std::string{name} + "> of <" + field.name,
                                child_text(c, name));
        if (!value)
          return value.error();
        *target = *value;
      }
      out.push_back(std::move(field));
    }
    return out;
  });
}

caf::expected<dataone_error> parse_dataone_error(std::string_view xml) {
  return guarded("error", [&]() -> caf::expected<dataone_error> {
    pugi::xml_document doc;
    auto root = load_root(doc, xml, "error");
    if (!root)
      return root.error();
    dataone_error out;
    out.name = trim(root->attribute("name").value());
    if (out.name.empty())
      return malformed("error", "<error> has no name attribute");
    out.error_code = trim(root->attribute("errorCode").value());
    out.detail_code = trim(root->attribute("detailCode").value());
    out.description = child_text(*root, "description");
    return out;
  });
}

caf::error to_error(const dataone_error& err) {
  std::string ctx = err.name;
  if (!err.error_code.empty())
    ctx += " (" + err.error_code + ")";
  ctx += ": ";
  ctx += err.description.empty() ? std::string{"no description"} : err.description;
  return make_error(err.name == "NotFound" ? ec::not_found : ec::http_status,
                    std::move(ctx));
}

}  // namespace d1
