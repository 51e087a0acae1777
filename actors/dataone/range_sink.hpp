// The body_sink of one ranged transfer of object bytes: it checks the answer's status and
// Content-Range/Content-Length against the request and the system-metadata size before any
// byte is written, then writes the bytes into the object_stream at their offsets, and never
// more than the object's declared size.
#pragma once

#include "actors/dataone/object_stream.hpp"
#include "messages/http_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace d1 {

/// What the answer to a ranged GET of object bytes offers.
struct range_answer {
  uint64_t begin = 0;  // object offset of the body's first byte
  uint64_t end = 0;    // one past its last byte
  bool whole = false;  // 200: the whole object (the server ignored Range)
};

/// Checks the answer to `Range: bytes=begin-(end-1)` for an object of `object_size` bytes
/// (system metadata): 206 whose Content-Range starts at `begin`, ends before `end` and
/// names `object_size` as the total, or 200 whose Content-Length (if any) is
/// `object_size`. Returns ec::http_status saying what disagrees (the replica is then not
/// used for this object), ec::unavailable for 5xx, ec::not_found for 404.
caf::expected<range_answer> check_range_response(uint16_t status,
                                                 const std::vector<http_header>& headers,
                                                 uint64_t begin, uint64_t end,
                                                 uint64_t object_size);

class range_sink final : public body_sink {
public:
  /// A transfer of [begin, end) of `stream`'s object (begin_transfer was called for it).
  range_sink(std::shared_ptr<object_stream> stream, uint64_t begin, uint64_t end);

  decision headers_done(uint16_t status, const std::vector<http_header>& headers) override;
  bool write(const char* data, size_t size) override;
  bool cancelled() const override;
  void set_waker(std::function<void()> wake) override;
  caf::error failure() const override;

  /// Ends the transfer from any thread: no byte is written after this returns… except the
  /// one write already under way, which the stream refuses once it failed or verified.
  void cancel();

  /// Bytes written into the object so far (a write under way already counts).
  uint64_t written() const {
    return written_.load(std::memory_order_acquire);
  }

  /// One past the last byte this transfer was given: `end`, or more when a whole-object
  /// answer let it claim the following free bytes.
  uint64_t claimed_end() const {
    return claimed_end_.load(std::memory_order_acquire);
  }

  uint64_t begin() const {
    return begin_;
  }

private:
  const std::shared_ptr<object_stream> stream_;
  const uint64_t begin_;
  const uint64_t end_;
  std::atomic<bool> cancelled_{false};
  std::mutex waker_mtx_;
  std::function<void()> waker_;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> claimed_end_;
  // The client's thread only:
  range_answer answer_;
  uint64_t pos_ = 0;  // object offset of the next body byte
  caf::error failure_;
};

}  // namespace d1
