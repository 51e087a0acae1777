// Fuzz target: the path grammar (messages/path_codec.hpp), fed whatever a user may type
// as a path under the mount. Checks the documented round trips and bounds.
#include "messages/path_codec.hpp"
#include "tests/fuzz/fuzz_target.hpp"

namespace {

using d1::fuzz::check;

bool valid_utf8_or_replaced(std::string_view name) {
  // error_file_name replaces invalid sequences: re-running it must change nothing.
  return d1::error_file_name(name) == name;
}

}  // namespace

D1_FUZZ_TARGET(path_codec) {
  // As a segment typed under the mount.
  if (auto pid = d1::unescape_segment(input)) {
    auto canonical = d1::escape_segment(*pid);
    auto again = d1::unescape_segment(canonical);
    check(again && *again == *pid, "unescape(escape(unescape(s))) != unescape(s)");
  }
  // As an identifier sent by a node.
  if (!input.empty()) {
    auto seg = d1::escape_segment(input);
    check(seg.find('/') == std::string::npos && seg.find('\0') == std::string::npos,
          "escape_segment left a '/' or NUL");
    check(seg != "." && seg != "..", "escape_segment gave a dot name");
    check(!d1::is_os_probe_name(seg), "escape_segment gave a name the mount swallows");
    auto back = d1::unescape_segment(seg);
    check(back && *back == input, "unescape(escape(pid)) != pid");
    auto listed = d1::shorten_segment(seg);
    check(listed.size() <= d1::name_max, "shorten_segment exceeds NAME_MAX");
    if (seg.size() <= d1::name_max && !d1::is_shortened(seg))
      check(listed == seg, "shorten_segment changed a name that fits");
    else
      check(d1::is_shortened(listed) && listed.size() >= d1::name_max - 3,
            "shorten_segment gave a name that is not recognisably shortened");
    auto value = d1::facet_value_of(d1::facet_value_segment(input));
    check(value && *value == input, "facet_value_of(facet_value_segment(v)) != v");
  }
  static_cast<void>(d1::facet_field_of(input));
  static_cast<void>(d1::facet_value_of(input));
  // As a whole path.
  auto segments = d1::split_path(input);
  for (auto& s : segments)
    check(!s.empty() && s.find('/') == std::string::npos, "split_path gave a bad segment");
  check(d1::split_path(d1::join_path(segments)) == segments, "split(join(split(p))) changed");
  // As the title of an error.
  auto name = d1::error_file_name(input);
  check(!name.empty() && name.size() <= d1::name_max, "error_file_name length");
  check(name.find('/') == std::string::npos && name.find('\0') == std::string::npos,
        "error_file_name left a '/' or NUL");
  check(name.front() != '.' && name.front() != '-' && !d1::is_os_probe_name(name),
        "error_file_name gave a hidden, option-like or probed name");
  check(valid_utf8_or_replaced(name), "error_file_name is not idempotent");
  for (size_t n : {size_t{0}, input.size() / 2, input.size(), input.size() + 1}) {
    auto floor = d1::utf8_floor(input, n);
    check(floor <= std::min(n, input.size()), "utf8_floor beyond n");
  }
}

// Every identifier of the tricky-identifier fixture, raw and path-escaped, plus names the
// mount treats specially.
D1_FUZZ_SEEDS(path_codec) {
  std::vector<std::string> seeds{"doi:10.5063/F1Z899CZ", "%2E%2E", "@formatId", "#text%2Fcsv",
                                 "._~", ".DS_Store", "/FacetedSearch/@formatId/#x/pid",
                                 std::string(300, 'x') + "%2F" + std::string(40, 'y'),
                                 "\xF0\x9F\x98\x80%ZZ\xC3"};
  auto dir = d1::fuzz::fixtures_dir();
  if (dir.empty())
    return seeds;
  auto json = d1::fuzz::read_file(dir + "/cn/tricky_identifiers.json");
  for (const char* key : {"\"unescaped\": \"", "\"path_escaped\": \""}) {
    // The values are JSON strings: take them between the quotes, undoing \" and \uXXXX
    // only as far as a seed needs (any bytes are fine as a seed).
    for (auto at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
      auto begin = at + std::string_view{key}.size();
      auto end = begin;
      while (end < json.size() && !(json[end] == '"' && json[end - 1] != '\\'))
        ++end;
      seeds.push_back(json.substr(begin, end - begin));
    }
  }
  return seeds;
}
