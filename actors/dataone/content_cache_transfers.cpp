// content_cache's transfers: ranged GETs through node_client that fetch what readers wait
// for, read ahead of a sequential reader, fill the whole object for its verification, and
// resume from the next missing byte on the same replica and then the next.
#include "actors/dataone/content_cache_internal.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace d1::content_cache_internal {

namespace {

constexpr uint64_t random_align = 64 << 10;  // reads out of sequence fetch whole 64 KiB blocks
constexpr size_t max_fill_transfers = 2;

void start_transfer(self_ptr self, const std::string& name, entry& e, uint64_t begin,
                    uint64_t end, bool fill, uint32_t attempt);
void issue_for_read(self_ptr self, const std::string& name, entry& e, uint64_t begin,
                    uint64_t end);

// The next location to use: the preferred one unless it is unusable or used up.
std::optional<size_t> choose_location(const content_cache_state& st, const entry& e) {
  auto n = e.locations.size();
  for (size_t k = 0; k < n; ++k) {
    auto i = (e.preferred + k) % n;
    if (!e.bad[i] && e.failures[i] <= st.cfg_.retries_per_location)
      return i;
  }
  return std::nullopt;
}

// Nothing more to try for [begin, end): the reads waiting there fail, and so does a
// verification that needed them. A later read starts over with every location.
void fail_range(self_ptr self, const std::string& name, entry& e, uint64_t begin,
                uint64_t end, caf::error err) {
  auto& st = self->state;
  auto line = "cannot fetch " + range_text(begin, end) + " of " + e.ref.pid + ": "
              + describe(err);
  spdlog::error("content_cache: {}", line);
  remember_failure(st, line);
  e.last_error = err;
  // What the reader's log and Status show: which object, which bytes, why.
  auto code = code_of(err) == ec::unspecified ? ec::network : code_of(err);
  err = make_error(code, "cannot fetch " + range_text(begin, end) + " of " + e.ref.pid + ": "
                           + context_of(err));
  if (e.stream) {
    e.stream->fail_waiters(begin, end, err);
    if (e.whole) {
      // The tail waits for the whole object, which cannot be verified now.
      e.stream->fail_waiters(e.stream->tail_begin(), e.ref.size, err);
      e.whole = false;
    }
  }
  for (auto& rp : e.fetchers)
    rp.deliver(err);
  e.fetchers.clear();
  std::fill(e.failures.begin(), e.failures.end(), 0);
  if (std::all_of(e.bad.begin(), e.bad.end(), [](bool b) { return b; }))
    std::fill(e.bad.begin(), e.bad.end(), false);
}

void issue_for_read(self_ptr self, const std::string& name, entry& e, uint64_t begin,
                    uint64_t end) {
  auto& st = self->state;
  if (!e.stream || e.stream->failure())
    return;
  // A read that continues what is there (or starts the object) is sequential: read ahead.
  bool sequential = begin == 0 || e.stream->missing(begin - 1, begin).empty();
  if (sequential) {
    extend_window(self, name, e, begin);
    // The read itself, should the window not start where it does.
    for (auto& [b, en] : e.stream->missing(begin, end))
      start_transfer(self, name, e, b, en, false, 0);
    return;
  }
  auto from = begin / random_align * random_align;
  auto to = std::min(e.ref.size,
                     round_up(std::max(end, from + st.cfg_.random_read_bytes), random_align));
  for (auto& [b, en] : e.stream->missing(from, to))
    start_transfer(self, name, e, b, en, false, 0);
}

void transfer_done(self_ptr self, const std::string& name, uint64_t stream_id, uint64_t id,
                   caf::error err);

void start_transfer(self_ptr self, const std::string& name, entry& e, uint64_t begin,
                    uint64_t end, bool fill_transfer, uint32_t attempt) {
  auto& st = self->state;
  if (begin >= end)
    return;
  auto loc = choose_location(st, e);
  if (!loc) {
    fail_range(self, name, e, begin, end,
               e.last_error ? e.last_error
                            : make_error(ec::network, "no usable location for " + e.ref.pid));
    return;
  }
  if (e.transfers.empty()) {
    e.fetch_since = self->clock().now();
    e.fetch_since_bytes = e.stream->landed_bytes();
  }
  auto sink = std::make_shared<range_sink>(e.stream, begin, end);
  e.stream->begin_transfer(begin, end);
  auto id = st.next_id_++;
  e.transfers[id] = content_cache_state::transfer{begin, end, *loc, sink, attempt, fill_transfer};
  schedule_tick(self);  // persists what lands meanwhile
  auto stream_id = e.stream_id;
  self->request(st.node_client_, caf::infinite, fetch_atom::value, e.locations[*loc], begin,
                end, body_sink_ptr{sink})
    .then([self, name, stream_id, id](uint64_t) { transfer_done(self, name, stream_id, id, {}); },
          [self, name, stream_id, id](caf::error& err) {
            transfer_done(self, name, stream_id, id, std::move(err));
          });
}

bool is_transient(ec code) {
  return code == ec::timeout || code == ec::network || code == ec::unavailable;
}

// The disk refused what transfer `t` fetched (full, or an I/O error). Room may be made by
// dropping objects nobody holds; then what is `left` of it is tried once more. Otherwise
// its range fails.
void on_disk_refusal(self_ptr self, const std::string& name, entry& e,
                     const content_cache_state::transfer& t,
                     const std::vector<byte_ranges::range>& left, const caf::error& err) {
  auto& st = self->state;
  auto code = code_of(err);
  if (code == ec::no_space)
    ++st.stats_.disk_full;
  uint64_t want = 0;
  for (auto& [b, en] : left)
    want += en - b;
  if (code == ec::no_space && t.attempt == 0
      && evict(st, name, st.total_bytes_ > want ? st.total_bytes_ - want : 0) > 0) {
    spdlog::warn("content_cache: the state disk is full; dropped cached objects to go on "
                 "with {}", e.ref.pid);
    for (auto& [b, en] : left)
      start_transfer(self, name, e, b, en, t.fill, t.attempt + 1);
    return;
  }
  fail_range(self, name, e, t.begin, t.end, err);
}

void transfer_done(self_ptr self, const std::string& name, uint64_t stream_id, uint64_t id,
                   caf::error err) {
  auto& st = self->state;
  auto i = st.entries_.find(name);
  if (i == st.entries_.end() || i->second.stream_id != stream_id)
    return;  // the object was dropped or started over meanwhile
  auto& e = i->second;
  auto ti = e.transfers.find(id);
  if (ti == e.transfers.end())
    return;  // cancelled
  auto t = std::move(ti->second);
  e.transfers.erase(ti);
  auto written = t.sink->written();
  st.stats_.fetched_bytes += written;
  e.stream->end_transfer(t.begin, std::max(t.end, t.sink->claimed_end()));
  if (written > 0) {
    e.dirty = true;
    e.served[t.location] = true;
    schedule_tick(self);
  }
  if (!err)
    e.failures[t.location] = 0;  // a replica that fails again and again is left
  if (!e.verified)
    set_disk_bytes(st, e, e.stream->landed_bytes());
  auto left = e.stream->missing(t.begin, t.end);
  if (err && left.empty() && !is_transient(code_of(err)) && code_of(err) != ec::cancelled) {
    // Every byte asked for came, and then something wrong (more than the declared size):
    // the checksum judges the bytes; the replica is not asked again.
    spdlog::warn("content_cache: {} of {}: {}", where(e, t.location), e.ref.pid, describe(err));
    e.bad[t.location] = true;
    err = caf::error{};
  }
  if (!err && left.empty()) {
    if (e.whole)
      fill(self, name, e);
    evict(st, name);
    return;
  }
  if (e.stream->failure() || e.verified)
    return;  // discarded or complete meanwhile: nothing to resume
  if (!err)
    err = make_error(ec::network, "GET " + e.locations[t.location].url + " ended after "
                                    + std::to_string(written) + " of "
                                    + std::to_string(t.end - t.begin) + " bytes");
  auto code = code_of(err);
  if (code == ec::cancelled)
    return;
  e.last_error = err;
  if (code == ec::no_space || code == ec::io_error) {
    on_disk_refusal(self, name, e, t, left, err);
    return;
  }
  if (is_transient(code)) {
    ++e.failures[t.location];
  } else {
    e.bad[t.location] = true;  // this replica cannot serve this object
  }
  if (e.bad[t.location] || e.failures[t.location] > st.cfg_.retries_per_location)
    e.preferred = (t.location + 1) % e.locations.size();
  auto next = choose_location(st, e);
  spdlog::warn("content_cache: {} of {} from {} failed: {}; {}", range_text(t.begin, t.end),
               e.ref.pid, where(e, t.location), describe(err),
               next ? "resuming at byte " + std::to_string(left.front().first) + " from "
                        + where(e, *next)
                    : std::string{"no location left"});
  for (auto& [b, en] : left)
    start_transfer(self, name, e, b, en, t.fill, t.attempt + 1);
}

}  // namespace

