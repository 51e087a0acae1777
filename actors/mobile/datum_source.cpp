// Safe opens for the datum readers through the workers' file_system: directories by
// beneath_dirs (O_NOFOLLOW at every component, so no symlink leads out of a root), the
// file with O_NONBLOCK (opening a FIFO would otherwise wait for a writer) and fstat
// before reading.
#include "actors/mobile/datum_source.hpp"

#include "messages/error.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace d1 {

namespace {

const char* kind_of(uint32_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode))
    return "a device";
  return "not a regular file";
}

caf::error open_error(const std::string& path, int err, bool leaf) {
  if (err == ENOENT)
    return make_error(ec::not_found, path + ": no such file");
  if (err == ELOOP || (!leaf && err == ENOTDIR))
    return make_error(ec::io_error, path + (leaf ? ": is a symlink (not followed)"
                                                 : ": a directory on the way is a symlink "
                                                   "or not a directory"));
  return make_error(ec::io_error, path + ": " + std::strerror(err));
}

std::string normalized(const std::string& root, caf::error& bad) {
  auto r = normalize_root(root);
  if (!r) {
    bad = std::move(r.error());
    return {};
  }
  return *r;
}

}  // namespace

datum_file::datum_file(const datum_root& root, int fd, uint64_t size, std::string path)
  : root_(&root), fd_(fd), size_(size), path_(std::move(path)) {
}

datum_file::datum_file(datum_file&& other) noexcept
  : root_(other.root_), fd_(std::exchange(other.fd_, -1)), size_(other.size_),
    path_(std::move(other.path_)) {
}

datum_file& datum_file::operator=(datum_file&& other) noexcept {
  std::swap(root_, other.root_);
  std::swap(fd_, other.fd_);
  std::swap(size_, other.size_);
  std::swap(path_, other.path_);
  return *this;
}

datum_file::~datum_file() {
  if (fd_ >= 0)
    root_->fs().close(fd_);
}

ssize_t datum_file::read_some(void* buf, size_t n, uint64_t offset) const {
  for (;;) {
    if (root_->interrupted())
      return -ECANCELED;
    auto got = root_->fs().pread(fd_, buf, n, static_cast<off_t>(offset));
    if (got != -EINTR) {
      if (got < 0)
        root_->note_errno(static_cast<int>(-got));
      return got;
    }
  }
}

caf::error datum_file::read_at(void* buf, size_t n, uint64_t offset) const {
  auto out = static_cast<char*>(buf);
  size_t done = 0;
  while (done < n) {
    auto got = read_some(out + done, n - done, offset + done);
    if (got == -ECANCELED)
      return make_error(ec::cancelled, path_ + ": reading stopped (job cancelled)");
    if (got < 0)
      return make_error(ec::io_error, path_ + ": read at " + std::to_string(offset + done)
                                        + ": " + std::strerror(static_cast<int>(-got)));
    if (got == 0)
      return make_error(ec::parse_error,
                        path_ + ": truncated: needs bytes " + std::to_string(offset) + "…"
                          + std::to_string(offset + n) + ", the file ends at "
                          + std::to_string(offset + done));
    done += static_cast<size_t>(got);
  }
  return caf::none;
}

datum_root::datum_root(worker_io& io, const std::string& root)
  : io_(io), dirs_(io.fs, normalized(root, bad_root_)) {
}

void datum_root::note_errno(int err) const {
  if (transient_errno(err))
    transient_ = true;
}

caf::expected<datum_file> datum_root::open(const std::string& rel_in) {
  if (bad_root_)
    return bad_root_;
  auto rel = normalize_rel_path(rel_in);
  if (!rel)
    return std::move(rel.error());
  auto path = join_path(root(), *rel);
  std::string dir, leaf;
  split_leaf(*rel, dir, leaf);
  int dir_fd = dirs_.open(dir);
  if (dir_fd < 0) {
    note_errno(-dir_fd);
    return open_error(dir.empty() ? root() : join_path(root(), dir), -dir_fd, false);
  }
  int fd = io_.fs.open_file_at(dir_fd, leaf);
  if (fd < 0) {
    note_errno(-fd);
    return open_error(path, -fd, true);
  }
  // Owned by the datum_file from here: every way out closes it.
  datum_file out{*this, fd, 0, std::move(path)};
  file_stat st;
  if (int rc = io_.fs.stat_fd(fd, st); rc < 0) {
    note_errno(-rc);
    return make_error(ec::io_error, out.path() + ": " + std::strerror(-rc));
  }
  if (!S_ISREG(st.mode))
    return make_error(ec::io_error, out.path() + ": " + kind_of(st.mode)
                                      + ", not read (only regular files are)");
  out.size_ = st.size;
  return out;
}

}  // namespace d1
