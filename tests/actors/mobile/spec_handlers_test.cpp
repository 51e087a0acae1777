// Spec handlers: the file lists of RAW, AD_TIFF (areaDetector templates with
// frame_per_point), AD_HDF5, NPY_FRAMEWISE and DATAONE, and the refusals.
#include "actors/mobile/spec_handlers.hpp"

#include "messages/error.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

TEST(spec_handlers, single_file_specs_list_their_path) {
  for (auto spec : {"RAW", "AD_HDF5", "NPY_FRAMEWISE"}) {
    auto r = list_spec_files(spec, "scan//a/./b.h5", "");
    ASSERT_TRUE(r) << describe(r.error());
    ASSERT_EQ(r->rel_paths.size(), 1u);
    EXPECT_EQ(r->rel_paths[0], "scan/a/b.h5");
    EXPECT_TRUE(r->algorithm.empty());
  }
}

TEST(spec_handlers, ad_tiff_lists_frame_per_point_frames_like_area_detector) {
  auto r = list_spec_files(
    "AD_TIFF", "scan1",
    R"({"template": "%s%s_%6.6d.tiff", "filename": "img", "frame_per_point": 2, "num_points": 3})");
  ASSERT_TRUE(r) << describe(r.error());
  ASSERT_EQ(r->rel_paths.size(), 6u);
  EXPECT_EQ(r->rel_paths[0], "scan1/img_000000.tiff");
  EXPECT_EQ(r->rel_paths[5], "scan1/img_000005.tiff");
  auto first = list_spec_files(
    "AD_TIFF", "s",
    R"({"template": "%s%s_%04d.tif", "filename": "x", "frame_per_point": 1, "num_points": 2, "first_frame": 7})");
  ASSERT_TRUE(first) << describe(first.error());
  EXPECT_EQ(first->rel_paths, (std::vector<std::string>{"s/x_0007.tif", "s/x_0008.tif"}));
}

TEST(spec_handlers, ad_template_formats_each_conversion_safely) {
  auto a = format_ad_template("%s%s_%d.tiff", "p/", "n", 12);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, "p/n_12.tiff");
  auto pct = format_ad_template("%s%s%%_%3.3d", "p/", "n", 1);
  ASSERT_TRUE(pct);
  EXPECT_EQ(*pct, "p/n%_001");
  for (auto bad : {"%s%s_%n", "%s%s", "%s%s_%d_%d", "%d%s%s", "%1$s%s%d", "%s%s%*d", "%s%s_%f",
                   "%s%s_%"}) {
    auto r = format_ad_template(bad, "p/", "n", 1);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(code_of(r.error()), ec::invalid_argument);
    }
  }
}

TEST(spec_handlers, refuses_unknown_specs_bad_kwargs_and_escapes) {
  auto expect_invalid = [](caf::expected<spec_listing> r, const char* what) {
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(code_of(r.error()), ec::invalid_argument) << what;
    EXPECT_FALSE(context_of(r.error()).empty());
  };
  expect_invalid(list_spec_files("FOO", "a", ""), "unknown spec");
  expect_invalid(list_spec_files("RAW", "../a", ""), "dotdot");
  expect_invalid(list_spec_files("RAW", "/abs", ""), "absolute");
  expect_invalid(list_spec_files("RAW", "a", "[1]"), "kwargs not an object");
  expect_invalid(list_spec_files("RAW", "a", "{nope"), "kwargs not JSON");
  expect_invalid(list_spec_files("AD_TIFF", "a", R"({"filename":"x","frame_per_point":1,"num_points":1})"),
                 "no template");
  expect_invalid(list_spec_files("AD_TIFF", "a",
                                 R"({"template":"%s%s_%d","filename":"x","frame_per_point":0,"num_points":1})"),
                 "fpp 0");
  expect_invalid(list_spec_files("AD_TIFF", "a",
                                 R"({"template":"%s%s_%d","filename":"x","frame_per_point":"2","num_points":1})"),
                 "fpp string");
  expect_invalid(list_spec_files("AD_TIFF", "a",
                                 R"({"template":"%s../%s_%d","filename":"x","frame_per_point":1,"num_points":1})"),
                 "template escapes");
  // first_frame + frames once overflowed int64 (undefined behaviour, an endless loop).
  expect_invalid(list_spec_files("AD_TIFF", "a",
                                 R"({"template":"%s%s_%d","filename":"x","frame_per_point":2,"num_points":1,"first_frame":9223372036854775807})"),
                 "first_frame overflows");
  expect_invalid(list_spec_files("AD_TIFF", "a",
                                 R"({"template":"%s%s_%d","filename":"x","frame_per_point":2,"num_points":1,"first_frame":2147483646})"),
                 "beyond areaDetector's int");
  expect_invalid(list_spec_files("DATAONE", "a", R"({"pid":"p","checksum":"abc","checksum_algorithm":"MD5"})"),
                 "short checksum");
  expect_invalid(list_spec_files("DATAONE", "a", R"({"pid":"p","checksum":"00","checksum_algorithm":"CRC"})"),
                 "algorithm");
}

TEST(spec_handlers, dataone_carries_the_system_metadata_checksum) {
  auto r = list_spec_files(
    "DATAONE", "staged/obj.csv",
    R"({"pid":"doi:1/x","checksum":"D41D8CD98F00B204E9800998ECF8427E","checksum_algorithm":"md5"})");
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->rel_paths, std::vector<std::string>{"staged/obj.csv"});
  EXPECT_EQ(r->algorithm, "MD5");
  EXPECT_EQ(r->expected_digest, "d41d8cd98f00b204e9800998ecf8427e");
}

}  // namespace
}  // namespace d1
