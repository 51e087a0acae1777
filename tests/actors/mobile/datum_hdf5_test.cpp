// read_hdf5_rows: rows of /entry/data/data, contiguous and chunked+gzip, either byte
// order, chunks spanning several rows, and the refusals (missing dataset, rows past the
// end, unsupported types, corrupt or truncated files); the same from a file image in memory.
#include "actors/mobile/datum_hdf5.hpp"

#include "messages/error.hpp"
#include "tests/actors/mobile/datum_fixtures.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

TEST(datum_hdf5, reads_rows_of_contiguous_and_chunked_datasets) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(5, 21, 33);
  std::string all(reinterpret_cast<const char*>(s.values.data()), s.values.size() * 2);
  const size_t frame_bytes = 21 * 33 * 2;
  std::vector<std::pair<std::string, test::hdf5_options>> files{
    {"c.h5", {}}, {"gz.h5", {true, 6}}, {"be.h5", {true, 2, true}}, {"bec.h5", {false, 0, true}}};
  for (auto& [name, opts] : files) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(test::write_hdf5_stack(dir / name, s, opts));
    test::collecting_sink sink;
    auto err = read_hdf5_rows(*test::on_disk(dir.path()), name, ad_hdf5_dataset, 1, 3, sink);
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(sink.dtype, (datum_dtype{'u', 2}));
    EXPECT_EQ(sink.shape, (std::vector<uint64_t>{3, 21, 33}));
    EXPECT_TRUE(sink.bytes == all.substr(frame_bytes, 3 * frame_bytes));
  }
}

TEST(datum_hdf5, chunks_across_rows_and_frames_larger_than_a_block) {
  // Frames of 1100 x 1100 u32 (4.6 MiB, over one read block) in chunks of 3 rows x 512 x 512.
  test::temp_dir dir;
  const hsize_t n = 4, h = 1100, w = 1100;
  std::vector<uint32_t> v(n * h * w);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<uint32_t>(i * 2654435761u);
  hid_t file = H5Fcreate((dir / "big.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hsize_t dims[3] = {n, h, w}, chunk[3] = {3, 512, 512};
  hid_t space = H5Screate_simple(3, dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 3, chunk);
  H5Pset_shuffle(dcpl);
  H5Pset_deflate(dcpl, 1);
  hid_t dset = H5Dcreate2(file, ad_hdf5_dataset, H5T_STD_U32BE, space, lcpl, dcpl, H5P_DEFAULT);
  ASSERT_GE(H5Dwrite(dset, H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
  H5Dclose(dset);
  H5Pclose(dcpl);
  H5Pclose(lcpl);
  H5Sclose(space);
  H5Fclose(file);
  test::collecting_sink sink;
  auto err = read_hdf5_rows(*test::on_disk(dir.path()), "big.h5", ad_hdf5_dataset, 1, 3, sink);
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(sink.shape, (std::vector<uint64_t>{3, h, w}));
  auto got = sink.as<uint32_t>();
  ASSERT_EQ(got.size(), 3 * h * w);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), v.begin() + h * w));
}

TEST(datum_hdf5, refusals_name_the_file_and_the_reason) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(2, 8, 8);
  ASSERT_TRUE(test::write_hdf5_stack(dir / "ok.h5", s));
  test::hdf5_options elsewhere;
  elsewhere.dataset = "/entry/other";
  ASSERT_TRUE(test::write_hdf5_stack(dir / "elsewhere.h5", s, elsewhere));
  auto good = test::slurp(dir / "ok.h5");
  test::write_file(dir / "cut.h5", good.substr(0, good.size() - 100));
  test::write_file(dir / "garbage.h5", std::string(4096, 'x'));
  // A string dataset.
  hid_t file = H5Fcreate((dir / "strings.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, 4);
  hsize_t dims[1] = {2};
  hid_t space = H5Screate_simple(1, dims, nullptr);
  hid_t dset = H5Dcreate2(file, ad_hdf5_dataset, str, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(dset, str, H5S_ALL, H5S_ALL, H5P_DEFAULT, "abcdefgh");
  H5Dclose(dset);
  H5Sclose(space);
  H5Tclose(str);
  H5Pclose(lcpl);
  H5Fclose(file);
  struct refusal {
    const char* name;
    uint64_t first, rows;
    ec code;
    const char* words;
  };
  for (auto r : {refusal{"ok.h5", 1, 2, ec::invalid_argument, "has 2 rows"},
                 refusal{"elsewhere.h5", 0, 1, ec::invalid_argument, "no dataset /entry/data/data"},
                 refusal{"cut.h5", 0, 2, ec::parse_error, ""},
                 refusal{"garbage.h5", 0, 1, ec::parse_error, "not a readable HDF5 file"},
                 refusal{"strings.h5", 0, 1, ec::invalid_argument, "string"},
                 refusal{"missing.h5", 0, 1, ec::not_found, "no such file"}}) {
    SCOPED_TRACE(r.name);
    test::collecting_sink sink;
    auto err = read_hdf5_rows(*test::on_disk(dir.path()), r.name, ad_hdf5_dataset, r.first, r.rows, sink);
    ASSERT_TRUE(err);
    EXPECT_EQ(code_of(err), r.code) << describe(err);
    EXPECT_NE(context_of(err).find(dir / r.name), std::string::npos) << describe(err);
    EXPECT_NE(context_of(err).find(r.words), std::string::npos) << describe(err);
  }
}

TEST(datum_hdf5, a_file_image_reads_as_the_file_does) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(4, 6, 7);
  ASSERT_TRUE(test::write_hdf5_stack(dir / "gz.h5", s, {true, 6}));
  auto image = test::slurp(dir / "gz.h5");
  test::collecting_sink from_file, from_image;
  ASSERT_FALSE(read_hdf5_rows(*test::on_disk(dir.path()), "gz.h5", ad_hdf5_dataset, 1, 2,
                              from_file));
  auto err = read_hdf5_image_rows(image, "gz.h5", ad_hdf5_dataset, 1, 2, from_image);
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(from_image.shape, (std::vector<uint64_t>{2, 6, 7}));
  EXPECT_TRUE(from_image.bytes == from_file.bytes);
  struct refusal {
    std::string image;
    uint64_t first, rows;
    ec code;
    const char* words;
  };
  // The name is never opened on disk, not even when the image is empty.
  for (const auto& r : {refusal{image, 3, 2, ec::invalid_argument, "has 4 rows"},
                        refusal{image.substr(0, image.size() - 100), 0, 4, ec::parse_error, ""},
                        refusal{std::string(4096, 'x'), 0, 1, ec::parse_error, "not a readable"},
                        refusal{"", 0, 1, ec::parse_error, "not a readable"}}) {
    SCOPED_TRACE(r.image.size());
    test::collecting_sink sink;
    auto err = read_hdf5_image_rows(r.image, dir / "gz.h5", ad_hdf5_dataset, r.first,
                                    r.rows, sink);
    ASSERT_TRUE(err);
    EXPECT_EQ(code_of(err), r.code) << describe(err);
    EXPECT_NE(context_of(err).find(r.words), std::string::npos) << describe(err);
  }
}

}  // namespace
}  // namespace d1