// Reads need bytes: fetch them, once the locations are known.
void on_demand(self_ptr self, const std::string& name, entry& e, uint64_t begin,
               uint64_t end) {
  auto& st = self->state;
  if (!e.stream || e.stream->failure() || e.verified)
    return;
  if (end > e.stream->tail_begin())
    e.whole = true;
  if (e.locations.empty()) {
    e.queued.emplace_back(begin, end);
    if (e.resolving)
      return;
    e.resolving = true;
    auto pid = e.ref.pid;
    auto stream_id = e.stream_id;
    self->request(st.node_client_, st.cfg_.resolve_timeout, resolve_atom::value, pid)
      .then(
        [self, name, stream_id](std::vector<object_location>& locations) {
          auto i = self->state.entries_.find(name);
          if (i == self->state.entries_.end() || i->second.stream_id != stream_id)
            return;
          auto& e = i->second;
          e.resolving = false;
          e.locations = std::move(locations);
          e.failures.assign(e.locations.size(), 0);
          e.bad.assign(e.locations.size(), false);
          e.served.assign(e.locations.size(), false);
          e.preferred = 0;
          auto queued = std::move(e.queued);
          e.queued.clear();
          if (e.locations.empty()) {
            fail_range(self, name, e, 0, e.ref.size,
                       make_error(ec::not_found, "no location holds " + e.ref.pid));
            return;
          }
          for (auto& [b, en] : queued)
            issue_for_read(self, name, e, b, en);
          if (e.whole)
            fill(self, name, e);
        },
        [self, name, stream_id, pid](caf::error& err) {
          auto i = self->state.entries_.find(name);
          if (i == self->state.entries_.end() || i->second.stream_id != stream_id)
            return;
          auto& e = i->second;
          e.resolving = false;
          e.queued.clear();
          auto code = code_of(err) == ec::unspecified ? ec::network : code_of(err);
          fail_range(self, name, e, 0, e.ref.size,
                     make_error(code, "cannot resolve " + pid + ": " + describe(err)));
        });
    return;
  }
  issue_for_read(self, name, e, begin, end);
  if (e.whole)
    fill(self, name, e);
}

