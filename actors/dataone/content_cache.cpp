// content_cache: per object an entry (verified, partial or being fetched) and, while it is
// read or fetched, an object_stream that readers and transfers share. Reads that wait for
// bytes make the stream ask for them (stream events); transfers are ranged GETs through
// node_client that resume from the next missing byte, on the same replica and then the next.
#include "actors/dataone/content_cache.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "messages/status_report.hpp"
#include "storage/codec.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <tuple>

namespace d1 {

namespace {

namespace fs = std::filesystem;

using self_ptr = content_cache_engine_actor::stateful_pointer<content_cache_state>;
using entry = content_cache_state::entry;

constexpr size_t max_remembered_failures = 100;
constexpr size_t max_checksum_failures = 20;  // kept with their values for Status/content
constexpr const char* part_suffix = ".part";
constexpr uint64_t random_align = 64 << 10;  // reads out of sequence fetch whole 64 KiB blocks
constexpr size_t max_fill_transfers = 2;

bool is_cache_name(const std::string& name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

uint64_t round_up(uint64_t x, uint64_t unit) {
  return unit == 0 ? x : (x + unit - 1) / unit * unit;
}

std::string final_path(const content_cache_state& st, const std::string& name) {
  return st.cfg_.directory + "/" + name;
}

std::string part_path(const content_cache_state& st, const std::string& name) {
  return final_path(st, name) + part_suffix;
}

std::string now_text() {
  char buf[32];
  auto t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Keeps `line` for Status/downloads.
void remember_failure(content_cache_state& st, const std::string& line) {
  st.failures_.push_back(now_text() + " " + line);
  if (st.failures_.size() > max_remembered_failures)
    st.failures_.pop_front();
}

std::string range_text(uint64_t begin, uint64_t end) {
  return "bytes " + std::to_string(begin) + "-" + std::to_string(end == 0 ? 0 : end - 1);
}

std::string where(const entry& e, size_t location) {
  if (location >= e.locations.size())
    return "no location";
  auto& loc = e.locations[location];
  return loc.node_identifier + " (" + loc.url + ")";
}

// -- accounting -------------------------------------------------------------------------

void set_disk_bytes(content_cache_state& st, entry& e, uint64_t bytes) {
  st.total_bytes_ = st.total_bytes_ - e.disk_bytes + bytes;
  e.disk_bytes = bytes;
}

void touch(content_cache_state& st, entry& e) {
  st.lru_.splice(st.lru_.end(), st.lru_, e.lru_pos);
}

// Someone besides the entry and its transfers holds the stream (an open file, a reply on
// its way to one, a hashing worker), or a fetch waits: never evicted then.
bool pinned(const entry& e) {
  if (!e.fetchers.empty())
    return true;
  return e.stream && e.stream.use_count() > static_cast<long>(1 + e.transfers.size());
}

// Stops every transfer of `e`; what they wrote stays (and is persisted).
void cancel_transfers(content_cache_state& st, entry& e) {
  for (auto& [id, t] : e.transfers) {
    t.sink->cancel();
    st.stats_.fetched_bytes += t.sink->written();
    e.dirty = e.dirty || t.sink->written() > 0;
    e.stream->end_transfer(t.begin, std::max(t.end, t.sink->claimed_end()));
  }
  e.transfers.clear();
}

// -- persistence ------------------------------------------------------------------------

void erase_record(content_cache_state& st, const std::string& name) {
  if (!st.cfg_.store)
    return;
  if (auto err = st.cfg_.store->erase(st.cfg_.table, name))
    spdlog::warn("content_cache: cannot erase the record of {}: {}", name, describe(err));
}

void schedule_tick(self_ptr self) {
  auto& st = self->state;
  if (st.tick_pending_)
    return;
  st.tick_pending_ = true;
  self->delayed_send(self, st.cfg_.persist_interval, tick_atom::value);
}

// Writes the present ranges of every partial object that changed, in one batch.
void persist(content_cache_state& st) {
  if (!st.cfg_.store)
    return;
  storage::write_batch batch;
  std::vector<entry*> written;
  for (auto& [name, e] : st.entries_) {
    // Transfers in flight have written bytes since they started.
    if (e.verified || !(e.dirty || !e.transfers.empty()))
      continue;
    auto ranges = e.stream ? e.stream->landed() : e.recorded;
    batch.put(st.cfg_.table, name,
              storage::encode(partial_object{e.ref, ranges.flatten()}));
    written.push_back(&e);
  }
  if (batch.empty())
    return;
  if (auto err = st.cfg_.store->write(batch)) {
    ++st.stats_.errors;
    spdlog::warn("content_cache: cannot record partial objects: {}", describe(err));
    return;
  }
  for (auto* e : written)
    e->dirty = false;
}

// -- entries ----------------------------------------------------------------------------

entry& add_entry(content_cache_state& st, const std::string& name, object_ref ref,
                 std::string algorithm) {
  st.lru_.push_back(name);
  auto& e = st.entries_[name];
  e.ref = std::move(ref);
  e.algorithm = std::move(algorithm);
  e.lru_pos = std::prev(st.lru_.end());
  return e;
}

// Forgets an object and deletes its bytes (a reader that has the file open keeps reading
// it: only the name goes).
void drop_entry(content_cache_state& st, const std::string& name) {
  auto i = st.entries_.find(name);
  if (i == st.entries_.end())
    return;
  auto& e = i->second;
  if (e.stream) {
    cancel_transfers(st, e);
    st.streams_.erase(e.stream_id);
  }
  auto path = e.verified ? final_path(st, name) : part_path(st, name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    spdlog::warn("content_cache: cannot delete {}: {}", path, std::strerror(errno));
  if (!e.verified)
    erase_record(st, name);
  for (auto& rp : e.fetchers)
    rp.deliver(make_error(ec::cancelled, "the bytes of " + e.ref.pid + " were dropped"));
  st.total_bytes_ -= e.disk_bytes;
  st.lru_.erase(e.lru_pos);
  st.entries_.erase(i);
}

// Deletes least recently used objects nobody holds until the total fits (`keep` stays even
// if it alone is over the budget). Returns the bytes freed.
uint64_t evict(content_cache_state& st, const std::string& keep, uint64_t budget) {
  uint64_t freed = 0;
  for (auto it = st.lru_.begin(); st.total_bytes_ > budget && it != st.lru_.end();) {
    auto name = *it++;
    if (name == keep)
      continue;
    auto& e = st.entries_.at(name);
    if (pinned(e))
      continue;
    freed += e.disk_bytes;
    drop_entry(st, name);
    ++st.stats_.evictions;
  }
  return freed;
}

void evict(content_cache_state& st, const std::string& keep) {
  evict(st, keep, st.cfg_.max_bytes);
}

// -- streams ----------------------------------------------------------------------------

void spawn_catch_up(self_ptr self, std::shared_ptr<object_stream> stream) {
  auto work = [](caf::event_based_actor* worker, std::shared_ptr<object_stream> s) {
    // Each step hashes at least one byte, so this ends after at most size() steps.
    while (s->catch_up_step()) {
    }
    worker->quit();
  };
  if (self->state.cfg_.detach_hashing)
    self->spawn<caf::detached>(work, std::move(stream));
  else
    self->spawn(work, std::move(stream));
}

// The stream of `e`, opened if needed; ec::io_error if its file cannot be opened.
caf::expected<std::shared_ptr<object_stream>> ensure_stream(self_ptr self,
                                                            const std::string& name, entry& e) {
  auto& st = self->state;
  if (e.stream)
    return e.stream;
  auto id = st.next_id_++;
  // A weak address: a stream outliving the cache must not keep it alive.
  auto addr = self->address();
  auto notify = [addr, id](stream_event ev, uint64_t a, uint64_t b) {
    if (auto hdl = caf::actor_cast<content_cache_engine_actor>(addr))
      caf::anon_send(hdl, stream_atom::value, id, static_cast<uint8_t>(ev), a, b);
  };
  auto path = e.verified ? final_path(st, name) : part_path(st, name);
  auto stream = object_stream::open(e.ref, e.algorithm, path, st.cfg_.chunk_bytes,
                                    e.verified ? byte_ranges{} : e.recorded, e.verified,
                                    std::move(notify));
  if (!stream)
    return stream.error();
  e.stream = *stream;
  // With workers of their own, digests run beside the transfers instead of inside them.
  e.stream->set_hash_in_transfer(!st.cfg_.detach_hashing);
  e.stream_id = id;
  e.served.assign(e.locations.size(), false);
  st.streams_[id] = name;
  if (!e.verified) {
    set_disk_bytes(st, e, e.stream->landed_bytes());
    if (e.stream->start_catch_up())
      spawn_catch_up(self, e.stream);  // bytes a previous run left: hash them first
  }
  return e.stream;
}

void publish(self_ptr self, const std::string& name);

// The entry of `ref`, created if needed: a verified file that vanished or a partial one for
// other bytes (a changed checksum) starts over. ec::invalid_argument for a bad ref.
caf::expected<std::pair<std::string, entry*>> entry_for(self_ptr self, const object_ref& ref) {
  auto& st = self->state;
  if (ref.pid.empty())
    return make_error(ec::invalid_argument, "content cache: a request without a PID");
  auto algorithm = normalize_algorithm(ref.checksum_algorithm);
  if (!algorithm)
    return make_error(ec::invalid_argument,
                      "cannot verify " + ref.pid + ": " + describe(algorithm.error()));
  if (ref.checksum.empty())
    return make_error(ec::invalid_argument, "cannot verify " + ref.pid + ": no checksum given");
  auto name = content_cache_file_name(ref.pid);
  if (auto i = st.entries_.find(name); i != st.entries_.end()) {
    auto& e = i->second;
    bool same = e.ref.size == ref.size && lower(e.ref.checksum) == lower(ref.checksum)
                && e.algorithm == *algorithm;
    struct stat sb {};
    bool vanished = e.verified && !e.stream
                    && ::stat(final_path(st, name).c_str(), &sb) != 0;
    // A verified file found at startup has no ref yet: its name is the PID's, its bytes
    // matched when they were stored; the size still has to agree.
    if (e.verified && e.ref.checksum.empty() && e.ref.size == ref.size) {
      e.ref = ref;
      e.algorithm = *algorithm;
      same = true;
    }
    if (same && !vanished) {
      touch(st, e);
      return std::make_pair(name, &e);
    }
    if (!same && pinned(e))
      return make_error(ec::invalid_argument,
                        "the system metadata of " + ref.pid
                          + " changed while its old bytes are open; try again once closed");
    drop_entry(st, name);
  }
  auto& e = add_entry(st, name, ref, *algorithm);
  return std::make_pair(name, &e);
}

// -- fetching ---------------------------------------------------------------------------

void start_transfer(self_ptr self, const std::string& name, entry& e, uint64_t begin,
                    uint64_t end, bool fill, uint32_t attempt);
void issue_for_read(self_ptr self, const std::string& name, entry& e, uint64_t begin,
                    uint64_t end);
void fill(self_ptr self, const std::string& name, entry& e);

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
    if (code == ec::no_space)
      ++st.stats_.disk_full;
    // Room may be made by dropping objects nobody holds; then try once more.
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

// -- outcomes ---------------------------------------------------------------------------

void publish(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto& e = st.entries_.at(name);
  if (e.verified)
    return;
  cancel_transfers(st, e);
  auto part = part_path(st, name);
  auto path = final_path(st, name);
  // The stream's file keeps its inode: open readers go on reading it.
  if (std::rename(part.c_str(), path.c_str()) != 0) {
    auto err = make_error(ec::io_error, "cannot rename " + part + " to " + path + ": "
                                          + std::strerror(errno));
    spdlog::error("content_cache: {}", describe(err));
    remember_failure(st, describe(err));
    for (auto& rp : e.fetchers)
      rp.deliver(err);
    e.fetchers.clear();
    return;
  }
  erase_record(st, name);
  e.verified = true;
  e.dirty = false;
  e.whole = false;
  set_disk_bytes(st, e, e.ref.size);
  for (auto& rp : e.fetchers)
    rp.deliver(path);
  e.fetchers.clear();
  evict(st, name);
}

void on_mismatch(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto& e = st.entries_.at(name);
  // The last bytes may have come from a transfer whose end is not processed yet.
  for (auto& [id, t] : e.transfers)
    if (t.sink->written() > 0)
      e.served[t.location] = true;
  if (std::none_of(e.served.begin(), e.served.end(), [](bool b) { return b; }))
    std::fill(e.served.begin(), e.served.end(), true);  // unknown: blame them all
  checksum_failure failure;
  failure.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  failure.pid = e.ref.pid;
  failure.algorithm = e.algorithm;
  failure.expected = lower(e.ref.checksum);
  failure.computed = e.stream->computed_digest();
  failure.bytes = e.ref.size;
  std::string from;
  for (size_t k = 0; k < e.served.size(); ++k)
    if (e.served[k]) {
      from += (from.empty() ? "" : ", ") + where(e, k);
      if (k < e.locations.size())
        failure.sources.push_back(e.locations[k]);
    }
  auto line = "checksum mismatch for " + e.ref.pid + ": expected " + e.algorithm + " "
              + failure.expected + " (" + std::to_string(e.ref.size) + " bytes), computed "
              + failure.computed + " from " + (from.empty() ? "?" : from)
              + "; the bytes were discarded";
  spdlog::error("content_cache: {}", line);
  remember_failure(st, line);
  st.checksum_failures_.push_back(std::move(failure));
  if (st.checksum_failures_.size() > max_checksum_failures)
    st.checksum_failures_.pop_front();
  ++st.stats_.checksum_failures;
  auto err = make_error(ec::checksum_mismatch, line);
  e.last_error = err;
  cancel_transfers(st, e);
  ::unlink(part_path(st, name).c_str());
  erase_record(st, name);
  // The replicas that sent these bytes are not asked for this object again (while another
  // one is left); readers that have the file open get EIO, the next open starts over.
  for (size_t k = 0; k < e.served.size(); ++k)
    if (e.served[k])
      e.bad[k] = true;
  bool none_left = std::all_of(e.bad.begin(), e.bad.end(), [](bool b) { return b; });
  if (none_left)
    std::fill(e.bad.begin(), e.bad.end(), false);  // a later read tries them all again
  else
    while (e.bad[e.preferred])
      e.preferred = (e.preferred + 1) % e.bad.size();
  std::fill(e.failures.begin(), e.failures.end(), 0);
  st.streams_.erase(e.stream_id);
  e.stream = nullptr;
  e.recorded = byte_ranges{};
  e.dirty = false;
  e.whole = false;
  set_disk_bytes(st, e, 0);
  auto fetchers = std::move(e.fetchers);
  e.fetchers.clear();
  if (fetchers.empty())
    return;
  // A fetch wants verified bytes: start over while a replica is left that did not fail.
  auto stream = none_left ? caf::expected<std::shared_ptr<object_stream>>{err}
                          : ensure_stream(self, name, e);
  if (!stream) {
    for (auto& rp : fetchers)
      rp.deliver(stream.error());
    return;
  }
  e.fetchers = std::move(fetchers);
  e.whole = true;
  fill(self, name, e);
}

// The last reader closed: what it was reading ahead for is not needed now.
void on_closed(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto& e = st.entries_.at(name);
  if (!e.stream || e.stream->readers() > 0 || !e.fetchers.empty() || e.stream->has_waiters())
    return;
  cancel_transfers(st, e);
  e.whole = false;
  if (!e.verified) {
    set_disk_bytes(st, e, e.stream->landed_bytes());
    persist(st);
  }
  evict(st, name);
}

void on_stream_event(self_ptr self, uint64_t id, stream_event ev, uint64_t a, uint64_t b) {
  auto& st = self->state;
  auto si = st.streams_.find(id);
  if (si == st.streams_.end())
    return;
  auto name = si->second;
  auto& e = st.entries_.at(name);
  if (e.stream_id != id || !e.stream)
    return;
  switch (ev) {
    case stream_event::demand:
      on_demand(self, name, e, a, b);
      break;
    case stream_event::refill:
      if (!e.locations.empty() && !e.stream->failure())
        extend_window(self, name, e, a);
      else
        on_demand(self, name, e, a, std::min(e.ref.size, a + 1));
      break;
    case stream_event::catch_up:
      spawn_catch_up(self, e.stream);  // the stream marked it running: it is ours to start
      break;
    case stream_event::verified:
      publish(self, name);
      break;
    case stream_event::mismatch:
      on_mismatch(self, name);
      break;
    case stream_event::closed:
      on_closed(self, name);
      break;
  }
}

// Persists changed partial objects and closes the files of streams nobody uses.
void on_tick(self_ptr self) {
  auto& st = self->state;
  st.tick_pending_ = false;
  persist(st);
  for (auto& [name, e] : st.entries_) {
    if (!e.stream || !e.transfers.empty() || !e.fetchers.empty() || e.resolving
        || e.stream.use_count() > 1)
      continue;
    if (!e.verified)
      e.recorded = e.stream->landed();
    st.streams_.erase(e.stream_id);
    e.stream = nullptr;
  }
  bool more = std::any_of(st.entries_.begin(), st.entries_.end(),
                          [](auto& kv) { return kv.second.dirty || kv.second.stream; });
  if (more)
    schedule_tick(self);
}

// -- startup and Status -----------------------------------------------------------------

// The record of a partial object, if the store has a usable one.
std::optional<partial_object> load_record(content_cache_state& st, const std::string& name) {
  if (!st.cfg_.store)
    return std::nullopt;
  auto bytes = st.cfg_.store->get(st.cfg_.table, name);
  if (!bytes || !*bytes)
    return std::nullopt;
  auto rec = storage::decode<partial_object>(**bytes);
  if (!rec || content_cache_file_name(rec->ref.pid) != name
      || !normalize_algorithm(rec->ref.checksum_algorithm))
    return std::nullopt;
  return std::move(*rec);
}

// Rebuilds the entries from the directory: verified files by name, oldest first in the
// LRU; partial files whose record survived; other .part files (and records without a
// file) are leftovers and go.
caf::error scan(content_cache_state& st) {
  std::error_code err;
  fs::create_directories(st.cfg_.directory, err);
  if (err)
    return make_error(ec::io_error, "cannot create " + st.cfg_.directory + ": " + err.message());
  std::vector<std::tuple<fs::file_time_type, std::string, uint64_t, bool>> found;
  fs::directory_iterator it{st.cfg_.directory, err};
  if (err)
    return make_error(ec::io_error, "cannot list " + st.cfg_.directory + ": " + err.message());
  for (; it != fs::directory_iterator{}; it.increment(err)) {
    if (err)
      return make_error(ec::io_error, "cannot list " + st.cfg_.directory + ": " + err.message());
    auto name = it->path().filename().string();
    std::error_code e2;
    if (!it->is_regular_file(e2))
      continue;
    bool part = name.size() == 64 + std::strlen(part_suffix)
                && name.substr(64) == part_suffix && is_cache_name(name.substr(0, 64));
    if (!part && !is_cache_name(name))
      continue;
    found.emplace_back(it->last_write_time(e2), part ? name.substr(0, 64) : name,
                       it->file_size(e2), part);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> kept;
  for (auto& [mtime, name, size, part] : found) {
    if (!part) {
      if (st.entries_.count(name))
        continue;
      object_ref ref;
      ref.size = size;
      auto& e = add_entry(st, name, ref, "");
      e.verified = true;
      set_disk_bytes(st, e, size);
      continue;
    }
    auto rec = load_record(st, name);
    if (!rec || rec->ref.size != size) {
      fs::remove(part_path(st, name), err);
      continue;
    }
    auto algorithm = *normalize_algorithm(rec->ref.checksum_algorithm);
    auto& e = add_entry(st, name, rec->ref, algorithm);
    e.recorded = byte_ranges::from_flat(rec->ranges, rec->ref.size);
    set_disk_bytes(st, e, e.recorded.total());
    kept.push_back(name);
  }
  if (st.cfg_.store) {
    std::vector<std::string> stale;
    st.cfg_.store->scan(st.cfg_.table, [&](std::string_view key, std::string_view) {
      auto k = std::string{key};
      if (std::find(kept.begin(), kept.end(), k) == kept.end())
        stale.push_back(k);
      return true;
    });
    for (auto& k : stale)
      erase_record(st, k);
  }
  return {};
}

std::string downloads_text(const content_cache_state& st) {
  std::string out = "content cache: " + std::to_string(st.entries_.size()) + " objects, "
                    + human_bytes(st.total_bytes_) + " on disk of "
                    + human_bytes(st.cfg_.max_bytes) + " allowed\n";
  out += "checksum failures: " + std::to_string(st.stats_.checksum_failures) + "\n";
  out += "writes refused by a full state disk: " + std::to_string(st.stats_.disk_full) + "\n";
  out += "bytes fetched: " + std::to_string(st.stats_.fetched_bytes) + "\n";
  std::string active, partial;
  size_t shown = 0;
  for (auto& name : st.lru_) {
    auto& e = st.entries_.at(name);
    if (e.verified || ++shown > 200)
      continue;
    auto have = e.stream ? e.stream->landed_bytes() : e.recorded.total();
    auto line = "  " + e.ref.pid + ": " + std::to_string(have) + " of "
                + std::to_string(e.ref.size) + " bytes";
    if (!e.transfers.empty()) {
      std::string nodes;
      for (auto& [id, t] : e.transfers)
        if (nodes.find(where(e, t.location)) == std::string::npos)
          nodes += (nodes.empty() ? "" : ", ") + where(e, t.location);
      active += line + ", " + std::to_string(e.transfers.size()) + " transfer(s) from "
                + nodes + (e.stream ? ", " + std::to_string(e.stream->readers()) + " reader(s)"
                                    : std::string{})
                + "\n";
    } else {
      partial += line + "\n";
    }
  }
  out += "downloading:\n" + (active.empty() ? "  none\n" : active);
  out += "partly cached (resumed from the first missing byte when read):\n"
         + (partial.empty() ? "  none\n" : partial);
  out += "recent failures (oldest first):\n";
  if (st.failures_.empty())
    out += "  none\n";
  for (auto& f : st.failures_)
    out += "  " + f + "\n";
  return out;
}

content_report make_report(self_ptr self) {
  auto& st = self->state;
  content_report out;
  out.max_bytes = st.cfg_.max_bytes;
  out.fetched_bytes = st.stats_.fetched_bytes;
  out.checksum_failures = st.stats_.checksum_failures;
  out.disk_full = st.stats_.disk_full;
  auto now = self->clock().now();
  for (auto& [name, e] : st.entries_) {
    if (e.verified) {
      ++out.verified_objects;
      out.verified_bytes += e.disk_bytes;
      continue;
    }
    ++out.partial_objects;
    out.partial_bytes += e.disk_bytes;
    if (e.transfers.empty() || !e.stream)
      continue;
    download_progress d;
    d.pid = e.ref.pid;
    d.size = e.ref.size;
    d.bytes_present = e.stream->landed_bytes();
    d.transfers = static_cast<uint32_t>(e.transfers.size());
    d.readers = static_cast<uint32_t>(e.stream->readers());
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - e.fetch_since);
    d.elapsed_ms = elapsed.count();
    if (d.elapsed_ms > 0 && d.bytes_present > e.fetch_since_bytes)
      d.rate = (d.bytes_present - e.fetch_since_bytes) * 1000 / static_cast<uint64_t>(d.elapsed_ms);
    for (auto& [id, t] : e.transfers)
      if (t.location < e.locations.size()
          && std::find(d.nodes.begin(), d.nodes.end(), e.locations[t.location].node_identifier)
               == d.nodes.end())
        d.nodes.push_back(e.locations[t.location].node_identifier);
    out.downloads.push_back(std::move(d));
  }
  out.failures.assign(st.checksum_failures_.begin(), st.checksum_failures_.end());
  return out;
}

}  // namespace

caf::error validate(const content_cache_config& cfg) {
  if (cfg.directory.empty())
    return make_error(ec::invalid_argument, "content cache: directory is empty");
  if (cfg.max_bytes == 0)
    return make_error(ec::invalid_argument, "content cache: max_bytes must be > 0");
  if (cfg.chunk_bytes < 4096 || cfg.readahead_bytes < cfg.chunk_bytes)
    return make_error(ec::invalid_argument, "content cache: chunk_bytes must be ≥ 4096 and "
                                            "readahead_bytes ≥ chunk_bytes");
  if (cfg.random_read_bytes == 0)
    return make_error(ec::invalid_argument, "content cache: random_read_bytes must be > 0");
  return {};
}

std::string content_cache_file_name(const std::string& pid) {
  auto hasher = streaming_hasher::make("SHA-256");
  hasher->update(pid.data(), pid.size());
  return hasher->hex_digest();
}

content_cache_state::~content_cache_state() {
  for (auto& [name, e] : entries_) {
    if (e.stream)
      cancel_transfers(*this, e);
    for (auto& rp : e.fetchers)
      rp.deliver(make_error(ec::cancelled, "content cache stopped"));
  }
  persist(*this);
}

content_cache_engine_actor::behavior_type
content_cache(content_cache_engine_actor::stateful_pointer<content_cache_state> self,
              content_cache_config cfg, node_client_actor node_client) {
  if (auto err = validate(cfg)) {
    self->quit(std::move(err));
    return content_cache_engine_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  st.cfg_ = std::move(cfg);
  st.node_client_ = std::move(node_client);
  if (auto err = scan(st)) {
    self->quit(std::move(err));
    return content_cache_engine_actor::behavior_type::make_empty_behavior();
  }
  // Files carried over from a previous run may exceed a budget lowered since then.
  evict(st, {});
  return {
    [self](open_atom, const object_ref& ref) -> caf::result<object_bytes_ptr> {
      auto& st = self->state;
      auto found = entry_for(self, ref);
      if (!found)
        return std::move(found.error());
      auto& [name, e] = *found;
      e->verified ? ++st.stats_.hits : ++st.stats_.misses;
      auto stream = ensure_stream(self, name, *e);
      if (!stream)
        return std::move(stream.error());
      // An empty object is verified, or not, as it opens.
      if (!e->verified && (*stream)->verified())
        publish(self, name);
      else if (!e->verified && code_of((*stream)->failure()) == ec::checksum_mismatch)
        on_mismatch(self, name);
      schedule_tick(self);    // closes the file once nobody uses it
      return object_bytes_ptr{*stream};
    },
    [self](fetch_atom, const object_ref& ref) -> caf::result<std::string> {
      auto& st = self->state;
      auto found = entry_for(self, ref);
      if (!found)
        return std::move(found.error());
      auto& [name, e] = *found;
      if (e->verified) {
        ++st.stats_.hits;
        return final_path(st, name);
      }
      ++st.stats_.misses;
      auto stream = ensure_stream(self, name, *e);
      if (!stream)
        return std::move(stream.error());
      if ((*stream)->verified()) {
        publish(self, name);
        return final_path(st, name);
      }
      if (auto err = (*stream)->failure()) {
        on_mismatch(self, name);  // an empty object whose checksum says otherwise
        return err;
      }
      auto rp = self->make_response_promise<std::string>();
      e->fetchers.push_back(rp);
      schedule_tick(self);
      on_demand(self, name, *e, e->stream->tail_begin(), e->ref.size);
      return rp;
    },
    [self](stats_atom) -> cache_stats {
      auto& st = self->state;
      auto out = st.stats_;
      out.entries = st.entries_.size();
      out.memory_bytes = st.total_bytes_;
      for (auto& [name, e] : st.entries_) {
        if (!e.verified)
          out.partial_bytes += e.disk_bytes;
        if (!e.transfers.empty())
          ++out.active_downloads;
      }
      return out;
    },
    [self](list_atom) -> std::string { return downloads_text(self->state); },
    [self](report_atom) -> content_report { return make_report(self); },
    [self](stream_atom, uint64_t id, uint8_t ev, uint64_t a, uint64_t b) {
      on_stream_event(self, id, static_cast<stream_event>(ev), a, b);
    },
    [self](tick_atom) { on_tick(self); },
  };
}

}  // namespace d1
