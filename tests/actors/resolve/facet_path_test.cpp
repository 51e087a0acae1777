// The facet path grammar as pure functions: pairs, objects, informational files, years,
// shortened names, and the problems of malformed paths (no actor involved).
#include "actors/resolve/facet_path.hpp"

#include "messages/path_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace d1::test {
namespace {

std::vector<query_field> fields_of(std::vector<std::string> names) {
  std::vector<query_field> out;
  for (auto& n : names)
    out.push_back(query_field{n, "string", true, true, true, ""});
  return out;
}

const auto none = [](const std::string&) { return std::optional<std::string>{}; };
const std::vector<std::string> fields{"formatId", "keywords", "dateUploaded"};

TEST(facet_path, facetable_fields_follow_allow_order_and_deny) {
  auto described = fields_of({"id", "formatId", "keywords", "size"});
  described.push_back(query_field{"checksum", "string", false, true, false, ""});
  EXPECT_EQ(facetable_fields(described, {"keywords", "checksum", "formatId", "nope"}, {}),
            (std::vector<std::string>{"keywords", "formatId"}));
  EXPECT_EQ(facetable_fields(described, {}, {"id", "size"}),
            (std::vector<std::string>{"formatId", "keywords"}));
  EXPECT_EQ(facetable_fields(described, {"formatId"}, {"formatId"}),
            std::vector<std::string>{});
}

TEST(facet_path, info_names_are_never_fields_values_or_pids) {
  auto name = more_objects_name(20, 1234);
  EXPECT_EQ(name, "@ 20 of 1234 objects shown - open an @ folder to narrow.txt");
  auto p = parse_facet_path({"FacetedSearch", name}, 1, fields, none);
  EXPECT_EQ(p.info_at, size_t{1});
  p = parse_facet_path({"FacetedSearch", "@formatId", more_values_name(5)}, 1, fields, none);
  EXPECT_EQ(p.info_at, size_t{2});
  EXPECT_EQ(p.open_field, std::string{"formatId"});
}

TEST(facet_path, date_fields_take_years_as_values) {
  EXPECT_EQ(year_query("dateUploaded", "2013"),
            "dateUploaded:[2013-01-01T00:00:00Z TO 2014-01-01T00:00:00Z}");
  for (auto bad : {"13", "20133", "x013", "0999", "9999", ""})
    EXPECT_EQ(year_query("dateUploaded", bad), std::nullopt) << bad;
  EXPECT_TRUE(is_date_type("tdate"));
  EXPECT_FALSE(is_date_type("string"));
  std::set<std::string> dates{"dateUploaded"};
  auto ok = parse_facet_path({"F", "@dateUploaded", "#2013"}, 1, fields, none, dates);
  EXPECT_FALSE(ok.error_at);
  ASSERT_EQ(ok.applied.size(), 1u);
  EXPECT_EQ(ok.applied[0].second, "2013");
  auto bad = parse_facet_path({"F", "@dateUploaded", "#May"}, 1, fields, none, dates);
  EXPECT_EQ(bad.error_at, size_t{2});
  EXPECT_NE(bad.error.title.find("not a year"), std::string::npos) << bad.error.title;
}

TEST(facet_path, pairs_apply_until_the_first_object_segment) {
  auto p = parse_facet_path(
    {"F", "@formatId", "#text%2Fcsv", "@keywords", "#oak", "b%2F1", "@keywords", "x"}, 1,
    fields, none);
  EXPECT_FALSE(p.error_at);
  EXPECT_FALSE(p.open_field);
  ASSERT_EQ(p.applied.size(), 2u);
  EXPECT_EQ(p.applied[0], (std::pair<std::string, std::string>{"formatId", "text/csv"}));
  EXPECT_EQ(p.applied[1], (std::pair<std::string, std::string>{"keywords", "oak"}));
  EXPECT_EQ(p.object_at, size_t{5});
  EXPECT_EQ(p.pid, "b/1");  // what follows belongs to the object: not parsed
  auto open = parse_facet_path({"F", "@formatId", "#eml", "@keywords"}, 1, fields, none);
  EXPECT_FALSE(open.error_at);
  EXPECT_EQ(open.open_field, std::string{"keywords"});
  EXPECT_FALSE(open.object_at);
  auto root = parse_facet_path({"F"}, 1, fields, none);
  EXPECT_FALSE(root.error_at || root.open_field || root.object_at || root.info_at);
}

TEST(facet_path, malformed_segments_are_named_with_the_path_up_to_them) {
  struct bad_case {
    std::vector<std::string> path;
    size_t at;
    std::string title;
  };
  for (auto& c : std::vector<bad_case>{
         {{"F", "#oak"}, 1, "value '#oak' without a field"},
         {{"F", "@nope", "#x"}, 1, "unknown facet field 'nope'"},
         {{"F", "@keywords", "#oak", "@keywords", "#acorn"}, 3, "applied twice"},
         {{"F", "@keywords", "#bad%zz", "c.1"}, 2, "bad escape in facet value"},
         {{"F", "@keywords", "oak"}, 2, "'oak' is not a value of @keywords"},
         {{"F", "@formatId", "#eml", "bad%2"}, 3, "bad escape in identifier"},
         {{"F", "@dateUploaded", "#May"}, 2, "'#May' is not a year of @dateUploaded"}}) {
    auto p = parse_facet_path(c.path, 1, fields, none, {"dateUploaded"});
    ASSERT_EQ(p.error_at, c.at) << c.title;
    EXPECT_FALSE(p.object_at) << c.title;
    EXPECT_FALSE(p.error.transient);
    EXPECT_NE(p.error.title.find(c.title), std::string::npos) << p.error.title;
    std::vector<std::string> upto(c.path.begin(), c.path.begin() + c.at + 1);
    EXPECT_NE(p.error.details.find("Path: " + join_path(upto) + "\n"), std::string::npos)
      << p.error.details;
    EXPECT_NE(p.error.details.find("What to try: "), std::string::npos);
  }
  // An unknown field's advice names the fields that are there.
  auto p = parse_facet_path({"F", "@nope"}, 1, fields, none);
  EXPECT_NE(p.error.details.find("formatId, keywords, dateUploaded"), std::string::npos);
}

TEST(facet_path, shortened_segments_are_looked_up_before_parsing) {
  std::string value = "#" + std::string(300, 'v');
  std::string pid(300, 'p');
  std::map<std::string, std::string> listed{{shorten_segment(value), value},
                                            {shorten_segment(pid), pid}};
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto i = listed.find(name);
    return i == listed.end() ? std::nullopt : std::optional<std::string>{i->second};
  };
  auto p = parse_facet_path({"F", "@keywords", shorten_segment(value), shorten_segment(pid)},
                            1, fields, lookup);
  EXPECT_FALSE(p.error_at);
  ASSERT_EQ(p.applied.size(), 1u);
  EXPECT_EQ(p.applied[0].second, std::string(300, 'v'));
  EXPECT_EQ(p.pid, pid);
  auto unknown = parse_facet_path({"F", "@keywords", shorten_segment("#" + std::string(300, 'w'))},
                                  1, fields, lookup);
  EXPECT_EQ(unknown.error_at, size_t{2});
  EXPECT_NE(unknown.error.title.find("unknown shortened name"), std::string::npos);
}