// Keeps [from, from + readahead) landed or being fetched, and sets the mark whose passing
// asks for more.
void extend_window(self_ptr self, const std::string& name, entry& e, uint64_t from) {
  auto& st = self->state;
  auto size = e.ref.size;
  auto want_end = std::min(size, round_up(from + st.cfg_.readahead_bytes, st.cfg_.chunk_bytes));
  for (auto& [b, en] : e.stream->missing(from, want_end))
    start_transfer(self, name, e, b, en, false, 0);
  auto mark = from + st.cfg_.readahead_bytes / 2;
  e.stream->set_refill_mark(want_end >= size ? object_stream::no_mark : mark);
}

// Fetches what is missing from the start, a few transfers at a time, so the whole object
// can be verified (a tail read or a fetch waits for it).
void fill(self_ptr self, const std::string& name, entry& e) {
  auto& st = self->state;
  if (!e.stream || e.stream->failure() || e.locations.empty())
    return;
  auto running = std::count_if(e.transfers.begin(), e.transfers.end(),
                               [](auto& kv) { return kv.second.fill; });
  auto piece = std::max(st.cfg_.readahead_bytes, st.cfg_.chunk_bytes);
  uint64_t at = 0;
  while (static_cast<size_t>(running) < max_fill_transfers) {
    at = e.stream->first_missing(at);
    if (at >= e.ref.size)
      return;
    auto gaps = e.stream->missing(at, std::min(e.ref.size, at + piece));
    if (gaps.empty())
      return;
    start_transfer(self, name, e, gaps.front().first, gaps.front().second, true, 0);
    at = gaps.front().second;
    ++running;
  }
}

}  // namespace d1::content_cache_internal
