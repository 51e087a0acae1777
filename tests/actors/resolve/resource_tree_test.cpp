// The files of a resource as Resources/ shows them: usable copies in the order locate
// gives (verified before unverified, then this host's preference), root_map applied,
// unhashed and bad records left out, and the folders the relative paths imply.
#include "actors/resolve/resource_tree.hpp"

#include <gtest/gtest.h>

namespace d1::test {
namespace {

file_record record(const std::string& root, const std::string& rel, file_state state,
                   bool hashed = true) {
  file_record f;
  f.resource_uid = "u1";
  f.root = root;
  f.rel_path = rel;
  f.abs_path = root + "/" + rel;
  f.size = 100 + rel.size();
  f.digest = hashed ? "ab" : "";
  f.state = state;
  f.stat.ino = 7;
  f.stat.mtime_ns = 1234567890123456789;
  return f;
}

copy_location copy(const std::string& root, const std::string& local_root = "") {
  copy_location c;
  c.root = root;
  c.local_root = local_root;
  return c;
}

resource_detail detail_of(std::vector<file_record> files) {
  resource_detail d;
  d.resource.uid = "u1";
  d.resource.created = 1700000000123;
  d.files = std::move(files);
  return d;
}

TEST(resource_tree_test, copies_follow_the_order_of_locate_with_the_root_map_applied) {
  auto d = detail_of({record("/a", "x/1.raw", file_state::ok),
                      record("/b", "x/1.raw", file_state::ok)});
  location_report where;
  where.copies = {copy("/b", "/mnt/b"), copy("/a")};
  auto tree = make_resource_tree(d, where);
  EXPECT_EQ(tree.created_s, 1700000000);
  auto* c = file_at(tree, "x/1.raw");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].path, "/mnt/b/x/1.raw");
  EXPECT_EQ((*c)[1].path, "/a/x/1.raw");
  EXPECT_EQ((*c)[0].size, 107u);
  EXPECT_EQ((*c)[0].mtime_ns, 1234567890123456789);
}

TEST(resource_tree_test, unhashed_and_bad_records_are_no_copies) {
  auto d = detail_of({record("/a", "1", file_state::hash_mismatch),
                      record("/b", "1", file_state::ok),
                      record("/a", "2", file_state::missing),
                      record("/a", "3", file_state::ok, false),
                      record("/a", "4", file_state::changed),
                      record("/a", "5", file_state::unknown)});
  location_report where;
  where.copies = {copy("/a"), copy("/b")};
  auto tree = make_resource_tree(d, where);
  ASSERT_NE(file_at(tree, "1"), nullptr);
  ASSERT_EQ(file_at(tree, "1")->size(), 1u);
  EXPECT_EQ(file_at(tree, "1")->front().path, "/b/1");
  EXPECT_EQ(file_at(tree, "2"), nullptr);
  EXPECT_EQ(file_at(tree, "3"), nullptr);
  EXPECT_EQ(file_at(tree, "4"), nullptr);
  EXPECT_NE(file_at(tree, "5"), nullptr);  // hashed, not checked since: still the bytes
}

TEST(resource_tree_test, folders_are_implied_by_the_paths) {
  auto d = detail_of({record("/a", "a/b/c.raw", file_state::ok),
                      record("/a", "a/b/d.raw", file_state::ok),
                      record("/a", "a-z.raw", file_state::ok),
                      record("/a", "a.txt", file_state::ok),
                      record("/a", "a/e.raw", file_state::ok),
                      record("/a", "top.raw", file_state::ok)});
  location_report where;
  where.copies = {copy("/a")};
  auto tree = make_resource_tree(d, where);
  auto names = [&](const std::string& rel) {
    std::vector<std::string> out;
    for (auto& c : children_of(tree, rel))
      out.push_back(c.name + (c.folder ? "/" : ""));
    return out;
  };
  EXPECT_EQ(names(""), (std::vector<std::string>{"a-z.raw", "a.txt", "a/", "top.raw"}));
  EXPECT_EQ(names("a"), (std::vector<std::string>{"b/", "e.raw"}));
  EXPECT_EQ(names("a/b"), (std::vector<std::string>{"c.raw", "d.raw"}));
  EXPECT_TRUE(names("a/b/c.raw").empty());
  EXPECT_TRUE(names("nope").empty());
  EXPECT_TRUE(is_folder(tree, ""));
  EXPECT_TRUE(is_folder(tree, "a"));
  EXPECT_TRUE(is_folder(tree, "a/b"));
  EXPECT_FALSE(is_folder(tree, "a/b/c.raw"));
  EXPECT_FALSE(is_folder(tree, "a/"));
  EXPECT_FALSE(is_folder(tree, "top"));
  ASSERT_NE(children_of(tree, "a/b")[0].copies, nullptr);
}

TEST(resource_tree_test, the_pid_of_a_dataone_resource_comes_from_its_kwargs) {
  resource_record r;
  r.spec = "DATAONE";
  r.kwargs = R"({"pid": "doi:10.5063/F1", "checksum": "ab"})";
  EXPECT_EQ(dataone_pid_of(r), "doi:10.5063/F1");
  r.kwargs = "not json";
  EXPECT_EQ(dataone_pid_of(r), "");
  r.kwargs = R"({"pid": 3})";
  EXPECT_EQ(dataone_pid_of(r), "");
  r.spec = "RAW";
  r.kwargs = R"({"pid": "x"})";
  EXPECT_EQ(dataone_pid_of(r), "");
}

}  // namespace
}  // namespace d1::test
