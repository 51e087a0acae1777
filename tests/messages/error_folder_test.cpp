// Error folders: one file named after the problem, details inside, class by transience.
#include "messages/error_folder.hpp"

#include "messages/error.hpp"

#include <caf/sec.hpp>

#include <gtest/gtest.h>

namespace d1 {
namespace {

TEST(error_folder, not_found_is_a_permanent_one_file_folder) {
  auto p = problem_from_error(make_error(ec::not_found, "no such PID"), "object 'x'",
                              "/FlatSpace/x");
  EXPECT_FALSE(p.transient);
  auto dir = error_folder_attr(p);
  EXPECT_TRUE(dir.is_dir());
  EXPECT_EQ(dir.cache, cache_class::error);
  auto l = error_folder_listing(p);
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.entries[0].name, "Not found - object 'x'");
  EXPECT_EQ(l.entries[0].info.content, content_kind::inline_text);
  EXPECT_NE(l.entries[0].info.text().find("/FlatSpace/x"), std::string::npos);
  EXPECT_NE(l.entries[0].info.text().find("no such PID"), std::string::npos);
  EXPECT_EQ(l.entries[0].info.size, l.entries[0].info.text().size());
  auto child = error_folder_child(p, l.entries[0].name);
  ASSERT_TRUE(child);
  EXPECT_EQ(*child, l.entries[0].info);
  EXPECT_FALSE(error_folder_child(p, "other"));
}

TEST(error_folder, network_failures_are_transient_and_names_have_no_slash) {
  auto p = problem_from_error(make_error(ec::timeout, "after 3 s"), "object 'a/b'",
                              "/FlatSpace/a%2Fb");
  EXPECT_TRUE(p.transient);
  EXPECT_EQ(error_folder_attr(p).cache, cache_class::transient);
  auto name = error_folder_file_name(p);
  EXPECT_EQ(name.find('/'), std::string::npos) << name;
  EXPECT_LE(name.size(), 255u);
  auto caf_timeout = caf::make_error(caf::sec::request_timeout);
  EXPECT_TRUE(problem_from_error(caf_timeout, "x", "/").transient);
}

}  // namespace
}  // namespace d1
