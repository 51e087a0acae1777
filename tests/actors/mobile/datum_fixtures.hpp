// Datum test inputs written by the tests themselves: TIFF frames with libtiff's writer
// (any compression, either byte order, strips or tiles), HDF5 datasets with libhdf5's
// (contiguous or chunked+gzip, either byte order), .npy files with numpy through
// /usr/bin/python3 (Debian's python3-numpy; the python3 on PATH may be another build),
// and the independent reference (datum_reference.py) that reads them back with
// numpy/tifffile/h5py.
#pragma once

#include "actors/mobile/datum_source.hpp"
#include "tests/support/test_paths.hpp"
#include "actors/mobile/datum_value.hpp"
#include "messages/datum_types.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <nlohmann/json.hpp>
#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace d1::test {

/// The interpreter with Debian's numpy, h5py and tifffile (scripts/install-deps.sh).
inline const char* reference_python = "/usr/bin/python3";

/// The real disk, as a worker that is never interrupted reads it.
inline worker_io& real_io() {
  static auto fs = make_posix_file_system();
  static worker_io io{*fs};
  return io;
}

/// `root` on the real disk, as the datum readers take it (dereference it in the call).
inline std::unique_ptr<datum_root> on_disk(const std::string& root) {
  return std::make_unique<datum_root>(real_io(), root);
}

/// A stack of frames held in host order: frames × height × width values of T.
template <class T>
struct stack {
  uint32_t frames = 0, height = 0, width = 0;
  std::vector<T> values;

  const T* frame(uint32_t f) const {
    return values.data() + size_t{f} * height * width;
  }
};

/// The uint16 stack the cross-format tests share: values spread over the whole range.
inline stack<uint16_t> sample_u16_stack(uint32_t frames = 4, uint32_t height = 37,
                                        uint32_t width = 53) {
  stack<uint16_t> s{frames, height, width, {}};
  s.values.resize(size_t{frames} * height * width);
  uint32_t x = 12345;
  for (auto& v : s.values) {
    x = x * 1103515245u + 12345u;
    v = static_cast<uint16_t>(x >> 13);
  }
  return s;
}

/// How a TIFF frame is written.
struct tiff_options {
  uint16_t compression = COMPRESSION_NONE;  // COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE…
  bool big_endian = false;
  uint32_t rows_per_strip = 0;  // 0: one strip per frame
  uint32_t tile = 0;            // > 0: tiles of tile × tile instead of strips
  uint16_t predictor = 0;       // 2: horizontal differencing (with LZW/Deflate)
  int pages = 1;                // more than one: the frame written again as a second image
};

/// Writes frame `f` of `s` as a one-image TIFF at `path`; false (and a test failure) on error.
template <class T>
bool write_tiff_frame(const std::string& path, const stack<T>& s, uint32_t f,
                      const tiff_options& o = {}) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  TIFF* tif = TIFFOpen(path.c_str(), o.big_endian ? "wb" : "wl");
  EXPECT_TRUE(tif) << path;
  if (!tif)
    return false;
  bool ok = true;
  for (int page = 0; page < o.pages && ok; ++page) {
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, s.width);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, s.height);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, uint16_t(8 * sizeof(T)));
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, uint16_t(1));
    uint16_t format = std::is_floating_point_v<T> ? SAMPLEFORMAT_IEEEFP
                      : std::is_signed_v<T>       ? SAMPLEFORMAT_INT
                                                  : SAMPLEFORMAT_UINT;
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, format);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, o.compression);
    if (o.predictor)
      TIFFSetField(tif, TIFFTAG_PREDICTOR, o.predictor);
    const T* data = s.frame(f);
    if (o.tile) {
      TIFFSetField(tif, TIFFTAG_TILEWIDTH, o.tile);
      TIFFSetField(tif, TIFFTAG_TILELENGTH, o.tile);
      std::vector<T> tile(size_t{o.tile} * o.tile);
      for (uint32_t y = 0; y < s.height && ok; y += o.tile)
        for (uint32_t x = 0; x < s.width && ok; x += o.tile) {
          std::fill(tile.begin(), tile.end(), T{});
          for (uint32_t r = 0; r < o.tile && y + r < s.height; ++r)
            for (uint32_t c = 0; c < o.tile && x + c < s.width; ++c)
              tile[size_t{r} * o.tile + c] = data[size_t{y + r} * s.width + x + c];
          ok = TIFFWriteTile(tif, tile.data(), x, y, 0, 0) >= 0;
        }
    } else {
      uint32_t rps = o.rows_per_strip ? o.rows_per_strip : s.height;
      TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
      for (uint32_t y = 0, strip = 0; y < s.height && ok; y += rps, ++strip) {
        uint32_t rows = std::min(rps, s.height - y);
        // libtiff's encoders may modify the buffer (predictor): give it a copy.
        std::vector<T> rowsbuf(data + size_t{y} * s.width, data + size_t{y + rows} * s.width);
        ok = TIFFWriteEncodedStrip(tif, strip, rowsbuf.data(),
                                   static_cast<tmsize_t>(rowsbuf.size() * sizeof(T))) >= 0;
      }
    }
    ok = ok && TIFFWriteDirectory(tif);
  }
  TIFFClose(tif);
  EXPECT_TRUE(ok) << "writing " << path;
  return ok;
}

