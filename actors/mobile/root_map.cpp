// root_map: recorded roots to this host's mount points, by longest component prefix, and
// the file_system decorator that opens roots through it.
#include "actors/mobile/root_map.hpp"

#include "actors/mobile/beneath.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <set>

namespace d1 {

namespace {

// Whether `prefix` is `path` or one of its ancestors, by components.
bool contains(const std::string& prefix, const std::string& path) {
  if (prefix == "/")
    return true;
  return path.compare(0, prefix.size(), prefix) == 0
         && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

caf::error check_side(const std::string& recorded, const std::string& side,
                      const char* what) {
  auto norm = normalize_root(side);
  if (!norm || *norm != side)
    return make_error(ec::invalid_argument,
                      std::string{"root_map \""} + recorded + "\": the " + what + " '" + side
                        + "' is not an absolute normalised path"
                        + (norm ? " (write '" + *norm + "')" : std::string{}));
  return {};
}

// Forwards every call to the disk, opening roots at their local place.
class mapped_file_system final : public file_system {
public:
  mapped_file_system(std::shared_ptr<file_system> disk, root_map map)
    : disk_(std::move(disk)), map_(std::move(map)) {
  }
  int open_root(const std::string& path) override {
    return disk_->open_root(map_.local(path));
  }
  int make_root(const std::string& path) override {
    return disk_->make_root(map_.local(path));
  }
  std::string local_path(const std::string& path) override {
    return disk_->local_path(map_.local(path));
  }
  int open_dir_at(int dir, const std::string& name) override {
    return disk_->open_dir_at(dir, name);
  }
  int make_dir_at(int dir, const std::string& name, mode_t mode) override {
    return disk_->make_dir_at(dir, name, mode);
  }
  int open_file_at(int dir, const std::string& name) override {
    return disk_->open_file_at(dir, name);
  }
  int create_exclusive_at(int dir, const std::string& name) override {
    return disk_->create_exclusive_at(dir, name);
  }
  int close(int fd) override {
    return disk_->close(fd);
  }
  int stat_fd(int fd, file_stat& out) override {
    return disk_->stat_fd(fd, out);
  }
  int stat_at(int dir, const std::string& name, file_stat& out) override {
    return disk_->stat_at(dir, name, out);
  }
  uint64_t fs_id(int fd) override {
    return disk_->fs_id(fd);
  }
  uint64_t fs_type(int fd) override {
    return disk_->fs_type(fd);
  }
  ssize_t pread(int fd, void* buf, size_t n, off_t off) override {
    return disk_->pread(fd, buf, n, off);
  }
  ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) override {
    return disk_->pwrite(fd, buf, n, off);
  }
  ssize_t copy_range(int in, off_t in_off, int out, off_t out_off, size_t n) override {
    return disk_->copy_range(in, in_off, out, out_off, n);
  }
  int fsync(int fd) override {
    return disk_->fsync(fd);
  }
  int syncfs(int fd) override {
    return disk_->syncfs(fd);
  }
  int set_owner(int fd, uid_t uid, gid_t gid) override {
    return disk_->set_owner(fd, uid, gid);
  }
  int set_mode(int fd, mode_t mode) override {
    return disk_->set_mode(fd, mode);
  }
  int set_times(int fd, const struct timespec times[2]) override {
    return disk_->set_times(fd, times);
  }
  int set_direct(int fd, bool on) override {
    return disk_->set_direct(fd, on);
  }
  int rename_noreplace_at(int dir, const std::string& from, const std::string& to) override {
    return disk_->rename_noreplace_at(dir, from, to);
  }
  int unlink_at(int dir, const std::string& name) override {
    return disk_->unlink_at(dir, name);
  }
  int list_dir(int dir, std::vector<std::string>& names) override {
    return disk_->list_dir(dir, names);
  }
  void advise(int fd, off_t off, off_t len, int advice) override {
    disk_->advise(fd, off, len, advice);
  }
  void start_writeback(int fd, off_t off, off_t len) override {
    disk_->start_writeback(fd, off, len);
  }

private:
  std::shared_ptr<file_system> disk_;
  root_map map_;
};

}  // namespace

caf::expected<root_map> root_map::make(const std::map<std::string, std::string>& entries) {
  root_map out;
  std::set<std::string> locals;
  for (auto& [recorded, local] : entries) {
    if (auto err = check_side(recorded, recorded, "recorded root"))
      return err;
    if (auto err = check_side(recorded, local, "local place"))
      return err;
    if (!locals.insert(local).second)
      return make_error(ec::invalid_argument, "root_map \"" + recorded + "\": '" + local
                                                + "' is the local place of another recorded "
                                                  "root too");
    out.entries_.emplace_back(recorded, local);
  }
  // Longest first: the first entry that contains a path is its longest match.
  std::stable_sort(out.entries_.begin(), out.entries_.end(),
                   [](auto& a, auto& b) { return a.first.size() > b.first.size(); });
  return out;
}

std::string root_map::local(const std::string& path) const {
  for (auto& [recorded, local] : entries_) {
    if (!contains(recorded, path))
      continue;
    if (path.size() == recorded.size())
      return local;
    return join_path(local, path.substr(recorded == "/" ? 1 : recorded.size() + 1));
  }
  return path;
}

std::shared_ptr<file_system> map_roots(std::shared_ptr<file_system> disk, root_map map) {
  if (map.empty())
    return disk;
  return std::make_shared<mapped_file_system>(std::move(disk), std::move(map));
}

}  // namespace d1
