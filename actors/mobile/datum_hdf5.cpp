// AD_HDF5 rows through libhdf5, in the calling process: the HDF5 reader process's work (the
// daemon itself reads through that process, hdf5_child.cpp). libhdf5 opens files by name
// only (its sec2 driver calls open(2) itself), so the file is first opened and checked by
// datum_root (no symlink, O_NONBLOCK, a regular file) and libhdf5 is then given
// /proc/self/fd/N: that name reopens the very inode already checked, so a FIFO or symlink
// swapped in meanwhile can neither block the reader nor be read. Where /proc is missing the
// path itself is opened, and the inode libhdf5 opened is compared with the checked one
// afterwards.
// A file image already in memory is read through the core driver instead (the fuzz target).
#include "actors/mobile/datum_hdf5.hpp"

#include "actors/mobile/datum_source.hpp"
#include "messages/error.hpp"

#include <hdf5.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace d1 {

namespace {

// Values are read a few MiB at a time: big enough for long sequential reads, small enough
// to stay out of the way of other workers' memory.
constexpr uint64_t block_bytes = uint64_t{4} << 20;

// The chunk cache of a dataset is sized to hold one block's chunks, at most this much.
constexpr uint64_t max_chunk_cache = uint64_t{512} << 20;

// An HDF5 identifier closed on every path out.
class hid_owner {
public:
  using closer = herr_t (*)(hid_t);
  hid_owner(hid_t id, closer close) : id_(id), close_(close) {
  }
  hid_owner(const hid_owner&) = delete;
  hid_owner& operator=(const hid_owner&) = delete;
  ~hid_owner() {
    if (id_ >= 0)
      close_(id_);
  }
  hid_t get() const {
    return id_;
  }
  bool ok() const {
    return id_ >= 0;
  }

private:
  hid_t id_;
  closer close_;
};

// The innermost messages of the calling thread's HDF5 error stack, then clears it.
std::string hdf5_messages() {
  std::vector<std::string> lines;
  H5Ewalk2(
    H5E_DEFAULT, H5E_WALK_DOWNWARD,
    [](unsigned, const H5E_error2_t* e, void* user) -> herr_t {
      if (e->desc && *e->desc)
        static_cast<std::vector<std::string>*>(user)->push_back(e->desc);
      return 0;
    },
    &lines);
  H5Eclear2(H5E_DEFAULT);
  // The first lines are the API call's own ("unable to open file"), the last the cause.
  std::string out;
  if (!lines.empty())
    out = lines.front();
  if (lines.size() > 1)
    out += ": " + lines.back();
  return out;
}

// The little-endian memory type for a dataset's element type, or an error.
caf::expected<std::pair<datum_dtype, hid_t>> element_type(hid_t file_type) {
  auto cls = H5Tget_class(file_type);
  auto size = H5Tget_size(file_type);
  if (cls == H5T_INTEGER) {
    bool is_signed = H5Tget_sign(file_type) == H5T_SGN_2;
    auto dtype = make_dtype(is_signed ? 'i' : 'u', size);
    if (!dtype)
      return std::move(dtype.error());
    static const hid_t unsigned_types[] = {H5T_STD_U8LE, H5T_STD_U16LE, H5T_STD_U32LE,
                                           H5T_STD_U64LE};
    static const hid_t signed_types[] = {H5T_STD_I8LE, H5T_STD_I16LE, H5T_STD_I32LE,
                                         H5T_STD_I64LE};
    int index = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
    return std::pair{*dtype, is_signed ? signed_types[index] : unsigned_types[index]};
  }
  if (cls == H5T_FLOAT) {
    // Only IEEE binary32/binary64 in either byte order; other float layouts are refused.
    for (auto [ieee, le] : {std::pair{H5T_IEEE_F32LE, H5T_IEEE_F32LE},
                            std::pair{H5T_IEEE_F32BE, H5T_IEEE_F32LE},
                            std::pair{H5T_IEEE_F64LE, H5T_IEEE_F64LE},
                            std::pair{H5T_IEEE_F64BE, H5T_IEEE_F64LE}})
      if (H5Tequal(file_type, ieee) > 0)
        return std::pair{datum_dtype{'f', static_cast<uint8_t>(size)}, le};
    return make_error(ec::invalid_argument,
                      "unsupported element type: a " + std::to_string(size * 8)
                        + "-bit float that is not IEEE binary32/64");
  }
  static const char* names[] = {"integer", "float", "time", "string", "bitfield", "opaque",
                                "compound", "reference", "enum", "variable-length", "array"};
  std::string name = cls >= 0 && cls < 11 ? names[cls] : "unknown";
  return make_error(ec::invalid_argument, "unsupported element type: HDF5 " + name
                                            + " (supported: integers, IEEE floats)");
}

// A chunk cache big enough for every chunk one block of `block` touches.
void size_chunk_cache(hid_t dcpl, hid_t dapl, const std::vector<hsize_t>& block,
                      size_t element_size) {
  if (H5Pget_layout(dcpl) != H5D_CHUNKED)
    return;
  std::vector<hsize_t> chunk(block.size());
  if (H5Pget_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()) < 0)
    return;
  uint64_t chunks = 1, chunk_bytes = element_size;
  for (size_t i = 0; i < block.size(); ++i) {
    if (chunk[i] == 0)
      return;
    // A block that is not aligned with the chunks touches one more along each axis.
    chunks *= (block[i] + chunk[i] - 1) / chunk[i] + 1;
    chunk_bytes *= chunk[i];
  }
  uint64_t bytes = std::min<uint64_t>(max_chunk_cache, chunks * chunk_bytes);
  H5Pset_chunk_cache(dapl, 10007, std::max<uint64_t>(bytes, uint64_t{1} << 20), 0.75);
}

