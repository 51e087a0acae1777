// The mount's path grammar: segment escaping, long-name shortening, facet segments, path
// splitting, OS probe names and error file names. Pure functions, no I/O.
#include "messages/path_codec.hpp"

#include "messages/error.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>

namespace d1 {

namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";
constexpr char hex_lower[] = "0123456789abcdef";

// A shortened name ends in this marker and hash_digits lowercase hex digits.
constexpr char shortened_marker = '~';
constexpr std::size_t hash_digits = 16;
constexpr std::size_t prefix_budget = name_max - 1 - hash_digits;
// utf8_floor backs off at most 3 bytes, the %XX rule at most 2, never both (see below).
constexpr std::size_t shortened_min = name_max - 3;

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Returns the length of the well-formed UTF-8 sequence at s[i] and stores its code point,
// or 0 if the bytes there are not well-formed UTF-8 (overlong, surrogate, truncated…).
std::size_t decode_utf8(std::string_view s, std::size_t i, uint32_t& cp) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0)
      lo = 0xA0;
    else if (b0 == 0xED)
      hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0)
      lo = 0x90;
    else if (b0 == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size())
    return 0;
  for (std::size_t k = 1; k < len; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : !is_continuation(b))
      return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  return len;
}

std::string sha256_hex_prefix(std::string_view data, std::size_t digits) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  // EVP_Digest cannot fail for SHA-256 short of memory exhaustion; an all-zero hash then
  // still yields a well-formed (if less distinct) name.
  EVP_Digest(data.data(), data.size(), md.data(), &md_len, EVP_sha256(), nullptr);
  std::string out;
  for (std::size_t i = 0; out.size() < digits && i < md.size(); ++i) {
    out += hex_lower[md[i] >> 4];
    out += hex_lower[md[i] & 0x0F];
  }
  out.resize(digits);
  return out;
}

// Names probed by operating systems, desktops and tools, never by a person looking for a
// DataONE object. DataONE identifiers never begin with '.' in practice, so dot-names are
// safe to swallow; the few names without a dot are listed exactly, each one a name no
// real identifier plausibly has.
struct probe_name {
  std::string_view name;
  bool is_prefix;  // matches every name that begins with `name`
};

constexpr probe_name probe_names[] = {
  // macOS Finder, Spotlight, Quick Look, Time Machine and the volume layer.
  {".DS_Store", false},
  {"._", true},  // AppleDouble resource forks: "._<name>"
  {".Trashes", false},
  {".localized", false},
  {".Spotlight-V100", false},
  {".fseventsd", false},
  {".metadata_never_index", false},
  {".metadata_never_index_unless_rootfs", false},
  {".metadata_direct_scope_only", false},
  {".ql_disablethumbnails", false},
  {".ql_disablecache", false},
  {".VolumeIcon.icns", false},
  {".TemporaryItems", false},
  {".DocumentRevisions-V100", false},
  {".apdisk", false},
  {".hotfiles.btree", false},
  {".com.apple.timemachine.donotpresent", false},
  {"Icon\r", false},  // custom folder icon; the carriage return is part of the name
  // freedesktop.org trash, volume info and autostart; GNOME, KDE and thumbnailers.
  {".Trash", false},
  {".Trash-", true},  // ".Trash-<uid>"
  {".hidden", false},
  {".xdg-volume-info", false},
  {".autorun", false},
  {".directory", false},  // KDE Dolphin folder settings
  {".comments", false},   // Nautilus / GNOME notes
  {".thumbnails", false},
  {".sh_thumbnails", false},
  // Android media scanner.
  {".nomedia", false},
  // Windows Explorer and media players (over Samba or a shared mount).
  {"desktop.ini", false},
  {"Desktop.ini", false},
  {"DESKTOP.INI", false},
  {"autorun.inf", false},
  {"Autorun.inf", false},
  {"AUTORUN.INF", false},
  {"Thumbs.db", false},
  {"ehthumbs.db", false},
  {"folder.jpg", false},
  {"Folder.jpg", false},
  {"AlbumArtSmall.jpg", false},
  {"$RECYCLE.BIN", false},
  {"System Volume Information", false},
  // Version control probes from shell prompts and editors walking up from the cwd.
  {".git", false},
  {".svn", false},
  {".hg", false},
  {".bzr", false},
  {".jj", false},
  {".pijul", false},
  {".fslckout", false},
  // Per-directory environment and tool-version files that shells and editors look for.
  {".envrc", false},
  {".env", false},
  {".editorconfig", false},
  {".tool-versions", false},
  {".python-version", false},
  {".node-version", false},
  {".nvmrc", false},
  {".ruby-version", false},
};

}  // namespace

std::size_t utf8_floor(std::string_view s, std::size_t n) {
  if (n >= s.size())
    return s.size();
  if (!is_continuation(static_cast<unsigned char>(s[n])))
    return n;
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    auto p = n - back;
    if (is_continuation(static_cast<unsigned char>(s[p])))
      continue;
    uint32_t cp = 0;
    auto len = decode_utf8(s, p, cp);
    // Cut before a well-formed character that straddles n; stray bytes count singly.
    return len != 0 && p + len > n ? p : n;
  }
  return n;
}

std::string escape_segment(std::string_view pid) {
  if (pid == ".")
    return "%2E";
  if (pid == "..")
    return "%2E%2E";
  std::string out;
  out.reserve(pid.size() + 8);
  for (std::size_t i = 0; i < pid.size(); ++i) {
    char c = pid[i];
    bool escape = c == '%' || c == '/' || c == '\0' || (i == 0 && (c == '@' || c == '#'));
    if (escape) {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += hex_upper[b >> 4];
      out += hex_upper[b & 0x0F];
    } else {
      out += c;
    }
  }
  // A PID such as "._~" must stay reachable although its raw name is answered ENOENT:
  // its listed name escapes the first byte instead ("%2E_~").
  if (is_os_probe_name(out)) {
    auto b = static_cast<unsigned char>(out.front());
    out.replace(0, 1, {'%', hex_upper[b >> 4], hex_upper[b & 0x0F]});
  }
  return out;
}

