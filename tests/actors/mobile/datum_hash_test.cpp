// hash_datum end to end: the same values give one canonical hash in every container and
// compression (TIFF none/LZW/Deflate/tiled, HDF5 contiguous/chunked+gzip, .npy, either byte
// order), and every hash and statistic matches an independent numpy/tifffile/h5py reading.
#include "actors/mobile/datum_hash.hpp"

#include "messages/error.hpp"
#include "tests/actors/mobile/datum_fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace d1 {
namespace {

using test::expect_same_as_reference;
using test::reference;

const std::string tiff_kwargs(uint32_t fpp, const std::string& name = "img") {
  return R"({"template": "%s%s_%4.4d.tif", "filename": ")" + name
         + R"(", "frame_per_point": )" + std::to_string(fpp) + "}";
}

datum_hash_request request(const std::string& spec, const std::string& root,
                           const std::string& path, const std::string& kwargs,
                           const std::string& datum_kwargs, const std::string& algorithm = "") {
  datum_hash_request r;
  r.datum_id = "d-1";
  r.resource_uid = "r-1";
  r.spec = spec;
  r.root = root;
  r.resource_path = path;
  r.resource_kwargs = kwargs;
  r.datum_kwargs = datum_kwargs;
  r.algorithm = algorithm;
  return r;
}

std::vector<std::string> tiff_paths(const std::string& dir, const std::string& name,
                                    uint32_t first, uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t f = first; f < first + n; ++f) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s_%4.4u.tif", name.c_str(), f);
    out.push_back(dir + "/" + buf);
  }
  return out;
}

TEST(datum_hash, one_uint16_stack_hashes_alike_in_every_container) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack();
  ASSERT_TRUE(test::write_tiff_stack(dir / "none", "img", s));
  ASSERT_TRUE(test::write_tiff_stack(dir / "lzw", "img", s, {COMPRESSION_LZW}));
  ASSERT_TRUE(test::write_tiff_stack(dir / "lzw_pred", "img", s,
                                     {COMPRESSION_LZW, false, 8, 0, 2}));
  ASSERT_TRUE(test::write_tiff_stack(dir / "deflate", "img", s, {COMPRESSION_ADOBE_DEFLATE}));
  ASSERT_TRUE(test::write_tiff_stack(dir / "big", "img", s, {COMPRESSION_LZW, true, 5}));
  ASSERT_TRUE(test::write_tiff_stack(dir / "tiled", "img", s, {COMPRESSION_NONE, false, 0, 16}));
  ASSERT_TRUE(test::write_hdf5_stack(dir / "contiguous.h5", s));
  ASSERT_TRUE(test::write_hdf5_stack(dir / "gzip.h5", s, {true, 6}));
  ASSERT_TRUE(test::write_hdf5_stack(dir / "big.h5", s, {true, 1, true}));
  ASSERT_TRUE(test::write_npy_stack(dir / "le.npy", s, "<u2"));
  ASSERT_TRUE(test::write_npy_stack(dir / "be.npy", s, ">u2"));

  std::vector<datum_hash_request> reqs;
  for (auto sub : {"none", "lzw", "lzw_pred", "deflate", "big", "tiled"})
    reqs.push_back(request("AD_TIFF", dir.path, sub, tiff_kwargs(4), R"({"point_number": 0})"));
  for (auto h5 : {"contiguous.h5", "gzip.h5", "big.h5"})
    reqs.push_back(request("AD_HDF5", dir.path, h5, R"({"frame_per_point": 4})",
                           R"({"point_number": 0})"));
  for (auto npy : {"le.npy", "be.npy"})
    reqs.push_back(request("NPY", dir.path, npy, "", ""));

  auto ref = reference({"npy", dir / "le.npy"});
  // Hashed beside the reads on a second thread (as datums of 8 MiB and more are), and not.
  digest_options threaded, single;
  threaded.stats_thread_bytes = 1;
  single.stats_thread_bytes = 0;
  for (auto& req : reqs) {
    for (auto* options : {&threaded, &single}) {
      SCOPED_TRACE(req.spec + " " + req.resource_path
                   + (options == &threaded ? " threaded" : " one thread"));
      auto r = hash_datum(req, *options);
      expect_same_as_reference(r, ref);
      EXPECT_EQ(r.dtype, "<u2");
      EXPECT_EQ(r.shape, (std::vector<uint64_t>{4, 37, 53}));
    }
  }
  // The containers read by their own readers (tifffile, h5py) agree too.
  expect_same_as_reference(hash_datum(reqs[0]),
                           reference([&] {
                             auto a = tiff_paths(dir / "none", "img", 0, 4);
                             a.insert(a.begin(), "tiff");
                             return a;
                           }()));
  expect_same_as_reference(hash_datum(reqs[3]),
                           reference([&] {
                             auto a = tiff_paths(dir / "deflate", "img", 0, 4);
                             a.insert(a.begin(), "tiff");
                             return a;
                           }()));
  expect_same_as_reference(hash_datum(reqs[7]), reference({"hdf5", dir / "gzip.h5", "0", "4"}));
}

