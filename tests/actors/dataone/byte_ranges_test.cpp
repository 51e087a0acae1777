// byte_ranges: merging, removing, gaps and the persisted flat form, checked against a
// plain bitmap over random operations.
#include "actors/dataone/byte_ranges.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace d1::test {
namespace {

TEST(byte_ranges, adds_merge_when_they_touch) {
  byte_ranges r;
  r.add(10, 20);
  r.add(20, 30);
  r.add(40, 50);
  EXPECT_EQ(r.runs(), (std::vector<byte_ranges::range>{{10, 30}, {40, 50}}));
  r.add(25, 45);
  EXPECT_EQ(r.runs(), (std::vector<byte_ranges::range>{{10, 50}}));
  r.add(5, 5);  // empty
  EXPECT_EQ(r.total(), 40u);
  EXPECT_TRUE(r.contains(10, 50));
  EXPECT_FALSE(r.contains(9, 11));
  EXPECT_TRUE(r.contains(7, 7));
  EXPECT_EQ(r.run_end(12), 50u);
  EXPECT_EQ(r.run_end(50), 50u);
}

TEST(byte_ranges, remove_splits_and_gaps_list_what_is_missing) {
  byte_ranges r;
  r.add(0, 100);
  r.remove(40, 60);
  EXPECT_EQ(r.runs(), (std::vector<byte_ranges::range>{{0, 40}, {60, 100}}));
  EXPECT_EQ(r.gaps(0, 120), (std::vector<byte_ranges::range>{{40, 60}, {100, 120}}));
  EXPECT_EQ(r.gaps(10, 30), std::vector<byte_ranges::range>{});
  EXPECT_EQ(r.gaps(50, 55), (std::vector<byte_ranges::range>{{50, 55}}));
  r.remove(0, 1000);
  EXPECT_TRUE(r.empty());
}

TEST(byte_ranges, flat_form_round_trips_and_is_clipped) {
  byte_ranges r;
  r.add(3, 9);
  r.add(20, 40);
  auto flat = r.flatten();
  EXPECT_EQ(flat, (std::vector<uint64_t>{3, 9, 20, 40}));
  EXPECT_EQ(byte_ranges::from_flat(flat, 100).runs(), r.runs());
  EXPECT_EQ(byte_ranges::from_flat(flat, 30).runs(),
            (std::vector<byte_ranges::range>{{3, 9}, {20, 30}}));
  // A damaged record: reversed pairs and an odd tail are skipped.
  EXPECT_EQ(byte_ranges::from_flat({9, 3, 5, 6, 7}, 100).runs(),
            (std::vector<byte_ranges::range>{{5, 6}}));
}

TEST(byte_ranges, random_operations_match_a_bitmap) {
  std::mt19937 rng{7};
  constexpr uint64_t n = 300;
  for (int round = 0; round < 50; ++round) {
    byte_ranges r;
    std::vector<bool> bits(n, false);
    for (int op = 0; op < 40; ++op) {
      uint64_t a = rng() % n, b = rng() % (n + 1);
      if (a > b)
        std::swap(a, b);
      bool add = rng() % 3 != 0;
      add ? r.add(a, b) : r.remove(a, b);
      for (auto i = a; i < b; ++i)
        bits[i] = add;
      uint64_t x = rng() % n, y = rng() % (n + 1);
      if (x > y)
        std::swap(x, y);
      bool all = true;
      std::vector<byte_ranges::range> want_gaps;
      for (auto i = x; i < y; ++i) {
        all = all && bits[i];
        if (!bits[i]) {
          if (!want_gaps.empty() && want_gaps.back().second == i)
            ++want_gaps.back().second;
          else
            want_gaps.emplace_back(i, i + 1);
        }
      }
      ASSERT_EQ(r.contains(x, y), all) << round << "/" << op;
      ASSERT_EQ(r.gaps(x, y), want_gaps) << round << "/" << op;
    }
    uint64_t count = 0;
    for (bool b : bits)
      count += b;
    EXPECT_EQ(r.total(), count);
  }
}

}  // namespace
}  // namespace d1::test
