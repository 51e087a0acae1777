// The LMDB environment for real in a temp dir: directory creation and mode, clear errors,
// one open per process, table limits, and growing the map on MDB_MAP_FULL.
#include "storage/environment.hpp"
#include "storage/lmdb_store.hpp"

#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

namespace d1::storage {
namespace {

using test::temp_dir;

TEST(environment_test, creates_the_directory_with_mode_0700) {
  temp_dir tmp;
  auto dir = tmp / "state/cache.lmdb";
  auto env = environment::open(dir);
  ASSERT_TRUE(env) << describe(env.error());
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::exists(dir + "/data.mdb"));
  EXPECT_GT((*env)->max_key_size(), 100u);
}

TEST(environment_test, a_path_below_a_regular_file_is_a_clear_error) {
  temp_dir tmp;
  auto file = tmp / "plain-file";
  std::ofstream{file} << "not a directory";
  auto env = environment::open(file + "/db");
  ASSERT_FALSE(env);
  EXPECT_EQ(code_of(env.error()), ec::storage_error);
  auto text = context_of(env.error());
  EXPECT_NE(text.find(file + "/db"), std::string::npos) << text;
  EXPECT_NE(text.find("Not a directory"), std::string::npos) << text;
}

TEST(environment_test, a_regular_file_as_the_directory_is_a_clear_error) {
  temp_dir tmp;
  auto file = tmp / "plain-file";
  std::ofstream{file} << "x";
  auto env = environment::open(file);
  ASSERT_FALSE(env);
  EXPECT_EQ(code_of(env.error()), ec::storage_error);
  EXPECT_NE(context_of(env.error()).find("not a directory"), std::string::npos)
    << describe(env.error());
}

TEST(environment_test, refuses_a_second_open_in_the_same_process) {
  temp_dir tmp;
  auto first = environment::open(tmp.path());
  ASSERT_TRUE(first);
  // Through another spelling of the same directory.
  auto second = environment::open(tmp.path() + "/./");
  ASSERT_FALSE(second);
  EXPECT_NE(context_of(second.error()).find("already open"), std::string::npos);
  first->reset();
  auto third = environment::open(tmp.path());
  EXPECT_TRUE(third) << describe(third.error());
}

TEST(environment_test, invalid_options_are_refused) {
  temp_dir tmp;
  environment_options opts;
  opts.map_size = 0;
  EXPECT_FALSE(environment::open(tmp.path(), opts));
  opts.map_size = 1 << 20;
  opts.max_map_size = 1 << 19;
  EXPECT_FALSE(environment::open(tmp.path(), opts));
}

TEST(environment_test, too_many_tables_is_a_storage_error) {
  temp_dir tmp;
  environment_options opts;
  opts.max_dbs = 2;
  auto env = environment::open(tmp.path(), opts);
  ASSERT_TRUE(env);
  EXPECT_TRUE((*env)->table("a"));
  EXPECT_TRUE((*env)->table("b"));
  auto again = (*env)->table("a");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *(*env)->table("a"));
  auto third = (*env)->table("c");
  ASSERT_FALSE(third);
  EXPECT_EQ(code_of(third.error()), ec::storage_error);
  EXPECT_NE(context_of(third.error()).find("MDB_DBS_FULL"), std::string::npos)
    << describe(third.error());
}

TEST(environment_test, the_map_grows_when_full) {
  temp_dir tmp;
  environment_options opts;
  opts.map_size = 64 * 1024;
  opts.durable = false;
  auto store = lmdb_store::open(tmp.path(), opts);
  ASSERT_TRUE(store) << describe(store.error());
  auto initial = (*store)->env()->map_size();
  std::string value(1000, 'v');
  // ~4 MB in single puts and in batches: far more than 64 KiB.
  for (int i = 0; i < 2000; ++i)
    ASSERT_FALSE((*store)->put("t", "single" + std::to_string(i), value));
  for (int b = 0; b < 4; ++b) {
    write_batch batch;
    for (int i = 0; i < 500; ++i)
      batch.put("t", "batch" + std::to_string(b) + "-" + std::to_string(i), value);
    ASSERT_FALSE((*store)->write(batch));
  }
  // One value larger than the whole initial map.
  ASSERT_FALSE((*store)->put("t", "huge", std::string(1 << 20, 'h')));
  EXPECT_GT((*store)->env()->map_size(), initial);
  auto n = (*store)->count("t");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4001u);
  auto huge = (*store)->get("t", "huge");
  ASSERT_TRUE(huge && *huge);
  EXPECT_EQ((*huge)->size(), size_t{1} << 20);
}

TEST(environment_test, growth_stops_at_max_map_size_with_map_full) {
  temp_dir tmp;
  environment_options opts;
  opts.map_size = 64 * 1024;
  opts.max_map_size = 256 * 1024;
  auto store = lmdb_store::open(tmp.path(), opts);
  ASSERT_TRUE(store);
  auto err = (*store)->put("t", "big", std::string(1 << 20, 'b'));
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::storage_error);
  EXPECT_NE(context_of(err).find("MDB_MAP_FULL"), std::string::npos) << describe(err);
  // The failed write left the store usable.
  EXPECT_FALSE((*store)->put("t", "small", "ok"));
  EXPECT_EQ(*(*store)->get("t", "small"), std::optional<std::string>{"ok"});
}

TEST(environment_test, readers_run_while_a_writer_grows_the_map) {
  temp_dir tmp;
  environment_options opts;
  opts.map_size = 64 * 1024;
  opts.durable = false;
  auto store = lmdb_store::open(tmp.path(), opts);
  ASSERT_TRUE(store);
  ASSERT_FALSE((*store)->put("t", "fixed", "value"));
  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&] {
      // Bounded: stops when the writer is done, or after 10 s in any case.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!done && std::chrono::steady_clock::now() < deadline) {
        auto v = (*store)->get("t", "fixed");
        if (!v || !*v || **v != "value")
          ++bad_reads;
      }
    });
  std::string value(2000, 'x');
  for (int i = 0; i < 3000; ++i)
    if ((*store)->put("t", "k" + std::to_string(i), value))
      break;
  done = true;
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_EQ(*(*store)->count("t"), 3001u);
}

}  // namespace
}  // namespace d1::storage
