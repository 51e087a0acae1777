// Solr JSON → solr_response with the simdjson DOM API (validates the whole document, keeps
// object order, so fields stay in the order the index returned them).
#include "actors/dataone/solr_json.hpp"

#include "messages/error.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

namespace d1 {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

caf::error malformed(std::string what) {
  return make_error(ec::parse_error, "Solr response: " + std::move(what));
}

std::string render_double(double x) {
  char buf[64];
  auto [end, err] = std::to_chars(buf, buf + sizeof(buf), x);
  if (err != std::errc{})
    return std::to_string(x);
  return std::string(buf, end);
}

/// Appends the rendering of a scalar (or, for nested containers, compact JSON) to `out`;
/// null adds nothing.
void render(const element& value, std::vector<std::string>& out) {
  switch (value.type()) {
    case element_type::STRING:
      out.emplace_back(std::string_view(value.get_string().value_unsafe()));
      break;
    case element_type::INT64:
      out.push_back(std::to_string(value.get_int64().value_unsafe()));
      break;
    case element_type::UINT64:
      out.push_back(std::to_string(value.get_uint64().value_unsafe()));
      break;
    case element_type::DOUBLE:
      out.push_back(render_double(value.get_double().value_unsafe()));
      break;
    case element_type::BOOL:
      out.push_back(value.get_bool().value_unsafe() ? "true" : "false");
      break;
    case element_type::NULL_VALUE:
      break;
    case element_type::ARRAY:
    case element_type::OBJECT:
      out.push_back(simdjson::minify(value));
      break;
  }
}

caf::expected<uint64_t> count_of(const element& value, const std::string& what) {
  // Counts become folder sizes (off_t): beyond int64 they are garbage, not counts.
  if (value.type() == element_type::UINT64 && value.get_uint64().value_unsafe() <= INT64_MAX)
    return value.get_uint64().value_unsafe();
  if (value.type() == element_type::INT64 && value.get_int64().value_unsafe() >= 0)
    return static_cast<uint64_t>(value.get_int64().value_unsafe());
  return malformed(what + " is not a non-negative integer: " + simdjson::minify(value));
}

caf::error solr_error(const simdjson::dom::object& err) {
  std::string msg;
  int64_t code = 0;
  std::string_view text;
  if (err["msg"].get(text) == simdjson::SUCCESS)
    msg = std::string{text};
  else if (err["trace"].get(text) == simdjson::SUCCESS)
    msg = std::string{text.substr(0, text.find('\n'))};
  else
    msg = "no message";
  if (err["code"].get(code) != simdjson::SUCCESS)
    code = 0;
  return make_error(ec::http_status, "Solr " + std::to_string(code) + ": " + msg);
}

caf::expected<solr_record> parse_doc(const element& doc, size_t index) {
  simdjson::dom::object obj;
  if (doc.get(obj) != simdjson::SUCCESS)
    return malformed("response.docs[" + std::to_string(index) + "] is not an object");
  solr_record out;
  for (auto kv : obj) {
    solr_field fld;
    fld.name = std::string{kv.key};
    simdjson::dom::array values;
    if (kv.value.get(values) == simdjson::SUCCESS) {
      for (auto v : values)
        render(v, fld.values);
    } else {
      render(kv.value, fld.values);
    }
    if (kv.value.type() != element_type::NULL_VALUE)
      out.fields.push_back(std::move(fld));
  }
  return out;
}

caf::expected<facet_field_counts> parse_facet_field(std::string_view name,
                                                    const element& value) {
  facet_field_counts out;
  out.field = std::string{name};
  std::string where = "facet_fields." + out.field;
  std::vector<std::string> rendered;
  // json.nl=flat (Solr's default): ["v", n, "v", n, …]
  simdjson::dom::array arr;
  if (value.get(arr) == simdjson::SUCCESS) {
    if (arr.size() % 2 != 0)
      return malformed(where + " has an odd number of entries");
    size_t i = 0;
    facet_count current;
    for (auto v : arr) {
      if (i % 2 == 0) {
        if (v.type() == element_type::ARRAY || v.type() == element_type::OBJECT)
          return malformed(where + "[" + std::to_string(i) + "] is not a value");
        rendered.clear();
        render(v, rendered);
        current.value = rendered.empty() ? std::string{} : rendered.front();
      } else {
        auto n = count_of(v, where + "[" + std::to_string(i) + "]");
        if (!n)
          return n.error();
        current.count = *n;
        out.counts.push_back(std::move(current));
        current = {};
      }
      ++i;
    }
    return out;
  }
  // json.nl=map: {"v": n, …}
  simdjson::dom::object map;
  if (value.get(map) == simdjson::SUCCESS) {
    for (auto kv : map) {
      auto n = count_of(kv.value, where + "." + std::string{kv.key});
      if (!n)
        return n.error();
      out.counts.push_back(facet_count{std::string{kv.key}, *n});
    }
    return out;
  }
  return malformed(where + " is neither a list nor an object");
}

// Responses up to this size (a cursor page of 1000 documents is 60-140 KB) are parsed with
// a parser and a padded copy kept per thread: reusing their memory saves the page faults
// of fresh buffers on every page, which on this project's VMs cost more than the parse.
// Larger ones get their own, so no thread keeps a large buffer.
constexpr size_t reused_parser_limit = size_t{1} << 20;

caf::expected<solr_response> parse(std::string_view json, const solr_cursor_callback& on_cursor) {
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return malformed("empty document");
  thread_local simdjson::dom::parser reused_parser;
  thread_local std::string reused_copy;
  std::optional<simdjson::dom::parser> own_parser;
  std::string own_copy;
  bool reuse = json.size() <= reused_parser_limit;
  auto& parser = reuse ? reused_parser : own_parser.emplace();
  auto& copy = reuse ? reused_copy : own_copy;
  copy.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  copy.assign(json);
  element root;
  if (auto err = parser.parse(copy.data(), copy.size(), false).get(root);
      err != simdjson::SUCCESS)
    return malformed(std::string{"not valid JSON: "} + simdjson::error_message(err));
  simdjson::dom::object top;
  if (root.get(top) != simdjson::SUCCESS)
    return malformed("the document is not a JSON object");
  simdjson::dom::object err_obj;
  if (top["error"].get(err_obj) == simdjson::SUCCESS)
    return solr_error(err_obj);
  simdjson::dom::object response;
  if (top["response"].get(response) != simdjson::SUCCESS)
    return malformed("no \"response\" object");
  solr_response out;
  element value;
  if (response["numFound"].get(value) != simdjson::SUCCESS)
    return malformed("response.numFound is missing");
  auto num_found = count_of(value, "response.numFound");
  if (!num_found)
    return num_found.error();
  out.num_found = *num_found;
  if (response["start"].get(value) == simdjson::SUCCESS) {
    auto start = count_of(value, "response.start");
    if (!start)
      return start.error();
    out.start = *start;
  }
  simdjson::dom::array docs;
  if (response["docs"].get(docs) != simdjson::SUCCESS)
    return malformed("response.docs is missing or not a list");
  std::string_view cursor;
  if (top["nextCursorMark"].get(cursor) == simdjson::SUCCESS)
    out.next_cursor_mark = std::string{cursor};
  if (on_cursor)
    on_cursor(out.next_cursor_mark, docs.size(), out.num_found);
  out.docs.reserve(docs.size());
  size_t index = 0;
  for (auto doc : docs) {
    auto rec = parse_doc(doc, index++);
    if (!rec)
      return rec.error();
    out.docs.push_back(std::move(*rec));
  }
  simdjson::dom::object facet_fields;
  if (top.at_pointer("/facet_counts/facet_fields").get(facet_fields) == simdjson::SUCCESS) {
    for (auto kv : facet_fields) {
      auto counts = parse_facet_field(kv.key, kv.value);
      if (!counts)
        return counts.error();
      out.facets.push_back(std::move(*counts));
    }
  }
  simdjson::dom::object facet_queries;
  if (top.at_pointer("/facet_counts/facet_queries").get(facet_queries) == simdjson::SUCCESS) {
    for (auto kv : facet_queries) {
      uint64_t count = 0;
      if (kv.value.get(count) != simdjson::SUCCESS)
        return malformed("facet_queries." + std::string{kv.key} + " is not a count");
      out.facet_queries.push_back(facet_count{std::string{kv.key}, count});
    }
  }
  return out;
}

}  // namespace

caf::expected<solr_response> parse_solr_response(std::string_view json) {
  return parse_solr_response(json, solr_cursor_callback{});
}

caf::expected<solr_response> parse_solr_response(std::string_view json,
                                                 const solr_cursor_callback& on_cursor) {
  try {
    return parse(json, on_cursor);
  } catch (const std::exception& e) {
    return malformed(std::string{"internal failure: "} + e.what());
  }
}

}  // namespace d1
