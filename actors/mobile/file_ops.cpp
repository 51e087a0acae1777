// Blocking file operations beneath a root: component-by-component opens with O_NOFOLLOW
// (what openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS does, on any kernel), verified
// copies through a temporary name, and checks.
#include "actors/mobile/file_ops.hpp"

#include "actors/dataone/checksum.hpp"
#include "messages/error.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace d1 {

namespace {

constexpr size_t buffer_size = size_t{1} << 20;

// Files up to this size are read ahead through the page cache (POSIX_FADV_WILLNEED, many
// at a time); larger ones are read with O_DIRECT where the filesystem allows it.
constexpr uint64_t small_file_bytes = uint64_t{4} << 20;

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

}  // namespace

bool is_out_of_space(const caf::error& err) {
  return code_of(err) == ec::io_error && context_of(err).rfind("no space left", 0) == 0;
}

namespace {

// Opens the directory `rel_dir` (normalised, may be empty) beneath the root, refusing
// symlinks at every step; with `create`, missing directories are made (mode 0755) and
// their parents fsynced. Returns the fd, or the errno.
int open_dir_beneath(const std::string& root, const std::string& rel_dir, bool create,
                     fd_owner& out) {
  fd_owner cur{::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (cur.fd < 0 && errno == ENOENT && create) {
    // A new destination root is made, as `rclone copy` or `mkdir -p` would.
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec)
      return ec.value();
    cur = fd_owner{::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  }
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
      if (fd < 0) {
        // O_NOFOLLOW with O_DIRECTORY reports a symlink as ENOTDIR: name it for what it is.
        struct stat st;
        if (errno == ENOTDIR && ::fstatat(cur.fd, comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISLNK(st.st_mode))
          return ELOOP;
        return errno;
      }
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

// Two piece buffers per thread that reads with O_DIRECT, allocated on first use and kept:
// a copy worker is a detached actor on its own thread, and faulting in 16 MiB afresh for
// every file costs ~60 ms on a VM with slow page faults. Aligned to 2 MiB and marked for
// huge pages, so they fault in 2 MiB at a time.
struct direct_buffers {
  static constexpr size_t piece_bytes = size_t{8} << 20;
  static constexpr size_t alignment = size_t{2} << 20;
  struct free_deleter {
    void operator()(char* p) const {
      std::free(p);
    }
  };
  std::unique_ptr<char, free_deleter> memory;

  // The two buffers, or nullptr if they cannot be allocated.
  char* get() {
    if (!memory) {
      memory.reset(static_cast<char*>(std::aligned_alloc(alignment, 2 * piece_bytes)));
      if (memory)
        ::madvise(memory.get(), 2 * piece_bytes, MADV_HUGEPAGE);
    }
    return memory.get();
  }
};

thread_local direct_buffers this_thread_direct_buffers;

// Reads a file with O_DIRECT, piece by piece: a helper thread reads the next piece into
// one buffer while the caller hashes (and writes) the other. The bytes go from the disk to
// the hasher without the page cache: copy_file_range plus a read-back moved every byte
// through memory twice in the kernel (2.2-7.5 s of system CPU for 2 GiB on this project's
// VMs, against 0.6-1.0 s this way; docs/benchmarks.md), and a large copy no longer evicts
// the page cache. The file descriptor must already be in O_DIRECT mode.
class direct_reader {
public:
  // Starts reading `fd` from offset 0 into `buffers` (two pieces of piece_bytes).
  direct_reader(int fd, char* buffers) : fd_(fd) {
    slots_[0].data = buffers;
    slots_[1].data = buffers + direct_buffers::piece_bytes;
    thread_ = std::thread([this] { read_all(); });
  }

  ~direct_reader() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  direct_reader(const direct_reader&) = delete;
  direct_reader& operator=(const direct_reader&) = delete;

  // The next piece: `size` bytes at `data`, size 0 at the end of the file. Returns 0 or the
  // errno of the read. The piece stays valid until the next call.
  int next(const char*& data, size_t& size) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (handed_out_ >= 0) {
      slots_[handed_out_].full = false;
      changed_.notify_all();
    }
    auto& slot = slots_[next_slot_];
    changed_.wait(lock, [&] { return slot.full; });
    if (slot.result <= 0) {
      handed_out_ = -1;  // the last piece: it is never released, the reader has stopped
      data = slot.data;
      size = 0;
      return static_cast<int>(-slot.result);
    }
    handed_out_ = next_slot_;
    next_slot_ ^= 1;
    data = slot.data;
    size = static_cast<size_t>(slot.result);
    return 0;
  }

private:
  struct slot {
    char* data = nullptr;
    bool full = false;
    ssize_t result = 0;  // bytes read, 0 at the end, -errno
  };

  void read_all() {
    off_t off = 0;
    for (int i = 0;; i ^= 1) {
      {
        std::unique_lock<std::mutex> lock{mtx_};
        changed_.wait(lock, [&] { return stop_ || !slots_[i].full; });
        if (stop_)
          return;
      }
      ssize_t n;
      do
        n = ::pread(fd_, slots_[i].data, direct_buffers::piece_bytes, off);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        n = -errno;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        slots_[i].result = n;
        slots_[i].full = true;
      }
      changed_.notify_all();
      if (n <= 0)
        return;
      off += n;
    }
  }

  int fd_;
  slot slots_[2];
  int next_slot_ = 0;
  int handed_out_ = -1;
  bool stop_ = false;
  std::mutex mtx_;
  std::condition_variable changed_;
  std::thread thread_;  // last: started once everything it uses is constructed
};

// Filesystems where copy_file_range can copy without moving the bytes through this
// machine's memory: reflinks (Btrfs, XFS) or a server-side copy (NFS 4.2, SMB, Ceph).
bool offloads_copies(int fd) {
  struct statfs fs;
  if (::fstatfs(fd, &fs) != 0)
    return false;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0x9123683EUL:  // Btrfs
    case 0x58465342UL:  // XFS
    case 0x6969UL:      // NFS
    case 0xFE534D42UL:  // SMB2
    case 0xFF534D42UL:  // CIFS
    case 0x00C36400UL:  // Ceph
      return true;
    default:
      return false;
  }
}

// Switches `fd` to O_DIRECT reads and returns the piece buffers, if the file is large
// enough to gain from it and its filesystem allows it; nullptr otherwise (fd unchanged).
char* start_direct_reads(int fd, uint64_t size) {
  if (size <= small_file_bytes)
    return nullptr;
  auto* buffers = this_thread_direct_buffers.get();
  if (buffers == nullptr)
    return nullptr;
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_DIRECT) != 0)
    return nullptr;
  return buffers;
}

