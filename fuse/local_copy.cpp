// Local copies as object_bytes: every read is answered at once from the open descriptor.
#include "fuse/local_copy.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace d1 {

namespace {

class local_copy_bytes final : public object_bytes {
public:
  local_copy_bytes(int fd, uint64_t size) : fd_(fd), size_(size) {
  }

  ~local_copy_bytes() override {
    ::close(fd_);
  }

  uint64_t size() const override {
    return size_;
  }

  // The catalogue verified the copy and open checked it has not changed since.
  bool verified() const override {
    return true;
  }

  void read(uint64_t, uint64_t, read_callback done) override {
    done(fd_);
  }

  void opened() override {
  }

  void closed() override {
  }

private:
  int fd_;
  uint64_t size_;
};

int64_t mtime_ns_of(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Opens `c` for reading if it is still the file the catalogue verified; else the reason.
// `st` gets its status.
caf::expected<int> open_unchanged(const local_copy& c, struct stat& st) {
  // O_NONBLOCK: a FIFO put in the file's place must not hang the reader; O_NOFOLLOW: a
  // symlink put there is not what was verified.
  int fd = ::open(c.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return make_error(ec::io_error, std::strerror(errno));
  std::string why;
  if (::fstat(fd, &st) != 0)
    why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode))
    why = "not a regular file";
  else if (static_cast<uint64_t>(st.st_size) != c.size)
    why = "size " + std::to_string(st.st_size) + ", verified with " + std::to_string(c.size);
  else if (c.mtime_ns != 0 && mtime_ns_of(st) != c.mtime_ns)
    why = "modified since it was verified";
  if (why.empty()) {
    // Reads are plain preads of a local file: blocking is what they should do.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
  }
  ::close(fd);
  return make_error(ec::io_error, why);
}

}  // namespace

bool may_read(uint32_t mode, uint32_t owner, uint32_t group, const reader_identity& who) {
  if (who.uid == 0)
    return true;
  if (who.uid == owner)
    return (mode & S_IRUSR) != 0;
  bool in_group = who.gid == group;
  for (auto g : who.groups)
    in_group = in_group || g == group;
  if (in_group)
    return (mode & S_IRGRP) != 0;
  return (mode & S_IROTH) != 0;
}

caf::expected<object_bytes_ptr> open_local_copy(const std::string& mount_path,
                                                const std::vector<local_copy>& copies,
                                                const reader_identity& who) {
  if (copies.empty())
    return make_error(ec::not_found, mount_path + ": no copy of this file on this host");
  std::string tried;
  for (size_t i = 0; i < copies.size(); ++i) {
    struct stat st {};
    auto fd = open_unchanged(copies[i], st);
    if (fd && !may_read(st.st_mode, st.st_uid, st.st_gid, who)) {
      ::close(*fd);
      return make_error(ec::refused, mount_path + ": uid " + std::to_string(who.uid)
                                       + " may not read " + copies[i].path);
    }
    if (fd) {
      if (i > 0)
        spdlog::warn("{}: reading {} instead", mount_path, copies[i].path);
      return std::make_shared<local_copy_bytes>(*fd, copies[i].size);
    }
    auto why = context_of(fd.error());
    spdlog::warn("{}: copy {} passed over: {}", mount_path, copies[i].path, why);
    tried += (tried.empty() ? "" : "; ") + copies[i].path + ": " + why;
  }
  spdlog::error("{}: no usable copy on this host ({})", mount_path, tried);
  return make_error(ec::io_error, mount_path + ": no usable copy (" + tried + ")");
}

}  // namespace d1
