// A file_system that passes every call to the real one, except the calls a test asks to
// fail: by operation, by the path it touches, and by occurrence. So an EIO on the 3rd
// read of one file, ENOSPC on a write, an EINTR, a short read or a file that vanishes
// between its open and its read can be produced at any step of a copy, a check or a
// removal, on a real directory, without root or a special filesystem.
#pragma once

#include "actors/mobile/forwarding_file_system.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace d1::test {

enum class fs_op {
  open_root,
  make_root,
  open_dir,
  make_dir,
  open_file,
  create,
  stat_fd,
  stat_at,
  pread,
  pwrite,
  copy_range,
  fsync,
  syncfs,
  set_owner,
  set_mode,
  set_times,
  rename,
  unlink,
  list_dir,
};

inline const char* to_string(fs_op op) {
  static const char* names[] = {"open_root", "make_root", "open_dir",  "make_dir", "open_file",
                                "create",    "stat_fd",   "stat_at",   "pread",    "pwrite",
                                "copy_range", "fsync",    "syncfs",    "set_owner", "set_mode",
                                "set_times", "rename",    "unlink",    "list_dir"};
  return names[static_cast<int>(op)];
}

/// What happens to a matching call.
enum class fault_kind {
  fail,    // return -err without doing anything
  short_io,  // pread/pwrite: do at most half the bytes (at least one)
  vanish,  // unlink the path first (a file removed by someone else), then do the call
};

struct fault {
  fs_op op;
  std::string path_contains;  // "" matches any path
  int nth = 1;                // the nth matching call (1-based) is the first hit
  int times = 1;              // how many matching calls in a row are hit (-1: all)
  fault_kind kind = fault_kind::fail;
  int err = EIO;
};

class faulty_file_system final : public forwarding_file_system {
public:
  explicit faulty_file_system(std::shared_ptr<file_system> real = make_posix_file_system())
    : forwarding_file_system(std::move(real)) {
  }

  void add(fault f) {
    std::lock_guard<std::mutex> guard{mtx_};
    faults_.push_back({f, 0});
  }

  void clear() {
    std::lock_guard<std::mutex> guard{mtx_};
    faults_.clear();
  }

