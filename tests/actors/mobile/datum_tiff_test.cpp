// read_tiff_stack: frames stacked across files, strips and tiles, compressions, byte
// orders, and the refusals (corrupt, truncated, mixed sizes, several images, bad types).
#include "actors/mobile/datum_tiff.hpp"

#include "messages/error.hpp"
#include "tests/actors/mobile/datum_fixtures.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

std::vector<std::string> frames(const std::string& sub, uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t f = 0; f < n; ++f) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s/img_%4.4u.tif", sub.c_str(), f);
    out.push_back(buf);
  }
  return out;
}

TEST(datum_tiff, stacks_frames_in_every_layout_and_compression) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(3, 29, 41);
  std::vector<std::pair<std::string, test::tiff_options>> layouts{
    {"none", {}},
    {"strips", {COMPRESSION_NONE, false, 4}},
    {"lzw", {COMPRESSION_LZW, false, 7, 0, 2}},
    {"deflate_be", {COMPRESSION_ADOBE_DEFLATE, true, 3}},
    {"packbits", {COMPRESSION_PACKBITS}},
    {"tiles", {COMPRESSION_LZW, true, 0, 16}},
  };
  std::string expected(reinterpret_cast<const char*>(s.values.data()), s.values.size() * 2);
  for (auto& [sub, opts] : layouts) {
    SCOPED_TRACE(sub);
    ASSERT_TRUE(test::write_tiff_stack(dir / sub, "img", s, opts));
    test::collecting_sink sink;
    auto err = read_tiff_stack(dir.path, frames(sub, 3), sink);
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(sink.begins, 1);
    EXPECT_EQ(sink.dtype, (datum_dtype{'u', 2}));
    EXPECT_EQ(sink.shape, (std::vector<uint64_t>{3, 29, 41}));
    EXPECT_TRUE(sink.bytes == expected);
  }
}

TEST(datum_tiff, frames_must_agree_in_size_and_type) {
  test::temp_dir dir;
  auto a = test::sample_u16_stack(1, 10, 10);
  auto b = test::sample_u16_stack(1, 10, 11);
  ASSERT_TRUE(test::write_tiff_frame(dir / "t/img_0000.tif", a, 0));
  ASSERT_TRUE(test::write_tiff_frame(dir / "t/img_0001.tif", b, 0));
  test::collecting_sink sink;
  auto err = read_tiff_stack(dir.path, frames("t", 2), sink);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::invalid_argument);
  EXPECT_NE(context_of(err).find(dir / "t/img_0001.tif"), std::string::npos) << describe(err);
  EXPECT_NE(context_of(err).find("11x10"), std::string::npos) << describe(err);
}

TEST(datum_tiff, corrupt_truncated_and_multi_image_files_are_errors_naming_the_file) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(1, 64, 64);
  ASSERT_TRUE(test::write_tiff_frame(dir / "good.tif", s, 0, {COMPRESSION_LZW, false, 8}));
  auto good = test::slurp(dir / "good.tif");
  // Garbage, a file cut in its image data, LZW data overwritten, two images in one file.
  test::write_file(dir / "garbage.tif", std::string(4096, 'g'));
  test::write_file(dir / "empty.tif", "");
  std::string cut = good.substr(0, good.size() / 2);
  // The image file directory sits at the end (libtiff writes it last): keep it, cut data.
  auto damaged = good;
  for (size_t i = 16; i < good.size() / 2; ++i)
    damaged[i] = static_cast<char>(0xff);
  test::write_file(dir / "cut.tif", cut);
  test::write_file(dir / "damaged.tif", damaged);
  ASSERT_TRUE(test::write_tiff_frame(dir / "two.tif", s, 0, {COMPRESSION_NONE, false, 0, 0, 0, 2}));
  for (auto name : {"garbage.tif", "empty.tif", "cut.tif", "damaged.tif", "two.tif"}) {
    test::collecting_sink sink;
    auto err = read_tiff_stack(dir.path, {name}, sink);
    ASSERT_TRUE(err) << name;
    EXPECT_EQ(code_of(err), ec::parse_error) << describe(err);
    EXPECT_NE(context_of(err).find(dir / name), std::string::npos) << describe(err);
  }
  test::collecting_sink sink;
  EXPECT_FALSE(read_tiff_stack(dir.path, {"good.tif"}, sink));
}

TEST(datum_tiff, unsupported_sample_types_are_refused) {
  test::temp_dir dir;
  // A 1-bit bilevel image.
  TIFF* tif = TIFFOpen((dir / "bits.tif").c_str(), "w");
  ASSERT_TRUE(tif);
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 8);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 1);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  unsigned char row = 0xa5;
  TIFFWriteScanline(tif, &row, 0, 0);
  TIFFClose(tif);
  test::collecting_sink sink;
  auto err = read_tiff_stack(dir.path, {"bits.tif"}, sink);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::invalid_argument) << describe(err);
  EXPECT_NE(context_of(err).find("1 bits"), std::string::npos) << describe(err);
}

}  // namespace
}  // namespace d1
