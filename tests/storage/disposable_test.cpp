// A damaged cache state dir for real (LMDB in a temp dir): a truncated data.mdb, a garbage
// header, a file where the directory should be, a file the daemon may not open, an
// environment left open by an earlier boot are moved aside and replaced by a fresh one;
// a healthy environment and a stale lock file keep their data; when nothing can be moved,
// the caches fall back to memory.
#include "storage/disposable.hpp"
#include "storage/lmdb_store.hpp"

#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace d1::storage {
namespace {

namespace fs = std::filesystem;
using test::temp_dir;

environment_options cache_options() {
  environment_options opts;
  opts.durable = false;  // as the daemon opens its caches
  opts.map_size = 8 << 20;
  return opts;
}

// Writes `n` records of 1 KiB into table "t" of the environment in `dir`, closes it.
void fill(const std::string& dir, int n) {
  auto store = lmdb_store::open(dir, cache_options());
  ASSERT_TRUE(store) << describe(store.error());
  write_batch batch;
  for (int i = 0; i < n; ++i)
    batch.put("t", "key" + std::to_string(i), std::string(1024, char('a' + i % 26)));
  ASSERT_FALSE((*store)->write(batch));
}

std::optional<std::string> get(kv_store& store, const std::string& key) {
  auto v = store.get("t", key);
  EXPECT_TRUE(v) << describe(v.error());
  return v ? *v : std::nullopt;
}

int sh(const std::string& command) {
  return std::system(command.c_str());
}

TEST(disposable_test, a_healthy_cache_keeps_its_data) {
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  fill(dir, 100);
  auto opened = open_disposable_store(dir, cache_options());
  EXPECT_TRUE(opened.problem.empty()) << opened.problem;
  EXPECT_TRUE(opened.persistent);
  EXPECT_EQ(get(*opened.store, "key7"), std::string(1024, 'h'));
}

TEST(disposable_test, a_truncated_data_file_is_moved_aside_and_the_cache_starts_empty) {
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  fill(dir, 2000);
  auto size = fs::file_size(dir + "/data.mdb");
  fs::resize_file(dir + "/data.mdb", size / 3);
  auto opened = open_disposable_store(dir, cache_options());
  EXPECT_NE(opened.problem.find("truncated"), std::string::npos) << opened.problem;
  ASSERT_FALSE(opened.moved_aside.empty());
  EXPECT_EQ(fs::file_size(opened.moved_aside + "/data.mdb"), size / 3);  // kept to look at
  EXPECT_TRUE(opened.persistent);
  EXPECT_EQ(get(*opened.store, "key7"), std::nullopt);
  EXPECT_FALSE(opened.store->put("t", "new", "value"));
  EXPECT_EQ(get(*opened.store, "new"), "value");
}

TEST(disposable_test, a_garbage_header_is_moved_aside) {
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  fill(dir, 100);
  {
    std::fstream f(dir + "/data.mdb", std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937 rng{7};
    for (int i = 0; i < 8192; ++i)
      f.put(static_cast<char>(rng()));
  }
  auto opened = open_disposable_store(dir, cache_options());
  EXPECT_FALSE(opened.problem.empty());
  EXPECT_FALSE(opened.moved_aside.empty());
  EXPECT_TRUE(opened.persistent);
  EXPECT_EQ(get(*opened.store, "key1"), std::nullopt);
}

TEST(disposable_test, a_cache_left_open_by_an_earlier_boot_is_moved_aside) {
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  fill(dir, 10);
  ASSERT_FALSE(fs::exists(dir + "/open-in-boot"));  // a clean close removes the marker
  // What a power loss leaves: the marker of a boot that is not this one.
  std::ofstream{dir + "/open-in-boot"} << "00000000-0000-0000-0000-000000000000\n";
  auto opened = open_disposable_store(dir, cache_options());
  EXPECT_NE(opened.problem.find("system went down"), std::string::npos) << opened.problem;
  EXPECT_FALSE(opened.moved_aside.empty());
  EXPECT_EQ(get(*opened.store, "key1"), std::nullopt);
  EXPECT_TRUE(fs::exists(dir + "/open-in-boot"));  // this one is open now
}

TEST(disposable_test, a_cache_left_open_in_this_boot_keeps_its_data) {
  // A crash of the daemon alone loses nothing: the OS still holds every commit.
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  fill(dir, 10);
  std::ifstream boot_id{"/proc/sys/kernel/random/boot_id"};
  std::string boot;
  std::getline(boot_id, boot);
  std::ofstream{dir + "/open-in-boot"} << boot << "\n";
  auto opened = open_disposable_store(dir, cache_options());
  EXPECT_TRUE(opened.problem.empty()) << opened.problem;
  EXPECT_EQ(get(*opened.store, "key1"), std::string(1024, 'b'));
}

TEST(disposable_test, a_garbage_lock_file_left_by_a_dead_process_keeps_the_data) {
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  fill(dir, 10);
  std::ofstream(dir + "/lock.mdb", std::ios::binary | std::ios::trunc) << std::string(8192, 'G');
  auto opened = open_disposable_store(dir, cache_options());
  EXPECT_TRUE(opened.problem.empty()) << opened.problem;
  EXPECT_EQ(get(*opened.store, "key2"), std::string(1024, 'c'));
}

TEST(disposable_test, a_file_instead_of_the_directory_is_moved_aside) {
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  std::ofstream{dir} << "not a directory";
  auto opened = open_disposable_store(dir, cache_options());
  EXPECT_NE(opened.problem.find("not a directory"), std::string::npos) << opened.problem;
  EXPECT_TRUE(fs::is_regular_file(opened.moved_aside));
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_TRUE(opened.persistent);
}

TEST(disposable_test, a_data_file_that_cannot_be_opened_for_writing_is_moved_aside) {
  // Root passes every permission check, so the immutable flag stands for wrong
  // permissions here (EPERM on open for writing, as for a file of another user).
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  fill(dir, 10);
  if (sh("chattr +i " + dir + "/data.mdb 2>/dev/null") != 0)
    GTEST_SKIP() << "chattr +i is not supported on " << tmp.path();
  auto opened = open_disposable_store(dir, cache_options());
  EXPECT_FALSE(opened.problem.empty());
  ASSERT_FALSE(opened.moved_aside.empty());
  EXPECT_TRUE(opened.persistent);
  EXPECT_FALSE(opened.store->put("t", "k", "v"));
  sh("chattr -i " + opened.moved_aside + "/data.mdb");
}

TEST(disposable_test, without_a_writable_state_dir_the_caches_live_in_memory) {
  temp_dir tmp;
  auto parent = tmp / "state";
  auto dir = parent + "/cache.lmdb";
  fs::create_directories(parent);
  std::ofstream{dir} << "x";  // neither usable nor, below, movable
  if (sh("chattr +i " + parent + " 2>/dev/null") != 0)
    GTEST_SKIP() << "chattr +i is not supported on " << tmp.path();
  auto opened = open_disposable_store(dir, cache_options());
  sh("chattr -i " + parent);
  EXPECT_FALSE(opened.persistent);
  EXPECT_NE(opened.problem.find("cannot move"), std::string::npos) << opened.problem;
  EXPECT_FALSE(opened.store->put("t", "k", "v"));
  EXPECT_EQ(get(*opened.store, "k"), "v");
}

TEST(disposable_test, only_the_two_newest_damaged_copies_are_kept) {
  temp_dir tmp;
  auto dir = tmp / "cache.lmdb";
  for (auto stamp : {"20200101T000000Z", "20210101T000000Z", "20220101T000000Z"})
    fs::create_directories(dir + ".damaged-" + stamp);
  std::ofstream{dir} << "x";
  auto moved = move_aside(dir, 2);
  ASSERT_TRUE(moved) << describe(moved.error());
  std::vector<std::string> left;
  for (auto& e : fs::directory_iterator(tmp.path()))
    left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0], "cache.lmdb.damaged-20220101T000000Z");
  EXPECT_EQ(tmp.path() + "/" + left[1], *moved);
}

TEST(disposable_test, a_content_folder_that_is_not_a_writable_directory_is_replaced) {
  temp_dir tmp;
  auto dir = tmp / "content";
  auto fine = prepare_disposable_dir(dir);
  ASSERT_TRUE(fine);
  EXPECT_EQ(*fine, "");
  EXPECT_TRUE(fs::is_directory(dir));
  fs::remove(dir);
  std::ofstream{dir} << "x";
  auto replaced = prepare_disposable_dir(dir);
  ASSERT_TRUE(replaced) << describe(replaced.error());
  EXPECT_TRUE(fs::is_regular_file(*replaced));
  EXPECT_TRUE(fs::is_directory(dir));
}

}  // namespace
}  // namespace d1::storage
