// The framed format between the daemon and its HDF5 reader process (d1drive-hdf5-reader,
// docs/hardening.md). The parent sends one request (with the file's descriptor beside it,
// SCM_RIGHTS); the reader answers with frames: begin, values…, then done or error. Every
// frame is a fixed header and `length` payload bytes, in the host's byte order (both ends
// are the same build on the same host).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace d1::hdf5_frames {

/// The kinds of frames the reader sends.
enum kind : uint32_t {
  begin = 1,   // payload: dtype kind (1 byte), dtype size (1 byte), 2 zero bytes, rank (u32),
               // then rank u64 dimensions
  values = 2,  // payload: values in C order, little-endian, whole elements
  done = 3,    // no payload: every value was sent
  error = 4,   // `code` an ec, payload: the message (naming the file)
};

struct header {
  uint32_t kind = 0;
  uint32_t code = 0;
  uint64_t length = 0;
};
static_assert(sizeof(header) == 16);

/// The largest values payload: the reader cuts deliveries to this size, the parent refuses
/// more (and so never allocates more than this for one frame).
inline constexpr uint64_t max_values = uint64_t{4} << 20;
/// The largest error message (libhdf5's words can be long; more is not useful).
inline constexpr uint64_t max_error = 16 << 10;
/// The largest rank (HDF5's own limit is 32).
inline constexpr uint32_t max_rank = 32;
/// The largest request payload: a dataset name and two paths, each at most PATH_MAX.
inline constexpr uint64_t max_request = 3 * 4096 + 64;

/// The request: rows `first_row` … `first_row + rows - 1` of `dataset` in the passed file,
/// named `path` in messages; `local_path` is opened (and compared with the passed file's
/// inode) only where /proc is missing.
struct request {
  uint64_t first_row = 0;
  uint64_t rows = 0;
  std::string dataset;
  std::string path;
  std::string local_path;
};

/// The request as bytes: the two counts, then each string as a u32 length and its bytes.
inline std::string encode(const request& r) {
  std::string out;
  auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  put(&r.first_row, 8);
  put(&r.rows, 8);
  for (const std::string* s : {&r.dataset, &r.path, &r.local_path}) {
    auto n = static_cast<uint32_t>(s->size());
    put(&n, 4);
    out += *s;
  }
  return out;
}

/// The request from `bytes`; false if they are not one.
inline bool decode(const std::string& bytes, request& r) {
  size_t at = 0;
  auto take = [&](void* p, size_t n) {
    if (bytes.size() - at < n)
      return false;
    std::memcpy(p, bytes.data() + at, n);
    at += n;
    return true;
  };
  if (!take(&r.first_row, 8) || !take(&r.rows, 8))
    return false;
  for (std::string* s : {&r.dataset, &r.path, &r.local_path}) {
    uint32_t n = 0;
    if (!take(&n, 4) || bytes.size() - at < n)
      return false;
    s->assign(bytes, at, n);
    at += n;
  }
  return at == bytes.size();
}

}  // namespace d1::hdf5_frames
