// facet_path: parsing `@field/#value` pairs up to the first object segment, years of date
// fields, and the names and texts of the informational files of search folders.
#include "actors/resolve/facet_path.hpp"

#include "messages/error.hpp"
#include "messages/node_attrs.hpp"
#include "messages/path_codec.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>

namespace d1 {

namespace {

constexpr const char* info_prefix = "@ ";

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string field_list(const std::vector<std::string>& fields) {
  std::string out;
  for (auto& f : fields)
    out += (out.empty() ? "" : ", ") + f;
  return out;
}

// One parse of a path: what is known so far and how the walk goes on.
struct facet_parser {
  const std::vector<std::string>& segments;
  const std::vector<std::string>& fields;
  const long_name_fn& long_name;
  const std::set<std::string>& date_fields;
  facet_path out;

  // Marks segment `at` malformed; returns false so callers can stop with it.
  bool fail(size_t at, std::string title, std::string what, std::string advice) {
    out.error_at = at;
    out.error.title = "Invalid path - " + std::move(title);
    out.error.transient = false;
    out.error.details = "Path: " + path_upto(segments, at + 1) + "\nProblem: "
                        + std::move(what) + "\nWhat to try: " + std::move(advice) + "\n";
    return false;
  }

  std::string known_fields() const {
    return "Facet fields here: " + field_list(fields) + ".";
  }

  // A segment as it was before shortening; nullopt (and an error) if it cannot be known.
  std::optional<std::string> full(size_t at) {
    auto& seg = segments[at];
    if (!is_shortened(seg))
      return seg;
    if (auto f = long_name(seg))
      return f;
    fail(at, "unknown shortened name",
         "the shortened name '" + seg + "' was not listed by this search recently",
         "List the folder that contains it first; names longer than 255 bytes are "
         "shortened and mapped back through the listing.");
    return std::nullopt;
  }

  // `@field` at `i`: checks the field, then reads the segment after it. Returns true if a
  // `#value` of the field was applied and the walk goes on at i + 2.
  bool field_at(size_t i, const std::string& field) {
    if (std::find(fields.begin(), fields.end(), field) == fields.end())
      return fail(i, "unknown facet field '" + field + "'",
                  "'" + field + "' is not a facetable field of this search",
                  "List the search folder to see its @field folders. " + known_fields());
    for (auto& [applied, value] : out.applied)
      if (applied == field)
        return fail(i, "facet field '" + field + "' applied twice",
                    "the filter on '" + field + "' is already applied above (#" + value
                      + "); a field can be applied once per path",
                    "Remove one of the @" + field + "/#value pairs.");
    if (i + 1 == segments.size()) {
      out.open_field = field;
      return false;
    }
    auto next = full(i + 1);
    if (!next)
      return false;
    if (starts_with(*next, info_prefix)) {
      out.open_field = field;
      out.info_at = i + 1;
      return false;
    }
    return value_at(i + 1, field, *next);
  }

  // `#value` (the segment `seg` at `i`) below `@field`. Returns true if it was applied.
  bool value_at(size_t i, const std::string& field, const std::string& seg) {
    if (seg[0] != '#')
      return fail(i, "'" + seg + "' is not a value of @" + field,
                  "below @" + field + "/ every folder is a value and starts with '#'",
                  "List @" + field + "/ to see its values.");
    auto value = facet_value_of(seg);
    if (!value)
      return fail(i, "bad escape in facet value '" + seg + "'", describe(value.error()),
                  "Values are escaped like identifiers: '%' is %25, '/' is %2F.");
    if (date_fields.count(field) && !year_query(field, *value))
      return fail(i, "'" + seg + "' is not a year of @" + field,
                  "@" + field + " holds dates; its folders are years (#2013)",
                  "List @" + field + "/ to see the years that have objects.");
    out.applied.emplace_back(field, std::move(*value));
    return true;
  }

  // A segment that is neither a field nor an informational file: an object, unless it is
  // a value without its field.
  void object_at(size_t i, const std::string& seg) {
    if (seg[0] == '#') {
      fail(i, "value '" + seg + "' without a field",
           "a #value folder must follow an @field folder",
           "Open an @field folder first, e.g. @formatId/" + seg + "/. " + known_fields());
      return;
    }
    auto pid = unescape_segment(seg);
    if (!pid) {
      fail(i, "bad escape in identifier '" + seg + "'", describe(pid.error()),
           "Identifiers are one path segment: '%' is %25, '/' is %2F.");
      return;
    }
    out.object_at = i;
    out.pid = std::move(*pid);
  }

