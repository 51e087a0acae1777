// The one door between the mobile-files workers and the disk: every system call a copy,
// a hash, a check or a removal makes goes through a file_system, so tests can inject
// EIO, ENOSPC, EINTR, short reads and vanishing files at any step
// (tests/support/faulty_file_system.hpp) without tmpfs tricks.
#pragma once

#include "messages/mobile_types.hpp"

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace d1 {

/// System-call shaped on purpose: each call returns what the system call returns, with
/// -errno for a failure (descriptors and byte counts are >= 0), because every caller
/// branches on the errno (EEXIST, ENOENT, EINTR, ENOSPC) and reads and writes sit in the
/// copy loop. Implementations are thread-safe (a copy's O_DIRECT reader thread reads
/// while the worker writes).
class file_system {
public:
  virtual ~file_system() = default;

  /// Opens the directory `path` (absolute; symlinks in it are followed: a root is an
  /// operator's path). O_RDONLY | O_DIRECTORY | O_CLOEXEC.
  virtual int open_root(const std::string& path) = 0;
  /// Creates `path` and its missing parents (mode 0755), like `mkdir -p`.
  virtual int make_root(const std::string& path) = 0;
  /// Opens the directory `name` in `dir`, never through a symlink.
  virtual int open_dir_at(int dir, const std::string& name) = 0;
  /// Creates the directory `name` in `dir` with `mode`.
  virtual int make_dir_at(int dir, const std::string& name, mode_t mode) = 0;
  /// Opens `name` in `dir` for reading: O_NOFOLLOW | O_NONBLOCK, so neither a symlink
  /// nor a FIFO or device can make it block. The caller checks the type with stat_fd.
  virtual int open_file_at(int dir, const std::string& name) = 0;
  /// Creates `name` in `dir` for writing: O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600. An
  /// existing name (file, symlink, anything) is -EEXIST: never reused.
  virtual int create_exclusive_at(int dir, const std::string& name) = 0;
  virtual int close(int fd) = 0;

  /// fstat(2) of `fd` into `out` (fs_id left 0: see fs_id).
  virtual int stat_fd(int fd, file_stat& out) = 0;
  /// fstatat(2) of `name` in `dir` without following a symlink (fs_id left 0).
  virtual int stat_at(int dir, const std::string& name, file_stat& out) = 0;
  /// The filesystem's identity (statfs f_fsid) of `fd`, 0 if unknown. Separate from the
  /// stats because a directory's answer holds for the files in it: asked once per
  /// directory, not once per file.
  virtual uint64_t fs_id(int fd) = 0;
  /// The filesystem's magic number (statfs f_type) of `fd`, 0 if unknown.
  virtual uint64_t fs_type(int fd) = 0;

  virtual ssize_t pread(int fd, void* buf, size_t n, off_t off) = 0;
  virtual ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) = 0;
  /// copy_file_range(2) of up to `n` bytes from in@in_off to out@out_off.
  virtual ssize_t copy_range(int in, off_t in_off, int out, off_t out_off, size_t n) = 0;
  virtual int fsync(int fd) = 0;
  virtual int syncfs(int fd) = 0;

  virtual int set_owner(int fd, uid_t uid, gid_t gid) = 0;
  virtual int set_mode(int fd, mode_t mode) = 0;
  /// futimens(2): times[0] access, times[1] modification.
  virtual int set_times(int fd, const struct timespec times[2]) = 0;
  /// Turns O_DIRECT on or off for reads of `fd`.
  virtual int set_direct(int fd, bool on) = 0;

  /// renameat2(RENAME_NOREPLACE) within `dir` (a plain rename after a check where the
  /// filesystem lacks it): an existing `to` is -EEXIST, never replaced.
  virtual int rename_noreplace_at(int dir, const std::string& from, const std::string& to) = 0;
  /// unlinkat(2) of the file `name` in `dir`.
  virtual int unlink_at(int dir, const std::string& name) = 0;
  /// The names in directory `dir` (without "." and ".."), appended to `names`.
  virtual int list_dir(int dir, std::vector<std::string>& names) = 0;

  /// Where the absolute `path` (a recorded root, or a file beneath one) is on this host's
  /// disk: the path itself, unless roots are mapped (root_map.hpp). For a library that
  /// must open a file by name.
  virtual std::string local_path(const std::string& path) {
    return path;
  }

  /// Hints that cannot fail in a way that matters: posix_fadvise and the start of
  /// writeback (sync_file_range SYNC_FILE_RANGE_WRITE).
  virtual void advise(int fd, off_t off, off_t len, int advice) = 0;
  virtual void start_writeback(int fd, off_t off, off_t len) = 0;
};

/// The real one: the system calls themselves (EINTR is returned, not retried, so callers
/// and the fault-injecting fake see the same thing).
std::shared_ptr<file_system> make_posix_file_system();

/// Fills `out` from a struct stat (fs_id untouched).
void to_file_stat(const struct stat& st, file_stat& out);

/// Owns a descriptor of a file_system and closes it on every path out.
class fs_fd {
public:
  fs_fd() = default;
  fs_fd(file_system& fs, int fd) : fs_(&fs), fd_(fd) {
  }
  fs_fd(fs_fd&& other) noexcept : fs_(other.fs_), fd_(other.fd_) {
    other.fd_ = -1;
  }
  fs_fd& operator=(fs_fd&& other) noexcept {
    std::swap(fs_, other.fs_);
    std::swap(fd_, other.fd_);
    return *this;
  }
  fs_fd(const fs_fd&) = delete;
  fs_fd& operator=(const fs_fd&) = delete;
  ~fs_fd() {
    reset();
  }
  /// The descriptor, or the -errno it was opened with.
  int get() const {
    return fd_;
  }
  bool ok() const {
    return fd_ >= 0;
  }
  void reset() {
    if (fd_ >= 0 && fs_ != nullptr)
      fs_->close(fd_);
    fd_ = -1;
  }

private:
  file_system* fs_ = nullptr;
  int fd_ = -1;
};

}  // namespace d1