// Back to reads through the page cache: the first O_DIRECT read was refused (EINVAL, an
// alignment the device does not take), or there was no thread for the reader.
void stop_direct_reads(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags & ~O_DIRECT);
}

// Hands every piece of `fd` (from offset 0, `size` bytes at its fstat) to
// `use(data, n)`, which returns 0 or an errno, reading with O_DIRECT through a
// direct_reader. Returns false, with the fd as it was and `use` never called, where
// O_DIRECT is not worth it or not possible (small file, filesystem or device refuses it);
// otherwise true with `err` 0 or the errno of the read or of `use`.
template <class Use>
bool use_direct_pieces(int fd, uint64_t size, int& err, Use&& use) {
  auto* buffers = start_direct_reads(fd, size);
  if (buffers == nullptr)
    return false;
  std::optional<direct_reader> started;
  try {
    started.emplace(fd, buffers);
  } catch (const std::system_error&) {  // no thread to be had: read through the page cache
    stop_direct_reads(fd);
    return false;
  }
  auto& reader = *started;
  bool first = true;
  for (;;) {
    const char* data = nullptr;
    size_t n = 0;
    err = reader.next(data, n);
    if (err == EINVAL && first) {
      stop_direct_reads(fd);
      return false;
    }
    first = false;
    if (err != 0 || n == 0)
      return true;
    if ((err = use(data, n)) != 0)
      return true;
  }
}

// A read buffer of buffer_size bytes, not zeroed: hashing a 30 KiB file must not cost a
// 1 MiB memset (it was 11 % of a verify of 10k small files).
std::unique_ptr<char[]> make_read_buffer() {
  return std::unique_ptr<char[]>(new char[buffer_size]);
}

