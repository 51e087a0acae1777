// Solr request building: query-parser escaping checked by an independent scanner, URL
// encoding against DataONE's own escaped forms of the tricky identifiers, exact query strings.
#include "messages/solr_query.hpp"
#include "tests/support/test_paths.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <random>
#include <utility>

namespace d1 {
namespace {

const std::string tricky_path = d1::test::shared_fixtures() + "/cn/tricky_identifiers.json";

std::vector<std::pair<std::string, std::string>> load_tricky_ids() {
  std::ifstream in{tricky_path};
  EXPECT_TRUE(in.good()) << "cannot open " << tricky_path;
  std::vector<std::pair<std::string, std::string>> out;
  if (!in.good())
    return out;
  auto doc = nlohmann::json::parse(in, nullptr, false);
  EXPECT_TRUE(doc.is_array());
  if (!doc.is_array())
    return out;
  for (auto& e : doc)
    out.emplace_back(e.at("unescaped").get<std::string>(), e.at("path_escaped").get<std::string>());
  return out;
}

// The Lucene classic query parser's special characters, written out independently.
const std::string specials = "+-&|!(){}[]^\"~*?:\\/";

// Returns the length of the UTF-8 character at s[i] (1 for a stray or truncated byte).
std::size_t char_len(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  if (i + len > s.size())
    return 1;
  for (std::size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
      return 1;
  return len;
}

bool is_whitespace_char(std::string_view c) {
  if (c.size() == 1)
    return c[0] == ' ' || (c[0] >= 0x09 && c[0] <= 0x0D) || (c[0] >= 0x1C && c[0] <= 0x1F);
  return c == "\xE3\x80\x80" || c == "\xE2\x80\x82" || c == "\xE2\x80\xA8" || c == "\xE1\x9A\x80";
}

// Walks an escaped term the way the query parser does: a backslash takes the next
// character literally. Returns the unescaped term, or an error text naming the first
// special character or whitespace that stands unescaped.
std::pair<std::string, std::string> parse_escaped_term(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '\\') {
      if (i + 1 >= s.size())
        return {"", "dangling backslash"};
      auto len = char_len(s, i + 1);
      out.append(s.substr(i + 1, len));
      i += 1 + len;
      continue;
    }
    auto len = char_len(s, i);
    auto c = s.substr(i, len);
    if ((len == 1 && specials.find(c[0]) != std::string::npos) || is_whitespace_char(c))
      return {"", "unescaped '" + std::string{c} + "' at byte " + std::to_string(i)};
    out.append(c);
    i += len;
  }
  return {out, ""};
}

// Walks a phrase: quotes at both ends; inside, a backslash escapes the next byte and a
// bare '"' would end the phrase early.
std::pair<std::string, std::string> parse_phrase(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"')
    return {"", "not quoted"};
  std::string out;
  auto inner = s.substr(1, s.size() - 2);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '"')
      return {"", "bare quote at " + std::to_string(i)};
    if (inner[i] == '\\') {
      if (i + 1 >= inner.size())
        return {"", "dangling backslash"};
      ++i;
    }
    out += inner[i];
  }
  return {out, ""};
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string{s.substr(i + 1, 2)}, nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query_string(std::string_view qs) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i <= qs.size()) {
    auto amp = qs.find('&', i);
    if (amp == std::string_view::npos)
      amp = qs.size();
    auto kv = qs.substr(i, amp - i);
    auto eq = kv.find('=');
    EXPECT_NE(eq, std::string_view::npos) << kv;
    if (eq != std::string_view::npos)
      out.emplace_back(std::string{kv.substr(0, eq)}, percent_decode(kv.substr(eq + 1)));
    i = amp + 1;
  }
  return out;
}

std::vector<std::string> nasty_terms() {
  std::vector<std::string> out;
  for (char c : specials)
    out.emplace_back(1, c);
  for (std::string t : {"a&&b||c", "NOT x", "(a OR b)", "f:v", "*:*", "10.1000/182",
                        "doi:10.5063/F1Z899CZ", "a\\", "\\\\", "\"", "a b\tc\nd", "{!lucene}x",
                        "x~2", "x^10", "[* TO *]", "a;b", "tab\there", "ideo\xE3\x80\x80space",
                        "nbsp\xC2\xA0stays", "é/ü", "stray\xE3^byte", "\xE2\x80\xA8", "trailing\\"})
    out.push_back(t);
  for (auto& [id, _] : load_tricky_ids())
    out.push_back(id);
  return out;
}