  /// How many calls of `op` were made (faulted or not).
  int calls(fs_op op) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = calls_.find(op);
    return i == calls_.end() ? 0 : i->second;
  }

  /// How many calls were hit by a fault.
  int hits() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return hits_;
  }

  int open_root(const std::string& path) override {
    if (auto f = hit(fs_op::open_root, path))
      return f->err_result();
    return remember(inner_->open_root(path), path);
  }
  int make_root(const std::string& path) override {
    if (auto f = hit(fs_op::make_root, path))
      return f->err_result();
    return inner_->make_root(path);
  }
  int open_dir_at(int dir, const std::string& name) override {
    auto path = path_of(dir, name);
    if (auto f = hit(fs_op::open_dir, path))
      return f->err_result();
    return remember(inner_->open_dir_at(dir, name), path);
  }
  int make_dir_at(int dir, const std::string& name, mode_t mode) override {
    if (auto f = hit(fs_op::make_dir, path_of(dir, name)))
      return f->err_result();
    return inner_->make_dir_at(dir, name, mode);
  }
  int open_file_at(int dir, const std::string& name) override {
    auto path = path_of(dir, name);
    if (auto f = hit(fs_op::open_file, path)) {
      if (f->f.kind != fault_kind::vanish)
        return f->err_result();
      ::unlink(path.c_str());
    }
    return remember(inner_->open_file_at(dir, name), path);
  }
  int create_exclusive_at(int dir, const std::string& name) override {
    auto path = path_of(dir, name);
    if (auto f = hit(fs_op::create, path))
      return f->err_result();
    return remember(inner_->create_exclusive_at(dir, name), path);
  }
  int close(int fd) override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      paths_.erase(fd);
    }
    return inner_->close(fd);
  }
  int stat_fd(int fd, file_stat& out) override {
    if (auto f = hit(fs_op::stat_fd, path_of(fd)))
      return f->err_result();
    return inner_->stat_fd(fd, out);
  }
  int stat_at(int dir, const std::string& name, file_stat& out) override {
    if (auto f = hit(fs_op::stat_at, path_of(dir, name)))
      return f->err_result();
    return inner_->stat_at(dir, name, out);
  }
  ssize_t pread(int fd, void* buf, size_t n, off_t off) override {
    auto path = path_of(fd);
    if (auto f = hit(fs_op::pread, path)) {
      if (f->f.kind == fault_kind::fail)
        return f->err_result();
      if (f->f.kind == fault_kind::vanish)
        ::unlink(path.c_str());
      if (f->f.kind == fault_kind::short_io)
        n = std::max<size_t>(1, n / 2);
    }
    return inner_->pread(fd, buf, n, off);
  }
  ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) override {
    auto path = path_of(fd);
    if (auto f = hit(fs_op::pwrite, path)) {
      if (f->f.kind == fault_kind::fail)
        return f->err_result();
      if (f->f.kind == fault_kind::vanish)
        ::unlink(path.c_str());
      if (f->f.kind == fault_kind::short_io)
        n = std::max<size_t>(1, n / 2);
    }
    return inner_->pwrite(fd, buf, n, off);
  }
  ssize_t copy_range(int in, off_t in_off, int out, off_t out_off, size_t n) override {
    if (auto f = hit(fs_op::copy_range, path_of(in) + " -> " + path_of(out)))
      return f->err_result();
    return inner_->copy_range(in, in_off, out, out_off, n);
  }
  int fsync(int fd) override {
    if (auto f = hit(fs_op::fsync, path_of(fd)))
      return f->err_result();
    return inner_->fsync(fd);
  }
  int syncfs(int fd) override {
    if (auto f = hit(fs_op::syncfs, path_of(fd)))
      return f->err_result();
    return inner_->syncfs(fd);
  }
  int set_owner(int fd, uid_t uid, gid_t gid) override {
    if (auto f = hit(fs_op::set_owner, path_of(fd)))
      return f->err_result();
    return inner_->set_owner(fd, uid, gid);
  }
  int set_mode(int fd, mode_t mode) override {
    if (auto f = hit(fs_op::set_mode, path_of(fd)))
      return f->err_result();
    return inner_->set_mode(fd, mode);
  }
  int set_times(int fd, const struct timespec times[2]) override {
    if (auto f = hit(fs_op::set_times, path_of(fd)))
      return f->err_result();
    return inner_->set_times(fd, times);
  }
  int rename_noreplace_at(int dir, const std::string& from, const std::string& to) override {
    auto path = path_of(dir, from);
    if (auto f = hit(fs_op::rename, path)) {
      if (f->f.kind != fault_kind::vanish)
        return f->err_result();
      ::unlink(path.c_str());
    }
    return inner_->rename_noreplace_at(dir, from, to);
  }
  int unlink_at(int dir, const std::string& name) override {
    if (auto f = hit(fs_op::unlink, path_of(dir, name)))
      return f->err_result();
    return inner_->unlink_at(dir, name);
  }
  int list_dir(int dir, std::vector<std::string>& names) override {
    if (auto f = hit(fs_op::list_dir, path_of(dir)))
      return f->err_result();
    return inner_->list_dir(dir, names);
  }

private:
  struct armed {
    fault f;
    int seen = 0;  // matching calls so far
    int err_result() const {
      return -f.err;
    }
  };

  // The fault this call hits (a copy), or none.
  std::optional<armed> hit(fs_op op, const std::string& path) {
    std::lock_guard<std::mutex> guard{mtx_};
    ++calls_[op];
    for (auto& a : faults_) {
      if (a.f.op != op || path.find(a.f.path_contains) == std::string::npos)
        continue;
      int n = ++a.seen;
      if (n >= a.f.nth && (a.f.times < 0 || n < a.f.nth + a.f.times)) {
        ++hits_;
        return a;
      }
    }
    return std::nullopt;
  }

  int remember(int fd, const std::string& path) {
    if (fd >= 0) {
      std::lock_guard<std::mutex> guard{mtx_};
      paths_[fd] = path;
    }
    return fd;
  }

  std::string path_of(int fd) {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = paths_.find(fd);
    return i == paths_.end() ? std::string{"?"} : i->second;
  }

  std::string path_of(int dir, const std::string& name) {
    return path_of(dir) + "/" + name;
  }

  mutable std::mutex mtx_;
  std::vector<armed> faults_;
  std::map<int, std::string> paths_;
  std::map<fs_op, int> calls_;
  int hits_ = 0;
};

}  // namespace d1::test
