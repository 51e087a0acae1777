// Where the datum readers get their bytes: the files of a datum beneath one root, opened the
// way every mobile-files worker opens files (through the file_system, directories walked
// by beneath_dirs without following symlinks, O_NONBLOCK so a FIFO never blocks a worker,
// fstat saying "regular file" before a byte is read).
#pragma once

#include "actors/mobile/beneath.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace d1 {

class datum_root;

/// One open regular file of a datum, read through its datum_root's file_system. Movable,
/// closes its descriptor; must not outlive its datum_root.
class datum_file {
public:
  datum_file(datum_file&& other) noexcept;
  datum_file& operator=(datum_file&& other) noexcept;
  datum_file(const datum_file&) = delete;
  datum_file& operator=(const datum_file&) = delete;
  ~datum_file();

  /// The descriptor (for a library that needs one: libhdf5 via /proc/self/fd/N).
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

  /// Reads exactly `n` bytes at `offset`. Returns ec::parse_error "truncated" (naming the
  /// file, offset and sizes) at an early end of file, ec::io_error on a read error,
  /// ec::cancelled once the root's worker is interrupted.
  caf::error read_at(void* buf, size_t n, uint64_t offset) const;

  /// One read of up to `n` bytes at `offset` (EINTR retried): the bytes read (0 at the end
  /// of the file), or -errno (-ECANCELED once the root's worker is interrupted). For
  /// libraries that read through callbacks (libtiff).
  ssize_t read_some(void* buf, size_t n, uint64_t offset) const;

private:
  friend class datum_root;
  datum_file(const datum_root& root, int fd, uint64_t size, std::string path);

  const datum_root* root_ = nullptr;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};

/// The files of datums beneath one root, as one worker reads them: each directory is
/// opened once (a datum of many frame files walks its directory once), every call goes
/// through `io.fs`, and `io.interrupted` stops reads of a cancelled job.
class datum_root {
public:
  /// `root` is absolute; an invalid one makes every open fail with ec::invalid_path.
  datum_root(worker_io& io, const std::string& root);

  datum_root(const datum_root&) = delete;
  datum_root& operator=(const datum_root&) = delete;

  /// Opens root/rel (rel normalised; O_RDONLY | O_NOFOLLOW | O_NONBLOCK) and checks it is
  /// a regular file. Returns the open file; ec::invalid_path for a bad root or rel,
  /// ec::not_found when it is not there, ec::io_error (naming the path and why) for a
  /// symlink, a FIFO, a directory or any other failure.
  caf::expected<datum_file> open(const std::string& rel);

  file_system& fs() const {
    return io_.fs;
  }

  /// True once the job was cancelled or the daemon stops.
  bool interrupted() const {
    return io_.interrupted();
  }

  /// Whether a system call failed in a way a retry may not meet (EIO, ESTALE…): the
  /// datum's error is then worth a retry.
  bool saw_transient() const {
    return transient_;
  }

  /// Records the failure `err` (an errno) for saw_transient.
  void note_errno(int err) const;

  /// The root, normalised ("" if it is invalid).
  const std::string& root() const {
    return dirs_.root();
  }

private:
  worker_io& io_;
  caf::error bad_root_;
  beneath_dirs dirs_;
  mutable bool transient_ = false;
};

}  // namespace d1