// --- query-parser escaping ---------------------------------------------------------------

TEST(solr_query, escapes_every_special_character) {
  for (char c : specials)
    EXPECT_EQ(solr_escape_term(std::string(1, c)), (std::string{'\\', c})) << c;
  EXPECT_EQ(solr_escape_term(";"), "\\;");
  EXPECT_EQ(solr_escape_term(" "), "\\ ");
  EXPECT_EQ(solr_escape_term("\t"), "\\\t");
  EXPECT_EQ(solr_escape_term("\n"), "\\\n");
  EXPECT_EQ(solr_escape_term("\xE3\x80\x80"), "\\\xE3\x80\x80");  // U+3000
  EXPECT_EQ(solr_escape_term("\xC2\xA0"), "\xC2\xA0");  // no-break space: not a separator
  EXPECT_EQ(solr_escape_term("abcXYZ019.,_é"), "abcXYZ019.,_é");
  EXPECT_EQ(solr_escape_term("a&&b||c"), "a\\&\\&b\\|\\|c");
  EXPECT_EQ(solr_escape_term("10.1000/182"), "10.1000\\/182");
  EXPECT_EQ(solr_escape_term("doi:10.5063/F1Z899CZ"), "doi\\:10.5063\\/F1Z899CZ");
  EXPECT_EQ(solr_escape_term("a b"), "a\\ b");
  EXPECT_EQ(solr_escape_term(""), "");
}

TEST(solr_query, escaped_terms_have_no_bare_special_character) {
  for (auto& t : nasty_terms()) {
    auto esc = solr_escape_term(t);
    auto [back, error] = parse_escaped_term(esc);
    EXPECT_EQ(error, "") << "term '" << t << "' escaped as '" << esc << "'";
    EXPECT_EQ(back, t);
  }
}

TEST(solr_query, random_terms_escape_safely) {
  std::mt19937 rng{11};
  // Whole characters: the index holds valid UTF-8 only.
  std::vector<std::string> pool = {";", " ", "\t", "a", "Z", "0", ".", "\xE3\x80\x80", "é"};
  for (char c : specials)
    pool.emplace_back(1, c);
  for (int n = 0; n < 3000; ++n) {
    std::string t;
    for (auto k = rng() % 16; k > 0; --k)
      t += pool[rng() % pool.size()];
    auto esc = solr_escape_term(t);
    auto [back, error] = parse_escaped_term(esc);
    ASSERT_EQ(error, "") << esc;
    ASSERT_EQ(back, t);
  }
}

