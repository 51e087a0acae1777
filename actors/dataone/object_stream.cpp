// object_stream: one mutex guards the range sets, the waiters and the hash cursor; file I/O
// and hashing run outside it (the cursor's owner is marked by hash_busy_), and callbacks and
// events are sent after it is released.
#include "actors/dataone/object_stream.hpp"

#include "messages/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace d1 {

namespace {

constexpr uint64_t catch_up_piece = 1 << 20;

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The error a refused write becomes: a full disk is its own kind (ENOSPC for readers).
caf::error write_error(int err, const object_ref& ref) {
  auto what = "cannot write the bytes of " + ref.pid + " to the state disk: "
              + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT)
    return make_error(ec::no_space, what);
  return make_error(ec::io_error, what);
}

}  // namespace

caf::expected<std::shared_ptr<object_stream>>
object_stream::open(object_ref ref, const std::string& algorithm, const std::string& path,
                    uint64_t chunk_bytes, byte_ranges landed, bool verified, notify_fn notify) {
  auto hasher = streaming_hasher::make(algorithm);
  if (!hasher)
    return hasher.error();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(ec::io_error, "cannot open " + path + ": " + std::strerror(errno));
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) {
    auto err = errno;
    ::close(fd);
    return make_error(ec::io_error, "cannot stat " + path + ": " + std::strerror(err));
  }
  if (static_cast<uint64_t>(sb.st_size) != ref.size) {
    if (verified) {
      ::close(fd);
      return make_error(ec::io_error, path + " has " + std::to_string(sb.st_size)
                                        + " bytes, not the " + std::to_string(ref.size)
                                        + " it had when verified");
    }
    landed = byte_ranges{};  // not the file that record described: start over
    // Sparse: only bytes written take space, so the size costs nothing.
    if (::ftruncate(fd, 0) != 0 || ::ftruncate(fd, static_cast<off_t>(ref.size)) != 0) {
      auto err = errno;
      ::close(fd);
      return write_error(err, ref);
    }
  }
  if (verified)
    landed.add(0, ref.size);
  return std::shared_ptr<object_stream>(new object_stream(std::move(ref), algorithm,
                                                          std::move(*hasher), fd, chunk_bytes,
                                                          std::move(landed), verified,
                                                          std::move(notify)));
}

object_stream::object_stream(object_ref ref, std::string algorithm, streaming_hasher hasher,
                             int fd, uint64_t chunk_bytes, byte_ranges landed, bool verified,
                             notify_fn notify)
  : ref_(std::move(ref)),
    algorithm_(std::move(algorithm)),
    expected_(lower(ref_.checksum)),
    fd_(fd),
    tail_begin_(ref_.size == 0 ? 0 : (ref_.size - 1) / std::max<uint64_t>(chunk_bytes, 1)
                                       * std::max<uint64_t>(chunk_bytes, 1)),
    notify_(std::move(notify)),
    landed_(std::move(landed)),
    hasher_(std::move(hasher)),
    verified_(verified) {
  if (verified_) {
    hashed_ = ref_.size;
  } else if (ref_.size == 0) {
    // Nothing to fetch: the digest of no bytes is known now.
    std::vector<waiter> ready, failed;
    finish_hash_locked(ready, failed);
  }
}

object_stream::~object_stream() {
  std::vector<waiter> left;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    left.swap(waiters_);
  }
  for (auto& w : left)
    w.done(make_error(ec::cancelled, "the bytes of " + ref_.pid + " are no longer served"));
  ::close(fd_);
}

bool object_stream::verified() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return verified_;
}

bool object_stream::ready_locked(uint64_t begin, uint64_t end) const {
  return landed_.contains(begin, end) && (end <= tail_begin_ || verified_);
}

bool object_stream::covered_locked(uint64_t begin, uint64_t end) const {
  for (auto& [b, e] : landed_.gaps(begin, end))
    if (!in_flight_.contains(b, e))
      return false;
  return true;
}

void object_stream::take_ready_locked(std::vector<waiter>& out) {
  auto keep = std::partition(waiters_.begin(), waiters_.end(), [this](const waiter& w) {
    return !ready_locked(w.begin, w.end);
  });
  std::move(keep, waiters_.end(), std::back_inserter(out));
  waiters_.erase(keep, waiters_.end());
}

void object_stream::deliver(std::vector<waiter>& ready, std::vector<waiter>& failed,
                            const caf::error& err) {
  auto now_ready = std::move(ready);
  auto now_failed = std::move(failed);
  ready.clear();
  failed.clear();
  for (auto& w : now_ready)
    w.done(fd_);
  for (auto& w : now_failed)
    w.done(err);
}

