// content_cache: per object an entry (verified, partial or being fetched) and, while it is
// read or fetched, an object_stream that readers and transfers share. Reads that wait for
// bytes make the stream ask for them (stream events); transfers are ranged GETs through
// node_client that resume from the next missing byte, on the same replica and then the next.
// This file holds the actor and what a stream's outcome (verified, mismatch, closed) does;
// the entries and their records, the transfers and the Status texts have files of their own.
#include "actors/dataone/content_cache.hpp"

#include "actors/dataone/content_cache_internal.hpp"
#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "messages/status_report.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace d1 {

using namespace content_cache_internal;

namespace {

constexpr size_t max_checksum_failures = 20;  // kept with their values for Status/content

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
    [self](stats_atom) -> cache_stats { return make_stats(self->state); },
    [self](list_atom) -> std::string { return downloads_text(self->state); },
    [self](report_atom) -> content_report { return make_report(self); },
    [self](stream_atom, uint64_t id, uint8_t ev, uint64_t a, uint64_t b) {
      on_stream_event(self, id, static_cast<stream_event>(ev), a, b);
    },
    [self](tick_atom) { on_tick(self); },
  };
}

}  // namespace d1
