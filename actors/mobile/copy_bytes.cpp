// The bytes of one copy: moved and hashed in one pass, by the method the filesystems allow,
// and copy_fd, which copies one open file that way.
#include "actors/mobile/copy_bytes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace d1 {

namespace {

// Starting writeback every few MiB keeps the dirty pages of a large copy small, so the
// sync that makes the batch durable waits for little more than the last piece.
constexpr off_t writeback_step = off_t{8} << 20;

// Reading ahead this far keeps the source disk busy while a piece is being hashed.
constexpr off_t readahead_bytes = off_t{16} << 20;

// Reads exactly `size` bytes at `off`; returns 0 or the errno (EIO if the file is shorter).
int pread_full(file_system& fs, int fd, char* buf, size_t size, off_t off) {
  size_t got = 0;
  while (got < size) {
    auto r = fs.pread(fd, buf + got, size - got, off + static_cast<off_t>(got));
    if (r == -EINTR)
      continue;
    if (r < 0)
      return static_cast<int>(-r);
    if (r == 0)
      return EIO;
    got += static_cast<size_t>(r);
  }
  return 0;
}

// Writes exactly `size` bytes at `off`; returns 0 or the errno.
int pwrite_full(file_system& fs, int fd, const char* buf, size_t size, off_t off) {
  size_t done = 0;
  while (done < size) {
    auto w = fs.pwrite(fd, buf + done, size - done, off + static_cast<off_t>(done));
    if (w == -EINTR)
      continue;
    if (w < 0)
      return static_cast<int>(-w);
    if (w == 0)
      return EIO;
    done += static_cast<size_t>(w);
  }
  return 0;
}

// Filesystems where copy_file_range can copy without moving the bytes through this
// machine's memory: reflinks (Btrfs, XFS) or a server-side copy (NFS 4.2, SMB, Ceph).
bool offloads_copies(file_system& fs, int fd) {
  switch (fs.fs_type(fd)) {
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

}  // namespace

int copy_and_hash(const worker_io& io, int in, int out, uint64_t in_size, bool read_ahead,
                  copy_method method, streaming_hasher& hasher, std::vector<char>& buf,
                  file_digest& digest) {
  auto& fs = io.fs;
  if (method == copy_method::automatic)
    method = in_size > buf.size() && offloads_copies(fs, in) ? copy_method::copy_file_range
                                                             : copy_method::direct_read;
  off_t off = 0;
  off_t flushed = 0;
  auto advance = [&](size_t n, bool read_ahead_source) {
    off += static_cast<off_t>(n);
    if (off - flushed >= writeback_step) {
      fs.start_writeback(out, flushed, off - flushed);
      if (read_ahead_source)
        fs.advise(in, off + readahead_bytes - writeback_step, writeback_step,
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
      if (io.interrupted())
        return ECANCELED;
      hasher.update(data, n);
      if (auto werr = pwrite_full(fs, out, data, n, off); werr != 0)
        return werr;
      advance(n, false);
      return 0;
    };
    if (io.direct_reads && read_direct_pieces(fs, in, in_size, err, hash_and_write))
      return err != 0 ? err : finish();
  }
  if (!read_ahead) {
    fs.advise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
    fs.advise(in, 0, readahead_bytes, POSIX_FADV_WILLNEED);
  }
  // A file that fits the buffer is read, hashed and written in one piece: as many bytes
  // copied as copy_file_range plus its read-back, in a third of the system calls.
  bool use_cfr = method != copy_method::read_write && in_size > buf.size();
  for (;;) {
    if (io.interrupted())
      return ECANCELED;
    ssize_t n = 0;
    if (use_cfr) {
      n = fs.copy_range(in, off, out, off, buf.size());
      if (n == -EINTR)
        continue;
      if (n < 0) {
        if (off == 0 && (n == -EXDEV || n == -EINVAL || n == -ENOSYS || n == -EOPNOTSUPP)) {
          use_cfr = false;
          continue;
        }
        return static_cast<int>(-n);
      }
      if (n == 0)
        break;
      if (auto err = pread_full(fs, out, buf.data(), static_cast<size_t>(n), off); err != 0)
        return err;
      hasher.update(buf.data(), static_cast<size_t>(n));
    } else {
      n = fs.pread(in, buf.data(), buf.size(), off);
      if (n == -EINTR)
        continue;
      if (n < 0)
        return static_cast<int>(-n);
      if (n == 0)
        break;
      hasher.update(buf.data(), static_cast<size_t>(n));
      if (auto err = pwrite_full(fs, out, buf.data(), static_cast<size_t>(n), off); err != 0)
        return err;
    }
    advance(static_cast<size_t>(n), true);
  }
  return finish();
}

caf::expected<file_digest> copy_fd(const worker_io& io, int in, int out, const std::string& algorithm,
                                   copy_method method) {
  auto hasher = streaming_hasher::make(algorithm);
  if (!hasher)
    return std::move(hasher.error());
  file_stat st;
  if (int rc = io.fs.stat_fd(in, st); rc < 0)
    return sys_error(ec::io_error, "fstat of the source", -rc);
  std::vector<char> buf(read_buffer_bytes);
  file_digest digest;
  if (int err = copy_and_hash(io, in, out, st.size, false, method, *hasher, buf, digest);
      err != 0)
    return sys_error(ec::io_error, "copying", err);
  return digest;
}

}  // namespace d1

