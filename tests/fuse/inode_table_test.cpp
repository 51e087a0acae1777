// The inode table alone: stable inodes per path, lookup counting with forget, attribute
// freshness, and two threads using it at once.
#include "fuse/inode_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using d1::inode_table;
using namespace std::chrono_literals;

d1::node_info file_of_size(uint64_t size, d1::cache_class cache = d1::cache_class::metadata) {
  d1::node_info info;
  info.kind = d1::entry_kind::file;
  info.cache = cache;
  info.size = size;
  info.mtime = 1700000000;
  return info;
}

TEST(fuse_inode_table, root_is_known_without_attributes) {
  inode_table table;
  EXPECT_EQ(table.path_of(inode_table::root_inode), "/");
  EXPECT_EQ(table.inode_of("/"), inode_table::root_inode);
  EXPECT_FALSE(table.fresh_attr(inode_table::root_inode, inode_table::clock::now()));
  auto rec = table.find(inode_table::root_inode);
  ASSERT_TRUE(rec);
  EXPECT_FALSE(rec->has_info);
  EXPECT_EQ(table.size(), 1u);
}

TEST(fuse_inode_table, same_path_keeps_its_inode_and_counts_lookups) {
  inode_table table;
  auto until = inode_table::clock::now() + 10s;
  auto a = table.remember("/FlatSpace", file_of_size(1), until);
  auto b = table.remember("/FlatSpace/x", file_of_size(2), until);
  auto a2 = table.remember("/FlatSpace", file_of_size(3), until);
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, b);
  EXPECT_NE(a, inode_table::root_inode);
  EXPECT_EQ(table.path_of(b), "/FlatSpace/x");
  EXPECT_EQ(table.inode_of("/FlatSpace/x"), b);
  auto rec = table.find(a);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->lookups, 2u);
  EXPECT_EQ(rec->info.size, 3u);  // the latest attributes win
  EXPECT_EQ(table.size(), 3u);
}

TEST(fuse_inode_table, forget_frees_at_zero_and_never_reuses_numbers) {
  inode_table table;
  auto until = inode_table::clock::now() + 10s;
  auto ino = table.remember("/a", file_of_size(1), until, 3);
  table.forget(ino, 2);
  ASSERT_TRUE(table.find(ino));
  EXPECT_EQ(table.find(ino)->lookups, 1u);
  table.forget(ino, 1);
  EXPECT_FALSE(table.find(ino));
  EXPECT_FALSE(table.path_of(ino));
  EXPECT_EQ(table.inode_of("/a"), 0u);
  auto again = table.remember("/a", file_of_size(1), until);
  EXPECT_NE(again, ino);
  // Forgetting more than was looked up, an unknown inode or the root is harmless.
  table.forget(again, 10);
  table.forget(12345, 1);
  table.forget(inode_table::root_inode, 5);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.path_of(inode_table::root_inode), "/");
}

TEST(fuse_inode_table, attributes_are_fresh_until_their_deadline) {
  inode_table table;
  auto now = inode_table::clock::now();
  auto ino = table.remember("/f", file_of_size(42, d1::cache_class::search), now + 5s);
  auto fresh = table.fresh_attr(ino, now);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->size, 42u);
  EXPECT_EQ(fresh->kind, d1::entry_kind::file);
  EXPECT_EQ(fresh->cache, d1::cache_class::search);
  EXPECT_EQ(fresh->mtime, 1700000000);
  EXPECT_FALSE(table.fresh_attr(ino, now + 5s));
  EXPECT_FALSE(table.fresh_attr(ino, now + 6s));
  // An expired inode keeps its path and last attributes; update makes it fresh again.
  ASSERT_TRUE(table.find(ino));
  EXPECT_EQ(table.find(ino)->info.size, 42u);
  EXPECT_TRUE(table.update(ino, file_of_size(43), now + 20s));
  ASSERT_TRUE(table.fresh_attr(ino, now + 6s));
  EXPECT_EQ(table.fresh_attr(ino, now + 6s)->size, 43u);
  EXPECT_FALSE(table.update(99999, file_of_size(1), now + 20s));
  EXPECT_FALSE(table.fresh_attr(99999, now));
}

TEST(fuse_inode_table, two_threads_keep_it_consistent) {
  inode_table table;
  constexpr int n = 2000;
  auto until = inode_table::clock::now() + 60s;
  std::vector<uint64_t> kept(n);
  std::atomic<bool> failed{false};
  // Writer A: paths that come and go. Writer B: paths looked up twice, forgotten once.
  std::thread a([&] {
    for (int i = 0; i < n; ++i) {
      auto ino = table.remember("/gone/" + std::to_string(i), file_of_size(i), until);
      if (table.path_of(ino) != "/gone/" + std::to_string(i))
        failed = true;
      table.forget(ino, 1);
    }
  });
  std::thread b([&] {
    for (int i = 0; i < n; ++i) {
      auto path = "/kept/" + std::to_string(i);
      kept[i] = table.remember(path, file_of_size(i), until);
      if (table.remember(path, file_of_size(i), until) != kept[i])
        failed = true;
      table.forget(kept[i], 1);
      auto attr = table.fresh_attr(kept[i], inode_table::clock::now());
      if (!attr || attr->size != static_cast<uint64_t>(i))
        failed = true;
    }
  });
  a.join();
  b.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(table.size(), static_cast<size_t>(n) + 1);
  for (int i = 0; i < n; ++i) {
    auto rec = table.find(kept[i]);
    ASSERT_TRUE(rec) << i;
    EXPECT_EQ(rec->lookups, 1u);
    EXPECT_EQ(rec->path, "/kept/" + std::to_string(i));
  }
  EXPECT_EQ(table.inode_of("/gone/0"), 0u);
}

