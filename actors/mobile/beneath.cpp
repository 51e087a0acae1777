// Paths beneath a root and the directories on the way, opened without following symlinks.
#include "actors/mobile/beneath.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace d1 {

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    auto j = s.find('/', i);
    if (j == std::string::npos)
      j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// The mode a directory made by a copy gets: the source directory's. A daemon that is not
// root keeps write access for itself, or it could not put the files in (root needs no
// such bit).
mode_t directory_mode(uint32_t source_mode) {
  mode_t mode = source_mode & 07777;
  return ::geteuid() == 0 ? mode : (mode | S_IRWXU);
}

}  // namespace

caf::expected<std::string> normalize_root(const std::string& root) {
  if (root.empty() || root[0] != '/')
    return make_error(ec::invalid_path, "root '" + root + "' is not an absolute path");
  if (root.find('\0') != std::string::npos)
    return make_error(ec::invalid_path, "root contains NUL");
  std::string out;
  for (auto& comp : split(root.substr(1))) {
    if (comp.empty() || comp == ".")
      continue;
    if (comp == "..")
      return make_error(ec::invalid_path, "root '" + root + "' contains '..'");
    out += "/" + comp;
  }
  return out.empty() ? std::string{"/"} : out;
}

caf::expected<std::string> normalize_rel_path(const std::string& rel) {
  if (rel.empty())
    return make_error(ec::invalid_path, "empty path");
  if (rel[0] == '/')
    return make_error(ec::invalid_path, "path '" + rel + "' must be relative to its root");
  if (rel.find('\0') != std::string::npos)
    return make_error(ec::invalid_path, "path contains NUL");
  std::string out;
  for (auto& comp : split(rel)) {
    if (comp.empty() || comp == ".")
      continue;
    if (comp == "..")
      return make_error(ec::invalid_path, "path '" + rel + "' contains '..'");
    if (!out.empty())
      out += '/';
    out += comp;
  }
  if (out.empty())
    return make_error(ec::invalid_path, "path '" + rel + "' names no file");
  return out;
}

std::vector<std::string> path_components(const std::string& normalized) {
  std::vector<std::string> out;
  for (auto& comp : split(normalized))
    if (!comp.empty())
      out.push_back(std::move(comp));
  return out;
}

std::string join_path(const std::string& root, const std::string& rel) {
  return root == "/" ? "/" + rel : root + "/" + rel;
}

void split_leaf(const std::string& rel, std::string& dir, std::string& leaf) {
  auto slash = rel.rfind('/');
  if (slash == std::string::npos) {
    dir.clear();
    leaf = rel;
  } else {
    dir = rel.substr(0, slash);
    leaf = rel.substr(slash + 1);
  }
}

caf::error sys_error(ec code, const std::string& what, int err) {
  if (err == ENOSPC)
    return make_error(ec::no_space, "no space left on device (ENOSPC) " + what);
  if (err == EDQUOT)
    return make_error(ec::no_space, "disk quota exceeded (EDQUOT) " + what);
  if (err == ELOOP)
    return make_error(ec::invalid_path, what + ": a symlink (never followed beneath a root)");
  return make_error(code, what + ": " + std::strerror(err));
}

bool transient_errno(int err) {
  switch (err) {
    case EIO:
    case EAGAIN:
    case EINTR:
    case ESTALE:
    case ETIMEDOUT:
    case EBUSY:
    case ENOMEM:
      return true;
    default:
      return false;
  }
}

bool is_out_of_space(const caf::error& err) {
  return code_of(err) == ec::no_space;
}

int beneath_dirs::open(const std::string& rel_dir) {
  if (auto i = fds_.find(rel_dir); i != fds_.end())
    return i->second.get();
  if (rel_dir.empty())
    return open_root(false, nullptr);
  std::string parent_dir, name;
  split_leaf(rel_dir, parent_dir, name);
  int parent = open(parent_dir);
  if (parent < 0)
    return parent;
  return open_step(parent, rel_dir, name, false, nullptr);
}

int beneath_dirs::open_or_create(const std::string& rel_dir, beneath_dirs* model) {
  if (auto i = fds_.find(rel_dir); i != fds_.end())
    return i->second.get();
  if (rel_dir.empty())
    return open_root(true, model);
  std::string parent_dir, name;
  split_leaf(rel_dir, parent_dir, name);
  int parent = open_or_create(parent_dir, model);
  if (parent < 0)
    return parent;
  return open_step(parent, rel_dir, name, true, model);
}

int beneath_dirs::stat_root(file_stat& out) {
  int fd = open("");
  if (fd < 0)
    return fd;
  if (int rc = fs_.stat_fd(fd, out); rc < 0)
    return rc;
  out.fs_id = fs_id("");
  return 0;
}

uint64_t beneath_dirs::fs_id(const std::string& rel_dir) {
  if (auto i = fs_ids_.find(rel_dir); i != fs_ids_.end())
    return i->second;
  int fd = open(rel_dir);
  uint64_t id = fd >= 0 ? fs_.fs_id(fd) : 0;
  fs_ids_[rel_dir] = id;
  return id;
}

int beneath_dirs::open_root(bool create, beneath_dirs* model) {
  int fd = fs_.open_root(root_);
  bool made = false;
  if (fd == -ENOENT && create) {
    // A new destination root is made, as `rclone copy` or `mkdir -p` would.
    if (int rc = fs_.make_root(root_); rc < 0)
      return rc;
    made = true;
    fd = fs_.open_root(root_);
  }
  if (fd < 0)
    return fd;
  fs_fd owned{fs_, fd};
  if (made && model != nullptr) {
    // The root made for a copy takes the source root's owner and mode, as rsync -a does.
    file_stat src;
    if (model->stat_root(src) == 0) {
      fs_.set_owner(fd, src.uid, src.gid);
      fs_.set_mode(fd, directory_mode(src.mode));
    }
  }
  return fds_.emplace(std::string{}, std::move(owned)).first->second.get();
}

int beneath_dirs::open_step(int parent, const std::string& prefix, const std::string& name,
                            bool create, beneath_dirs* model) {
  int fd = fs_.open_dir_at(parent, name);
  if (fd == -ENOENT && create) {
    file_stat src;
    bool modelled = false;
    if (model != nullptr) {
      int src_fd = model->open(prefix);
      modelled = src_fd >= 0 && fs_.stat_fd(src_fd, src) == 0;
    }
    // Made private first, then given its owner and mode: never open to others on the way.
    int rc = fs_.make_dir_at(parent, name, modelled ? 0700 : 0755);
    if (rc < 0 && rc != -EEXIST)
      return rc;
    fd = fs_.open_dir_at(parent, name);
    if (fd >= 0 && rc == 0) {
      if (modelled) {
        fs_.set_owner(fd, src.uid, src.gid);
        fs_.set_mode(fd, directory_mode(src.mode));
      }
      fs_.fsync(parent);
    }
  }
  if (fd == -ENOTDIR) {
    // O_NOFOLLOW with O_DIRECTORY reports a symlink as ENOTDIR: name it for what it is.
    file_stat st;
    if (fs_.stat_at(parent, name, st) == 0 && S_ISLNK(st.mode))
      return -ELOOP;
  }
  if (fd < 0)
    return fd;
  return fds_.emplace(prefix, fs_fd{fs_, fd}).first->second.get();
}

}  // namespace d1