TEST(solr_query, phrases) {
  EXPECT_EQ(solr_phrase("abc"), "\"abc\"");
  EXPECT_EQ(solr_phrase(""), "\"\"");
  EXPECT_EQ(solr_phrase("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(solr_phrase("a b:c*?"), "\"a b:c*?\"");
  EXPECT_EQ(solr_field_query("id", "10.1000/182"), "id:\"10.1000/182\"");
  EXPECT_EQ(solr_field_query("formatId", "eml://ecoinformatics.org/eml-2.1.1"),
            "formatId:\"eml://ecoinformatics.org/eml-2.1.1\"");
  EXPECT_EQ(solr_field_query("id", "tomcatBlocked-\\"), "id:\"tomcatBlocked-\\\\\"");
  for (auto& t : nasty_terms()) {
    auto p = solr_phrase(t);
    auto [back, error] = parse_phrase(p);
    EXPECT_EQ(error, "") << "'" << t << "' as '" << p << "'";
    EXPECT_EQ(back, t);
  }
}

// --- URL encoding ------------------------------------------------------------------------

TEST(solr_query, url_encode_component) {
  EXPECT_EQ(url_encode_component("a b+c&d#e=f"), "a%20b%2Bc%26d%23e%3Df");
  EXPECT_EQ(url_encode_component("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode_component("é"), "%C3%A9");
  EXPECT_EQ(url_encode_component("*:*"), "%2A%3A%2A");
  EXPECT_EQ(url_encode_component("/?%"), "%2F%3F%25");
  EXPECT_EQ(url_encode_component(std::string{"\0", 1}), "%00");
  EXPECT_EQ(url_encode_component(""), "");
  for (int b = 0; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    auto enc = url_encode_component(one);
    bool unreserved = isalnum(b) || b == '-' || b == '.' || b == '_' || b == '~';
    if (unreserved) {
      EXPECT_EQ(enc, one);
    } else {
      ASSERT_EQ(enc.size(), 3u);
      EXPECT_EQ(enc[0], '%');
      EXPECT_EQ(enc, "%" + std::string{"0123456789ABCDEF"[b >> 4]} + "0123456789ABCDEF"[b & 15]);
      EXPECT_EQ(percent_decode(enc), one);
    }
  }
}

TEST(solr_query, url_encode_path_segment_matches_dataone) {
  auto ids = load_tricky_ids();
  EXPECT_EQ(ids.size(), 39u);
  for (auto& [id, path_escaped] : ids) {
    EXPECT_EQ(url_encode_path_segment(id), path_escaped) << id;
    EXPECT_EQ(percent_decode(url_encode_path_segment(id)), id);
  }
  EXPECT_EQ(url_encode_path_segment("/"), "%2F");
  EXPECT_EQ(url_encode_path_segment("?"), "%3F");
  EXPECT_EQ(url_encode_path_segment("#"), "%23");
  EXPECT_EQ(url_encode_path_segment("%"), "%25");
  EXPECT_EQ(url_encode_path_segment(" "), "%20");
  EXPECT_EQ(url_encode_path_segment("+"), "%2B");
  // Dot segments would be resolved as path steps by HTTP clients and servers.
  EXPECT_EQ(url_encode_path_segment("."), "%2E");
  EXPECT_EQ(url_encode_path_segment(".."), "%2E%2E");
  EXPECT_EQ(url_encode_path_segment("..."), "...");
  EXPECT_EQ(url_encode_path_segment("a.b"), "a.b");
  EXPECT_EQ(percent_decode(url_encode_path_segment("..")), "..");
  EXPECT_EQ(url_encode_path_segment("doi:10.5063/F1Z899CZ"), "doi:10.5063%2FF1Z899CZ");
}

// --- query strings -----------------------------------------------------------------------

TEST(solr_query, default_query) {
  solr_query q;
  EXPECT_EQ(to_query_string(q), "q=%2A%3A%2A&rows=0&start=0&wt=json");
}

TEST(solr_query, search_page) {
  solr_query q;
  q.q = solr_field_query("formatId", "text/csv");
  q.fq = {"-obsoletedBy:*", "", "readPermission:public"};
  q.fl = {"id", "formatId", "", "size"};
  q.rows = 100;
  q.start = 200;
  q.sort = "dateUploaded desc";
  EXPECT_EQ(to_query_string(q),
            "q=formatId%3A%22text%2Fcsv%22&fq=-obsoletedBy%3A%2A&fq=readPermission%3Apublic"
            "&fl=id%2CformatId%2Csize&rows=100&start=200&sort=dateUploaded%20desc&wt=json");
}

TEST(solr_query, cursor_walk_omits_start) {
  solr_query q;
  q.fl = {"id"};
  q.rows = 1000;
  q.start = 5;
  q.sort = "id asc";
  q.cursor_mark = "*";
  EXPECT_EQ(to_query_string(q),
            "q=%2A%3A%2A&fl=id&rows=1000&sort=id%20asc&cursorMark=%2A&wt=json");
  q.cursor_mark = "AoE/ZG9pOjEwLjUwNjMvRjFaODk5Q1o=";
  EXPECT_EQ(to_query_string(q), "q=%2A%3A%2A&fl=id&rows=1000&sort=id%20asc"
                                "&cursorMark=AoE%2FZG9pOjEwLjUwNjMvRjFaODk5Q1o%3D&wt=json");
}

TEST(solr_query, facets) {
  solr_query q;
  q.fq = {solr_field_query("formatType", "DATA")};
  q.facet_fields = {"formatId", "author"};
  q.facet_limit = 50;
  q.facet_mincount = 1;
  q.facet_sort = "count";
  q.facet_offset = 10;
  EXPECT_EQ(to_query_string(q),
            "q=%2A%3A%2A&fq=formatType%3A%22DATA%22&rows=0&start=0&facet=true"
            "&facet.field=formatId&facet.field=author&facet.limit=50&facet.mincount=1"
            "&facet.sort=count&facet.offset=10&wt=json");
  q.facet_limit = -1;
  q.facet_sort.clear();
  q.facet_offset = 0;
  q.facet_mincount = 2;
  EXPECT_EQ(to_query_string(q), "q=%2A%3A%2A&fq=formatType%3A%22DATA%22&rows=0&start=0"
                                "&facet=true&facet.field=formatId&facet.field=author"
                                "&facet.mincount=2&wt=json");
  q.facet_fields = {""};
  EXPECT_EQ(to_query_string(q), "q=%2A%3A%2A&fq=formatType%3A%22DATA%22&rows=0&start=0&wt=json");
}

TEST(solr_query, every_value_decodes_back) {
  solr_query q;
  q.q = "id:" + solr_phrase("http://example.com/data/mydata?row=24") + " AND title:(a b)";
  q.fq = {"&=&=/?", "ฉันกินกระจกได้", "a+b c#d"};
  q.fl = {"id", "title"};
  q.rows = 7;
  q.start = 3;
  q.sort = "dateModified desc,id asc";
  q.facet_fields = {"keywords"};
  q.facet_limit = 0;
  auto qs = to_query_string(q);
  EXPECT_EQ(qs, to_query_string(q));  // deterministic
  EXPECT_EQ(qs.find_first_of(" #+\"/?"), std::string::npos) << qs;
  std::vector<std::pair<std::string, std::string>> expected = {
    {"q", q.q},         {"fq", q.fq[0]},       {"fq", q.fq[1]},
    {"fq", q.fq[2]},    {"fl", "id,title"},    {"rows", "7"},
    {"start", "3"},     {"sort", q.sort},      {"facet", "true"},
    {"facet.field", "keywords"}, {"facet.limit", "0"}, {"facet.mincount", "1"},
    {"wt", "json"}};
  EXPECT_EQ(parse_query_string(qs), expected);
}

TEST(solr_query, select_url) {
  solr_query q;
  q.rows = 10;
  auto expected = "https://cn.dataone.org/cn/v2/query/solr/?q=%2A%3A%2A&rows=10&start=0&wt=json";
  EXPECT_EQ(select_url("https://cn.dataone.org/cn", q), expected);
  EXPECT_EQ(select_url("https://cn.dataone.org/cn/", q), expected);
  EXPECT_EQ(select_url("https://cn.dataone.org/cn//", q), expected);
  EXPECT_EQ(select_url("http://127.0.0.1:8080/cn", q),
            "http://127.0.0.1:8080/cn/v2/query/solr/?q=%2A%3A%2A&rows=10&start=0&wt=json");
}

TEST(solr_query, facet_queries_turn_faceting_on_one_parameter_each) {
  solr_query q;
  q.rows = 0;
  q.facet_queries = {"dateUploaded:[2012-01-01T00:00:00Z TO 2013-01-01T00:00:00Z}",
                     "dateUploaded:[2013-01-01T00:00:00Z TO 2014-01-01T00:00:00Z}"};
  EXPECT_EQ(to_query_string(q),
            "q=%2A%3A%2A&rows=0&start=0&facet=true"
            "&facet.query=dateUploaded%3A%5B2012-01-01T00%3A00%3A00Z%20TO%202013-01-01T00%3A00"
            "%3A00Z%7D"
            "&facet.query=dateUploaded%3A%5B2013-01-01T00%3A00%3A00Z%20TO%202014-01-01T00%3A00"
            "%3A00Z%7D"
            "&facet.mincount=1&wt=json");
}

}  // namespace
}  // namespace d1
