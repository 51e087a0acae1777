// The base of a file_system decorator: every call goes to the file_system it wraps, so a
// decorator (roots opened at their local mount points, faults injected by tests)
// overrides only the calls it changes.
#pragma once

#include "actors/mobile/file_system.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace d1 {

class forwarding_file_system : public file_system {
public:
  explicit forwarding_file_system(std::shared_ptr<file_system> inner)
    : inner_(std::move(inner)) {
  }

  int open_root(const std::string& path) override {
    return inner_->open_root(path);
  }
  int make_root(const std::string& path) override {
    return inner_->make_root(path);
  }
  int open_dir_at(int dir, const std::string& name) override {
    return inner_->open_dir_at(dir, name);
  }
  int make_dir_at(int dir, const std::string& name, mode_t mode) override {
    return inner_->make_dir_at(dir, name, mode);
  }
  int open_file_at(int dir, const std::string& name) override {
    return inner_->open_file_at(dir, name);
  }
  int create_exclusive_at(int dir, const std::string& name) override {
    return inner_->create_exclusive_at(dir, name);
  }
  int close(int fd) override {
    return inner_->close(fd);
  }
  int stat_fd(int fd, file_stat& out) override {
    return inner_->stat_fd(fd, out);
  }
  int stat_at(int dir, const std::string& name, file_stat& out) override {
    return inner_->stat_at(dir, name, out);
  }
  uint64_t fs_id(int fd) override {
    return inner_->fs_id(fd);
  }
  uint64_t fs_type(int fd) override {
    return inner_->fs_type(fd);
  }
  ssize_t pread(int fd, void* buf, size_t n, off_t off) override {
    return inner_->pread(fd, buf, n, off);
  }
  ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) override {
    return inner_->pwrite(fd, buf, n, off);
  }
  ssize_t copy_range(int in, off_t in_off, int out, off_t out_off, size_t n) override {
    return inner_->copy_range(in, in_off, out, out_off, n);
  }
  int fsync(int fd) override {
    return inner_->fsync(fd);
  }
  int syncfs(int fd) override {
    return inner_->syncfs(fd);
  }
  int set_owner(int fd, uid_t uid, gid_t gid) override {
    return inner_->set_owner(fd, uid, gid);
  }
  int set_mode(int fd, mode_t mode) override {
    return inner_->set_mode(fd, mode);
  }
  int set_times(int fd, const struct timespec times[2]) override {
    return inner_->set_times(fd, times);
  }
  int set_direct(int fd, bool on) override {
    return inner_->set_direct(fd, on);
  }
  int rename_noreplace_at(int dir, const std::string& from, const std::string& to) override {
    return inner_->rename_noreplace_at(dir, from, to);
  }
  int unlink_at(int dir, const std::string& name) override {
    return inner_->unlink_at(dir, name);
  }
  int list_dir(int dir, std::vector<std::string>& names) override {
    return inner_->list_dir(dir, names);
  }
  std::string local_path(const std::string& path) override {
    return inner_->local_path(path);
  }
  void advise(int fd, off_t off, off_t len, int advice) override {
    inner_->advise(fd, off, len, advice);
  }
  void start_writeback(int fd, off_t off, off_t len) override {
    inner_->start_writeback(fd, off, len);
  }

protected:
  std::shared_ptr<file_system> inner_;
};

}  // namespace d1