void object_stream::read(uint64_t offset, uint64_t length, read_callback done) {
  if (offset >= ref_.size || length == 0) {
    // At or past the end the read finds no bytes, unless the bytes it ends are bad (an
    // object that the system metadata says is empty, whose checksum says otherwise).
    auto err = failure();
    if (err)
      done(err);
    else
      done(fd_);
    return;
  }
  auto end = std::min(ref_.size, offset + std::min(length, ref_.size));
  bool refill = false;
  bool demand = false;
  {
    std::unique_lock<std::mutex> lock{mtx_};
    if (failure_) {
      auto err = failure_;
      lock.unlock();
      done(err);
      return;
    }
    if (end > refill_mark_) {
      refill = true;
      refill_mark_ = no_mark;
    }
    if (ready_locked(offset, end)) {
      lock.unlock();
      done(fd_);
      if (refill)
        notify_(stream_event::refill, end, 0);
      return;
    }
    waiters_.push_back(waiter{offset, end, std::move(done)});
    // The tail needs the whole object (to verify it): always tell the cache.
    demand = end > tail_begin_ || !covered_locked(offset, end);
  }
  if (refill)
    notify_(stream_event::refill, end, 0);
  if (demand)
    notify_(stream_event::demand, offset, end);
}

void object_stream::opened() {
  readers_.fetch_add(1, std::memory_order_acq_rel);
}

void object_stream::closed() {
  if (readers_.fetch_sub(1, std::memory_order_acq_rel) == 1)
    notify_(stream_event::closed, 0, 0);
}

void object_stream::begin_transfer(uint64_t begin, uint64_t end) {
  std::lock_guard<std::mutex> guard{mtx_};
  in_flight_.add(begin, end);
}

void object_stream::end_transfer(uint64_t begin, uint64_t end) {
  std::vector<byte_ranges::range> again;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    in_flight_.remove(begin, end);
    if (failure_)
      return;
    for (auto& w : waiters_)
      if (w.end > begin && w.begin < end && !covered_locked(w.begin, w.end))
        again.emplace_back(w.begin, w.end);
  }
  for (auto& [b, e] : again)
    notify_(stream_event::demand, b, e);
}

std::vector<byte_ranges::range> object_stream::missing(uint64_t begin, uint64_t end) const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<byte_ranges::range> out;
  for (auto& [b, e] : landed_.gaps(begin, std::min(end, ref_.size)))
    for (auto& gap : in_flight_.gaps(b, e))
      out.push_back(gap);
  return out;
}

uint64_t object_stream::first_missing(uint64_t at) const {
  std::lock_guard<std::mutex> guard{mtx_};
  while (at < ref_.size) {
    auto next = std::max(landed_.run_end(at), in_flight_.run_end(at));
    if (next == at)
      return at;
    at = next;
  }
  return ref_.size;
}

byte_ranges object_stream::landed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return landed_;
}

uint64_t object_stream::landed_bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return landed_.total();
}

bool object_stream::has_waiters() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return !waiters_.empty();
}

void object_stream::set_refill_mark(uint64_t at) {
  std::lock_guard<std::mutex> guard{mtx_};
  refill_mark_ = at;
}

void object_stream::fail_waiters(uint64_t begin, uint64_t end, const caf::error& err) {
  std::vector<waiter> failed;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto keep = std::partition(waiters_.begin(), waiters_.end(), [&](const waiter& w) {
      return !(w.end > begin && w.begin < end);
    });
    std::move(keep, waiters_.end(), std::back_inserter(failed));
    waiters_.erase(keep, waiters_.end());
  }
  for (auto& w : failed)
    w.done(err);
}

void object_stream::fail(const caf::error& err) {
  std::vector<waiter> failed;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!failure_)
      failure_ = err;
    failed.swap(waiters_);
  }
  for (auto& w : failed)
    w.done(err);
}

caf::error object_stream::failure() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return failure_;
}

std::string object_stream::computed_digest() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return computed_;
}

stream_event object_stream::finish_hash_locked(std::vector<waiter>& ready,
                                               std::vector<waiter>& failed) {
  if (hashed_ != ref_.size || verified_ || failure_)
    return stream_event{};
  computed_ = hasher_.hex_digest();
  if (computed_ == expected_) {
    verified_ = true;
    take_ready_locked(ready);
    return stream_event::verified;
  }
  failure_ = make_error(ec::checksum_mismatch,
                        "the bytes of " + ref_.pid + " do not match their checksum: expected "
                          + algorithm_ + " " + expected_ + ", computed " + computed_);
  failed.swap(waiters_);
  return stream_event::mismatch;
}

