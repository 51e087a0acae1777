// check_file and check_files: open beneath the root, never block, compare what the
// level asks for.
#include "actors/mobile/file_checks.hpp"

#include "actors/mobile/file_reads.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

namespace d1 {

namespace {

std::string why_unopenable(int err) {
  if (err == ELOOP)
    return "is a symlink (not followed)";
  if (err == ENOTDIR)
    return "a directory on the way is a symlink or not a directory";
  return std::strerror(err);
}

std::string kind_of(uint32_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISDIR(mode))
    return "a directory";
  return "not a regular file";
}

// What moved between the stat recorded when the file was hashed and `now`.
std::string what_changed(const file_stat& then, const file_stat& now) {
  if (!same_file(then, now))
    return "another file (inode " + std::to_string(now.ino) + ", was "
           + std::to_string(then.ino) + ")";
  if (then.size != now.size)
    return std::to_string(now.size) + " bytes, was " + std::to_string(then.size);
  if (then.mtime_ns != now.mtime_ns)
    return "modified since it was hashed";
  return "its inode changed since it was hashed (ctime)";
}

// check_file, reading through `buf` (read_buffer_bytes), directories from `dirs`.
caf::expected<hash_result> check_one(const worker_io& io, const hash_request& req, char* buf,
                                     beneath_dirs& dirs) {
  auto rel = normalize_rel_path(req.rel_path);
  if (!rel)
    return std::move(rel.error());
  auto abs = join_path(dirs.root(), *rel);
  hash_result out;
  std::string dir, leaf;
  split_leaf(*rel, dir, leaf);
  auto unopenable = [&](int err) {
    out.state = err == ENOENT ? file_state::missing : file_state::error;
    out.detail = abs + ": " + why_unopenable(err);
    out.transient = transient_errno(err);
    return out;
  };
  int dfd = dirs.open(dir);
  if (dfd < 0)
    return unopenable(-dfd);
  fs_fd fd{io.fs, io.fs.open_file_at(dfd, leaf)};
  if (!fd.ok())
    return unopenable(-fd.get());
  if (int rc = io.fs.stat_fd(fd.get(), out.stat); rc < 0)
    return unopenable(-rc);
  out.stat.fs_id = dirs.fs_id(dir);
  if (!S_ISREG(out.stat.mode)) {
    out.state = file_state::error;
    out.detail = abs + " is " + kind_of(out.stat.mode) + "; only regular files are read";
    return out;
  }
  out.size = out.stat.size;
  out.state = file_state::ok;
  bool known = req.expected_stat.ino != 0;
  if (req.level != check_level::hash) {
    if (req.level == check_level::size && req.has_expected && out.size != req.expected_size) {
      out.state = file_state::size_mismatch;
      out.detail = abs + ": " + std::to_string(out.size) + " bytes, recorded "
                   + std::to_string(req.expected_size);
    } else if (known && !unchanged_since(req.expected_stat, out.stat)) {
      out.state = file_state::changed;
      out.detail = abs + ": " + what_changed(req.expected_stat, out.stat);
    }
    return out;
  }
  if (req.has_expected && out.size != req.expected_size) {
    out.state = file_state::size_mismatch;
    out.detail = abs + ": " + std::to_string(out.size) + " bytes, recorded "
                 + std::to_string(req.expected_size);
    return out;
  }
  int os_error = 0;
  auto digest = hash_fd(io, fd.get(), out.size, req.algorithm, abs, buf, &os_error);
  if (!digest) {
    auto code = code_of(digest.error());
    if (code == ec::invalid_argument || code == ec::cancelled)
      return std::move(digest.error());
    out.state = file_state::error;
    out.detail = describe(digest.error());
    out.transient = transient_errno(os_error);
    return out;
  }
  // The bytes hashed belong to the stat recorded with them only if nothing wrote to the
  // file meanwhile.
  file_stat after;
  bool looked = io.fs.stat_fd(fd.get(), after) == 0;
  after.fs_id = out.stat.fs_id;
  if (looked && !unchanged_since(out.stat, after)) {
    out.state = file_state::error;
    out.detail = abs + " changed while it was read; not recorded";
    out.transient = true;
    out.stat = after;
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

// Asks the kernel to read the files of the next hash requests (POSIX_FADV_WILLNEED) so
// cold small files are read with many requests in flight, as the copy does for its
// sources. Opens as check_one does (beneath the root, no symlinks, never blocking); a
// file it cannot open is left to check_one.
class hash_readahead {
public:
  static constexpr size_t window_files = 64;
  static constexpr uint64_t window_bytes = uint64_t{32} << 20;

  hash_readahead(const worker_io& io, const std::vector<hash_request>& reqs)
    : io_(io), reqs_(reqs), sizes_(reqs.size(), 0) {
  }

  // Keeps the window filled beyond request `current` (called before checking it).
  void advance(size_t current) {
    if (current < next_)
      bytes_ -= std::min(bytes_, sizes_[current]);
    next_ = std::max(next_, current + 1);
    while (next_ < reqs_.size() && next_ <= current + window_files && bytes_ < window_bytes) {
      sizes_[next_] = advise(reqs_[next_]);
      bytes_ += sizes_[next_++];
    }
  }

  beneath_dirs& dirs_of(const std::string& root) {
    return dirs_.try_emplace(root, io_.fs, root).first->second;
  }

private:
  // Returns the bytes asked for (0 if none).
  uint64_t advise(const hash_request& req) {
    if (req.level != check_level::hash)
      return 0;
    auto root = normalize_root(req.root);
    auto rel = root ? normalize_rel_path(req.rel_path) : caf::expected<std::string>{""};
    if (!root || !rel)
      return 0;
    std::string dir, leaf;
    split_leaf(*rel, dir, leaf);
    int dfd = dirs_of(*root).open(dir);
    if (dfd < 0)
      return 0;
    fs_fd fd{io_.fs, io_.fs.open_file_at(dfd, leaf)};
    file_stat st;
    if (!fd.ok() || io_.fs.stat_fd(fd.get(), st) != 0 || !S_ISREG(st.mode)
        || st.size > small_file_bytes)
      return 0;
    // The pages stay in the page cache after the close; check_one opens the file again.
    io_.fs.advise(fd.get(), 0, 0, POSIX_FADV_WILLNEED);
    return st.size;
  }

  const worker_io& io_;
  const std::vector<hash_request>& reqs_;
  std::vector<uint64_t> sizes_;
  std::map<std::string, beneath_dirs> dirs_;
  size_t next_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace

caf::expected<hash_result> check_file(const worker_io& io, const hash_request& req) {
  auto root = normalize_root(req.root);
  if (!root)
    return std::move(root.error());
  beneath_dirs dirs{io.fs, *root};
  auto buf = make_read_buffer();
  return check_one(io, req, buf.get(), dirs);
}

std::vector<hash_result> check_files(const worker_io& io, const std::vector<hash_request>& reqs,
                                     uint64_t max_bytes) {
  std::vector<hash_result> out;
  out.reserve(reqs.size());
  hash_readahead readahead{io, reqs};
  auto buf = make_read_buffer();
  uint64_t bytes = 0;
  for (size_t i = 0; i < reqs.size() && bytes <= max_bytes && !io.interrupted(); ++i) {
    readahead.advance(i);
    auto root = normalize_root(reqs[i].root);
    auto r = root ? check_one(io, reqs[i], buf.get(), readahead.dirs_of(*root))
                  : caf::expected<hash_result>{std::move(root.error())};
    if (r) {
      if (reqs[i].level == check_level::hash)
        bytes += r->size;
      out.push_back(std::move(*r));
      continue;
    }
    if (code_of(r.error()) == ec::cancelled)
      break;  // the rest is not attempted: pending again
    hash_result failed;
    failed.state = file_state::error;
    failed.detail = describe(r.error());
    out.push_back(std::move(failed));
  }
  return out;
}

}  // namespace d1
