// Fuzz target: an AD_HDF5 file as a resource may hold it (actors/mobile/datum_hdf5.hpp).
// libhdf5 parses the file, held in memory as a file image (the reader's code past the
// open is the same as for a file on disk, without a disk write per input); the target
// checks that what reaches the project's reader is handled (errors, not crashes) and that
// a successful read fills its shape. Seeds are small files written by libhdf5:
// contiguous, chunked, chunked + gzip, big-endian.
#include "actors/mobile/datum_hdf5.hpp"
#include "tests/fuzz/datum_fuzz.hpp"

#include <hdf5.h>

#include <vector>

namespace {

struct file_style {
  bool chunked;
  unsigned gzip;
  bool big_endian;
};

file_style style;

// A 3 x 4 x 5 uint16 dataset at /entry/data/data of a new file at `path`.
bool write_file(const std::string& path) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0)
    return false;
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hsize_t dims[3] = {3, 4, 5};
  hid_t space = H5Screate_simple(3, dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (style.chunked) {
    hsize_t chunk[3] = {1, 4, 5};
    H5Pset_chunk(dcpl, 3, chunk);
    if (style.gzip)
      H5Pset_deflate(dcpl, style.gzip);
  }
  hid_t dset = H5Dcreate2(file, d1::ad_hdf5_dataset,
                          style.big_endian ? H5T_STD_U16BE : H5T_STD_U16LE, space, lcpl, dcpl,
                          H5P_DEFAULT);
  std::vector<uint16_t> values(3 * 4 * 5);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<uint16_t>(i * 1000);
  bool ok = dset >= 0
            && H5Dwrite(dset, H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data())
                 >= 0;
  if (dset >= 0)
    H5Dclose(dset);
  H5Pclose(dcpl);
  H5Pclose(lcpl);
  H5Sclose(space);
  H5Fclose(file);
  return ok;
}

}  // namespace

D1_FUZZ_SEEDS(hdf5_file) {
  std::vector<std::string> out;
  for (auto s : {file_style{false, 0, false}, file_style{true, 0, false},
                 file_style{true, 6, false}, file_style{false, 0, true}}) {
    style = s;
    auto bytes = d1::fuzz::written_by("seed.h5", write_file);
    if (!bytes.empty())
      out.push_back(bytes);
  }
  return out;
}

// One selection of rows per input (all rows, one inside, past the end), chosen by the
// input's length: most of an input's time is the open, where libhdf5 zeroes large
// bookkeeping blocks (under ASan freshly mapped each time): one open per input, not three.
D1_FUZZ_TARGET(hdf5_file) {
  // libhdf5 keeps the blocks it frees on its own free lists instead of returning the
  // large ones to the allocator: the next open reuses them rather than mapping new memory.
  // libhdf5 is not instrumented, so ASan sees no access of its own either way.
  [[maybe_unused]] static const bool unlimited_free_lists
    = H5set_free_list_limits(-1, -1, -1, -1, -1, -1) >= 0;
  static const std::pair<uint64_t, uint64_t> selections[] = {{0, 3}, {1, 1}, {2, 5}};
  auto [first, rows] = selections[input.size() % 3];
  d1::fuzz::checking_sink sink;
  auto err = d1::read_hdf5_image_rows(input, "a.h5", d1::ad_hdf5_dataset, first, rows, sink);
  sink.finish(!err);
}