  facet_path run(size_t from) {
    for (size_t i = from; i < segments.size(); i += 2) {
      auto seg = full(i);
      if (!seg)
        break;
      if (starts_with(*seg, info_prefix)) {
        out.info_at = i;
        break;
      }
      auto field = facet_field_of(*seg);
      if (!field) {
        object_at(i, *seg);
        break;
      }
      if (!field_at(i, *field))
        break;
    }
    return std::move(out);
  }
};

}  // namespace

std::vector<std::string> default_facet_fields() {
  return {"formatId",   "formatType", "author",         "origin",    "keywords",
          "datasource", "authoritativeMN", "rightsHolder", "submitter", "project",
          "site",       "LTERSite",   "investigator",   "kingdom",   "phylum",
          "class",      "order",      "family",         "genus",     "species",
          "scientificName", "decade", "mediaType",      "isPublic",  "dateUploaded",
          "pubDate",    "beginDate",  "endDate"};
}

std::vector<std::string> facetable_fields(const std::vector<query_field>& described,
                                          const std::vector<std::string>& allow,
                                          const std::vector<std::string>& deny) {
  std::set<std::string> denied(deny.begin(), deny.end());
  std::set<std::string> usable;
  std::vector<std::string> in_order;
  for (auto& f : described) {
    if (f.searchable && f.returnable && !denied.count(f.name) && usable.insert(f.name).second)
      in_order.push_back(f.name);
  }
  if (allow.empty())
    return in_order;
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto& f : allow)
    if (usable.count(f) && seen.insert(f).second)
      out.push_back(f);
  return out;
}

bool is_date_type(const std::string& type) {
  return type == "date" || type == "tdate" || type == "pdate";
}

std::optional<std::string> year_query(const std::string& field, const std::string& year) {
  if (year.size() != 4 || !all_digits(year) || year[0] == '0' || year == "9999")
    return std::nullopt;
  auto next = std::to_string(std::stoi(year) + 1);
  return field + ":[" + year + "-01-01T00:00:00Z TO " + next + "-01-01T00:00:00Z}";
}

int year_of(const std::string& instant) {
  if (instant.size() < 4 || !all_digits(std::string_view{instant}.substr(0, 4)))
    return 0;
  return std::stoi(instant.substr(0, 4));
}

facet_path parse_facet_path(const std::vector<std::string>& segments, size_t from,
                            const std::vector<std::string>& fields,
                            const long_name_fn& long_name,
                            const std::set<std::string>& date_fields) {
  return facet_parser{segments, fields, long_name, date_fields, {}}.run(from);
}

std::string path_upto(const std::vector<std::string>& segments, size_t n) {
  std::vector<std::string> head(segments.begin(),
                                segments.begin() + std::min(n, segments.size()));
  return join_path(head);
}

std::string more_objects_name(uint64_t shown, uint64_t found) {
  return std::string{info_prefix} + std::to_string(shown) + " of " + std::to_string(found)
         + " objects shown - open an @ folder to narrow.txt";
}

std::string more_values_name(uint64_t shown) {
  return std::string{info_prefix} + "first " + std::to_string(shown)
         + " values shown - narrow the search to see the rest.txt";
}

std::optional<std::string> info_file_text(const std::string& name, uint64_t object_limit) {
  unsigned long long shown = 0;
  unsigned long long found = 0;
  if (std::sscanf(name.c_str(), "@ %llu of %llu objects shown", &shown, &found) == 2
      && name == more_objects_name(shown, found)) {
    return "This folder lists the first " + std::to_string(shown) + " of the "
           + std::to_string(found) + " objects that match its filters; "
           + std::to_string(found - shown) + " more are not listed.\n"
           + "To reach them, narrow the search: open one of the @field folders here and then "
             "one of its #value folders (e.g. @formatId/ then #text%2Fcsv/); each level "
             "lists fewer objects.\n"
           + "An object you know is always reachable by its identifier below any search "
             "folder, or under FlatSpace/.\n"
           + "The number listed at once is the [faceted_search] object_limit of the config "
             "(now " + std::to_string(object_limit) + ").\n";
  }
  if (std::sscanf(name.c_str(), "@ first %llu values shown", &shown) == 1
      && name == more_values_name(shown)) {
    return "This field has more values than the " + std::to_string(shown)
           + " listed here (the [faceted_search] value_limit of the config).\n"
             "Narrow the search first (apply another @field/#value above this folder), or "
             "set value_sort = \"index\" to list values in order instead of by count.\n";
  }
  return std::nullopt;
}

node_info search_folder_attr(uint64_t count) {
  auto info = folder_attr(cache_class::search);
  info.size = count;
  return info;
}

node_info info_file_attr(std::string text) {
  return text_file_attr(std::move(text), cache_class::search);
}

}  // namespace d1