// Hashes an open file (`size` bytes at its fstat) from offset 0 through `buf` (buffer_size
// bytes), or in O_DIRECT pieces if `direct` and the file is large; returns digest and size.
caf::expected<file_digest> hash_fd(int fd, uint64_t size, const std::string& algorithm,
                                   const std::string& what, char* buf, bool direct) {
  auto hasher = streaming_hasher::make(algorithm);
  if (!hasher)
    return std::move(hasher.error());
  file_digest out;
  auto hash_piece = [&](const char* data, size_t n) {
    hasher->update(data, n);
    out.size += n;
    return 0;
  };
  int err = 0;
  if (direct && use_direct_pieces(fd, size, err, hash_piece)) {
    if (err != 0)
      return sys_error(ec::io_error, "reading " + what, err);
    out.hex = hasher->hex_digest();
    return out;
  }
  off_t off = 0;
  for (;;) {
    auto n = ::pread(fd, buf, buffer_size, off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return sys_error(ec::io_error, "reading " + what, errno);
    }
    if (n == 0)
      break;
    hash_piece(buf, static_cast<size_t>(n));
    off += n;
  }
  out.hex = hasher->hex_digest();
  return out;
}

// Starting writeback every few MiB keeps the dirty pages of a large copy small, so the
// sync that makes the batch durable waits for little more than the last piece.
constexpr off_t writeback_step = off_t{8} << 20;

// Reading ahead this far keeps the source disk busy while a piece is being hashed, also
// where the device's read_ahead_kb is the 128 KiB default (on this project's VMs it is
// 8 MiB, and this adds little).
constexpr off_t readahead_bytes = off_t{16} << 20;

// Reads exactly `size` bytes at `off`; returns 0 or the errno (EIO if the file is shorter).
int pread_full(int fd, char* buf, size_t size, off_t off) {
  size_t got = 0;
  while (got < size) {
    auto r = ::pread(fd, buf + got, size - got, off + static_cast<off_t>(got));
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (r == 0)
      return EIO;
    got += static_cast<size_t>(r);
  }
  return 0;
}

// Writes exactly `size` bytes at `off`; returns 0 or the errno.
int pwrite_full(int fd, const char* buf, size_t size, off_t off) {
  size_t done = 0;
  while (done < size) {
    auto w = ::pwrite(fd, buf + done, size - done, off + static_cast<off_t>(done));
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    done += static_cast<size_t>(w);
  }
  return 0;
}

// Copies every byte of `in` (from offset 0, `in_size` bytes at its fstat) to `out`
// (opened read-write) and hashes the bytes copied, by `method` (automatic: a file that
// fits the buffer is read, hashed and written in one piece; a larger one is read with
// O_DIRECT, or goes through copy_file_range where the filesystem offloads copies). Each
// method falls back to the next where it cannot work: O_DIRECT to copy_file_range, and
// copy_file_range (across filesystems, or where it is missing) to reads and writes.
// `read_ahead`: the source was already asked for (POSIX_FADV_WILLNEED). Returns 0 or the
// errno.
int copy_and_hash(int in, int out, uint64_t in_size, bool read_ahead, copy_method method,
                  streaming_hasher& hasher, std::vector<char>& buf, file_digest& digest) {
  if (method == copy_method::automatic)
    method = in_size > buf.size() && offloads_copies(in) ? copy_method::copy_file_range
                                                         : copy_method::direct_read;
  off_t off = 0;
  off_t flushed = 0;
  // Starts the writeback of what was written since the last step.
  auto advance = [&](size_t n, bool read_ahead_source) {
    off += static_cast<off_t>(n);
    if (off - flushed >= writeback_step) {
      ::sync_file_range(out, flushed, off - flushed, SYNC_FILE_RANGE_WRITE);
      if (read_ahead_source)
        ::posix_fadvise(in, off + readahead_bytes - writeback_step, writeback_step,
                        POSIX_FADV_WILLNEED);
      flushed = off;
    }
  };
  auto finish = [&] {
    digest.size = static_cast<uint64_t>(off);
    digest.hex = hasher.hex_digest();
    return 0;
  };
  if (method == copy_method::direct_read) {
    int err = 0;
    auto hash_and_write = [&](const char* data, size_t n) {
      hasher.update(data, n);
      if (auto werr = pwrite_full(out, data, n, off); werr != 0)
        return werr;
      advance(n, false);
      return 0;
    };
    if (use_direct_pieces(in, in_size, err, hash_and_write))
      return err != 0 ? err : finish();
  }
  if (!read_ahead) {
    ::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
    ::posix_fadvise(in, 0, readahead_bytes, POSIX_FADV_WILLNEED);
  }
  // A file that fits the buffer is read, hashed and written in one piece: as many bytes
  // copied as copy_file_range plus its read-back, in a third of the system calls.
  bool use_cfr = method != copy_method::read_write && in_size > buf.size();
  for (;;) {
    ssize_t n = 0;
    if (use_cfr) {
      loff_t in_off = off;
      loff_t out_off = off;
      n = ::copy_file_range(in, &in_off, out, &out_off, buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (off == 0
            && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
          use_cfr = false;
          continue;
        }
        return errno;
      }
      if (n == 0)
        break;
      if (auto err = pread_full(out, buf.data(), static_cast<size_t>(n), off); err != 0)
        return err;
      hasher.update(buf.data(), static_cast<size_t>(n));
    } else {
      n = ::pread(in, buf.data(), buf.size(), off);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return errno;
      }
      if (n == 0)
        break;
      hasher.update(buf.data(), static_cast<size_t>(n));
      if (auto err = pwrite_full(out, buf.data(), static_cast<size_t>(n), off); err != 0)
        return err;
    }
    advance(static_cast<size_t>(n), true);
  }
  return finish();
}

