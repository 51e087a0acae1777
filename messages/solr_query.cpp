// Solr select requests and DataONE REST URLs as strings: query-parser escaping, URL
// encoding, and the parameter order of a select request. Pure functions, no I/O.
#include "messages/solr_query.hpp"

#include <cstdint>

namespace d1 {

namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
         || c == '.' || c == '_' || c == '~';
}

template <class Keep>
std::string percent_encode(std::string_view in, Keep keep) {
  std::string out;
  out.reserve(in.size() * 3 / 2);
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (keep(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex_upper[c >> 4];
      out += hex_upper[c & 0x0F];
    }
  }
  return out;
}

bool is_query_special(char c) {
  switch (c) {
    case '+': case '-': case '&': case '|': case '!': case '(': case ')': case '{':
    case '}': case '[': case ']': case '^': case '"': case '~': case '*': case '?':
    case ':': case '\\': case '/': case ';':
      return true;
    default:
      return false;
  }
}

bool is_ascii_whitespace(unsigned char c) {
  // Java's Character.isWhitespace for ASCII: the query parser splits terms on these.
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

// Returns true if s[i] starts a 3-byte UTF-8 whitespace character that Java (and so Solr's
// escapeQueryChars) counts as whitespace; the no-break spaces are not.
bool starts_unicode_whitespace(std::string_view s, std::size_t i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if ((b0 != 0xE1 && b0 != 0xE2 && b0 != 0xE3) || i + 2 >= s.size())
    return false;
  auto b1 = static_cast<unsigned char>(s[i + 1]);
  auto b2 = static_cast<unsigned char>(s[i + 2]);
  if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80)
    return false;
  uint32_t cp = (uint32_t(b0 & 0x0F) << 12) | (uint32_t(b1 & 0x3F) << 6) | (b2 & 0x3F);
  return cp == 0x1680 || (cp >= 0x2000 && cp <= 0x2006) || (cp >= 0x2008 && cp <= 0x200A)
         || cp == 0x2028 || cp == 0x2029 || cp == 0x205F || cp == 0x3000;
}

void add_param(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty())
    out += '&';
  out += name;
  out += '=';
  out += url_encode_component(value);
}

}  // namespace

std::string solr_escape_term(std::string_view term) {
  std::string out;
  out.reserve(term.size() * 2);
  for (std::size_t i = 0; i < term.size(); ++i) {
    char c = term[i];
    if (is_query_special(c) || is_ascii_whitespace(static_cast<unsigned char>(c))
        || starts_unicode_whitespace(term, i))
      out += '\\';
    out += c;
  }
  return out;
}

std::string solr_phrase(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string solr_field_query(std::string_view field, std::string_view value) {
  std::string out{field};
  out += ':';
  out += solr_phrase(value);
  return out;
}

std::string url_encode_component(std::string_view value) {
  return percent_encode(value, is_unreserved);
}

std::string url_encode_path_segment(std::string_view pid) {
  // A segment of only dots is a path step to HTTP clients and servers, not a name.
  if (pid == ".")
    return "%2E";
  if (pid == "..")
    return "%2E%2E";
  return percent_encode(pid, [](unsigned char c) {
    switch (c) {
      case ':': case '@': case '$': case '!': case '*': case '(': case ')': case '\'':
      case ',': case '&': case '=':
        return true;
      default:
        return is_unreserved(c);
    }
  });
}

std::string to_query_string(const solr_query& query) {
  std::string out;
  add_param(out, "q", query.q);
  for (auto& fq : query.fq)
    if (!fq.empty())
      add_param(out, "fq", fq);
  std::string fl;
  for (auto& f : query.fl) {
    if (f.empty())
      continue;
    if (!fl.empty())
      fl += ',';
    fl += f;
  }
  if (!fl.empty())
    add_param(out, "fl", fl);
  add_param(out, "rows", std::to_string(query.rows));
  // Solr refuses a cursorMark together with a start other than 0: send one or the other.
  if (query.cursor_mark.empty())
    add_param(out, "start", std::to_string(query.start));
  if (!query.sort.empty())
    add_param(out, "sort", query.sort);
  if (!query.cursor_mark.empty())
    add_param(out, "cursorMark", query.cursor_mark);
  bool faceting = !query.facet_queries.empty();
  for (auto& f : query.facet_fields)
    faceting = faceting || !f.empty();
  if (faceting) {
    add_param(out, "facet", "true");
    for (auto& f : query.facet_fields)
      if (!f.empty())
        add_param(out, "facet.field", f);
    for (auto& q : query.facet_queries)
      add_param(out, "facet.query", q);
    if (query.facet_limit != -1)
      add_param(out, "facet.limit", std::to_string(query.facet_limit));
    add_param(out, "facet.mincount", std::to_string(query.facet_mincount));
    if (!query.facet_sort.empty())
      add_param(out, "facet.sort", query.facet_sort);
    if (query.facet_offset > 0)
      add_param(out, "facet.offset", std::to_string(query.facet_offset));
  }
  add_param(out, "wt", "json");
  return out;
}

std::string select_url(std::string_view base_url, const solr_query& query) {
  while (!base_url.empty() && base_url.back() == '/')
    base_url.remove_suffix(1);
  std::string out{base_url};
  out += "/v2/query/solr/?";
  out += to_query_string(query);
  return out;
}

}  // namespace d1
