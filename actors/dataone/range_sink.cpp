// range_sink: header checks first, then bytes to their offsets, bounded by the declared size.
#include "actors/dataone/range_sink.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>

namespace d1 {

namespace {

const std::string* find_header(const std::vector<http_header>& headers, const char* name) {
  for (auto& h : headers)
    if (h.name == name)
      return &h.value;
  return nullptr;
}

// The most a whole-object answer claims at once beyond its range.
constexpr uint64_t claim_step = 64ull << 20;

}  // namespace

caf::expected<range_answer> check_range_response(uint16_t status,
                                                 const std::vector<http_header>& headers,
                                                 uint64_t begin, uint64_t end,
                                                 uint64_t object_size) {
  auto size_text = std::to_string(object_size);
  if (status == 206) {
    auto* cr = find_header(headers, "content-range");
    uint64_t first = 0, last = 0, total = 0;
    int used = 0;
    if (cr == nullptr
        || std::sscanf(cr->c_str(), "bytes %" SCNu64 "-%" SCNu64 "/%" SCNu64 "%n", &first,
                       &last, &total, &used) != 3
        || static_cast<size_t>(used) != cr->size() || last < first)
      return make_error(ec::http_status, "206 without a usable Content-Range ("
                                           + (cr ? "'" + *cr + "'" : std::string{"none"})
                                           + ")");
    if (total != object_size)
      return make_error(ec::http_status, "Content-Range '" + *cr + "' says the object has "
                                           + std::to_string(total)
                                           + " bytes; its system metadata says " + size_text);
    if (first != begin || last >= end)
      return make_error(ec::http_status, "Content-Range '" + *cr + "' is not the range asked for "
                                           "(bytes " + std::to_string(begin) + "-"
                                           + std::to_string(end - 1) + ")");
    return range_answer{first, last + 1, false};
  }
  if (status == 200) {
    if (auto* cl = find_header(headers, "content-length"); cl && *cl != size_text)
      return make_error(ec::http_status, "Content-Length " + *cl
                                           + " disagrees with the system metadata (" + size_text
                                           + " bytes)");
    return range_answer{0, object_size, true};
  }
  if (status == 416)
    return make_error(ec::http_status, "416 Range Not Satisfiable for bytes "
                                         + std::to_string(begin) + "-" + std::to_string(end - 1)
                                         + ": the node's copy is smaller than the " + size_text
                                         + " bytes of the system metadata");
  if (status == 404)
    return make_error(ec::not_found, "404: the node does not hold the object");
  if (status >= 500)
    return make_error(ec::unavailable, "HTTP " + std::to_string(status));
  return make_error(ec::http_status, "unexpected HTTP " + std::to_string(status));
}

range_sink::range_sink(std::shared_ptr<object_stream> stream, uint64_t begin, uint64_t end)
  : stream_(std::move(stream)), begin_(begin), end_(end), claimed_end_(end) {
}

body_sink::decision range_sink::headers_done(uint16_t status,
                                             const std::vector<http_header>& headers) {
  auto answer = check_range_response(status, headers, begin_, end_, stream_->size());
  if (!answer) {
    failure_ = std::move(answer.error());
    // Error documents are worth reading (a DataONE error names the problem); bytes of a
    // success whose headers disagree are never taken.
    return status >= 300 ? decision::keep_in_memory : decision::abort;
  }
  answer_ = *answer;
  pos_ = answer_.begin;
  return decision::accept;
}

bool range_sink::write(const char* data, size_t size) {
  if (cancelled_.load(std::memory_order_acquire)) {
    failure_ = make_error(ec::cancelled, "transfer cancelled");
    return false;
  }
  if (pos_ + size > answer_.end) {
    failure_ = make_error(ec::http_status,
                          "the node sent more than the "
                            + std::to_string(answer_.end - answer_.begin) + " bytes it announced ("
                            + (answer_.whole ? "the system metadata declares "
                                                 + std::to_string(stream_->size()) + " bytes"
                                             : "Content-Range")
                            + ")");
    return false;
  }
  while (size > 0) {
    if (pos_ < begin_) {  // a whole-object answer: the bytes before ours are not wanted
      auto skip = std::min<uint64_t>(size, begin_ - pos_);
      pos_ += skip;
      data += skip;
      size -= skip;
      continue;
    }
    auto claimed = claimed_end_.load(std::memory_order_relaxed);
    if (pos_ >= claimed) {
      if (!answer_.whole)
        return false;  // cannot happen: a 206 ends before end_
      auto got = stream_->claim(pos_, std::max<uint64_t>(size, claim_step));
      if (got == 0)
        return false;  // the next bytes are someone else's: done, successfully
      claimed_end_.store(pos_ + got, std::memory_order_release);
      continue;
    }
    auto n = std::min<uint64_t>(size, claimed - pos_);
    // Counted before the write: the last bytes verify the object inside it, and content_cache
    // may settle the transfer's account (publish) before this thread returns.
    written_.fetch_add(n, std::memory_order_acq_rel);
    if (auto err = stream_->write(pos_, data, n)) {
      written_.fetch_sub(n, std::memory_order_acq_rel);
      failure_ = std::move(err);
      return false;
    }
    pos_ += n;
    data += n;
    size -= n;
  }
  return true;
}

bool range_sink::cancelled() const {
  return cancelled_.load(std::memory_order_acquire);
}

void range_sink::set_waker(std::function<void()> wake) {
  std::lock_guard<std::mutex> guard{waker_mtx_};
  waker_ = std::move(wake);
}

caf::error range_sink::failure() const {
  return failure_;
}

void range_sink::cancel() {
  cancelled_.store(true, std::memory_order_release);
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> guard{waker_mtx_};
    wake = waker_;
  }
  if (wake)
    wake();
}

}  // namespace d1