// Directory descriptors of one batch, opened once per directory (beneath the root, no
// symlinks) instead of once per file.
class dir_cache {
public:
  dir_cache(std::string root, bool create) : root_(std::move(root)), create_(create) {
  }
  // Returns the descriptor of `rel_dir`, or -errno.
  int get(const std::string& rel_dir) {
    auto i = fds_.find(rel_dir);
    if (i != fds_.end())
      return i->second.fd;
    fd_owner fd;
    if (auto err = open_dir_beneath(root_, rel_dir, create_, fd); err != 0)
      return -err;
    return fds_.emplace(rel_dir, std::move(fd)).first->second.fd;
  }

private:
  std::string root_;
  bool create_;
  std::map<std::string, fd_owner> fds_;
};

// Renames without replacing: a final name that appeared since it was checked is never
// overwritten. Falls back to renameat where the filesystem lacks RENAME_NOREPLACE.
int rename_no_replace(int dir_fd, const char* from, const char* to) {
  if (::renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != EINVAL && errno != ENOSYS)
    return errno;
  if (::faccessat(dir_fd, to, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return EEXIST;
  return ::renameat(dir_fd, from, dir_fd, to) == 0 ? 0 : errno;
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

namespace {

// check_file, reading through `buf` (buffer_size bytes).
caf::expected<hash_result> check_file_using(const hash_request& req, char* buf,
                                            const read_options& reads) {
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
  auto digest = hash_fd(fd.fd, out.size, req.algorithm, abs, buf, reads.direct);
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

}  // namespace

caf::expected<hash_result> check_file(const hash_request& req, const read_options& reads) {
  auto buf = make_read_buffer();
  return check_file_using(req, buf.get(), reads);
}

namespace {

// A file of a batch written under its temporary name, waiting for the batch's sync.
struct staged_copy {
  size_t index = 0;
  int dir_fd = -1;  // owned by the batch's dir_cache
  std::string leaf;
  std::string tmp_leaf;
  std::string dst_abs;
  copy_result result;
  bool checked_final = false;  // the final name was looked up before the copy
};

// Adopts the file already at `st`'s final name if it holds `expected_digest` (hashed
// through `buf`, buffer_size bytes), made durable first since someone else may have
// written it: the copy_result (adopted). Otherwise ec::checksum_mismatch (other bytes:
// never overwritten), ec::invalid_path (not a regular file) or ec::io_error.
caf::expected<copy_result> adopt_final(const staged_copy& st, const std::string& expected_digest,
                                       const std::string& algorithm, char* buf, bool direct) {
  fd_owner existing{::openat(st.dir_fd, st.leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  struct stat dst_st;
  if (existing.fd < 0 && errno == ELOOP)
    return make_error(ec::invalid_path, st.dst_abs + " exists and is not a regular file");
  if (existing.fd < 0)
    return sys_error(ec::io_error, "opening " + st.dst_abs, errno);
  if (::fstat(existing.fd, &dst_st) != 0 || !S_ISREG(dst_st.st_mode))
    return make_error(ec::invalid_path, st.dst_abs + " exists and is not a regular file");
  auto digest = hash_fd(existing.fd, static_cast<uint64_t>(dst_st.st_size), algorithm,
                        st.dst_abs, buf, direct);
  if (!digest)
    return std::move(digest.error());
  if (digest->hex != expected_digest)
    return make_error(ec::checksum_mismatch,
                      st.dst_abs + " already exists with other content; not overwritten");
  if (::fsync(existing.fd) != 0)
    return sys_error(ec::io_error, "fsync of " + st.dst_abs, errno);
  return copy_result{digest->size, digest->hex, true};
}

// Opens the sources of the next items of a batch ahead of the copy and asks the kernel to
// read them (POSIX_FADV_WILLNEED): cold small files are then read with many requests in
// flight instead of one file at a time, which is what bounds a copy of many small files.
// Opens exactly as stage_copy does (beneath the root, no symlinks); an item it cannot open
// is left to stage_copy, which reports the error.
class source_readahead {
public:
  static constexpr size_t window_files = 64;
  static constexpr uint64_t window_bytes = uint64_t{32} << 20;
  // Larger files are read with O_DIRECT (or the kernel's sequential readahead).
  static constexpr uint64_t max_file_bytes = small_file_bytes;

  explicit source_readahead(const std::vector<copy_item>& items) : items_(items) {
  }

  // Keeps the window filled beyond item `current`.
  void advance(size_t current, dir_cache& src_dirs) {
    next_ = std::max(next_, current + 1);
    while (next_ < items_.size() && next_ <= current + window_files && bytes_ < window_bytes) {
      auto& item = items_[next_];
      auto index = next_++;
      if (item.expected_size > max_file_bytes)
        continue;
      auto rel = normalize_rel_path(item.rel_path);
      if (!rel)
        continue;
      std::string dir, leaf;
      split_leaf(*rel, dir, leaf);
      int sdir = src_dirs.get(dir);
      if (sdir < 0)
        continue;
      fd_owner fd{::openat(sdir, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
      if (fd.fd < 0)
        continue;
      ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_WILLNEED);
      bytes_ += item.expected_size;
      open_.emplace(index, std::move(fd));
    }
  }

  // The source of item `index` if it was opened ahead (fd -1 otherwise).
  fd_owner take(size_t index) {
    auto i = open_.find(index);
    if (i == open_.end())
      return fd_owner{};
    bytes_ -= items_[index].expected_size;
    auto fd = std::move(i->second);
    open_.erase(i);
    return fd;
  }

private:
  const std::vector<copy_item>& items_;
  size_t next_ = 0;
  uint64_t bytes_ = 0;
  std::map<size_t, fd_owner> open_;
};

// Everything one batch shares: roots, directory descriptors, the hasher and the buffer.
struct batch_context {
  std::string src_root;
  std::string dst_root;
  std::string algorithm;
  streaming_hasher hasher;
  dir_cache src_dirs;
  dir_cache dst_dirs;
  std::vector<char> buf = std::vector<char>(buffer_size);
  fd_owner last_out;  // kept open: a batch of one file is made durable by its own fsync
  source_readahead readahead;
  read_options reads;
};

// Copies one item to its temporary name (or adopts an identical file already at the final
// name, `adopted` set). Returns an empty error and fills `st`, or the item's error; no
// temporary file is left behind on error.
caf::error stage_copy(batch_context& ctx, size_t index, const copy_item& item,
                      staged_copy& st, bool& adopted) {
  adopted = false;
  auto rel = normalize_rel_path(item.rel_path);
  if (!rel)
    return std::move(rel.error());
  if (item.expected_digest.empty())
    return make_error(ec::invalid_argument, "copy of " + *rel + " without a recorded digest");
  auto src_abs = join_path(ctx.src_root, *rel);
  st.dst_abs = join_path(ctx.dst_root, *rel);
  std::string dir;
  split_leaf(*rel, dir, st.leaf);
  st.tmp_leaf = temp_name_of(st.leaf);
  int sdir = ctx.src_dirs.get(dir);
  if (sdir < 0)
    return sys_error(-sdir == ELOOP ? ec::invalid_path : ec::io_error,
                     "opening the directory of " + src_abs, -sdir);
  fd_owner in = ctx.readahead.take(index);
  bool read_ahead = in.fd >= 0;
  ctx.readahead.advance(index, ctx.src_dirs);
  if (in.fd < 0)
    in = fd_owner{::openat(sdir, st.leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (in.fd < 0)
    return sys_error(errno == ELOOP ? ec::invalid_path : ec::io_error, "opening " + src_abs,
                     errno);
  struct stat sst;
  if (::fstat(in.fd, &sst) != 0 || !S_ISREG(sst.st_mode))
    return make_error(ec::invalid_path, src_abs + " is not a regular file");
  // Destination directory (created beneath the root, never through a symlink).
  st.dir_fd = ctx.dst_dirs.get(dir);
  if (st.dir_fd < 0)
    return sys_error(-st.dir_fd == ELOOP ? ec::invalid_path : ec::io_error,
                     "creating the directory of " + st.dst_abs, -st.dir_fd);
  // A final name that already exists is adopted if it holds the bytes, never overwritten.
  // Checked here for files larger than one buffer (adopting one saves its copy); a
  // smaller file is copied at once and an existing final name shows up at its rename
  // (finish_copy_batch), which saves a directory lookup per file.
  st.checked_final = sst.st_size > static_cast<off_t>(buffer_size);
  struct stat dst_st;
  if (st.checked_final
      && ::fstatat(st.dir_fd, st.leaf.c_str(), &dst_st, AT_SYMLINK_NOFOLLOW) == 0) {
    auto result = adopt_final(st, item.expected_digest, ctx.algorithm, ctx.buf.data(),
                              ctx.reads.direct);
    if (!result)
      return std::move(result.error());
    st.result = std::move(*result);
    adopted = true;
    return {};
  }
  fd_owner out{::openat(st.dir_fd, st.tmp_leaf.c_str(),
                        O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)};
  if (out.fd < 0)
    return sys_error(errno == ELOOP ? ec::invalid_path : ec::io_error,
                     "creating a temporary file for " + st.dst_abs, errno);
  auto fail = [&](caf::error err) {
    ::unlinkat(st.dir_fd, st.tmp_leaf.c_str(), 0);
    return err;
  };
  file_digest digest;
  if (auto err = copy_and_hash(in.fd, out.fd, static_cast<uint64_t>(sst.st_size), read_ahead,
                               ctx.reads.direct ? copy_method::automatic
                                                : copy_method::copy_file_range,
                               ctx.hasher, ctx.buf, digest);
      err != 0) {
    ctx.hasher.hex_digest();  // starts the next file's digest afresh
    return fail(sys_error(ec::io_error,
                          is_space_error(err) ? "writing " + st.dst_abs
                                              : "copying " + src_abs + " to " + st.dst_abs,
                          err));
  }
  if (digest.hex != item.expected_digest || digest.size != item.expected_size)
    return fail(make_error(ec::checksum_mismatch,
                           "copy of " + src_abs + ": " + ctx.algorithm + " " + digest.hex
                             + " (" + std::to_string(digest.size) + " bytes), recorded "
                             + item.expected_digest + " ("
                             + std::to_string(item.expected_size) + " bytes)"));
  ::fchmod(out.fd, sst.st_mode & 07777);
  st.result = copy_result{digest.size, digest.hex, false};
  ctx.last_out = std::move(out);
  return {};
}

}  // namespace

// A batch between its two halves: outcomes of the items that already failed or were
// adopted, and the copies waiting under their temporary names, with the destination's
// directory descriptors they need for the renames.
struct staged_copy_batch {
  copy_batch_result out;
  std::string dst_root;
  std::vector<staged_copy> staged;
  std::vector<int> synced_dirs;  // directories holding adopted files
  dir_cache dst_dirs{{}, false};
  fd_owner last_out;  // a batch of one file is made durable by its own fsync
  std::string algorithm;  // for a final name found at the rename (adopt_final)
  bool direct = true;
};

staged_copy_batch_ptr stage_copy_batch(const copy_batch_request& req,
                                       const read_options& reads) {
  auto batch = std::make_shared<staged_copy_batch>();
  auto& out = batch->out;
  out.outcomes.resize(req.items.size());
  auto fail_all = [&](const caf::error& err) {
    for (auto& outcome : out.outcomes)
      outcome.error = err;
    return batch;
  };
  auto src_root = normalize_root(req.src_root);
  if (!src_root)
    return fail_all(src_root.error());
  auto dst_root = normalize_root(req.dst_root);
  if (!dst_root)
    return fail_all(dst_root.error());
  auto hasher = streaming_hasher::make(req.algorithm);
  if (!hasher)
    return fail_all(hasher.error());
  batch->dst_root = *dst_root;
  batch->algorithm = req.algorithm;
  batch->direct = reads.direct;
  batch_context ctx{*src_root,
                    *dst_root,
                    req.algorithm,
                    std::move(*hasher),
                    dir_cache{*src_root, false},
                    dir_cache{*dst_root, true},
                    std::vector<char>(buffer_size),
                    fd_owner{},
                    source_readahead{req.items},
                    reads};
  caf::error space_error;  // once the destination is full, the rest is not tried
  for (size_t i = 0; i < req.items.size(); ++i) {
    if (space_error) {
      out.outcomes[i].error = space_error;
      continue;
    }
    staged_copy st;
    st.index = i;
    bool adopted = false;
    if (auto err = stage_copy(ctx, i, req.items[i], st, adopted)) {
      if (is_out_of_space(err))
        space_error = err;
      out.outcomes[i].error = std::move(err);
    } else if (adopted) {
      out.outcomes[i].result = std::move(st.result);
      batch->synced_dirs.push_back(st.dir_fd);
    } else {
      batch->staged.push_back(std::move(st));
    }
  }
  batch->dst_dirs = std::move(ctx.dst_dirs);
  batch->last_out = std::move(ctx.last_out);
  return batch;
}

copy_batch_result finish_copy_batch(staged_copy_batch& batch) {
  auto& out = batch.out;
  auto& staged = batch.staged;
  // One sync for the whole batch (one fsync when it is a single file), before any rename,
  // so a final name never holds bytes that a crash could lose.
  if (!staged.empty()) {
    int rc = staged.size() == 1 ? ::fsync(batch.last_out.fd) : ::syncfs(staged.front().dir_fd);
    if (rc != 0) {
      auto err = sys_error(ec::io_error, "syncing the copies under " + batch.dst_root, errno);
      for (auto& st : staged) {
        ::unlinkat(st.dir_fd, st.tmp_leaf.c_str(), 0);
        out.outcomes[st.index].error = err;
      }
      staged.clear();
    }
  }
  batch.last_out = fd_owner{};
  std::vector<int> renamed_dirs;
  std::unique_ptr<char[]> adopt_buf;  // only if a final name turns up
  for (auto& st : staged) {
    if (auto err = rename_no_replace(st.dir_fd, st.tmp_leaf.c_str(), st.leaf.c_str());
        err != 0) {
      ::unlinkat(st.dir_fd, st.tmp_leaf.c_str(), 0);
      if (err == EEXIST && !st.checked_final) {
        // Not looked up before the copy (a small file): adopted if it holds the bytes.
        if (!adopt_buf)
          adopt_buf = make_read_buffer();
        auto adopted = adopt_final(st, st.result.digest, batch.algorithm, adopt_buf.get(),
                                   batch.direct);
        if (adopted) {
          out.outcomes[st.index].result = std::move(*adopted);
          renamed_dirs.push_back(st.dir_fd);
        } else {
          out.outcomes[st.index].error = std::move(adopted.error());
        }
        continue;
      }
      out.outcomes[st.index].error =
        err == EEXIST ? make_error(ec::checksum_mismatch,
                                   st.dst_abs + " appeared during the copy; not overwritten")
                      : sys_error(ec::io_error, "renaming into " + st.dst_abs, err);
      continue;
    }
    out.outcomes[st.index].result = std::move(st.result);
    renamed_dirs.push_back(st.dir_fd);
  }
  // Each directory once: its new names (and adopted files' entries) on disk.
  renamed_dirs.insert(renamed_dirs.end(), batch.synced_dirs.begin(), batch.synced_dirs.end());
  std::sort(renamed_dirs.begin(), renamed_dirs.end());
  renamed_dirs.erase(std::unique(renamed_dirs.begin(), renamed_dirs.end()), renamed_dirs.end());
  for (int dir_fd : renamed_dirs) {
    if (::fsync(dir_fd) == 0)
      continue;
    auto err = sys_error(ec::io_error, "fsync of a directory under " + batch.dst_root, errno);
    for (auto& st : staged)
      if (st.dir_fd == dir_fd && !out.outcomes[st.index].error)
        out.outcomes[st.index].error = err;
  }
  staged.clear();
  return std::move(out);
}

caf::expected<file_digest> copy_fd(int in, int out, const std::string& algorithm,
                                   copy_method method) {
  auto hasher = streaming_hasher::make(algorithm);
  if (!hasher)
    return std::move(hasher.error());
  struct stat st;
  if (::fstat(in, &st) != 0)
    return sys_error(ec::io_error, "fstat of the source", errno);
  std::vector<char> buf(buffer_size);
  file_digest digest;
  if (auto err = copy_and_hash(in, out, static_cast<uint64_t>(st.st_size), false, method,
                               *hasher, buf, digest);
      err != 0)
    return sys_error(ec::io_error, "copying", err);
  return digest;
}

copy_batch_result copy_files(const copy_batch_request& req, const read_options& reads) {
  return finish_copy_batch(*stage_copy_batch(req, reads));
}

namespace {

// Asks the kernel to read the files of the next hash requests (POSIX_FADV_WILLNEED) so
// cold small files are read with many requests in flight, as source_readahead does for
// copies. Opens as check_file does (beneath the root, no symlinks); a file it cannot open
// is left to check_file.
class hash_readahead {
public:
  static constexpr size_t window_files = 64;
  static constexpr uint64_t window_bytes = uint64_t{32} << 20;
  static constexpr uint64_t max_file_bytes = small_file_bytes;

  explicit hash_readahead(const std::vector<hash_request>& reqs)
    : reqs_(reqs), sizes_(reqs.size(), 0) {
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
    auto& dirs = dirs_.try_emplace(*root, *root, false).first->second;
    int dfd = dirs.get(dir);
    if (dfd < 0)
      return 0;
    fd_owner fd{::openat(dfd, leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
    struct stat st;
    if (fd.fd < 0 || ::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)
        || static_cast<uint64_t>(st.st_size) > max_file_bytes)
      return 0;
    // The pages stay in the page cache after the close; check_file opens the file again.
    ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_WILLNEED);
    return static_cast<uint64_t>(st.st_size);
  }

  const std::vector<hash_request>& reqs_;
  std::vector<uint64_t> sizes_;
  std::map<std::string, dir_cache> dirs_;
  size_t next_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace

std::vector<hash_result> check_files(const std::vector<hash_request>& reqs,
                                     uint64_t max_bytes, const read_options& reads) {
  std::vector<hash_result> out;
  out.reserve(reqs.size());
  hash_readahead readahead{reqs};
  auto buf = make_read_buffer();
  uint64_t bytes = 0;
  for (size_t i = 0; i < reqs.size() && bytes <= max_bytes; ++i) {
    readahead.advance(i);
    auto r = check_file_using(reqs[i], buf.get(), reads);
    if (r) {
      if (reqs[i].level == check_level::hash)
        bytes += r->size;
      out.push_back(std::move(*r));
      continue;
    }
    hash_result failed;
    failed.state = file_state::error;
    failed.detail = describe(r.error());
    out.push_back(std::move(failed));
  }
  return out;
}

std::vector<remove_outcome> remove_files(const std::string& root_in,
                                         const std::vector<std::string>& rels) {
  std::vector<remove_outcome> out(rels.size());
  auto root = normalize_root(root_in);
  if (!root) {
    for (auto& o : out)
      o.error = root.error();
    return out;
  }
  dir_cache dirs{*root, false};
  std::vector<int> touched;
  std::vector<int> dir_of(rels.size(), -1);
  for (size_t i = 0; i < rels.size(); ++i) {
    auto rel = normalize_rel_path(rels[i]);
    if (!rel) {
      out[i].error = std::move(rel.error());
      continue;
    }
    auto abs = join_path(*root, *rel);
    std::string dir, leaf;
    split_leaf(*rel, dir, leaf);
    int dfd = dirs.get(dir);
    if (dfd < 0) {
      if (-dfd != ENOENT)
        out[i].error = sys_error(-dfd == ELOOP ? ec::invalid_path : ec::io_error,
                                 "opening the directory of " + abs, -dfd);
      continue;  // no directory: the file is already gone
    }
    struct stat st;
    if (::fstatat(dfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT)
        out[i].error = sys_error(ec::io_error, "stat of " + abs, errno);
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      out[i].error = make_error(ec::invalid_path, abs + " is not a regular file; not removed");
      continue;
    }
    if (::unlinkat(dfd, leaf.c_str(), 0) != 0) {
      out[i].error = sys_error(ec::io_error, "removing " + abs, errno);
      continue;
    }
    out[i].result.removed = true;
    dir_of[i] = dfd;
    touched.push_back(dfd);
  }
  // Each directory once: the removals are on disk before they are recorded.
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (int dfd : touched) {
    if (::fsync(dfd) == 0)
      continue;
    auto err = sys_error(ec::io_error, "fsync of a directory under " + *root, errno);
    for (size_t i = 0; i < rels.size(); ++i)
      if (dir_of[i] == dfd)
        out[i].error = err;
  }
  return out;
}

}  // namespace d1