/// Writes every frame of `s` as `dir/name_NNNN.tif` (template "%s%s_%4.4d.tif").
template <class T>
bool write_tiff_stack(const std::string& dir, const std::string& name, const stack<T>& s,
                      const tiff_options& o = {}) {
  std::filesystem::create_directories(dir);
  for (uint32_t f = 0; f < s.frames; ++f) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s_%4.4u.tif", name.c_str(), f);
    if (!write_tiff_frame(dir + "/" + buf, s, f, o))
      return false;
  }
  return true;
}

/// The HDF5 file type of T in the given byte order.
template <class T>
hid_t hdf5_type(bool big_endian) {
  if constexpr (std::is_same_v<T, float>)
    return big_endian ? H5T_IEEE_F32BE : H5T_IEEE_F32LE;
  else if constexpr (std::is_same_v<T, double>)
    return big_endian ? H5T_IEEE_F64BE : H5T_IEEE_F64LE;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return big_endian ? H5T_STD_U16BE : H5T_STD_U16LE;
  else if constexpr (std::is_same_v<T, int16_t>)
    return big_endian ? H5T_STD_I16BE : H5T_STD_I16LE;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return big_endian ? H5T_STD_U8BE : H5T_STD_U8LE;
  else if constexpr (std::is_same_v<T, int32_t>)
    return big_endian ? H5T_STD_I32BE : H5T_STD_I32LE;
  else
    return big_endian ? H5T_STD_U32BE : H5T_STD_U32LE;
}

/// How an HDF5 dataset is written.
struct hdf5_options {
  bool chunked = false;  // chunks of one frame
  int gzip = 0;          // deflate level (chunked only)
  bool big_endian = false;
  std::string dataset = "/entry/data/data";
};

/// Writes `s` as the dataset (frames, height, width) of a new HDF5 file at `path`.
template <class T>
bool write_hdf5_stack(const std::string& path, const stack<T>& s, const hdf5_options& o = {}) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  EXPECT_GE(file, 0) << path;
  if (file < 0)
    return false;
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hsize_t dims[3] = {s.frames, s.height, s.width};
  hid_t space = H5Screate_simple(3, dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (o.chunked) {
    hsize_t chunk[3] = {1, s.height, s.width};
    H5Pset_chunk(dcpl, 3, chunk);
    if (o.gzip)
      H5Pset_deflate(dcpl, static_cast<unsigned>(o.gzip));
  }
  hid_t dset = H5Dcreate2(file, o.dataset.c_str(), hdf5_type<T>(o.big_endian), space, lcpl,
                          dcpl, H5P_DEFAULT);
  bool ok = dset >= 0
            && H5Dwrite(dset, hdf5_type<T>(false), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                        s.values.data()) >= 0;
  if (dset >= 0)
    H5Dclose(dset);
  H5Pclose(dcpl);
  H5Pclose(lcpl);
  H5Sclose(space);
  H5Fclose(file);
  EXPECT_TRUE(ok) << "writing " << path;
  return ok;
}

/// Runs `/usr/bin/python3 datum_reference.py ARGS…` and returns what it printed; a test
/// failure (and "") if it fails. Arguments are quoted for the shell.
inline std::string run_reference(const std::vector<std::string>& args) {
  std::string cmd = std::string{reference_python} + " '" + d1::test::source_dir()
                    + "/tests/actors/mobile/datum_reference.py'";
  for (auto& a : args)
    cmd += " '" + a + "'";
  cmd += " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  EXPECT_TRUE(p) << cmd;
  if (!p)
    return {};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  int status = ::pclose(p);
  EXPECT_EQ(status, 0) << cmd << "\n"
                       << out
                       << "\n(the reference needs Debian's python3-numpy, python3-h5py and "
                          "python3-tifffile: scripts/install-deps.sh)";
  return status == 0 ? out : std::string{};
}

