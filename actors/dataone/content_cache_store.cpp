// content_cache's entries and their bytes on disk: names and paths, the byte budget and
// LRU eviction, the LMDB records of partial objects, opening an entry's stream, and the
// scan that rebuilds the entries at startup.
#include "actors/dataone/content_cache_internal.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "storage/codec.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <tuple>

namespace d1::content_cache_internal {

namespace {

namespace fs = std::filesystem;

constexpr size_t max_remembered_failures = 100;
constexpr const char* part_suffix = ".part";

bool is_cache_name(const std::string& name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string now_text() {
  char buf[32];
  auto t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Someone besides the entry and its transfers holds the stream (an open file, a reply on
// its way to one, a hashing worker), or a fetch waits: never evicted then.
bool pinned(const entry& e) {
  if (!e.fetchers.empty())
    return true;
  return e.stream && e.stream.use_count() > static_cast<long>(1 + e.transfers.size());
}

void touch(content_cache_state& st, entry& e) {
  st.lru_.splice(st.lru_.end(), st.lru_, e.lru_pos);
}

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

}  // namespace

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

void set_disk_bytes(content_cache_state& st, entry& e, uint64_t bytes) {
  st.total_bytes_ = st.total_bytes_ - e.disk_bytes + bytes;
  e.disk_bytes = bytes;
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

}  // namespace d1::content_cache_internal
