// The real file_system: each call is the system call, its failure -errno.
#include "actors/mobile/file_system.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace d1 {

namespace {

int fd_or_errno(int rc) {
  return rc < 0 ? -errno : rc;
}

ssize_t bytes_or_errno(ssize_t rc) {
  return rc < 0 ? -errno : rc;
}

uint64_t fsid_of(const struct statfs& fs) {
  uint64_t out = 0;
  static_assert(sizeof(fs.f_fsid) == sizeof(out), "f_fsid is two 32-bit words");
  std::memcpy(&out, &fs.f_fsid, sizeof out);
  return out;
}

class posix_file_system final : public file_system {
public:
  int open_root(const std::string& path) override {
    return fd_or_errno(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }

  int make_root(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    return ec ? -ec.value() : 0;
  }

  int open_dir_at(int dir, const std::string& name) override {
    return fd_or_errno(
      ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  }

  int make_dir_at(int dir, const std::string& name, mode_t mode) override {
    return ::mkdirat(dir, name.c_str(), mode) == 0 ? 0 : -errno;
  }

  int open_file_at(int dir, const std::string& name) override {
    return fd_or_errno(
      ::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  }

  int create_exclusive_at(int dir, const std::string& name) override {
    return fd_or_errno(::openat(dir, name.c_str(),
                                O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  }

  int close(int fd) override {
    return ::close(fd) == 0 ? 0 : -errno;
  }

  int stat_fd(int fd, file_stat& out) override {
    struct stat st;
    if (::fstat(fd, &st) != 0)
      return -errno;
    to_file_stat(st, out);
    out.fs_id = 0;
    return 0;
  }

  uint64_t fs_id(int fd) override {
    struct statfs fs;
    return ::fstatfs(fd, &fs) == 0 ? fsid_of(fs) : 0;
  }

  int stat_at(int dir, const std::string& name, file_stat& out) override {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return -errno;
    to_file_stat(st, out);
    out.fs_id = 0;
    return 0;
  }

  uint64_t fs_type(int fd) override {
    struct statfs fs;
    return ::fstatfs(fd, &fs) == 0 ? static_cast<uint64_t>(fs.f_type) : 0;
  }

  ssize_t pread(int fd, void* buf, size_t n, off_t off) override {
    return bytes_or_errno(::pread(fd, buf, n, off));
  }

  ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) override {
    return bytes_or_errno(::pwrite(fd, buf, n, off));
  }

  ssize_t copy_range(int in, off_t in_off, int out, off_t out_off, size_t n) override {
    loff_t i = in_off;
    loff_t o = out_off;
    return bytes_or_errno(::copy_file_range(in, &i, out, &o, n, 0));
  }

  int fsync(int fd) override {
    return ::fsync(fd) == 0 ? 0 : -errno;
  }

  int syncfs(int fd) override {
    return ::syncfs(fd) == 0 ? 0 : -errno;
  }

  int set_owner(int fd, uid_t uid, gid_t gid) override {
    return ::fchown(fd, uid, gid) == 0 ? 0 : -errno;
  }

  int set_mode(int fd, mode_t mode) override {
    return ::fchmod(fd, mode) == 0 ? 0 : -errno;
  }

  int set_times(int fd, const struct timespec times[2]) override {
    return ::futimens(fd, times) == 0 ? 0 : -errno;
  }

  int set_direct(int fd, bool on) override {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0)
      return -errno;
    flags = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
    return ::fcntl(fd, F_SETFL, flags) == 0 ? 0 : -errno;
  }

  int rename_noreplace_at(int dir, const std::string& from, const std::string& to) override {
    if (::renameat2(dir, from.c_str(), dir, to.c_str(), RENAME_NOREPLACE) == 0)
      return 0;
    if (errno != EINVAL && errno != ENOSYS)
      return -errno;
    // No RENAME_NOREPLACE on this filesystem: a check, then a plain rename (a name that
    // appears in between is the one case this cannot rule out).
    if (::faccessat(dir, to.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0)
      return -EEXIST;
    return ::renameat(dir, from.c_str(), dir, to.c_str()) == 0 ? 0 : -errno;
  }

  int unlink_at(int dir, const std::string& name) override {
    return ::unlinkat(dir, name.c_str(), 0) == 0 ? 0 : -errno;
  }

  int list_dir(int dir, std::vector<std::string>& names) override {
    int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return -errno;
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      int err = errno;
      ::close(fd);
      return -err;
    }
    errno = 0;
    while (auto* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..")
        names.push_back(std::move(name));
    }
    int err = errno;
    ::closedir(d);
    return -err;
  }

  void advise(int fd, off_t off, off_t len, int advice) override {
    ::posix_fadvise(fd, off, len, advice);
  }

  void start_writeback(int fd, off_t off, off_t len) override {
    ::sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE);
  }
};

}  // namespace

void to_file_stat(const struct stat& st, file_stat& out) {
  out.dev = static_cast<uint64_t>(st.st_dev);
  out.ino = static_cast<uint64_t>(st.st_ino);
  out.mode = static_cast<uint32_t>(st.st_mode);
  out.uid = static_cast<uint32_t>(st.st_uid);
  out.gid = static_cast<uint32_t>(st.st_gid);
  out.nlink = static_cast<uint64_t>(st.st_nlink);
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
}

std::shared_ptr<file_system> make_posix_file_system() {
  return std::make_shared<posix_file_system>();
}

}  // namespace d1