/// The reference's description of a datum, parsed.
inline nlohmann::json reference(const std::vector<std::string>& args) {
  auto out = run_reference(args);
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "reference printed no JSON: " << out;
    return {};
  }
}

/// The reference's descriptions of several datums, one process for all.
inline std::vector<nlohmann::json> references(const std::vector<std::vector<std::string>>& cmds) {
  std::vector<std::string> args;
  for (auto& c : cmds) {
    args.insert(args.end(), c.begin(), c.end());
    args.push_back(";");
  }
  auto out = run_reference(args);
  std::vector<nlohmann::json> parsed;
  size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos)
      end = out.size();
    try {
      parsed.push_back(nlohmann::json::parse(out.substr(start, end - start)));
    } catch (const std::exception&) {
      ADD_FAILURE() << "reference printed no JSON: " << out;
    }
    start = end + 1;
  }
  EXPECT_EQ(parsed.size(), cmds.size()) << out;
  parsed.resize(cmds.size());
  return parsed;
}

/// Writes `s` as a .npy with numpy, dtype `descr` (e.g. ">u2"), via a raw dump.
template <class T>
bool write_npy_stack(const std::string& path, const stack<T>& s, const std::string& descr) {
  auto raw = path + ".raw";
  write_file(raw, std::string(reinterpret_cast<const char*>(s.values.data()),
                              s.values.size() * sizeof(T)));
  std::string host_descr = std::string{"<"}
                           + (std::is_floating_point_v<T> ? "f"
                              : std::is_signed_v<T>       ? "i"
                                                          : "u")
                           + std::to_string(sizeof(T));
  auto out = run_reference({"write-npy", path, raw, host_descr, descr,
                            std::to_string(s.frames) + "," + std::to_string(s.height) + ","
                              + std::to_string(s.width)});
  std::filesystem::remove(raw);
  return std::filesystem::exists(path);
}

/// A sink that keeps what a reader delivers.
struct collecting_sink : value_sink {
  datum_dtype dtype;
  std::vector<uint64_t> shape;
  std::string bytes;
  int begins = 0;
  caf::error begin(const datum_dtype& t, const std::vector<uint64_t>& s) override {
    ++begins;
    dtype = t;
    shape = s;
    return caf::none;
  }
  void values(const void* data, size_t n) override {
    bytes.append(static_cast<const char*>(data), n);
  }
  template <class T>
  std::vector<T> as() const {
    std::vector<T> out(bytes.size() / sizeof(T));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    return out;
  }
};

/// Checks a datum hash result against the reference's description of the same datum:
/// hash, dtype, shape, counts, min and max exactly, mean and std to 1e-9, the histogram bin
/// by bin.
inline void expect_same_as_reference(const datum_hash_result& r, const nlohmann::json& ref) {
  ASSERT_TRUE(ref.is_object()) << "no reference";
  ASSERT_EQ(r.state, datum_state::ok) << r.detail;
  EXPECT_EQ(r.hash, ref.value(r.algorithm == "SHA-256" ? "sha256" : "sha1", std::string{}));
  EXPECT_EQ(r.dtype, ref.value("dtype", std::string{}));
  EXPECT_EQ(r.shape, ref.value("shape", std::vector<uint64_t>{}));
  EXPECT_EQ(r.stats.count, ref.value("count", uint64_t{0}));
  EXPECT_EQ(r.stats.nan_count, ref.value("nan_count", uint64_t{0}));
  EXPECT_EQ(r.stats.inf_count, ref.value("inf_count", uint64_t{0}));
  if (r.stats.count == 0)
    return;
  EXPECT_EQ(r.stats.min, ref.value("min", 0.0));
  EXPECT_EQ(r.stats.max, ref.value("max", 0.0));
  auto close = [](double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
  };
  EXPECT_TRUE(close(r.stats.mean, ref.value("mean", 0.0)))
    << r.stats.mean << " vs " << ref.value("mean", 0.0);
  EXPECT_TRUE(close(r.stats.std, ref.value("std", 0.0)))
    << r.stats.std << " vs " << ref.value("std", 0.0);
  EXPECT_EQ(r.stats.histogram, ref.value("histogram", std::vector<uint64_t>{}));
}

}  // namespace d1::test
