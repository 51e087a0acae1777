// Opening a datum's file beneath a root the way every mobile-files reader must: no
// symlink followed on the way, O_NONBLOCK so a FIFO never blocks a worker, and fstat
// saying "regular file" before a byte is read.
#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace d1 {

/// One open regular file of a datum. Movable, closes its descriptor.
class datum_file {
public:
  /// Opens root/rel (rel normalised, every component opened with O_NOFOLLOW, the file
  /// O_RDONLY | O_NOFOLLOW | O_NONBLOCK) and checks it is a regular file. Returns the open
  /// file; ec::invalid_path for a bad root or rel, ec::not_found when it is not there,
  /// ec::io_error (naming the path and why) for a symlink, a FIFO, a directory or any
  /// other failure.
  static caf::expected<datum_file> open(const std::string& root, const std::string& rel);

  datum_file(datum_file&& other) noexcept;
  datum_file& operator=(datum_file&& other) noexcept;
  datum_file(const datum_file&) = delete;
  datum_file& operator=(const datum_file&) = delete;
  ~datum_file();

  int fd() const {
    return fd_;
  }

  /// The size fstat gave at open.
  uint64_t size() const {
    return size_;
  }

  /// root/rel, for messages.
  const std::string& path() const {
    return path_;
  }

  /// Gives the descriptor to a library that will close it (libtiff's TIFFClose).
  int release();

  /// Reads exactly `n` bytes at `offset`. Returns ec::parse_error "truncated" (naming the
  /// file, offset and sizes) at an early end of file, ec::io_error on a read error.
  caf::error read_at(void* buf, size_t n, uint64_t offset) const;

private:
  datum_file(int fd, uint64_t size, std::string path);

  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};

}  // namespace d1