TEST(datum_hash, points_select_their_frames_and_sha256_is_selectable) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(6, 20, 30);
  ASSERT_TRUE(test::write_tiff_stack(dir / "t", "img", s, {COMPRESSION_LZW}));
  ASSERT_TRUE(test::write_hdf5_stack(dir / "d.h5", s, {true, 4}));
  ASSERT_TRUE(test::write_npy_stack(dir / "s.npy", s, "<u2"));
  auto ref = reference({"hdf5", dir / "d.h5", "2", "2"});
  for (auto alg : {"SHA-1", "SHA-256"}) {
    auto tiff = hash_datum(
      request("AD_TIFF", dir.path, "t", tiff_kwargs(2), R"({"point_number": 1})", alg));
    EXPECT_EQ(tiff.algorithm, alg);
    expect_same_as_reference(tiff, ref);
    EXPECT_EQ(tiff.files, (std::vector<std::string>{"t/img_0002.tif", "t/img_0003.tif"}));
    expect_same_as_reference(hash_datum(request("AD_HDF5", dir.path, "d.h5",
                                                R"({"frame_per_point": 2})",
                                                R"({"point_number": 1})", alg)),
                             ref);
  }
  auto frame = hash_datum(
    request("NPY_FRAMEWISE", dir.path, "s.npy", "", R"({"frame_no": 5})"));
  expect_same_as_reference(frame, reference({"npy", dir / "s.npy", "5"}));
  EXPECT_EQ(frame.shape, (std::vector<uint64_t>{20, 30}));
}

TEST(datum_hash, floats_with_nan_and_inf_match_the_reference_in_every_container) {
  test::temp_dir dir;
  test::stack<float> s{3, 11, 17, {}};
  s.values.resize(3 * 11 * 17);
  for (size_t i = 0; i < s.values.size(); ++i)
    s.values[i] = static_cast<float>(std::sin(i * 0.37) * 1000.0 + i * 0.001);
  s.values[5] = std::numeric_limits<float>::quiet_NaN();
  s.values[100] = std::numeric_limits<float>::quiet_NaN();
  s.values[200] = std::numeric_limits<float>::infinity();
  s.values[300] = -std::numeric_limits<float>::infinity();
  ASSERT_TRUE(test::write_tiff_stack(dir / "le", "img", s, {COMPRESSION_ADOBE_DEFLATE}));
  ASSERT_TRUE(test::write_tiff_stack(dir / "be", "img", s, {COMPRESSION_NONE, true}));
  ASSERT_TRUE(test::write_hdf5_stack(dir / "be.h5", s, {false, 0, true}));
  ASSERT_TRUE(test::write_npy_stack(dir / "be.npy", s, ">f4"));
  ASSERT_TRUE(test::write_npy_stack(dir / "f8.npy", s, "<f8"));
  auto ref = reference({"npy", dir / "be.npy"});
  EXPECT_EQ(ref.value("nan_count", 0), 2);
  EXPECT_EQ(ref.value("inf_count", 0), 2);
  for (auto req : {request("AD_TIFF", dir.path, "le", tiff_kwargs(3), R"({"point_number": 0})"),
                   request("AD_TIFF", dir.path, "be", tiff_kwargs(3), R"({"point_number": 0})"),
                   request("AD_HDF5", dir.path, "be.h5", R"({"frame_per_point": 3})",
                           R"({"point_number": 0})"),
                   request("NPY", dir.path, "be.npy", "", "")}) {
    SCOPED_TRACE(req.resource_path);
    auto r = hash_datum(req);
    expect_same_as_reference(r, ref);
    EXPECT_EQ(r.dtype, "<f4");
  }
  // The same values as float64 are another datum (the dtype is hashed), described alike.
  auto f8 = hash_datum(request("NPY", dir.path, "f8.npy", "", ""));
  expect_same_as_reference(f8, reference({"npy", dir / "f8.npy"}));
  EXPECT_NE(f8.hash, hash_datum(request("NPY", dir.path, "be.npy", "", "")).hash);
}

TEST(datum_hash, integer_types_of_every_width_match_the_reference) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(2, 9, 13);
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> writes, reads;
  for (auto descr : {"|u1", "|i1", "<i2", ">i2", "<u4", ">i4", "<u8", ">i8"}) {
    names.push_back(std::string{"a"} + (descr + 1) + (descr[0] == '>' ? "be" : "le") + ".npy");
    test::write_file(dir / names.back() + ".raw",
                     std::string(reinterpret_cast<const char*>(s.values.data()),
                                 s.values.size() * 2));
    writes.push_back({"write-npy", dir / names.back(), dir / names.back() + ".raw", "<u2",
                      descr, "2,9,13"});
    reads.push_back({"npy", dir / names.back()});
  }
  test::run_reference([&] {
    std::vector<std::string> args;
    for (auto& w : writes) {
      args.insert(args.end(), w.begin(), w.end());
      args.push_back(";");
    }
    return args;
  }());
  auto refs = test::references(reads);
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    expect_same_as_reference(hash_datum(request("NPY", dir.path, names[i], "", "")), refs[i]);
  }
  test::stack<int32_t> wide{2, 9, 13, {}};
  for (size_t i = 0; i < 2 * 9 * 13; ++i)
    wide.values.push_back(static_cast<int32_t>(i * 2654435761u));
  ASSERT_TRUE(test::write_hdf5_stack(dir / "i4.h5", wide, {true, 3, true}));
  ASSERT_TRUE(test::write_tiff_stack(dir / "i4", "img", wide, {COMPRESSION_LZW, true}));
  auto ref = reference({"hdf5", dir / "i4.h5", "0", "2"});
  expect_same_as_reference(hash_datum(request("AD_HDF5", dir.path, "i4.h5",
                                              R"({"frame_per_point": 2})",
                                              R"({"point_number": 0})")),
                           ref);
  expect_same_as_reference(
    hash_datum(request("AD_TIFF", dir.path, "i4", tiff_kwargs(2), R"({"point_number": 0})")),
    ref);
}