caf::expected<std::string> unescape_segment(std::string_view segment) {
  auto quoted = [&] { return "'" + std::string{segment} + "'"; };
  if (segment.empty())
    return make_error(ec::invalid_path, "empty path segment");
  if (segment == "." || segment == "..")
    return make_error(ec::invalid_path, "path segment " + quoted()
                                          + " names no object (write %2E for a '.')");
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    char c = segment[i];
    if (c == '/' || c == '\0')
      return make_error(ec::invalid_path, "path segment " + quoted() + " contains a "
                                            + (c == '/' ? "'/'" : "NUL byte") + " at byte "
                                            + std::to_string(i));
    if (c != '%') {
      out += c;
      continue;
    }
    int hi = i + 1 < segment.size() ? hex_value(segment[i + 1]) : -1;
    int lo = i + 2 < segment.size() ? hex_value(segment[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      auto bad = std::string{segment.substr(i, 3)};
      return make_error(ec::invalid_path,
                        "malformed escape '" + bad + "' at byte " + std::to_string(i)
                          + " of path segment " + quoted()
                          + ": '%' must be followed by two hex digits (a literal '%' is "
                            "written %25)");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool is_shortened(std::string_view name) {
  if (name.size() < shortened_min || name.size() > name_max)
    return false;
  auto tail = name.substr(name.size() - hash_digits - 1);
  if (tail.front() != shortened_marker)
    return false;
  for (char c : tail.substr(1))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

std::string shorten_segment(std::string_view escaped) {
  if (escaped.size() <= name_max && !is_shortened(escaped))
    return std::string{escaped};
  auto cut = utf8_floor(escaped, prefix_budget);
  // Never split a %XX escape, so the prefix stays readable and decodable. When utf8_floor
  // moved the cut, escaped[cut] is a lead byte, not a hex digit: the two never add up.
  auto xdigit = [&](std::size_t i) { return i < escaped.size() && hex_value(escaped[i]) >= 0; };
  if (cut >= 1 && escaped[cut - 1] == '%' && xdigit(cut) && xdigit(cut + 1))
    cut -= 1;
  else if (cut >= 2 && escaped[cut - 2] == '%' && xdigit(cut - 1) && xdigit(cut))
    cut -= 2;
  std::string out{escaped.substr(0, cut)};
  out += shortened_marker;
  out += sha256_hex_prefix(escaped, hash_digits);
  return out;
}

std::optional<std::string> facet_field_of(std::string_view segment) {
  if (segment.empty() || segment.front() != '@')
    return std::nullopt;
  auto rest = segment.substr(1);
  if (rest.empty())
    return std::string{};
  if (auto decoded = unescape_segment(rest))
    return std::move(*decoded);
  return std::string{rest};
}

caf::expected<std::string> facet_value_of(std::string_view segment) {
  if (segment.empty() || segment.front() != '#')
    return make_error(ec::invalid_path, "path segment '" + std::string{segment}
                                          + "' is not a facet value (those begin with '#')");
  auto rest = segment.substr(1);
  if (rest.empty())
    return std::string{};
  return unescape_segment(rest);
}

std::string facet_field_segment(std::string_view field) {
  return "@" + escape_segment(field);
}

std::string facet_value_segment(std::string_view value) {
  return "#" + escape_segment(value);
}

std::vector<std::string> split_path(std::string_view abs_path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < abs_path.size()) {
    auto slash = abs_path.find('/', i);
    if (slash == std::string_view::npos)
      slash = abs_path.size();
    if (slash > i)
      out.emplace_back(abs_path.substr(i, slash - i));
    i = slash + 1;
  }
  return out;
}

std::string join_path(const std::vector<std::string>& segments) {
  if (segments.empty())
    return "/";
  std::string out;
  for (auto& s : segments) {
    out += '/';
    out += s;
  }
  return out;
}

std::string child_path(std::string_view parent, std::string_view name) {
  std::string out{parent};
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  out += '/';
  out += name;
  return out;
}

bool is_os_probe_name(std::string_view name) {
  for (auto& p : probe_names) {
    if (p.is_prefix ? name.substr(0, p.name.size()) == p.name : name == p.name)
      return true;
  }
  return false;
}

std::string error_file_name(std::string_view title) {
  constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
  constexpr std::string_view division_slash = "\xE2\x88\x95";  // U+2215, looks like '/'
  constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026
  std::string out;
  out.reserve(title.size());
  auto add_space = [&] {
    if (!out.empty() && out.back() != ' ')
      out += ' ';
  };
  for (std::size_t i = 0; i < title.size();) {
    uint32_t cp = 0;
    auto len = decode_utf8(title, i, cp);
    if (len == 0) {
      out += replacement;
      i += 1;
      continue;
    }
    bool space = cp < 0x20 || cp == ' ' || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)
                 || cp == 0x2028 || cp == 0x2029;
    if (space)
      add_space();
    else if (cp == '/')
      out += division_slash;
    else
      out.append(title.substr(i, len));
    i += len;
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  if (out.empty())
    return "error";
  // A hidden, option-like or probed name would hide the error from `ls`, `cat` or lookup.
  if (out.front() == '.' || out.front() == '-' || is_os_probe_name(out))
    out.insert(0, "error ");
  if (out.size() > name_max) {
    out.resize(utf8_floor(out, name_max - ellipsis.size()));
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    out += ellipsis;
  }
  return out;
}

}  // namespace d1