// An error naming `path`, with libhdf5's own words when its error stack holds any.
caf::error hdf5_error(ec code, const std::string& path, const std::string& what) {
  auto text = path + ": " + what;
  auto details = hdf5_messages();
  if (!details.empty())
    text += " (" + details + ")";
  return make_error(code, text);
}

// The rows of `dataset` in the open file `h5`, named `path` in errors; `interrupted` is
// asked between pieces (a cancelled job stops there).
caf::error read_rows(hid_t h5, const std::string& path, const std::string& dataset,
                     uint64_t first_row, uint64_t rows,
                     const std::function<bool()>& interrupted,
                     value_sink& sink) {
  auto fail = [&](ec code, const std::string& what) { return hdf5_error(code, path, what); };
  if (H5Lexists(h5, dataset.c_str(), H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return make_error(ec::invalid_argument, path + ": no dataset " + dataset);
  }
  hid_owner probe{H5Dopen2(h5, dataset.c_str(), H5P_DEFAULT), H5Dclose};
  if (!probe.ok())
    return fail(ec::invalid_argument, dataset + " is not a readable dataset");
  hid_owner space{H5Dget_space(probe.get()), H5Sclose};
  int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 1)
    return fail(ec::invalid_argument, dataset + " is not an array with rows (rank "
                                        + std::to_string(rank) + ")");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  if (first_row > dims[0] || rows > dims[0] - first_row)
    return make_error(ec::invalid_argument,
                      path + ": " + dataset + " has " + std::to_string(dims[0])
                        + " rows, the datum needs rows " + std::to_string(first_row) + "…"
                        + std::to_string(first_row + rows - 1));
  hid_owner file_type{H5Dget_type(probe.get()), H5Tclose};
  auto type = element_type(file_type.get());
  if (!type)
    return make_error(code_of(type.error()),
                      path + ": " + dataset + ": " + context_of(type.error()));
  auto [dtype, mem_type] = *type;
  std::vector<uint64_t> shape{rows};
  for (int i = 1; i < rank; ++i)
    shape.push_back(dims[i]);
  uint64_t row_elements = 0, total = 0;
  if (!element_count({shape.begin() + 1, shape.end()}, row_elements)
      || !element_count(shape, total) || __builtin_mul_overflow(total, dtype.size, &total))
    return make_error(ec::parse_error, path + ": " + dataset + ": shape "
                                         + shape_text(shape) + " overflows 64 bits");
  if (auto err = sink.begin(dtype, shape))
    return make_error(code_of(err), path + ": " + context_of(err));
  if (rows == 0 || row_elements == 0)
    return caf::none;
  // A block is several whole rows, or part of one row cut along the second axis.
  const uint64_t row_bytes = row_elements * dtype.size;
  std::vector<hsize_t> block(dims.begin(), dims.end());
  uint64_t block_rows = 1, split = 1;  // rows per block; pieces per row
  if (row_bytes <= block_bytes) {
    block_rows = std::max<uint64_t>(1, block_bytes / row_bytes);
  } else if (rank >= 2) {
    uint64_t sub_bytes = row_bytes / dims[1];  // one step along the second axis
    uint64_t per_piece = std::max<uint64_t>(1, block_bytes / std::max<uint64_t>(1, sub_bytes));
    split = (dims[1] + per_piece - 1) / per_piece;
    block[1] = per_piece;
  }
  block[0] = std::min<uint64_t>(block_rows, rows);
  // The dataset is reopened with a chunk cache sized for the blocks.
  hid_owner dcpl{H5Dget_create_plist(probe.get()), H5Pclose};
  hid_owner dapl{H5Pcreate(H5P_DATASET_ACCESS), H5Pclose};
  size_chunk_cache(dcpl.get(), dapl.get(), block, dtype.size);
  hid_owner dset{H5Dopen2(h5, dataset.c_str(), dapl.get()), H5Dclose};
  if (!dset.ok())
    return fail(ec::parse_error, dataset + " cannot be opened");
  uint64_t max_piece = block[0] * (split > 1 ? row_bytes / dims[1] * block[1] : row_bytes);
  std::vector<hsize_t> start(dims.size(), 0), count(block);
  for (uint64_t row = first_row; row < first_row + rows;) {
    count[0] = std::min<uint64_t>(block[0], first_row + rows - row);
    start[0] = row;
    for (uint64_t piece = 0; piece < split; ++piece) {
      // libhdf5 reads by itself: a cancelled job stops here, between pieces.
      if (interrupted())
        return make_error(ec::cancelled, path + ": reading stopped (job cancelled)");
      if (split > 1) {
        start[1] = piece * block[1];
        count[1] = std::min<uint64_t>(block[1], dims[1] - start[1]);
      }
      uint64_t elements = 1;
      for (auto c : count)
        elements *= c;
      auto buf = sink.buffer(static_cast<size_t>(max_piece));
      hid_owner memspace{H5Screate_simple(rank, count.data(), nullptr), H5Sclose};
      if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr,
                              count.data(), nullptr) < 0
          || H5Dread(dset.get(), mem_type, memspace.get(), space.get(), H5P_DEFAULT,
                     buf) < 0)
        return fail(ec::parse_error, dataset + ": rows " + std::to_string(row) + "…"
                                       + std::to_string(row + count[0] - 1)
                                       + " cannot be read");
      sink.values(buf, static_cast<size_t>(elements * dtype.size));
    }
    row += count[0];
  }
  return caf::none;
}

}  // namespace

