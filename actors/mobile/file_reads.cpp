// O_DIRECT reads on a helper thread, and hashing an open file.
#include "actors/mobile/file_reads.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

namespace d1 {

namespace {

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
// one buffer while the caller hashes (and writes) the other. copy_file_range plus a
// read-back moved every byte through memory twice in the kernel (2.2-7.5 s of system CPU
// for 2 GiB on this project's VMs, against 0.6-1.0 s this way; docs/benchmarks.md), and a
// large copy no longer evicts the page cache. The descriptor must be in O_DIRECT mode.
class direct_reader {
public:
  direct_reader(file_system& fs, int fd, char* buffers) : fs_(fs), fd_(fd) {
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

  // The next piece: `size` bytes at `data`, size 0 at the end of the file. Returns 0 or
  // the errno of the read. The piece stays valid until the next call.
  int next(const char*& data, size_t& size) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (handed_out_ >= 0) {
      slots_[handed_out_].full = false;
      changed_.notify_all();
    }
    auto& slot = slots_[next_slot_];
    changed_.wait(lock, [&] { return slot.full; });
    if (slot.result <= 0) {
      handed_out_ = -1;  // the last piece: never released, the reader has stopped
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
        n = fs_.pread(fd_, slots_[i].data, direct_buffers::piece_bytes, off);
      while (n == -EINTR);
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

  file_system& fs_;
  int fd_;
  slot slots_[2];
  int next_slot_ = 0;
  int handed_out_ = -1;
  bool stop_ = false;
  std::mutex mtx_;
  std::condition_variable changed_;
  std::thread thread_;  // last: started once everything it uses is constructed
};

}  // namespace

std::unique_ptr<char[]> make_read_buffer() {
  return std::unique_ptr<char[]>(new char[read_buffer_bytes]);
}

bool read_direct_pieces(file_system& fs, int fd, uint64_t size, int& err,
                        const std::function<int(const char*, size_t)>& use) {
  if (size <= small_file_bytes)
    return false;
  auto* buffers = this_thread_direct_buffers.get();
  if (buffers == nullptr || fs.set_direct(fd, true) != 0)
    return false;
  std::optional<direct_reader> started;
  try {
    started.emplace(fs, fd, buffers);
  } catch (const std::system_error&) {  // no thread to be had: read through the page cache
    fs.set_direct(fd, false);
    return false;
  }
  auto& reader = *started;
  bool first = true;
  for (;;) {
    const char* data = nullptr;
    size_t n = 0;
    err = reader.next(data, n);
    if (err == EINVAL && first) {
      // An alignment the device does not take: back to reads through the page cache.
      started.reset();
      fs.set_direct(fd, false);
      return false;
    }
    first = false;
    if (err != 0 || n == 0)
      return true;
    if ((err = use(data, n)) != 0)
      return true;
  }
}

caf::expected<file_digest> hash_fd(const worker_io& io, int fd, uint64_t size,
                                   const std::string& algorithm, const std::string& what,
                                   char* buf, int* os_error) {
  auto hasher = streaming_hasher::make(algorithm);
  if (!hasher)
    return std::move(hasher.error());
  file_digest out;
  auto hash_piece = [&](const char* data, size_t n) {
    if (io.interrupted())
      return ECANCELED;
    hasher->update(data, n);
    out.size += n;
    return 0;
  };
  auto failed = [&](int err) -> caf::error {
    if (err == ECANCELED)
      return make_error(ec::cancelled, "stopped while reading " + what);
    if (os_error != nullptr)
      *os_error = err;
    return sys_error(ec::io_error, "reading " + what, err);
  };
  int err = 0;
  if (io.direct_reads && read_direct_pieces(io.fs, fd, size, err, hash_piece)) {
    if (err != 0)
      return failed(err);
    out.hex = hasher->hex_digest();
    return out;
  }
  off_t off = 0;
  for (;;) {
    auto n = io.fs.pread(fd, buf, read_buffer_bytes, off);
    if (n == -EINTR)
      continue;
    if (n < 0)
      return failed(static_cast<int>(-n));
    if (n == 0)
      break;
    if (int e = hash_piece(buf, static_cast<size_t>(n)); e != 0)
      return failed(e);
    off += n;
  }
  out.hex = hasher->hex_digest();
  return out;
}

}  // namespace d1