TEST(datum_hash, a_scalar_has_an_empty_shape) {
  test::temp_dir dir;
  test::stack<double> one{1, 1, 1, {2.75}};
  ASSERT_TRUE(test::write_npy_stack(dir / "stack.npy", one, "<f8"));
  test::run_reference({"write-scalar", dir / "scalar.npy", "2.75"});
  auto r = hash_datum(request("NPY", dir.path, "scalar.npy", "", ""));
  expect_same_as_reference(r, reference({"npy", dir / "scalar.npy"}));
  EXPECT_TRUE(r.shape.empty());
  EXPECT_NE(r.hash, hash_datum(request("NPY", dir.path, "stack.npy", "", "")).hash);
}

TEST(datum_hash, raw_is_the_bytes) {
  test::temp_dir dir;
  std::string bytes;
  for (int i = 0; i < 300000; ++i)
    bytes += static_cast<char>((i * 7) ^ (i >> 5));
  test::write_file(dir / "blob.bin", bytes);
  auto r = hash_datum(request("RAW", dir.path, "blob.bin", "", ""));
  expect_same_as_reference(r, reference({"raw", dir / "blob.bin"}));
  EXPECT_EQ(r.dtype, "|u1");
  EXPECT_EQ(r.shape, (std::vector<uint64_t>{300000}));
  test::write_file(dir / "empty.bin", "");
  auto empty = hash_datum(request("RAW", dir.path, "empty.bin", "", ""));
  expect_same_as_reference(empty, reference({"raw", dir / "empty.bin"}));
}

TEST(datum_hash, a_changed_value_is_a_mismatch_naming_datum_and_files) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(2, 8, 8);
  ASSERT_TRUE(test::write_tiff_stack(dir / "t", "img", s));
  auto req = request("AD_TIFF", dir.path, "t", tiff_kwargs(2), R"({"point_number": 0})");
  auto first = hash_datum(req);
  ASSERT_EQ(first.state, datum_state::ok) << first.detail;
  req.expected_hash = first.hash;
  EXPECT_EQ(hash_datum(req).state, datum_state::ok);
  // One value changes, the file keeps its size.
  auto size = std::filesystem::file_size(dir / "t/img_0001.tif");
  s.values[s.values.size() - 1] ^= 1;
  ASSERT_TRUE(test::write_tiff_frame(dir / "t/img_0001.tif", s, 1));
  ASSERT_EQ(std::filesystem::file_size(dir / "t/img_0001.tif"), size);
  auto second = hash_datum(req);
  EXPECT_EQ(second.state, datum_state::hash_mismatch);
  EXPECT_NE(second.hash, first.hash);
  EXPECT_NE(second.detail.find("datum d-1"), std::string::npos) << second.detail;
  EXPECT_NE(second.detail.find("t/img_0001.tif"), std::string::npos) << second.detail;
  EXPECT_NE(second.detail.find(first.hash), std::string::npos) << second.detail;
}

TEST(datum_hash, unreadable_datums_are_errors_naming_the_datum_and_the_file) {
  test::temp_dir dir;
  auto missing = hash_datum(request("NPY", dir.path, "nope.npy", "", ""));
  EXPECT_EQ(missing.state, datum_state::error);
  EXPECT_NE(missing.detail.find("datum d-1"), std::string::npos);
  EXPECT_NE(missing.detail.find(dir / "nope.npy"), std::string::npos) << missing.detail;
  auto bad_kwargs = hash_datum(request("AD_HDF5", dir.path, "x.h5", "{}",
                                       R"({"point_number": 0})"));
  EXPECT_EQ(bad_kwargs.state, datum_state::error);
  EXPECT_NE(bad_kwargs.detail.find("frame_per_point"), std::string::npos) << bad_kwargs.detail;
  auto md5 = hash_datum(request("RAW", dir.path, "x", "", "", "MD5"));
  EXPECT_EQ(md5.state, datum_state::error);
  auto dataone = hash_datum(request("DATAONE", dir.path, "x", "", ""));
  EXPECT_EQ(dataone.state, datum_state::error);
  EXPECT_TRUE(dataone.hash.empty());
}

}  // namespace
}  // namespace d1
