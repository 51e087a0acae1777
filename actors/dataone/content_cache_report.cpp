// content_cache's Status: the text of Status/downloads, the values behind Status/content
// and the cache counters, read from the entries as they are.
#include "actors/dataone/content_cache_internal.hpp"

#include "messages/status_report.hpp"

#include <algorithm>
#include <chrono>

namespace d1::content_cache_internal {

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

cache_stats make_stats(const content_cache_state& st) {
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
}

}  // namespace d1::content_cache_internal
