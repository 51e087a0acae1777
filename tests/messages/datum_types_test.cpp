// The datum worker's values survive serialize → deserialize with every field intact,
// compared field by field (a field missing from inspect() fails here).
#include "messages/datum_types.hpp"

#include "tests/messages/field_lists.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

template <class T>
T roundtrip(const T& x) {
  return test::caf_round_trip(x);
}

datum_stats sample_stats() {
  datum_stats s;
  s.count = 11;
  s.nan_count = 2;
  s.inf_count = 3;
  s.min = -1.5;
  s.max = 9.25;
  s.mean = 4.125;
  s.std = 0.5;
  s.histogram = {1, 0, 7, 3};
  return s;
}

void expect_same(const datum_stats& a, const datum_stats& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.nan_count, b.nan_count);
  EXPECT_EQ(a.inf_count, b.inf_count);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.max, b.max);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.std, b.std);
  EXPECT_EQ(a.histogram, b.histogram);
}

TEST(datum_types, stats_request_and_result_roundtrip) {
  expect_same(roundtrip(sample_stats()), sample_stats());

  datum_hash_request q{"d", "r", "AD_TIFF", "/root", "scan",
                       R"({"frame_per_point": 2})", R"({"point_number": 1})", "SHA-256", "ab"};
  auto q2 = roundtrip(q);
  EXPECT_EQ(q2.datum_id, "d");
  EXPECT_EQ(q2.resource_uid, "r");
  EXPECT_EQ(q2.spec, "AD_TIFF");
  EXPECT_EQ(q2.root, "/root");
  EXPECT_EQ(q2.resource_path, "scan");
  EXPECT_EQ(q2.resource_kwargs, q.resource_kwargs);
  EXPECT_EQ(q2.datum_kwargs, q.datum_kwargs);
  EXPECT_EQ(q2.algorithm, "SHA-256");
  EXPECT_EQ(q2.expected_hash, "ab");

  datum_hash_result r;
  r.datum_id = "d";
  r.state = datum_state::hash_mismatch;
  r.algorithm = "SHA-1";
  r.hash = "cd";
  r.dtype = "<u2";
  r.shape = {2, 3, 4};
  r.stats = sample_stats();
  r.files = {"scan/a.tif", "scan/b.tif"};
  r.detail = "why";
  auto r2 = roundtrip(r);
  EXPECT_EQ(r2.datum_id, "d");
  EXPECT_EQ(r2.state, datum_state::hash_mismatch);
  EXPECT_EQ(r2.algorithm, "SHA-1");
  EXPECT_EQ(r2.hash, "cd");
  EXPECT_EQ(r2.dtype, "<u2");
  EXPECT_EQ(r2.shape, r.shape);
  expect_same(r2.stats, r.stats);
  EXPECT_EQ(r2.files, r.files);
  EXPECT_EQ(r2.detail, "why");
}

}  // namespace
}  // namespace d1