bool object_stream::want_catch_up_locked(uint64_t min_pending) {
  if (catch_up_running_ || hash_busy_ || verified_ || failure_ || hashed_ >= ref_.size
      || !landed_.contains(hashed_))
    return false;
  auto run_end = landed_.run_end(hashed_);
  if (run_end - hashed_ < min_pending && run_end != ref_.size)
    return false;
  catch_up_running_ = true;
  return true;
}

void object_stream::set_hash_in_transfer(bool in_transfer) {
  std::lock_guard<std::mutex> guard{mtx_};
  hash_in_transfer_ = in_transfer;
}

bool object_stream::start_catch_up() {
  std::lock_guard<std::mutex> guard{mtx_};
  return want_catch_up_locked(0);
}

bool object_stream::catch_up_step() {
  uint64_t begin = 0;
  uint64_t end = 0;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (hash_busy_ || verified_ || failure_ || !landed_.contains(hashed_)) {
      catch_up_running_ = false;
      if (!hash_busy_)
        std::vector<char>{}.swap(catch_up_buffer_);  // a piece per stream only while hashing
      return false;
    }
    begin = hashed_;
    end = std::min(landed_.run_end(hashed_), begin + catch_up_piece);
    hash_busy_ = true;
  }
  auto& buf = catch_up_buffer_;
  buf.resize(end - begin);
  size_t done = 0;
  caf::error err;
  while (done < buf.size()) {
    auto n = ::pread(fd_, buf.data() + done, buf.size() - done,
                     static_cast<off_t>(begin + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      err = make_error(ec::io_error, "cannot read back the bytes of " + ref_.pid + ": "
                                       + (n < 0 ? std::strerror(errno) : "unexpected end"));
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (err) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      hash_busy_ = false;
      catch_up_running_ = false;
    }
    fail(err);
    return false;
  }
  hasher_.update(buf.data(), buf.size());
  std::vector<waiter> ready, failed;
  stream_event event{};
  caf::error failure;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    hashed_ = end;
    hash_busy_ = false;
    event = finish_hash_locked(ready, failed);
    failure = failure_;
  }
  if (event != stream_event{})
    notify_(event, 0, 0);
  deliver(ready, failed, failure);
  return event == stream_event{};
}

caf::error object_stream::write(uint64_t at, const char* data, size_t size) {
  if (size == 0)
    return {};
  if (at + size > ref_.size)
    return make_error(ec::invalid_argument, "a write past the end of " + ref_.pid);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    // Never a byte into a file that verified (it may be published) or was discarded.
    if (verified_ || failure_)
      return make_error(ec::cancelled, "the bytes of " + ref_.pid + " are complete or discarded");
  }
  size_t done = 0;
  while (done < size) {
    auto n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(at + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return write_error(errno, ref_);
    if (n == 0)
      return write_error(ENOSPC, ref_);
    done += static_cast<size_t>(n);
  }
  std::vector<waiter> ready, failed;
  bool hash_here = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    landed_.add(at, at + size);
    if (hash_in_transfer_ && !hash_busy_ && hashed_ == at && !verified_ && !failure_) {
      hash_busy_ = true;
      hash_here = true;
    }
    take_ready_locked(ready);
  }
  deliver(ready, failed, {});
  if (!hash_here) {
    bool catch_up = false;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      // A transfer that does not hash starts a worker only for a piece (or the rest).
      catch_up = want_catch_up_locked(hash_in_transfer_ ? 0 : catch_up_piece);
    }
    if (catch_up)
      notify_(stream_event::catch_up, 0, 0);
    return {};
  }
  hasher_.update(data, size);
  stream_event event{};
  caf::error failure;
  bool catch_up = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    hashed_ = at + size;
    hash_busy_ = false;
    event = finish_hash_locked(ready, failed);
    failure = failure_;
    catch_up = event == stream_event{} && want_catch_up_locked(0);
  }
  if (event != stream_event{})
    notify_(event, 0, 0);
  if (catch_up)
    notify_(stream_event::catch_up, 0, 0);
  deliver(ready, failed, failure);
  return {};
}

uint64_t object_stream::claim(uint64_t at, uint64_t size) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto end = std::min(ref_.size, at + size);
  if (at >= end || verified_ || failure_)
    return 0;
  // Free bytes from `at` up to the first one that landed or is someone else's.
  auto not_landed = landed_.gaps(at, end);
  if (not_landed.empty() || not_landed.front().first != at)
    return 0;
  auto not_fetched = in_flight_.gaps(at, not_landed.front().second);
  if (not_fetched.empty() || not_fetched.front().first != at)
    return 0;
  auto free_end = not_fetched.front().second;
  in_flight_.add(at, free_end);
  return free_end - at;
}

}  // namespace d1
