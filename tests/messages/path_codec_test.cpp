// The mount's path grammar: every tricky real identifier round-trips into one readable
// segment, long names shorten stably, facet segments, paths, probe names, error file names.
#include "messages/path_codec.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <random>
#include <set>

namespace d1 {
namespace {

const std::string tricky_path = d1::test::shared_fixtures() + "/cn/tricky_identifiers.json";

struct tricky_id {
  std::string unescaped;
  std::string path_escaped;
  std::string description;
};

std::vector<tricky_id> load_tricky_ids() {
  std::ifstream in{tricky_path};
  EXPECT_TRUE(in.good()) << "cannot open " << tricky_path;
  std::vector<tricky_id> out;
  if (!in.good())
    return out;
  auto doc = nlohmann::json::parse(in, nullptr, false);
  EXPECT_TRUE(doc.is_array()) << tricky_path << " is not a JSON array";
  if (!doc.is_array())
    return out;
  for (auto& e : doc)
    out.push_back({e.at("unescaped").get<std::string>(), e.at("path_escaped").get<std::string>(),
                   e.at("description").get<std::string>()});
  return out;
}

// An independent strict UTF-8 check (RFC 3629), so the tests do not trust the codec's own.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size())
      return false;
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (std::size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

// A string literal with its embedded NULs.
template <std::size_t N>
std::string bytes(const char (&lit)[N]) {
  return std::string(lit, N - 1);
}

bool is_hex_lower(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string thai_bytes(std::size_t n_bytes) {
  const std::string thai = "ฉันกินกระจกได้";  // 14 characters of 3 bytes each
  std::string out;
  while (out.size() < n_bytes)
    out += thai;
  out.resize(n_bytes);  // n_bytes is a multiple of 3 in every use
  return out;
}

void expect_invalid_path(const caf::expected<std::string>& r, std::string_view must_mention) {
  ASSERT_FALSE(r) << "unexpectedly decoded to '" << *r << "'";
  EXPECT_EQ(code_of(r.error()), ec::invalid_path);
  EXPECT_NE(context_of(r.error()).find(must_mention), std::string::npos)
    << "'" << context_of(r.error()) << "' does not mention '" << must_mention << "'";
}

// --- escape / unescape -------------------------------------------------------------------

TEST(path_codec, fixture_has_all_tricky_identifiers) {
  EXPECT_EQ(load_tricky_ids().size(), 39u);
}

TEST(path_codec, every_tricky_identifier_round_trips_as_one_segment) {
  for (auto& id : load_tricky_ids()) {
    SCOPED_TRACE(id.description + ": " + id.unescaped);
    auto seg = escape_segment(id.unescaped);
    EXPECT_FALSE(seg.empty());
    EXPECT_EQ(seg.find('/'), std::string::npos);
    EXPECT_EQ(seg.find('\0'), std::string::npos);
    EXPECT_NE(seg, ".");
    EXPECT_NE(seg, "..");
    EXPECT_NE(seg.front(), '@');
    EXPECT_NE(seg.front(), '#');
    auto back = unescape_segment(seg);
    ASSERT_TRUE(back) << describe(back.error());
    EXPECT_EQ(*back, id.unescaped);
    EXPECT_EQ(escape_segment(*back), seg);
    // All of them are short: the listing name is the segment itself.
    EXPECT_LE(seg.size(), name_max);
    EXPECT_EQ(shorten_segment(seg), seg);
    EXPECT_FALSE(is_shortened(seg));
    EXPECT_FALSE(is_os_probe_name(seg));
    // The path of the object folder splits back into exactly its two segments.
    auto path = join_path({"FlatSpace", seg});
    EXPECT_EQ(split_path(path), (std::vector<std::string>{"FlatSpace", seg}));
  }
}

TEST(path_codec, tricky_identifiers_stay_readable) {
  // Only '%' and '/' (and leading @/#, ./..) are escaped: unicode and quotes stay as typed.
  EXPECT_EQ(escape_segment("ฉันกินกระจกได้"), "ฉันกินกระจกได้");
  EXPECT_EQ(escape_segment("\"#<>[]^`{}|"), "\"#<>[]^`{}|");
  EXPECT_EQ(escape_segment("10.1000/182"), "10.1000%2F182");
  EXPECT_EQ(escape_segment("http://example.com/data/mydata?row=24"),
            "http:%2F%2Fexample.com%2Fdata%2Fmydata?row=24");
  EXPECT_EQ(escape_segment("%2F%2Fcase"), "%252F%252Fcase");
  EXPECT_EQ(escape_segment("//"), "%2F%2F");
  EXPECT_EQ(escape_segment("tomcatBlocked-\\"), "tomcatBlocked-\\");
  EXPECT_EQ(escape_segment("urn:lsid:ubio.org:namebank:11815"), "urn:lsid:ubio.org:namebank:11815");
}

TEST(path_codec, escape_specific_cases) {
  EXPECT_EQ(escape_segment("@x"), "%40x");
  EXPECT_EQ(escape_segment("#x"), "%23x");
  EXPECT_EQ(escape_segment("a@b"), "a@b");
  EXPECT_EQ(escape_segment("a#b"), "a#b");
  EXPECT_EQ(escape_segment("@@"), "%40@");
  EXPECT_EQ(escape_segment("##"), "%23#");
  EXPECT_EQ(escape_segment("@"), "%40");
  EXPECT_EQ(escape_segment("%"), "%25");
  EXPECT_EQ(escape_segment("%25"), "%2525");
  EXPECT_EQ(escape_segment("."), "%2E");
  EXPECT_EQ(escape_segment(".."), "%2E%2E");
  EXPECT_EQ(escape_segment("..."), "...");
  EXPECT_EQ(escape_segment(".a"), ".a");
  EXPECT_EQ(escape_segment("a."), "a.");
  EXPECT_EQ(escape_segment("/"), "%2F");
  EXPECT_EQ(escape_segment("/."), "%2F.");
  EXPECT_EQ(escape_segment("./"), ".%2F");
  EXPECT_EQ(escape_segment(std::string{"a\0b", 3}), "a%00b");
  EXPECT_EQ(escape_segment(" spaced ? ; 'q' \"qq\" ~ + & = "), " spaced ? ; 'q' \"qq\" ~ + & = ");
  EXPECT_EQ(escape_segment("é"), "é");
  // Identifiers that look like OS probes stay reachable: the listed name is not a probe.
  EXPECT_EQ(escape_segment("._~"), "%2E_~");
  EXPECT_EQ(escape_segment(".DS_Store"), "%2EDS_Store");
  EXPECT_EQ(escape_segment("Thumbs.db"), "%54humbs.db");
  EXPECT_EQ(escape_segment(".Trash-1000"), "%2ETrash-1000");
  EXPECT_EQ(escape_segment(".git"), "%2Egit");
  EXPECT_EQ(escape_segment(".gitignore"), ".gitignore");
  // The empty identifier has no segment.
  EXPECT_EQ(escape_segment(""), "");
}

TEST(path_codec, unescape_specific_cases) {
  auto ok = [](std::string_view seg) {
    auto r = unescape_segment(seg);
    EXPECT_TRUE(r) << seg << ": " << describe(r.error());
    return r ? *r : std::string{"<error>"};
  };
  EXPECT_EQ(ok("%40x"), "@x");
  EXPECT_EQ(ok("%23x"), "#x");
  EXPECT_EQ(ok("a@b"), "a@b");
  EXPECT_EQ(ok("%25"), "%");
  EXPECT_EQ(ok("%2525"), "%25");
  EXPECT_EQ(ok("%2E"), ".");
  EXPECT_EQ(ok("%2E%2E"), "..");
  EXPECT_EQ(ok("..."), "...");
  EXPECT_EQ(ok("%2F"), "/");
  EXPECT_EQ(ok("a%00b"), (std::string{"a\0b", 3}));
  // Any %XX decodes, in either case: what a user types works even if not canonical.
  EXPECT_EQ(ok("%41"), "A");
  EXPECT_EQ(ok("%2f"), "/");
  EXPECT_EQ(ok("%2e%2e"), "..");
  EXPECT_EQ(ok("%c3%a9"), "é");
  EXPECT_EQ(ok("%2E_~"), "._~");
  EXPECT_EQ(ok("%54humbs.db"), "Thumbs.db");
  EXPECT_EQ(ok("@x"), "@x");  // raw leading @ is not canonical but decodes
  EXPECT_EQ(escape_segment(ok("%41")), "A");  // ...and has one canonical form
  EXPECT_EQ(escape_segment(ok("%2f")), "%2F");
}

TEST(path_codec, malformed_segments_are_invalid_paths) {
  expect_invalid_path(unescape_segment("%"), "'%'");
  expect_invalid_path(unescape_segment("%"), "two hex digits");
  expect_invalid_path(unescape_segment("%4"), "'%4'");
  expect_invalid_path(unescape_segment("%zz"), "'%zz'");
  expect_invalid_path(unescape_segment("abc%"), "abc%");
  expect_invalid_path(unescape_segment("abc%"), "byte 3");
  expect_invalid_path(unescape_segment("a%g1"), "'%g1'");
  expect_invalid_path(unescape_segment("%%41"), "'%%4'");
  expect_invalid_path(unescape_segment("100%"), "100%");
  expect_invalid_path(unescape_segment("ok%2Fthen%x"), "ok%2Fthen%x");
  expect_invalid_path(unescape_segment(""), "empty");
  expect_invalid_path(unescape_segment("."), "'.'");
  expect_invalid_path(unescape_segment(".."), "'..'");
  expect_invalid_path(unescape_segment("a/b"), "'/'");
  expect_invalid_path(unescape_segment(std::string{"a\0b", 3}), "NUL");
}

TEST(path_codec, every_single_byte_and_pair_round_trips) {
  std::vector<std::string> inputs;
  for (int b = 0; b < 256; ++b)
    inputs.emplace_back(1, static_cast<char>(b));
  const std::string pool = bytes("%/@#.~aZ2F\0\xC3\xA9 ");
  for (char x : pool)
    for (char y : pool)
      for (char z : pool)
        inputs.push_back(std::string{x} + y + z);
  for (auto& x : inputs) {
    auto seg = escape_segment(x);
    ASSERT_FALSE(seg.empty());
    EXPECT_EQ(seg.find('/'), std::string::npos);
    EXPECT_EQ(seg.find('\0'), std::string::npos);
    EXPECT_TRUE(seg != "." && seg != "..");
    EXPECT_TRUE(seg.front() != '@' && seg.front() != '#') << seg;
    EXPECT_FALSE(is_os_probe_name(seg)) << seg;
    auto back = unescape_segment(seg);
    ASSERT_TRUE(back) << describe(back.error());
    EXPECT_EQ(*back, x);
    EXPECT_EQ(escape_segment(*back), seg);
  }
}

TEST(path_codec, random_identifiers_round_trip) {
  std::mt19937 rng{42};
  const std::string pool = bytes("%/@#.~aZ09:?;&=+ \"'\\\0\xE0\xB8\x89");
  std::set<std::string> segments;
  std::set<std::string> ids;
  for (int n = 0; n < 3000; ++n) {
    std::string x(1 + rng() % 12, ' ');
    for (auto& c : x)
      c = pool[rng() % pool.size()];
    auto seg = escape_segment(x);
    auto back = unescape_segment(seg);
    ASSERT_TRUE(back) << describe(back.error());
    ASSERT_EQ(*back, x);
    ASSERT_EQ(escape_segment(*back), seg);
    ids.insert(x);
    segments.insert(seg);
  }
  EXPECT_EQ(segments.size(), ids.size());  // escaping is injective
}

// --- long names --------------------------------------------------------------------------

TEST(path_codec, long_ascii_name_shortens_stably) {
  std::string long_seg(300, 'a');
  auto s = shorten_segment(long_seg);
  EXPECT_LE(s.size(), name_max);
  EXPECT_GE(s.size(), name_max - 3);
  EXPECT_TRUE(is_shortened(s));
  EXPECT_EQ(s, shorten_segment(long_seg));  // deterministic
  auto tilde = s.rfind('~');
  ASSERT_NE(tilde, std::string::npos);
  EXPECT_EQ(s.size() - tilde - 1, 16u);
  EXPECT_EQ(s.substr(0, tilde), long_seg.substr(0, tilde));  // a readable prefix
  EXPECT_EQ(tilde, name_max - 17);
  for (char c : s.substr(tilde + 1))
    EXPECT_TRUE(is_hex_lower(c));
  // The hash covers the whole name: a difference after the prefix still gives a new name.
  std::string other = long_seg;
  other.back() = 'b';
  EXPECT_NE(shorten_segment(other), s);
  EXPECT_EQ(shorten_segment(other).substr(0, tilde), s.substr(0, tilde));
}

TEST(path_codec, long_thai_name_is_cut_at_a_character_boundary) {
  auto thai = thai_bytes(300);
  ASSERT_TRUE(valid_utf8(thai));
  auto s = shorten_segment(thai);
  EXPECT_LE(s.size(), name_max);
  EXPECT_TRUE(is_shortened(s));
  EXPECT_TRUE(valid_utf8(s));
  auto prefix = s.substr(0, s.size() - 17);
  EXPECT_EQ(prefix.size() % 3, 0u);
  EXPECT_EQ(thai.compare(0, prefix.size(), prefix), 0);
  EXPECT_EQ(s, shorten_segment(thai));
  EXPECT_NE(s, shorten_segment(thai_bytes(303)));
}

TEST(path_codec, long_four_byte_name_is_cut_at_a_character_boundary) {
  std::string emoji;
  for (int i = 0; i < 75; ++i)
    emoji += "\xF0\x9F\x98\x80";  // U+1F600
  auto s = shorten_segment(emoji);
  EXPECT_LE(s.size(), name_max);
  EXPECT_TRUE(is_shortened(s));
  EXPECT_TRUE(valid_utf8(s));
  EXPECT_EQ((s.size() - 17) % 4, 0u);
}

TEST(path_codec, shortening_never_splits_an_escape) {
  // 238 bytes of prefix budget: place a %2F so the budget ends after '%' or after '%2'.
  for (std::size_t lead : {235u, 236u, 237u, 238u}) {
    SCOPED_TRACE(lead);
    auto seg = std::string(lead, 'a') + "%2F" + std::string(100, 'b');
    auto s = shorten_segment(seg);
    EXPECT_LE(s.size(), name_max);
    EXPECT_TRUE(is_shortened(s));
    auto prefix = s.substr(0, s.size() - 17);
    auto decoded = unescape_segment(prefix);
    ASSERT_TRUE(decoded) << describe(decoded.error());
    EXPECT_EQ(prefix.size(), lead + 3 <= 238 ? lead + 3 : lead);
  }
}

TEST(path_codec, a_name_of_exactly_name_max_is_kept) {
  std::string seg(name_max, 'x');
  EXPECT_EQ(shorten_segment(seg), seg);
  EXPECT_FALSE(is_shortened(seg));
  seg += 'x';
  EXPECT_NE(shorten_segment(seg), seg);
  EXPECT_TRUE(is_shortened(shorten_segment(seg)));
}

TEST(path_codec, shortened_names_are_distinct) {
  std::set<std::string> names;
  for (int i = 0; i < 1000; ++i)
    names.insert(shorten_segment(std::string(280, 'p') + std::to_string(i)));
  EXPECT_EQ(names.size(), 1000u);
}

TEST(path_codec, look_alikes_of_shortened_names) {
  // A short identifier that merely ends in ~ and hex digits is an ordinary name.
  EXPECT_FALSE(is_shortened("abc~0123456789abcdef"));
  EXPECT_EQ(shorten_segment("abc~0123456789abcdef"), "abc~0123456789abcdef");
  // One of shortened length would be ambiguous: it is shortened itself, so is_shortened
  // is exact for every name escape + shorten produce.
  auto look_alike = std::string(236, 'z') + "~0123456789abcdef";
  ASSERT_EQ(look_alike.size(), 253u);
  EXPECT_TRUE(is_shortened(look_alike));
  auto s = shorten_segment(look_alike);
  EXPECT_NE(s, look_alike);
  EXPECT_TRUE(is_shortened(s));
  // Not shortened: wrong hash length, uppercase hex, no marker, too long.
  EXPECT_FALSE(is_shortened(std::string(237, 'z') + "~0123456789ABCDEF"));
  EXPECT_FALSE(is_shortened(std::string(237, 'z') + "-0123456789abcdef"));
  EXPECT_FALSE(is_shortened(std::string(240, 'z') + "~0123456789abcdef"));
  EXPECT_FALSE(is_shortened(std::string(237, 'z') + "~0123456789abcdeg"));
}

TEST(path_codec, long_facet_value_keeps_its_prefix) {
  auto seg = facet_value_segment(std::string(400, 'v'));
  auto s = shorten_segment(seg);
  EXPECT_EQ(s.front(), '#');
  EXPECT_TRUE(is_shortened(s));
}

TEST(path_codec, utf8_floor) {
  const std::string s = "a\xC3\xA9z";  // a é z
  EXPECT_EQ(utf8_floor(s, 0), 0u);
  EXPECT_EQ(utf8_floor(s, 1), 1u);
  EXPECT_EQ(utf8_floor(s, 2), 1u);
  EXPECT_EQ(utf8_floor(s, 3), 3u);
  EXPECT_EQ(utf8_floor(s, 99), s.size());
  const std::string stray = "\x80\x80\x80\x80x";
  EXPECT_EQ(utf8_floor(stray, 2), 2u);
  const std::string after_complete = "\xC3\xA9\x80z";  // é then a stray continuation byte
  EXPECT_EQ(utf8_floor(after_complete, 2), 2u);
}

// --- facet segments ----------------------------------------------------------------------

TEST(path_codec, facet_fields) {
  EXPECT_EQ(facet_field_segment("formatId"), "@formatId");
  EXPECT_EQ(facet_field_of("@formatId"), std::optional<std::string>{"formatId"});
  EXPECT_EQ(facet_field_of("@"), std::optional<std::string>{""});
  EXPECT_EQ(facet_field_of("formatId"), std::nullopt);
  EXPECT_EQ(facet_field_of("#formatId"), std::nullopt);
  EXPECT_EQ(facet_field_of("%40formatId"), std::nullopt);  // an escaped @ is a PID
  EXPECT_EQ(facet_field_of(""), std::nullopt);
  EXPECT_EQ(facet_field_of("@a%2Fb"), std::optional<std::string>{"a/b"});
  EXPECT_EQ(facet_field_of("@bad%zz"), std::optional<std::string>{"bad%zz"});
  for (std::string f : {"formatId", "author", "keywords", "a/b", "@x", "."})
    EXPECT_EQ(facet_field_of(facet_field_segment(f)), std::optional<std::string>{f});
}

TEST(path_codec, facet_values) {
  EXPECT_EQ(facet_value_segment("text/csv"), "#text%2Fcsv");
  EXPECT_EQ(facet_value_segment("@x"), "#%40x");
  EXPECT_EQ(facet_value_segment("#x"), "#%23x");
  EXPECT_EQ(facet_value_segment(""), "#");
  EXPECT_EQ(facet_value_segment("."), "#%2E");
  auto v = facet_value_of("#text%2Fcsv");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "text/csv");
  auto empty = facet_value_of("#");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
  expect_invalid_path(facet_value_of("text"), "'text'");
  expect_invalid_path(facet_value_of(""), "facet value");
  expect_invalid_path(facet_value_of("@formatId"), "facet value");
  expect_invalid_path(facet_value_of("#%zz"), "'%zz'");
  for (auto& id : load_tricky_ids()) {
    auto seg = facet_value_segment(id.unescaped);
    EXPECT_EQ(seg.front(), '#');
    EXPECT_EQ(seg.find('/'), std::string::npos);
    auto back = facet_value_of(seg);
    ASSERT_TRUE(back) << describe(back.error());
    EXPECT_EQ(*back, id.unescaped);
    EXPECT_EQ(facet_field_of(seg), std::nullopt);
  }
}

// --- paths -------------------------------------------------------------------------------

TEST(path_codec, split_and_join) {
  using v = std::vector<std::string>;
  EXPECT_EQ(split_path("/a/b"), (v{"a", "b"}));
  EXPECT_EQ(split_path("/"), v{});
  EXPECT_EQ(split_path(""), v{});
  EXPECT_EQ(split_path("//a//b/"), (v{"a", "b"}));
  EXPECT_EQ(split_path("a/b"), (v{"a", "b"}));
  EXPECT_EQ(split_path("/a/./.."), (v{"a", ".", ".."}));
  EXPECT_EQ(split_path("/FacetedSearch/@formatId/#text%2Fcsv/doi:10.5063%2FF1"),
            (v{"FacetedSearch", "@formatId", "#text%2Fcsv", "doi:10.5063%2FF1"}));
  EXPECT_EQ(join_path({}), "/");
  EXPECT_EQ(join_path({"a", "b"}), "/a/b");
  EXPECT_EQ(join_path({"a"}), "/a");
  for (std::string p : {"/", "/a", "/a/b", "/FacetedSearch/@formatId/#text%2Fcsv"})
    EXPECT_EQ(join_path(split_path(p)), p);
}

TEST(path_codec, child_path) {
  EXPECT_EQ(child_path("/", "x"), "/x");
  EXPECT_EQ(child_path("/a", "x"), "/a/x");
  EXPECT_EQ(child_path("/a/", "x"), "/a/x");
  EXPECT_EQ(child_path("", "x"), "/x");
  EXPECT_EQ(child_path("/a/b", escape_segment("10.1000/182")), "/a/b/10.1000%2F182");
}

// --- OS probe names ----------------------------------------------------------------------

TEST(path_codec, os_probe_names_are_recognised) {
  for (std::string n :
       {".DS_Store", "._foo", "._", "._.DS_Store", ".Trash", ".Trash-1000", ".Trashes",
        ".localized", ".hidden", ".xdg-volume-info", ".directory", ".git", ".svn", ".hg",
        ".bzr", "desktop.ini", "Desktop.ini", "autorun.inf", "Thumbs.db",
        ".metadata_never_index", ".ql_disablethumbnails", ".Spotlight-V100", ".fseventsd",
        ".VolumeIcon.icns", ".comments", ".thumbnails", ".nomedia", "folder.jpg",
        "Folder.jpg", ".envrc", ".autorun", "Icon\r", "$RECYCLE.BIN"})
    EXPECT_TRUE(is_os_probe_name(n)) << n;
}

TEST(path_codec, ordinary_names_are_not_probes) {
  for (std::string n :
       {"", "DS_Store", "x.DS_Store", ".DS_Store2", "Trash", ".Trashcan", ".trash",
        "desktop.ini.bak", "DESKTOP.ini", "thumbs.db", "Thumbs.db.txt", "autorun.inf.txt",
        "git", ".gitignore", "_foo", "Icon", "folder.png", "system.xml",
        "search_fields.txt", "resource_map.xml", "@formatId", "#text%2Fcsv",
        "doi:10.5063%2FF1Z899CZ", "FacetedSearch", "Status", "%2E", "%2E%2E"})
    EXPECT_FALSE(is_os_probe_name(n)) << n;
  // Of the real identifiers only "._~" has the AppleDouble shape; its segment does not.
  for (auto& id : load_tricky_ids()) {
    EXPECT_EQ(is_os_probe_name(id.unescaped), id.unescaped == "._~") << id.unescaped;
    EXPECT_FALSE(is_os_probe_name(escape_segment(id.unescaped))) << id.unescaped;
  }
}

TEST(path_codec, no_probe_name_identifier_is_lost) {
  for (std::string pid : {".DS_Store", "._x", "._", ".Trash", ".Trash-0", "desktop.ini",
                          "Icon\r", "$RECYCLE.BIN", "System Volume Information", ".envrc"}) {
    auto seg = escape_segment(pid);
    EXPECT_FALSE(is_os_probe_name(seg)) << seg;
    auto back = unescape_segment(seg);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, pid);
  }
}

// --- error file names --------------------------------------------------------------------

void expect_safe_name(const std::string& n) {
  EXPECT_FALSE(n.empty());
  EXPECT_LE(n.size(), name_max);
  EXPECT_TRUE(n != "." && n != "..");
  EXPECT_NE(n.front(), '.');
  EXPECT_NE(n.front(), '-');
  EXPECT_NE(n.front(), ' ');
  EXPECT_NE(n.back(), ' ');
  EXPECT_EQ(n.find('/'), std::string::npos);
  EXPECT_EQ(n.find("  "), std::string::npos);
  for (char c : n)
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F) << int(c);
  EXPECT_TRUE(valid_utf8(n)) << n;
  EXPECT_FALSE(is_os_probe_name(n));
}

TEST(path_codec, error_file_name_cases) {
  EXPECT_EQ(error_file_name("No object 'a/b'"), "No object 'a\xE2\x88\x95" "b'");
  EXPECT_EQ(error_file_name("/"), "\xE2\x88\x95");
  EXPECT_EQ(error_file_name("line1\nline2\ttab\r\n"), "line1 line2 tab");
  EXPECT_EQ(error_file_name("  lead  and   trail  "), "lead and trail");
  EXPECT_EQ(error_file_name(std::string{"a\0b", 3}), "a b");
  EXPECT_EQ(error_file_name("a\x7f" "b\x01" "c"), "a b c");
  EXPECT_EQ(error_file_name("\xC2\x85" "next line"), "next line");  // U+0085, a C1 control
  EXPECT_EQ(error_file_name("bad \xFF byte"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(error_file_name("é ok ฉัน"), "é ok ฉัน");
  EXPECT_EQ(error_file_name(""), "error");
  EXPECT_EQ(error_file_name("   "), "error");
  EXPECT_EQ(error_file_name(std::string{"\n\t\0", 3}), "error");
  EXPECT_EQ(error_file_name("."), "error .");
  EXPECT_EQ(error_file_name(".."), "error ..");
  EXPECT_EQ(error_file_name(" .. "), "error ..");
  EXPECT_EQ(error_file_name(".hidden thing"), "error .hidden thing");
  EXPECT_EQ(error_file_name("-rf"), "error -rf");
  EXPECT_EQ(error_file_name("desktop.ini"), "error desktop.ini");
  for (std::string t : {"", ".", "..", "/", "-", "\n", " . ", "Thumbs.db", "a/b/c"})
    expect_safe_name(error_file_name(t));
}

TEST(path_codec, error_file_name_length) {
  std::string exact(name_max, 'e');
  EXPECT_EQ(error_file_name(exact), exact);
  auto cut = error_file_name(std::string(300, 'e'));
  expect_safe_name(cut);
  EXPECT_EQ(cut.size(), name_max);
  EXPECT_EQ(cut.substr(cut.size() - 3), "\xE2\x80\xA6");
  auto thai = error_file_name(thai_bytes(900));
  expect_safe_name(thai);
  EXPECT_EQ(thai.substr(thai.size() - 3), "\xE2\x80\xA6");
  EXPECT_EQ((thai.size() - 3) % 3, 0u);
  // Growth from '/' (3 bytes each) is counted before the cut.
  auto slashes = error_file_name(std::string(200, '/'));
  expect_safe_name(slashes);
  EXPECT_EQ(slashes.substr(slashes.size() - 3), "\xE2\x80\xA6");
  // A cut landing after a space does not leave it before the ellipsis.
  auto spaced = error_file_name(std::string(251, 'e') + " " + std::string(50, 'f'));
  expect_safe_name(spaced);
  EXPECT_EQ(spaced, std::string(251, 'e') + "\xE2\x80\xA6");
}

TEST(path_codec, error_file_name_of_random_bytes_is_always_safe) {
  std::mt19937 rng{7};
  for (int n = 0; n < 2000; ++n) {
    std::string t(rng() % 400, ' ');
    for (auto& c : t)
      c = static_cast<char>(rng() % 4 == 0 ? "./- \n\0"[rng() % 6] : rng() % 256);
    expect_safe_name(error_file_name(t));
  }
}

}  // namespace
}  // namespace d1
