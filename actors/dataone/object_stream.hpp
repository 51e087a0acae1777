// The bytes of one object while content_cache fetches or serves them: a sparse file of the
// object's size, which ranges have landed and which are being fetched, the checksum computed
// as bytes arrive in order, and the reads waiting for bytes. Thread-safe: FUSE threads read,
// the HTTP client's thread writes, content_cache decides what to fetch.
#pragma once

#include "actors/dataone/byte_ranges.hpp"
#include "hashing/checksum.hpp"
#include "messages/fs_types.hpp"
#include "messages/object_bytes.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace d1 {

/// What an object_stream tells content_cache (the two numbers depend on the event).
enum class stream_event : uint8_t {
  demand = 1,    // a read waits for [a, b), which nobody fetches yet (or lies in the tail)
  refill = 2,    // a reader passed the read-ahead mark; a = the end of its read
  catch_up = 3,  // landed bytes wait at the hash cursor: a catch-up is marked running, the
                 // receiver must run catch_up_step until it returns false
  verified = 4,  // every byte landed and matched the checksum
  mismatch = 5,  // every byte landed and did not match (see computed_digest)
  closed = 6,    // the last reader closed the object
};

class object_stream final : public object_bytes {
public:
  /// Receives events; called on whatever thread caused them, never with a lock held.
  using notify_fn = std::function<void(stream_event, uint64_t, uint64_t)>;

  static constexpr uint64_t no_mark = std::numeric_limits<uint64_t>::max();

  /// Opens (creating it if needed) the file at `path` for the bytes of `ref`, sized to
  /// ref.size (sparse). `landed` is what is known to be in it already (a previous run's
  /// record; all of it when `verified`). `algorithm` is the canonical checksum name;
  /// `chunk_bytes` the size of the tail served only after verification. Returns
  /// ec::io_error if the file cannot be opened or sized, ec::invalid_argument for an
  /// unknown algorithm. A file whose size differs from ref.size starts over empty.
  static caf::expected<std::shared_ptr<object_stream>>
  open(object_ref ref, const std::string& algorithm, const std::string& path,
       uint64_t chunk_bytes, byte_ranges landed, bool verified, notify_fn notify);

  /// Fails the reads still waiting (ec::cancelled) and closes the file.
  ~object_stream() override;

  object_stream(const object_stream&) = delete;
  object_stream& operator=(const object_stream&) = delete;

  // -- readers (object_bytes) ---------------------------------------------------------

  uint64_t size() const override {
    return ref_.size;
  }
  bool verified() const override;
  void read(uint64_t offset, uint64_t length, read_callback done) override;
  void opened() override;
  void closed() override;

  // -- content_cache --------------------------------------------------------------------

  const object_ref& ref() const {
    return ref_;
  }

  /// The first byte of the tail: the last chunk, served only after verification.
  uint64_t tail_begin() const {
    return tail_begin_;
  }

  /// A transfer will fill [begin, end): reads there wait for it instead of asking.
  void begin_transfer(uint64_t begin, uint64_t end);

  /// The transfer of [begin, end) ended. Reads that wait for bytes now neither landed nor
  /// being fetched are demanded again (a demand event each).
  void end_transfer(uint64_t begin, uint64_t end);

  /// Returns the parts of [begin, end) that neither landed nor are being fetched.
  std::vector<byte_ranges::range> missing(uint64_t begin, uint64_t end) const;

  /// Returns the first byte at or after `at` that neither landed nor is being fetched
  /// (size() if there is none).
  uint64_t first_missing(uint64_t at) const;

  /// Returns the bytes that landed (all of them once verified).
  byte_ranges landed() const;
  uint64_t landed_bytes() const;

  /// How many readers have the object open.
  uint32_t readers() const {
    return readers_.load(std::memory_order_acquire);
  }

  /// True while reads wait for bytes.
  bool has_waiters() const;

  /// Sets the offset past which a read sends a refill event (once); no_mark: none.
  void set_refill_mark(uint64_t at);