caf::error read_hdf5_fd_rows(int fd, const std::string& path, const std::string& local_path,
                             const std::string& dataset, uint64_t first_row, uint64_t rows,
                             const std::function<bool()>& interrupted, value_sink& sink) {
  auto fail = [&](ec code, const std::string& what) { return hdf5_error(code, path, what); };
  // The error stack is per thread (this libhdf5 is thread-safe): no printing, collect.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  struct stat checked;
  if (::fstat(fd, &checked) != 0)
    return make_error(ec::io_error, path + ": " + std::strerror(errno));
  auto by_fd = "/proc/self/fd/" + std::to_string(fd);
  bool proc = ::access(by_fd.c_str(), F_OK) == 0;
  hid_owner fapl{H5Pcreate(H5P_FILE_ACCESS), H5Pclose};
  // Locks are taken where the filesystem has them (a writer's lock makes this an error,
  // not a read of half-written data) and skipped where it has none (NFS, GPFS setups).
  H5Pset_file_locking(fapl.get(), true, true);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
  hid_owner h5{H5Fopen(proc ? by_fd.c_str() : local_path.c_str(), H5F_ACC_RDONLY,
                       fapl.get()),
               H5Fclose};
  if (!h5.ok())
    return fail(ec::parse_error, "not a readable HDF5 file");
  if (!proc) {
    void* handle = nullptr;
    struct stat opened;
    if (H5Fget_vfd_handle(h5.get(), fapl.get(), &handle) < 0 || !handle
        || ::fstat(*static_cast<int*>(handle), &opened) != 0
        || opened.st_dev != checked.st_dev || opened.st_ino != checked.st_ino)
      return fail(ec::io_error, "the file changed while it was opened");
  }
  return read_rows(h5.get(), path, dataset, first_row, rows, interrupted, sink);
}

caf::error read_hdf5_rows_in_process(datum_root& src, const std::string& rel,
                                     const std::string& dataset, uint64_t first_row,
                                     uint64_t rows, value_sink& sink) {
  auto file = src.open(rel);
  if (!file)
    return std::move(file.error());
  // Without /proc, by name: where the recorded path is on this host (root_map).
  return read_hdf5_fd_rows(file->fd(), file->path(), src.fs().local_path(file->path()),
                           dataset, first_row, rows, [&] { return src.interrupted(); }, sink);
}

caf::error read_hdf5_image_rows(std::string_view image, const std::string& name,
                                const std::string& dataset, uint64_t first_row, uint64_t rows,
                                value_sink& sink) {
  // Without an image the core driver would read the file `name` from disk instead.
  if (image.empty())
    return make_error(ec::parse_error, name + ": not a readable HDF5 file (empty)");
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_owner fapl{H5Pcreate(H5P_FILE_ACCESS), H5Pclose};
  // The core driver holds the file in memory; no backing store: nothing is written.
  H5Pset_fapl_core(fapl.get(), 64 << 10, false);
  H5Pset_file_image(fapl.get(), const_cast<char*>(image.data()), image.size());
  // The core driver still probes open(2) on the name it is given and refuses one that
  // exists: a name beneath /dev/null cannot exist, and a new one per call keeps libhdf5
  // from taking two images for one shared file.
  static std::atomic<uint64_t> images{0};
  auto internal = "/dev/null/d1drive-hdf5-image-" + std::to_string(images++);
  hid_owner h5{H5Fopen(internal.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose};
  if (!h5.ok())
    return hdf5_error(ec::parse_error, name, "not a readable HDF5 file");
  return read_rows(h5.get(), name, dataset, first_row, rows, [] { return false; }, sink);
}

}  // namespace d1
