// select_datum and list_resource_files: which files each datum reads (AD_TIFF frames of a
// point, AD_HDF5 rows, NPY frames) and an AD_TIFF resource's file list from its datums,
// registered as the filestore registers it (no num_points).
#include "actors/mobile/datum_files.hpp"

#include "messages/error.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

const char* filestore_tiff =
  R"({"template": "%s%s_%6.6d.tiff", "filename": "img", "frame_per_point": 2})";

TEST(datum_files, ad_tiff_points_own_frame_per_point_frames) {
  auto d = select_datum("AD_TIFF", "scan", filestore_tiff, R"({"point_number": 3})");
  ASSERT_TRUE(d) << describe(d.error());
  EXPECT_EQ(d->files, (std::vector<std::string>{"scan/img_000006.tiff", "scan/img_000007.tiff"}));
  auto first = select_datum(
    "AD_TIFF", "scan",
    R"({"template": "%s%s_%d.tif", "filename": "x", "frame_per_point": 1, "first_frame": 10, "num_points": 5})",
    R"({"point_number": 4})");
  ASSERT_TRUE(first) << describe(first.error());
  EXPECT_EQ(first->files, (std::vector<std::string>{"scan/x_14.tif"}));
  auto past = select_datum(
    "AD_TIFF", "scan",
    R"({"template": "%s%s_%d.tif", "filename": "x", "frame_per_point": 1, "num_points": 5})",
    R"({"point_number": 5})");
  ASSERT_FALSE(past);
  EXPECT_NE(context_of(past.error()).find("past num_points 5"), std::string::npos);
}

TEST(datum_files, other_specs_select_rows_frames_or_the_whole_file) {
  auto h5 = select_datum("AD_HDF5", "a/b.h5", R"({"frame_per_point": 5})", R"({"point_number": 2})");
  ASSERT_TRUE(h5) << describe(h5.error());
  EXPECT_EQ(h5->files, (std::vector<std::string>{"a/b.h5"}));
  EXPECT_EQ(h5->first_row, 10u);
  EXPECT_EQ(h5->rows, 5u);
  auto npy = select_datum("NPY_FRAMEWISE", "s.npy", "", R"({"frame_no": 7})");
  ASSERT_TRUE(npy) << describe(npy.error());
  EXPECT_EQ(npy->frame_no, std::optional<uint64_t>{7});
  for (auto spec : {"NPY", "RAW"}) {
    auto whole = select_datum(spec, "x//y.bin", "", "{}");
    ASSERT_TRUE(whole) << describe(whole.error());
    EXPECT_EQ(whole->files, (std::vector<std::string>{"x/y.bin"}));
    EXPECT_FALSE(whole->frame_no);
  }
}

TEST(datum_files, bad_datums_are_refused_with_the_reason) {
  struct bad {
    const char* spec;
    const char* kwargs;
    const char* datum;
    const char* words;
  };
  for (auto b : {bad{"AD_TIFF", filestore_tiff, "{}", "lack 'point_number'"},
                 bad{"AD_TIFF", filestore_tiff, R"({"point_number": -1})", "at least 0"},
                 bad{"AD_TIFF", filestore_tiff, R"({"point_number": "1"})", "integer"},
                 bad{"AD_TIFF", filestore_tiff, R"({"point_number": 1, "x": 2})", "unknown key 'x'"},
                 bad{"AD_TIFF", filestore_tiff, "[1]", "JSON object"},
                 bad{"AD_TIFF", R"({"template": "%s%s", "filename": "i", "frame_per_point": 1})",
                     R"({"point_number": 0})", "three conversions"},
                 bad{"AD_TIFF", filestore_tiff, R"({"point_number": 9223372036854775807})",
                     "out of range"},
                 bad{"AD_HDF5", "{}", R"({"point_number": 0})", "frame_per_point"},
                 bad{"NPY_FRAMEWISE", "", "{}", "frame_no"},
                 bad{"NPY", "", R"({"frame_no": 1})", "unknown key"},
                 bad{"DATAONE", "", "{}", "no datum values"},
                 bad{"RAW", "", "{", "not JSON"}}) {
    auto r = select_datum(b.spec, "p", b.kwargs, b.datum);
    ASSERT_FALSE(r) << b.spec << " " << b.datum;
    EXPECT_EQ(code_of(r.error()), ec::invalid_argument);
    EXPECT_NE(context_of(r.error()).find(b.words), std::string::npos)
      << b.words << " in " << describe(r.error());
  }
  EXPECT_FALSE(select_datum("RAW", "../x", "", ""));
}

TEST(datum_files, an_ad_tiff_resource_without_num_points_lists_its_datums_files) {
  // Registered the filestore's way: template, filename, frame_per_point, then datums.
  auto none = list_resource_files("AD_TIFF", "scan", filestore_tiff, {});
  ASSERT_TRUE(none) << describe(none.error());
  EXPECT_TRUE(none->rel_paths.empty());
  auto some = list_resource_files("AD_TIFF", "scan", filestore_tiff,
                                  {R"({"point_number": 4})", R"({"point_number": 1})",
                                   R"({"point_number": 1})"});
  ASSERT_TRUE(some) << describe(some.error());
  EXPECT_EQ(some->rel_paths,
            (std::vector<std::string>{"scan/img_000002.tiff", "scan/img_000003.tiff",
                                      "scan/img_000008.tiff", "scan/img_000009.tiff"}));
  // num_points still names every frame itself.
  auto counted = list_resource_files(
    "AD_TIFF", "scan",
    R"({"template": "%s%s_%6.6d.tiff", "filename": "img", "frame_per_point": 2, "num_points": 2})",
    {R"({"point_number": 9})"});
  ASSERT_TRUE(counted) << describe(counted.error());
  EXPECT_EQ(counted->rel_paths.size(), 4u);
  // Bad kwargs are refused even before any datum exists.
  EXPECT_FALSE(list_resource_files("AD_TIFF", "scan", R"({"template": "%s%s_%d"})", {}));
  EXPECT_FALSE(list_resource_files("AD_TIFF", "scan", filestore_tiff, {"{}"}));
  auto npy = list_resource_files("NPY", "a.npy", "", {});
  ASSERT_TRUE(npy) << describe(npy.error());
  EXPECT_EQ(npy->rel_paths, (std::vector<std::string>{"a.npy"}));
  auto raw = list_resource_files("RAW", "a.bin", "", {});
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->rel_paths, (std::vector<std::string>{"a.bin"}));
}

}  // namespace
}  // namespace d1
