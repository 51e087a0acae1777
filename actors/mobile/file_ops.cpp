// Blocking file operations beneath a root: component-by-component opens with O_NOFOLLOW
// (what openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS does, on any kernel), verified
// copies through a temporary name, and checks.
#include "actors/mobile/file_ops.hpp"

#include "actors/dataone/checksum.hpp"
#include "messages/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace d1 {

namespace {

constexpr size_t buffer_size = size_t{1} << 20;

// Closes a descriptor on every path out.
struct fd_owner {
  int fd = -1;
  fd_owner() = default;
  explicit fd_owner(int x) : fd(x) {
  }
  fd_owner(fd_owner&& other) noexcept : fd(other.fd) {
    other.fd = -1;
  }
  fd_owner& operator=(fd_owner&& other) noexcept {
    std::swap(fd, other.fd);
    return *this;
  }
  ~fd_owner() {
    if (fd >= 0)
      ::close(fd);
  }
};

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

caf::error sys_error(ec code, const std::string& what, int err) {
  std::string msg;
  if (err == ENOSPC)
    msg = "no space left on device (ENOSPC) ";
  else if (err == EDQUOT)
    msg = "no space left: disk quota exceeded (EDQUOT) ";
  return make_error(code, msg + what + ": " + std::strerror(err));
}

bool is_space_error(int err) {
  return err == ENOSPC || err == EDQUOT;
}

// Opens the directory `rel_dir` (normalised, may be empty) beneath the root, refusing
// symlinks at every step; with `create`, missing directories are made (mode 0755) and
// their parents fsynced. Returns the fd, or the errno.
int open_dir_beneath(const std::string& root, const std::string& rel_dir, bool create,
                     fd_owner& out) {
  fd_owner cur{::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (cur.fd < 0)
    return errno;
  if (!rel_dir.empty()) {
    for (auto& comp : split(rel_dir)) {
      int fd = ::openat(cur.fd, comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create) {
        if (::mkdirat(cur.fd, comp.c_str(), 0755) != 0 && errno != EEXIST)
          return errno;
        ::fsync(cur.fd);
        fd = ::openat(cur.fd, comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0)
        return errno;
      cur = fd_owner{fd};
    }
  }
  out = std::move(cur);
  return 0;
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

// Hashes an open file from offset 0; returns digest and size, or the errno (negative
// result through `err`).
caf::expected<file_digest> hash_fd(int fd, const std::string& algorithm,
                                   const std::string& what) {
  auto hasher = streaming_hasher::make(algorithm);
  if (!hasher)
    return std::move(hasher.error());
  std::vector<char> buf(buffer_size);
  file_digest out;
  off_t off = 0;
  for (;;) {
    auto n = ::pread(fd, buf.data(), buf.size(), off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return sys_error(ec::io_error, "reading " + what, errno);
    }
    if (n == 0)
      break;
    hasher->update(buf.data(), static_cast<size_t>(n));
    off += n;
    out.size += static_cast<uint64_t>(n);
  }
  out.hex = hasher->hex_digest();
  return out;
}

// Copies every byte of `in` to `out` (both at offset 0): copy_file_range, else read/write.
// Returns 0 or the errno.
int copy_bytes(int in, int out) {
  bool use_cfr = true;
  loff_t in_off = 0;
  loff_t out_off = 0;
  while (use_cfr) {
    auto n = ::copy_file_range(in, &in_off, out, &out_off, size_t{1} << 30, 0);
    if (n > 0)
      continue;
    if (n == 0)
      return 0;
    if (errno == EINTR)
      continue;
    if ((errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
        && in_off == 0) {
      use_cfr = false;
      break;
    }
    return errno;
  }
  std::vector<char> buf(buffer_size);
  for (;;) {
    auto n = ::pread(in, buf.data(), buf.size(), in_off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0)
      return 0;
    size_t written = 0;
    while (written < static_cast<size_t>(n)) {
      auto w = ::pwrite(out, buf.data() + written, static_cast<size_t>(n) - written,
                        out_off);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        return errno;
      }
      written += static_cast<size_t>(w);
      out_off += w;
    }
    in_off += n;
  }
}

}  // namespace

caf::expected<std::string> normalize_root(const std::string& root) {
  if (root.empty() || root[0] != '/')
    return make_error(ec::invalid_path, "root '" + root + "' is not an absolute path");
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

std::string join_path(const std::string& root, const std::string& rel) {
  return root == "/" ? "/" + rel : root + "/" + rel;
}

std::string temp_name_of(const std::string& rel_path) {
  std::string dir, leaf;
  split_leaf(rel_path, dir, leaf);
  auto tmp = "." + leaf + ".d1part";
  return dir.empty() ? tmp : dir + "/" + tmp;
}

caf::expected<hash_result> check_file(const hash_request& req) {
  auto root = normalize_root(req.root);
  if (!root)
    return std::move(root.error());
  auto rel = normalize_rel_path(req.rel_path);
  if (!rel)
    return std::move(rel.error());
  auto abs = join_path(*root, *rel);
  hash_result out;
  std::string dir, leaf;
  split_leaf(*rel, dir, leaf);
  fd_owner dfd;
  if (auto err = open_dir_beneath(*root, dir, false, dfd); err != 0) {
    out.state = err == ENOENT ? file_state::missing : file_state::error;
    out.detail = abs + ": " + (err == ELOOP || err == ENOTDIR
                                 ? std::string{"a directory on the way is a symlink or not a directory"}
                                 : std::string{std::strerror(err)});
    return out;
  }
  fd_owner fd{::openat(dfd.fd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (fd.fd < 0) {
    auto err = errno;
    out.state = err == ENOENT ? file_state::missing : file_state::error;
    out.detail = abs + ": " + (err == ELOOP ? std::string{"is a symlink (not followed)"}
                                            : std::string{std::strerror(err)});
    return out;
  }
  struct stat st;
  if (::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out.state = file_state::error;
    out.detail = abs + ": not a regular file";
    return out;
  }
  out.size = static_cast<uint64_t>(st.st_size);
  out.state = file_state::ok;
  if (req.level == check_level::exists)
    return out;
  if (req.has_expected && out.size != req.expected_size) {
    out.state = file_state::size_mismatch;
    out.detail = abs + ": " + std::to_string(out.size) + " bytes, recorded "
                 + std::to_string(req.expected_size);
    return out;
  }
  if (req.level == check_level::size)
    return out;
  auto digest = hash_fd(fd.fd, req.algorithm, abs);
  if (!digest) {
    if (code_of(digest.error()) == ec::invalid_argument)
      return std::move(digest.error());
    out.state = file_state::error;
    out.detail = describe(digest.error());
    return out;
  }
  out.size = digest->size;
  out.digest = digest->hex;
  if (!req.expected_digest.empty() && req.expected_digest != out.digest) {
    out.state = file_state::hash_mismatch;
    out.detail = abs + ": " + req.algorithm + " " + out.digest + ", recorded "
                 + req.expected_digest;
  }
  return out;
}

caf::expected<copy_result> copy_file(const copy_request& req) {
  auto src_root = normalize_root(req.src_root);
  if (!src_root)
    return std::move(src_root.error());
  auto dst_root = normalize_root(req.dst_root);
  if (!dst_root)
    return std::move(dst_root.error());
  auto rel = normalize_rel_path(req.rel_path);
  if (!rel)
    return std::move(rel.error());
  if (req.expected_digest.empty())
    return make_error(ec::invalid_argument, "copy of " + *rel + " without a recorded digest");
  auto src_abs = join_path(*src_root, *rel);
  auto dst_abs = join_path(*dst_root, *rel);
  std::string dir, leaf;
  split_leaf(*rel, dir, leaf);
  auto tmp_leaf = "." + leaf + ".d1part";
  // Source.
  fd_owner sdir;
  if (auto err = open_dir_beneath(*src_root, dir, false, sdir); err != 0)
    return sys_error(err == ELOOP ? ec::invalid_path : ec::io_error,
                     "opening the directory of " + src_abs, err);
  fd_owner in{::openat(sdir.fd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (in.fd < 0)
    return sys_error(errno == ELOOP ? ec::invalid_path : ec::io_error, "opening " + src_abs,
                     errno);
  struct stat sst;
  if (::fstat(in.fd, &sst) != 0 || !S_ISREG(sst.st_mode))
    return make_error(ec::invalid_path, src_abs + " is not a regular file");
  // Destination directory (created beneath the root, never through a symlink).
  fd_owner ddir;
  if (auto err = open_dir_beneath(*dst_root, dir, true, ddir); err != 0)
    return sys_error(err == ELOOP ? ec::invalid_path : ec::io_error,
                     "creating the directory of " + dst_abs, err);
  // A final name that already exists is adopted if it holds the bytes, never overwritten.
  struct stat dst_st;
  if (::fstatat(ddir.fd, leaf.c_str(), &dst_st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISREG(dst_st.st_mode))
      return make_error(ec::invalid_path, dst_abs + " exists and is not a regular file");
    fd_owner existing{::openat(ddir.fd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
    if (existing.fd < 0)
      return sys_error(ec::io_error, "opening " + dst_abs, errno);
    auto digest = hash_fd(existing.fd, req.algorithm, dst_abs);
    if (!digest)
      return std::move(digest.error());
    if (digest->hex != req.expected_digest)
      return make_error(ec::checksum_mismatch,
                        dst_abs + " already exists with other content; not overwritten");
    // Make sure the adopted file is durable before it is recorded.
    ::fsync(existing.fd);
    ::fsync(ddir.fd);
    return copy_result{digest->size, digest->hex, true};
  }
  fd_owner out{::openat(ddir.fd, tmp_leaf.c_str(),
                        O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)};
  if (out.fd < 0)
    return sys_error(errno == ELOOP ? ec::invalid_path : ec::io_error,
                     "creating a temporary file for " + dst_abs, errno);
  auto fail = [&](caf::error err) {
    ::unlinkat(ddir.fd, tmp_leaf.c_str(), 0);
    return err;
  };
  if (auto err = copy_bytes(in.fd, out.fd); err != 0)
    return fail(sys_error(ec::io_error,
                          is_space_error(err) ? "writing " + dst_abs
                                              : "copying " + src_abs + " to " + dst_abs,
                          err));
  if (::fsync(out.fd) != 0)
    return fail(sys_error(ec::io_error, "fsync of " + dst_abs, errno));
  // The digest compared is of what the destination holds (see docs/mobile-files.md).
  auto digest = hash_fd(out.fd, req.algorithm, dst_abs);
  if (!digest)
    return fail(std::move(digest.error()));
  if (digest->hex != req.expected_digest || digest->size != req.expected_size)
    return fail(make_error(ec::checksum_mismatch,
                           "copy of " + src_abs + ": " + req.algorithm + " " + digest->hex
                             + " (" + std::to_string(digest->size) + " bytes), recorded "
                             + req.expected_digest + " ("
                             + std::to_string(req.expected_size) + " bytes)"));
  ::fchmod(out.fd, sst.st_mode & 07777);
  if (::renameat(ddir.fd, tmp_leaf.c_str(), ddir.fd, leaf.c_str()) != 0)
    return fail(sys_error(ec::io_error, "renaming into " + dst_abs, errno));
  if (::fsync(ddir.fd) != 0)
    return sys_error(ec::io_error, "fsync of the directory of " + dst_abs, errno);
  return copy_result{digest->size, digest->hex, false};
}

caf::expected<remove_result> remove_file(const std::string& root_in,
                                         const std::string& rel_in) {
  auto root = normalize_root(root_in);
  if (!root)
    return std::move(root.error());
  auto rel = normalize_rel_path(rel_in);
  if (!rel)
    return std::move(rel.error());
  auto abs = join_path(*root, *rel);
  std::string dir, leaf;
  split_leaf(*rel, dir, leaf);
  fd_owner dfd;
  if (auto err = open_dir_beneath(*root, dir, false, dfd); err != 0) {
    if (err == ENOENT)
      return remove_result{false};
    return sys_error(err == ELOOP ? ec::invalid_path : ec::io_error,
                     "opening the directory of " + abs, err);
  }
  struct stat st;
  if (::fstatat(dfd.fd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT)
      return remove_result{false};
    return sys_error(ec::io_error, "stat of " + abs, errno);
  }
  if (!S_ISREG(st.st_mode))
    return make_error(ec::invalid_path, abs + " is not a regular file; not removed");
  if (::unlinkat(dfd.fd, leaf.c_str(), 0) != 0)
    return sys_error(ec::io_error, "removing " + abs, errno);
  ::fsync(dfd.fd);
  return remove_result{true};
}

caf::error remove_temp_file(const std::string& root_in, const std::string& rel_in) {
  auto root = normalize_root(root_in);
  if (!root)
    return std::move(root.error());
  auto rel = normalize_rel_path(rel_in);
  if (!rel)
    return std::move(rel.error());
  std::string dir, leaf;
  split_leaf(*rel, dir, leaf);
  fd_owner dfd;
  if (auto err = open_dir_beneath(*root, dir, false, dfd); err != 0)
    return err == ENOENT ? caf::error{} : sys_error(ec::io_error, "opening " + dir, err);
  auto tmp = "." + leaf + ".d1part";
  if (::unlinkat(dfd.fd, tmp.c_str(), 0) != 0 && errno != ENOENT)
    return sys_error(ec::io_error, "removing " + tmp, errno);
  return {};
}

}  // namespace d1