  /// Fails the waiting reads that overlap [begin, end) with `err`.
  void fail_waiters(uint64_t begin, uint64_t end, const caf::error& err);

  /// Ends the stream: writes are refused, waiting and later reads fail with `err`.
  void fail(const caf::error& err);

  /// The error the stream ended with (empty while it has not).
  caf::error failure() const;

  /// After a mismatch: the digest the bytes had.
  std::string computed_digest() const;

  /// Whether the HTTP client's thread hashes bytes that continue the hashed prefix as they
  /// arrive (the default) or leaves all hashing to catch-up workers. Off the transfer thread
  /// the digest (the most expensive work per byte) runs on another core, beside the next
  /// bytes' receive; call before the first transfer begins.
  void set_hash_in_transfer(bool in_transfer);

  /// Whether a catch-up hasher should run now (bytes landed at the hash cursor, no one
  /// hashing them); if so, marks one as running: the caller must then run catch_up_step
  /// until it returns false.
  bool start_catch_up();

  /// Hashes the next piece of landed bytes at the cursor from the file (blocking I/O: a
  /// worker of its own). Returns false when nothing is left to hash now (the catch-up is
  /// then over).
  bool catch_up_step();

  // -- transfers (the HTTP client's thread) ---------------------------------------------

  /// Writes `size` bytes of the object at `at`, which the caller's transfer was given
  /// (begin_transfer or claim). Hashes them at once when they continue the hashed prefix.
  /// Returns ec::cancelled once the stream failed or verified, ec::no_space or
  /// ec::io_error when the file refuses them.
  caf::error write(uint64_t at, const char* data, size_t size);

  /// For a transfer that is sent the whole object: claims up to `size` bytes from `at`
  /// that are neither landed nor being fetched (marks them as being fetched) and returns
  /// how many it claimed (0: the next byte is someone else's).
  uint64_t claim(uint64_t at, uint64_t size);

private:
  struct waiter {
    uint64_t begin;
    uint64_t end;
    read_callback done;
  };

  object_stream(object_ref ref, std::string algorithm, streaming_hasher hasher, int fd,
                uint64_t chunk_bytes, byte_ranges landed, bool verified, notify_fn notify);

  bool ready_locked(uint64_t begin, uint64_t end) const;
  bool covered_locked(uint64_t begin, uint64_t end) const;
  // Moves the waiters that may be served now into `out`.
  void take_ready_locked(std::vector<waiter>& out);
  // Checks the digest once the cursor reached the end; returns the event to send (0: none).
  stream_event finish_hash_locked(std::vector<waiter>& ready, std::vector<waiter>& failed);
  // Whether a catch-up should start: unhashed bytes wait at the cursor, at least
  // `min_pending` of them or the rest of the object (sets the running flag if so).
  bool want_catch_up_locked(uint64_t min_pending);
  void deliver(std::vector<waiter>& ready, std::vector<waiter>& failed, const caf::error& err);

  const object_ref ref_;
  const std::string algorithm_;
  const std::string expected_;  // lowercase hex
  const int fd_;
  const uint64_t tail_begin_;
  const notify_fn notify_;

  mutable std::mutex mtx_;
  byte_ranges landed_;
  byte_ranges in_flight_;
  std::vector<waiter> waiters_;
  streaming_hasher hasher_;    // used by whoever holds hash_busy_
  uint64_t hashed_ = 0;        // the bytes [0, hashed_) went into hasher_
  bool hash_busy_ = false;     // someone updates hasher_ outside the lock
  bool catch_up_running_ = false;
  bool hash_in_transfer_ = true;
  std::vector<char> catch_up_buffer_;  // used by whoever holds hash_busy_
  bool verified_ = false;
  caf::error failure_;
  std::string computed_;
  uint64_t refill_mark_ = no_mark;
  std::atomic<uint32_t> readers_{0};
};

}  // namespace d1
