// long_name_map over a real LMDB environment: a shortened name maps back to its full
// segment in memory, after a "restart" (a new map on the reopened environment), and not
// at all when it was never listed.
#include "actors/resolve/long_names.hpp"

#include "messages/error.hpp"
#include "messages/path_codec.hpp"
#include "storage/lmdb_store.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace d1::test {
namespace {

class long_names_test : public ::testing::Test {
protected:
  std::shared_ptr<storage::kv_store> open() {
    storage::environment_options opts;
    opts.durable = false;
    opts.map_size = 1 << 20;
    auto s = storage::lmdb_store::open(dir_.path(), opts);
    EXPECT_TRUE(s) << describe(s.error());
    return s ? *s : nullptr;
  }

  static std::string long_segment(char fill) {
    return "doi:10.1%2F" + std::string(300, fill);
  }

  temp_dir dir_;
};

TEST_F(long_names_test, short_names_pass_through_and_are_not_stored) {
  auto store = open();
  long_name_map names{store, 10};
  EXPECT_EQ(names.name_for("cbfs.38.9"), "cbfs.38.9");
  names.flush();
  EXPECT_EQ(names.size(), 0u);
  EXPECT_EQ(*store->count("long_names"), 0u);
}

TEST_F(long_names_test, a_shortened_name_maps_back_after_a_restart) {
  auto full = long_segment('a');
  std::string name;
  {
    auto store = open();
    long_name_map names{store, 10};
    name = names.name_for(full);
    EXPECT_TRUE(is_shortened(name));
    EXPECT_EQ(names.full_of(name), full);
  }  // the map writes what is queued; the environment closes
  auto store = open();
  long_name_map names{store, 10};
  EXPECT_EQ(names.size(), 0u);
  EXPECT_EQ(names.full_of(name), full);
  EXPECT_EQ(names.full_of(shorten_segment(long_segment('b'))), std::nullopt);
}

TEST_F(long_names_test, the_table_is_bounded) {
  auto store = open();
  long_name_map names{store, 3};
  for (char c : std::string{"abcdefg"}) {
    names.name_for(long_segment(c));
    names.flush();
  }
  EXPECT_LE(*store->count("long_names"), 3u);
  EXPECT_LE(names.size(), 3u);
  // The most recent one always survives the bound.
  long_name_map again{store, 3};
  EXPECT_EQ(again.full_of(shorten_segment(long_segment('g'))), long_segment('g'));
}

TEST_F(long_names_test, without_a_store_names_live_in_memory_only) {
  long_name_map names{nullptr, 10};
  auto name = names.name_for(long_segment('x'));
  EXPECT_EQ(names.full_of(name), long_segment('x'));
}

}  // namespace
}  // namespace d1::test
