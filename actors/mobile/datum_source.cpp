// Safe opens for the datum readers: a component-by-component walk with O_NOFOLLOW (so no
// symlink leads out of a root), O_NONBLOCK on the file (opening a FIFO would otherwise
// wait for a writer) and fstat before reading.
#include "actors/mobile/datum_source.hpp"

#include "actors/mobile/beneath.hpp"
#include "messages/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace d1 {

namespace {

struct fd_closer {
  int fd = -1;
  ~fd_closer() {
    if (fd >= 0)
      ::close(fd);
  }
};

const char* kind_of(mode_t mode) {
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

}  // namespace

datum_file::datum_file(int fd, uint64_t size, std::string path)
  : fd_(fd), size_(size), path_(std::move(path)) {
}

datum_file::datum_file(datum_file&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)), size_(other.size_), path_(std::move(other.path_)) {
}

datum_file& datum_file::operator=(datum_file&& other) noexcept {
  std::swap(fd_, other.fd_);
  std::swap(size_, other.size_);
  std::swap(path_, other.path_);
  return *this;
}

datum_file::~datum_file() {
  if (fd_ >= 0)
    ::close(fd_);
}

int datum_file::release() {
  return std::exchange(fd_, -1);
}

caf::expected<datum_file> datum_file::open(const std::string& root_in,
                                           const std::string& rel_in) {
  auto root = normalize_root(root_in);
  if (!root)
    return std::move(root.error());
  auto rel = normalize_rel_path(rel_in);
  if (!rel)
    return std::move(rel.error());
  auto path = join_path(*root, *rel);
  fd_closer dir{::open(root->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0)
    return open_error(*root, errno, false);
  size_t start = 0;
  for (;;) {
    auto slash = rel->find('/', start);
    auto comp = rel->substr(start, slash == std::string::npos ? std::string::npos
                                                                : slash - start);
    if (slash == std::string::npos) {
      int fd = ::openat(dir.fd, comp.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0)
        return open_error(path, errno, true);
      fd_closer file{fd};
      struct stat st;
      if (::fstat(fd, &st) != 0)
        return make_error(ec::io_error, path + ": " + std::strerror(errno));
      if (!S_ISREG(st.st_mode))
        return make_error(ec::io_error, path + ": " + kind_of(st.st_mode)
                                          + ", not read (only regular files are)");
      file.fd = -1;
      return datum_file{fd, static_cast<uint64_t>(st.st_size), path};
    }
    int next = ::openat(dir.fd, comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0)
      return open_error(join_path(*root, rel->substr(0, slash)), errno, false);
    ::close(dir.fd);
    dir.fd = next;
    start = slash + 1;
  }
}

caf::error datum_file::read_at(void* buf, size_t n, uint64_t offset) const {
  auto out = static_cast<char*>(buf);
  size_t done = 0;
  while (done < n) {
    auto got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return make_error(ec::io_error, path_ + ": read at " + std::to_string(offset + done)
                                        + ": " + std::strerror(errno));
    }
    if (got == 0)
      return make_error(ec::parse_error,
                        path_ + ": truncated: needs bytes " + std::to_string(offset) + "…"
                          + std::to_string(offset + n) + ", the file ends at "
                          + std::to_string(offset + done));
    done += static_cast<size_t>(got);
  }
  return caf::none;
}

}  // namespace d1