TEST(fuse_inode_table, files_keep_what_open_needs_folders_only_attributes) {
  inode_table table;
  auto until = inode_table::clock::now() + 10s;
  auto obj = file_of_size(7, d1::cache_class::immutable);
  obj.content = d1::content_kind::object_bytes;
  obj.set_object({"doi:10.1/x", 7, "MD5", std::string(32, 'a')});
  auto text = file_of_size(5);
  text.content = d1::content_kind::inline_text;
  text.set_text("hello");
  d1::node_info folder;
  folder.kind = d1::entry_kind::directory;
  folder.size = 42;
  auto o = table.remember("/o", obj, until);
  auto t = table.remember("/t", text, until);
  auto f = table.remember("/f", folder, until);
  EXPECT_EQ(table.find(o)->info, obj);
  EXPECT_EQ(table.find(t)->info, text);
  EXPECT_EQ(table.find(f)->info, folder);
  // New attributes replace the kept detail (and a folder keeps none).
  table.update(o, folder, until);
  EXPECT_EQ(table.find(o)->info, folder);
  table.update(o, text, until);
  EXPECT_EQ(table.find(o)->info.text(), "hello");
}

TEST(fuse_inode_table, paths_survive_growth_and_forgets) {
  inode_table table;
  auto until = inode_table::clock::now() + 10s;
  std::vector<uint64_t> inos;
  for (int i = 0; i < 20000; ++i)
    inos.push_back(table.remember("/FacetedSearch/object-" + std::to_string(i),
                                  file_of_size(static_cast<uint64_t>(i)), until));
  for (int i = 0; i < 20000; i += 2)
    table.forget(inos[i], 1);
  EXPECT_EQ(table.size(), 10001u);
  for (int i = 1; i < 20000; i += 2) {
    ASSERT_EQ(table.path_of(inos[i]), "/FacetedSearch/object-" + std::to_string(i)) << i;
    ASSERT_EQ(table.inode_of("/FacetedSearch/object-" + std::to_string(i)), inos[i]);
  }
  EXPECT_EQ(table.inode_of("/FacetedSearch/object-0"), 0u);
  auto again = table.remember("/FacetedSearch/object-0", file_of_size(1), until);
  EXPECT_GT(again, inos.back());
}

}  // namespace

namespace {

TEST(fuse_inode_table, error_texts_are_not_kept_but_object_files_are) {
  inode_table table;
  auto until = inode_table::clock::now() + 10s;
  auto error_file = file_of_size(300, d1::cache_class::error);
  error_file.content = d1::content_kind::inline_text;
  error_file.set_text(std::string(300, 'e'));
  auto text_file = file_of_size(20, d1::cache_class::metadata);
  text_file.content = d1::content_kind::inline_text;
  text_file.set_text(std::string(20, 't'));
  auto err = table.remember("/FlatSpace/x/Not found", error_file, until);
  auto txt = table.remember("/FlatSpace/y/search_fields.txt", text_file, until);
  auto e = table.find(err);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->has_content);  // open asks the gateway for the text again
  EXPECT_EQ(e->info.content, d1::content_kind::inline_text);
  EXPECT_EQ(e->info.size, 300u);
  auto t = table.find(txt);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->has_content);
  EXPECT_EQ(t->info.text(), std::string(20, 't'));
}

TEST(fuse_inode_table, excess_names_the_least_recently_looked_up_entries_once) {
  inode_table table;
  auto until = inode_table::clock::now() + 10s;
  auto dir = table.remember("/FlatSpace", file_of_size(0), until);
  std::vector<uint64_t> inos;
  for (int i = 0; i < 10; ++i)
    inos.push_back(table.remember("/FlatSpace/n" + std::to_string(i), file_of_size(1), until));
  table.remember("/FlatSpace/n0", file_of_size(1), until);  // looked up again: now recent
  EXPECT_TRUE(table.excess(table.size()).empty());
  // 12 inodes (root, folder, 10 names); keep 8: the 4 oldest go, n0 and the root stay.
  auto victims = table.excess(8);
  ASSERT_EQ(victims.size(), 4u);
  std::vector<std::string> names;
  for (auto& v : victims) {
    names.push_back(v.name);
    EXPECT_TRUE(v.parent == dir || v.parent == inode_table::root_inode) << v.name;
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"FlatSpace", "n1", "n2", "n3"}));
  // Until the kernel forgets them, they are not named again.
  EXPECT_TRUE(table.excess(8).empty());
  for (int i = 1; i <= 3; ++i)
    table.forget(inos[i], 1);
  table.forget(dir, 1);
  EXPECT_EQ(table.size(), 8u);
  EXPECT_GT(table.memory_bytes(), 8 * sizeof(uint64_t));
}

}  // namespace
