// datum_digest: the canonical bytes (header, little-endian values), the statistics of both
// paths (value-count table for 8/16-bit, blocks for wider types) agreeing on the same
// values, numpy's histogram edges, non-finite values, and the histogram's second pass.
#include "actors/mobile/datum_value.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace d1 {
namespace {

template <class T>
datum_summary summarize(const std::vector<T>& values, datum_dtype dtype,
                        std::vector<uint64_t> shape, const digest_options& options = {},
                        const std::string& algorithm = "SHA-1") {
  auto d = datum_digest::make(algorithm, options);
  EXPECT_TRUE(d);
  EXPECT_FALSE(d->begin(dtype, shape));
  // Delivered in uneven pieces, as readers do.
  size_t i = 0, step = 1;
  while (i < values.size()) {
    size_t n = std::min(step, values.size() - i);
    d->values(values.data() + i, n * sizeof(T));
    i += n;
    step = step * 3 + 1;
  }
  if (d->needs_histogram_pass()) {
    auto& pass = d->histogram_pass();
    EXPECT_FALSE(pass.begin(dtype, shape));
    pass.values(values.data(), values.size() * sizeof(T));
  }
  auto out = d->finish();
  EXPECT_TRUE(out) << describe(out.error());
  return out ? *out : datum_summary{};
}

std::string sha1_of(const std::string& bytes) {
  auto h = streaming_hasher::make("SHA-1");
  h->update(bytes.data(), bytes.size());
  return h->hex_digest();
}

TEST(datum_value, dtype_strings_and_the_header_follow_numpy) {
  EXPECT_EQ((datum_dtype{'u', 1}).str(), "|u1");
  EXPECT_EQ((datum_dtype{'i', 1}).str(), "|i1");
  EXPECT_EQ((datum_dtype{'u', 2}).str(), "<u2");
  EXPECT_EQ((datum_dtype{'f', 8}).str(), "<f8");
  EXPECT_EQ(canonical_header({'i', 4}, {2, 512, 512}), "<i4\n2,512,512\n");
  EXPECT_EQ(canonical_header({'f', 8}, {}), "<f8\n\n");
  EXPECT_FALSE(make_dtype('f', 2));
  EXPECT_FALSE(make_dtype('u', 3));
  EXPECT_FALSE(make_dtype('c', 8));
  EXPECT_TRUE(make_dtype('i', 8));
}

TEST(datum_value, hashes_the_header_then_little_endian_values) {
  std::vector<uint16_t> v{1, 2, 0x0102, 65535, 0, 7};
  auto s = summarize(v, {'u', 2}, {2, 3});
  std::string bytes = "<u2\n2,3\n";
  for (auto x : v) {
    bytes += static_cast<char>(x & 0xff);
    bytes += static_cast<char>(x >> 8);
  }
  EXPECT_EQ(s.hash, sha1_of(bytes));
  EXPECT_EQ(s.algorithm, "SHA-1");
  auto s256 = summarize(v, {'u', 2}, {2, 3}, {}, "sha256");
  EXPECT_EQ(s256.algorithm, "SHA-256");
  EXPECT_EQ(s256.hash.size(), 64u);
  // Same values, another shape: another datum.
  EXPECT_NE(summarize(v, {'u', 2}, {6}).hash, s.hash);
}

TEST(datum_value, small_and_wide_types_describe_the_same_values_alike) {
  std::vector<int16_t> narrow;
  std::vector<int32_t> wide;
  std::vector<double> dbl;
  for (int i = 0; i < 20000; ++i) {
    auto v = static_cast<int16_t>((i * 7919) % 4001 - 2000);
    narrow.push_back(v);
    wide.push_back(v);
    dbl.push_back(v);
  }
  auto a = summarize(narrow, {'i', 2}, {narrow.size()});
  auto b = summarize(wide, {'i', 4}, {wide.size()});
  auto c = summarize(dbl, {'f', 8}, {dbl.size()});
  for (auto* x : {&b, &c}) {
    EXPECT_EQ(x->stats.count, a.stats.count);
    EXPECT_EQ(x->stats.min, a.stats.min);
    EXPECT_EQ(x->stats.max, a.stats.max);
    EXPECT_NEAR(x->stats.mean, a.stats.mean, 1e-9);
    EXPECT_NEAR(x->stats.std, a.stats.std, 1e-9);
    EXPECT_EQ(x->stats.histogram, a.stats.histogram);
  }
  EXPECT_EQ(a.stats.min, -2000);
  EXPECT_EQ(a.stats.max, 2000);
  ASSERT_EQ(a.stats.histogram.size(), 64u);
  uint64_t total = 0;
  for (auto n : a.stats.histogram)
    total += n;
  EXPECT_EQ(total, 20000u);
}

TEST(datum_value, histogram_bins_are_numpys) {
  // numpy.histogram([0, 1, …, 64], bins=64, range=(0, 64)): one value a bin, the last
  // bin closed (it holds 63 and 64).
  std::vector<uint8_t> v;
  for (int i = 0; i <= 64; ++i)
    v.push_back(static_cast<uint8_t>(i));
  auto s = summarize(v, {'u', 1}, {v.size()});
  ASSERT_EQ(s.stats.histogram.size(), 64u);
  for (size_t i = 0; i < 63; ++i)
    EXPECT_EQ(s.stats.histogram[i], 1u) << i;
  EXPECT_EQ(s.stats.histogram[63], 2u);
  // All values equal: numpy widens the range to [v - 0.5, v + 0.5], so they fall in bin 32.
  std::vector<float> same(10, 3.25f);
  auto flat = summarize(same, {'f', 4}, {10});
  EXPECT_EQ(flat.stats.histogram[32], 10u);
  EXPECT_EQ(flat.stats.std, 0.0);
  EXPECT_EQ(flat.stats.mean, 3.25);
}

TEST(datum_value, non_finite_values_are_counted_and_left_out) {
  auto nan = std::numeric_limits<double>::quiet_NaN();
  auto inf = std::numeric_limits<double>::infinity();
  std::vector<double> v{1, nan, 2, inf, 3, -inf, nan, 4};
  auto s = summarize(v, {'f', 8}, {8});
  EXPECT_EQ(s.stats.count, 4u);
  EXPECT_EQ(s.stats.nan_count, 2u);
  EXPECT_EQ(s.stats.inf_count, 2u);
  EXPECT_EQ(s.stats.min, 1);
  EXPECT_EQ(s.stats.max, 4);
  EXPECT_DOUBLE_EQ(s.stats.mean, 2.5);
  EXPECT_DOUBLE_EQ(s.stats.std, std::sqrt(1.25));
  std::vector<float> all_nan(3, std::numeric_limits<float>::quiet_NaN());
  auto none = summarize(all_nan, {'f', 4}, {3});
  EXPECT_EQ(none.stats.count, 0u);
  EXPECT_EQ(none.stats.nan_count, 3u);
  EXPECT_TRUE(none.stats.histogram.empty());
}

TEST(datum_value, a_wide_datum_over_the_keep_limit_takes_a_second_pass_for_its_histogram) {
  std::vector<uint32_t> v;
  for (uint32_t i = 0; i < 50000; ++i)
    v.push_back(i * 2654435761u);
  auto kept = summarize(v, {'u', 4}, {v.size()});
  digest_options keep_little;
  keep_little.keep_bytes = 1000;
  auto d = datum_digest::make("SHA-1", keep_little);
  ASSERT_TRUE(d);
  ASSERT_FALSE(d->begin({'u', 4}, {v.size()}));
  d->values(v.data(), v.size() * 4);
  ASSERT_TRUE(d->needs_histogram_pass());
  EXPECT_FALSE(d->finish()) << "finish without the pass";
  auto& pass = d->histogram_pass();
  EXPECT_TRUE(pass.begin({'u', 4}, {v.size() + 1})) << "another shape is refused";
  pass.values(v.data(), v.size() * 4);
  auto two = d->finish();
  ASSERT_TRUE(two) << describe(two.error());
  EXPECT_EQ(two->hash, kept.hash);
  EXPECT_EQ(two->stats.histogram, kept.stats.histogram);
  EXPECT_EQ(two->stats.mean, kept.stats.mean);
}

TEST(datum_value, statistics_on_a_second_thread_are_the_same) {
  digest_options threaded, single;
  threaded.stats_thread_bytes = 1;
  single.stats_thread_bytes = 0;
  std::vector<uint16_t> narrow;
  std::vector<float> wide;
  for (int i = 0; i < 100000; ++i) {
    narrow.push_back(static_cast<uint16_t>(i * 40503u));
    wide.push_back(static_cast<float>(std::cos(i * 0.01) * i));
  }
  for (auto* opts : {&threaded, &single}) {
    auto a = summarize(narrow, {'u', 2}, {narrow.size()}, *opts);
    auto b = summarize(narrow, {'u', 2}, {narrow.size()});
    EXPECT_EQ(a.hash, b.hash);
    EXPECT_EQ(a.stats.histogram, b.stats.histogram);
    EXPECT_EQ(a.stats.mean, b.stats.mean);
    auto c = summarize(wide, {'f', 4}, {wide.size()}, *opts);
    auto d = summarize(wide, {'f', 4}, {wide.size()}, single);
    EXPECT_EQ(c.hash, d.hash);
    EXPECT_EQ(c.stats.histogram, d.stats.histogram);
    EXPECT_EQ(c.stats.std, d.stats.std);
    EXPECT_EQ(c.stats.min, d.stats.min);
  }
}

TEST(datum_value, finish_refuses_a_datum_with_too_few_or_too_many_bytes) {
  std::vector<uint16_t> v(10, 1);
  for (size_t n : {size_t{9}, size_t{10} + 1}) {
    auto d = datum_digest::make("");
    ASSERT_TRUE(d);
    ASSERT_FALSE(d->begin({'u', 2}, {10}));
    std::vector<uint16_t> w(n, 1);
    d->values(w.data(), w.size() * 2);
    auto r = d->finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(code_of(r.error()), ec::parse_error);
  }
  EXPECT_FALSE(datum_digest::make("MD5"));
  EXPECT_FALSE(datum_digest::make("CRC32"));
  auto overflow = datum_digest::make("SHA-1");
  EXPECT_TRUE(overflow->begin({'u', 8}, {uint64_t{1} << 40, uint64_t{1} << 30}));
}

}  // namespace
}  // namespace d1
