// The mount's path grammar as pure functions: a DataONE identifier (or a facet value) as
// one readable path segment and back, long names shortened for NAME_MAX, facet segments,
// absolute paths as segment lists, OS probe names, and file names that state an error.
#pragma once

#include <caf/expected.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace d1 {

/// The longest name one path segment may have (bytes), as Linux NAME_MAX.
constexpr std::size_t name_max = 255;

/// Returns `pid` as one path segment: `%`→`%25`, `/`→`%2F`, NUL→`%00`, a leading `@`→`%40`
/// and a leading `#`→`%23` (those start facet segments), exactly `.`→`%2E` and exactly
/// `..`→`%2E%2E`, and the first byte of a name that is_os_probe_name would swallow
/// (`._~`→`%2E_~`, `Thumbs.db`→`%54humbs.db`, so that such a PID stays reachable); every
/// other byte (unicode, spaces, quotes, `?`, `;`, `~`…) stays as is.
/// The result is the canonical form: unescape_segment(escape_segment(x)) == x for every
/// non-empty x. The empty string has no segment (a path segment is never empty and DataONE
/// forbids empty identifiers): it returns "", which callers must not list as a name.
/// The result may exceed name_max: pass it through shorten_segment before listing it.
std::string escape_segment(std::string_view pid);

/// Returns the identifier a segment names: every `%XX` (either hex case) is decoded, so a
/// typed `%41` gives `A`. Fails with ec::invalid_path for an empty segment, for `.` and
/// `..`, for a raw `/` or NUL, and for a `%` not followed by two hex digits (the message
/// names the segment, the offset and the offending text). escape_segment(unescape(s)) == s
/// for every canonical s (every output of escape_segment).
caf::expected<std::string> unescape_segment(std::string_view segment);

/// Returns `escaped` unchanged when it fits in name_max bytes and cannot be mistaken for a
/// shortened name; otherwise a shortened name: the longest prefix of `escaped` that ends
/// on a UTF-8 character boundary and not inside a `%XX` escape, then `~`, then the first 16
/// lowercase hex digits of SHA-256 over all of `escaped`. A shortened name is 252 to 255
/// bytes, deterministic, and distinct for distinct inputs (up to a 64-bit hash collision).
/// Pass a full escaped segment, never a result of this function. The resolver stores the
/// mapping back to the full segment; a name for which is_shortened is true must be looked
/// up there before facet_value_of / unescape_segment are applied.
std::string shorten_segment(std::string_view escaped);

/// Returns true if `name` has the shape of a shortened_segment result (252..255 bytes,
/// ending in `~` and 16 lowercase hex digits). escape_segment + shorten_segment never
/// produce such a name unless they shortened it.
bool is_shortened(std::string_view name);

/// Returns the field name of an unapplied facet segment `@field` (the text after `@`,
/// %-decoded where well-formed, else verbatim; possibly empty, so that the resolver can
/// report "unknown facet"), or nullopt if `segment` does not begin with `@`.
std::optional<std::string> facet_field_of(std::string_view segment);

/// Returns the unescaped value of an applied facet segment `#value` (`#` alone is the empty
/// value). Fails with ec::invalid_path if `segment` does not begin with `#` or the value is
/// malformed (see unescape_segment).
caf::expected<std::string> facet_value_of(std::string_view segment);

/// Returns `@` + escape_segment(field): for a Solr field name simply `@field`.
std::string facet_field_segment(std::string_view field);

/// Returns `#` + escape_segment(value); the empty value gives `#`. May exceed name_max.
std::string facet_value_segment(std::string_view value);

/// Returns the non-empty segments of a path, still escaped: "/a/b" → {"a","b"}, "/" → {}.
/// Repeated and trailing slashes are ignored; "." and ".." are kept (unescape rejects them).
std::vector<std::string> split_path(std::string_view abs_path);

/// Returns the absolute path of `segments`: {"a","b"} → "/a/b", {} → "/".
std::string join_path(const std::vector<std::string>& segments);

/// Returns `parent` + "/" + `name` without doubling the slash: ("/", "x") → "/x",
/// ("/a", "x") → "/a/x", ("/a/", "x") → "/a/x".
std::string child_path(std::string_view parent, std::string_view name);

/// Returns true for names that operating systems, desktops, file managers and shell prompts
/// probe for (`.DS_Store`, `._*`, `.Trash-*`, `desktop.ini`, `.git`…): the mount answers
/// them ENOENT at once, without a query. See the table in path_codec.cpp.
bool is_os_probe_name(std::string_view name);

/// Returns a file name that states `title`: `/` becomes `∕` (U+2215), control characters
/// (NUL included) and invalid UTF-8 become spaces or U+FFFD, whitespace runs collapse to one
/// space, the ends are trimmed. Never empty (gives "error"), never hidden or an option-like
/// or probed name (a leading `.` or `-`, or an OS probe name, gets the prefix "error "), at
/// most name_max bytes: a longer title is cut at a UTF-8 boundary and ends in "…".
std::string error_file_name(std::string_view title);

/// Returns the largest n' <= n such that s[0, n') ends on a UTF-8 character boundary (a
/// lead byte or ASCII at s[n'], or n' == s.size()). Invalid sequences count per byte.
std::size_t utf8_floor(std::string_view s, std::size_t n);

}  // namespace d1