TEST(facet_path, info_file_texts_answer_only_their_own_names) {
  auto objects = info_file_text(more_objects_name(3, 5), 3);
  ASSERT_TRUE(objects);
  EXPECT_NE(objects->find("first 3 of the 5 objects"), std::string::npos);
  EXPECT_NE(objects->find("2 more are not listed"), std::string::npos);
  EXPECT_NE(objects->find("(now 3)"), std::string::npos);
  auto values = info_file_text(more_values_name(7), 1000);
  ASSERT_TRUE(values);
  EXPECT_NE(values->find("more values than the 7"), std::string::npos);
  EXPECT_EQ(info_file_text("@ 1 of 2 objects shown", 10), std::nullopt);
  EXPECT_EQ(info_file_text("@ first 7 values shown", 10), std::nullopt);
  EXPECT_EQ(info_file_text("a.1", 10), std::nullopt);
  auto attr = info_file_attr(*values);
  EXPECT_EQ(attr.kind, entry_kind::file);
  EXPECT_EQ(attr.size, values->size());
  EXPECT_EQ(attr.text(), *values);
  auto folder = search_folder_attr(4);
  EXPECT_TRUE(folder.is_dir());
  EXPECT_EQ(folder.size, 4u);
  EXPECT_EQ(folder.cache, cache_class::search);
}

TEST(facet_path, years_of_instants) {
  EXPECT_EQ(year_of("2013-05-06T07:08:09.123Z"), 2013);
  EXPECT_EQ(year_of("201"), 0);
  EXPECT_EQ(year_of("May 2013"), 0);
  EXPECT_EQ(year_of(""), 0);
}

TEST(facet_path, default_fields_include_the_common_facets) {
  auto d = default_facet_fields();
  for (auto f : {"formatId", "keywords", "dateUploaded"})
    EXPECT_NE(std::find(d.begin(), d.end(), f), d.end()) << f;
  // Every default is taken when the description has it.
  EXPECT_EQ(facetable_fields(fields_of(d), {}, {}), d);
}

}  // namespace
}  // namespace d1::test
