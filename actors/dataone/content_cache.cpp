// content_cache: resolve → download into <h>.part → hash off the scheduler → rename to <h>
// only if the checksum and size match, otherwise try the next location. The directory
// itself is the index: a final name exists only for verified bytes.
#include "actors/dataone/content_cache.hpp"

#include "actors/dataone/checksum.hpp"
#include "messages/error.hpp"

#include <caf/event_based_actor.hpp>

#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <tuple>

namespace d1 {

namespace {

namespace fs = std::filesystem;

using self_ptr = content_cache_actor::stateful_pointer<content_cache_state>;

// One-shot: hashes one file, answers (hex digest, bytes read), quits.
using file_hasher_actor = caf::typed_actor<
  caf::replies_to<get_atom, std::string, std::string>::with<std::string, uint64_t>>;

file_hasher_actor::behavior_type file_hasher(file_hasher_actor::pointer self) {
  return {
    [self](get_atom, const std::string& path,
           const std::string& algorithm) -> caf::result<std::string, uint64_t> {
      self->quit();
      auto digest = hash_file_with_size(path, algorithm);
      if (!digest)
        return std::move(digest.error());
      return {std::move(digest->hex), digest->size};
    },
  };
}

constexpr size_t max_remembered_errors = 1024;
constexpr const char* part_suffix = ".part";

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

std::string final_path(const content_cache_state& st, const std::string& name) {
  return st.cfg_.directory + "/" + name;
}

std::string part_path(const content_cache_state& st, const std::string& name) {
  return final_path(st, name) + part_suffix;
}

void remember_error(content_cache_state& st, const std::string& pid, std::string what) {
  auto [it, fresh] = st.last_errors_.insert_or_assign(pid, std::move(what));
  if (!fresh)
    return;
  st.last_error_order_.push_back(pid);
  if (st.last_error_order_.size() > max_remembered_errors) {
    st.last_errors_.erase(st.last_error_order_.front());
    st.last_error_order_.pop_front();
  }
}

void add_file(content_cache_state& st, const std::string& name, uint64_t size) {
  st.lru_.push_back(name);
  st.files_[name] = content_cache_state::entry{size, std::prev(st.lru_.end())};
  st.total_bytes_ += size;
}

void drop_file(content_cache_state& st, const std::string& name) {
  auto i = st.files_.find(name);
  if (i == st.files_.end())
    return;
  st.total_bytes_ -= i->second.size;
  st.lru_.erase(i->second.lru_pos);
  st.files_.erase(i);
}

// Deletes least-recently-fetched verified files until the total fits; `keep` (just
// handed out) stays even if it alone is over the budget. Unlinking is safe for readers
// that already have the file open.
void evict(content_cache_state& st, const std::string& keep) {
  while (st.total_bytes_ > st.cfg_.max_bytes && !st.lru_.empty()) {
    auto victim = st.lru_.front();
    if (victim == keep)
      break;
    if (::unlink(final_path(st, victim).c_str()) != 0 && errno != ENOENT)
      spdlog::warn("content_cache: cannot delete {}: {}", final_path(st, victim),
                   std::strerror(errno));
    drop_file(st, victim);
    ++st.stats_.evictions;
  }
}

void finish(self_ptr self, const std::string& name, caf::expected<std::string> result) {
  auto& st = self->state;
  auto i = st.downloads_.find(name);
  if (i == st.downloads_.end())
    return;
  auto dl = std::move(i->second);
  st.downloads_.erase(i);
  if (!result)
    remember_error(st, dl.ref.pid, describe(result.error()));
  for (auto& rp : dl.waiters) {
    if (result)
      rp.deliver(*result);
    else
      rp.deliver(result.error());
  }
}

void try_next_location(self_ptr self, const std::string& name);

// A location failed: record why, make sure no partial bytes stay, move on.
void location_failed(self_ptr self, const std::string& name, caf::error err,
                     std::string line) {
  auto& st = self->state;
  auto i = st.downloads_.find(name);
  if (i == st.downloads_.end())
    return;
  ::unlink(part_path(st, name).c_str());
  i->second.failures.push_back(std::move(line));
  i->second.last_error = std::move(err);
  ++i->second.next;
  try_next_location(self, name);
}

void verified(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.downloads_.find(name);
  if (i == st.downloads_.end())
    return;
  auto& dl = i->second;
  auto part = part_path(st, name);
  auto path = final_path(st, name);
  if (std::rename(part.c_str(), path.c_str()) != 0) {
    auto err = make_error(ec::io_error, "cannot rename " + part + " to " + path + ": "
                                          + std::strerror(errno));
    ::unlink(part.c_str());
    finish(self, name, std::move(err));
    return;
  }
  drop_file(st, name);  // a stale record if the file had vanished underneath us
  add_file(st, name, dl.ref.size);
  evict(st, name);
  finish(self, name, path);
}

void hashed(self_ptr self, const std::string& name, const std::string& digest,
            uint64_t size) {
  auto& st = self->state;
  auto i = st.downloads_.find(name);
  if (i == st.downloads_.end())
    return;
  auto& dl = i->second;
  st.stats_.fetched_bytes += size;  // downloaded, whatever the verdict
  auto& loc = dl.locations[dl.next];
  auto expected = lower(dl.ref.checksum);
  if (digest == expected && size == dl.ref.size) {
    verified(self, name);
    return;
  }
  auto line = "checksum mismatch for " + dl.ref.pid + ": expected " + dl.algorithm + " "
              + expected + " (" + std::to_string(dl.ref.size) + " bytes), computed "
              + digest + " (" + std::to_string(size) + " bytes) from "
              + loc.node_identifier + " (" + loc.url + ")";
  spdlog::error("content_cache: {}", line);
  dl.mismatch = true;
  location_failed(self, name, make_error(ec::checksum_mismatch, line), line);
}

void try_next_location(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.downloads_.find(name);
  if (i == st.downloads_.end())
    return;
  auto& dl = i->second;
  if (dl.next >= dl.locations.size()) {
    std::string all;
    for (auto& line : dl.failures)
      all += (all.empty() ? "" : "; ") + line;
    // Bad bytes outrank transport errors: the caller must learn the data is wrong.
    caf::error err = dl.mismatch ? make_error(ec::checksum_mismatch, all)
                     : dl.last_error
                       ? make_error(code_of(dl.last_error) == ec::unspecified
                                      ? ec::network
                                      : code_of(dl.last_error),
                                    all)
                       : make_error(ec::not_found, "no location holds " + dl.ref.pid);
    finish(self, name, std::move(err));
    return;
  }
  auto loc = dl.locations[dl.next];
  auto part = part_path(st, name);
  self->request(st.node_client_, st.cfg_.request_timeout, fetch_atom::value, loc, part)
    .then(
      [self, name, part](uint64_t) {
        auto& st = self->state;
        auto i = st.downloads_.find(name);
        if (i == st.downloads_.end())
          return;
        auto hasher = st.cfg_.detach_hashing ? self->spawn<caf::detached>(file_hasher)
                                             : self->spawn(file_hasher);
        self->request(hasher, st.cfg_.request_timeout, get_atom::value, part,
                      i->second.algorithm)
          .then(
            [self, name](std::string& digest, uint64_t size) {
              hashed(self, name, digest, size);
            },
            [self, name](caf::error& err) {
              auto line = "cannot hash download: " + describe(err);
              location_failed(self, name, std::move(err), std::move(line));
            });
      },
      [self, name, loc](caf::error& err) {
        auto line = "download from " + loc.node_identifier + " (" + loc.url
                    + ") failed: " + describe(err);
        spdlog::warn("content_cache: {}", line);
        location_failed(self, name, std::move(err), std::move(line));
      });
}

void start_download(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto pid = st.downloads_[name].ref.pid;
  self->request(st.node_client_, st.cfg_.request_timeout, resolve_atom::value, pid)
    .then(
      [self, name](std::vector<object_location>& locations) {
        auto i = self->state.downloads_.find(name);
        if (i == self->state.downloads_.end())
          return;
        i->second.locations = std::move(locations);
        i->second.next = 0;
        try_next_location(self, name);
      },
      [self, name, pid](caf::error& err) {
        finish(self, name,
               caf::error{make_error(code_of(err) == ec::unspecified ? ec::network
                                                                     : code_of(err),
                                     "cannot resolve " + pid + ": " + describe(err))});
      });
}

// Rebuilds the index from the directory: verified files by name, oldest first in the
// LRU; .part files are leftovers of an interrupted run and go.
caf::error scan(content_cache_state& st) {
  std::error_code err;
  fs::create_directories(st.cfg_.directory, err);
  if (err)
    return make_error(ec::io_error,
                      "cannot create " + st.cfg_.directory + ": " + err.message());
  std::vector<std::tuple<fs::file_time_type, std::string, uint64_t>> found;
  fs::directory_iterator it{st.cfg_.directory, err};
  if (err)
    return make_error(ec::io_error, "cannot list " + st.cfg_.directory + ": " + err.message());
  for (; it != fs::directory_iterator{}; it.increment(err)) {
    if (err)
      return make_error(ec::io_error,
                        "cannot list " + st.cfg_.directory + ": " + err.message());
    auto name = it->path().filename().string();
    std::error_code e2;
    if (!it->is_regular_file(e2))
      continue;
    if (name.size() == 64 + std::strlen(part_suffix) && is_cache_name(name.substr(0, 64))
        && name.substr(64) == part_suffix) {
      fs::remove(it->path(), e2);
      continue;
    }
    if (!is_cache_name(name))
      continue;
    auto size = it->file_size(e2);
    auto mtime = it->last_write_time(e2);
    found.emplace_back(mtime, name, size);
  }
  std::sort(found.begin(), found.end());
  for (auto& [mtime, name, size] : found)
    add_file(st, name, size);
  return {};
}

}  // namespace

caf::error validate(const content_cache_config& cfg) {
  if (cfg.directory.empty())
    return make_error(ec::invalid_argument, "content cache: directory is empty");
  if (cfg.max_bytes == 0)
    return make_error(ec::invalid_argument, "content cache: max_bytes must be > 0");
  return {};
}

std::string content_cache_file_name(const std::string& pid) {
  auto hasher = streaming_hasher::make("SHA-256");
  hasher->update(pid.data(), pid.size());
  return hasher->hex_digest();
}

content_cache_state::~content_cache_state() {
  for (auto& entry : downloads_)
    for (auto& rp : entry.second.waiters)
      rp.deliver(make_error(ec::cancelled, "content cache stopped"));
}

content_cache_actor::behavior_type
content_cache(content_cache_actor::stateful_pointer<content_cache_state> self,
              content_cache_config cfg, node_client_actor node_client) {
  if (auto err = validate(cfg)) {
    self->quit(std::move(err));
    return content_cache_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  st.cfg_ = std::move(cfg);
  st.node_client_ = std::move(node_client);
  if (auto err = scan(st)) {
    self->quit(std::move(err));
    return content_cache_actor::behavior_type::make_empty_behavior();
  }
  // Files carried over from a previous run may exceed a budget lowered since then.
  evict(st, {});
  return {
    [self](fetch_atom, object_ref& ref) -> caf::result<std::string> {
      auto& st = self->state;
      if (ref.pid.empty())
        return make_error(ec::invalid_argument, "content cache: fetch without a PID");
      auto algorithm = normalize_algorithm(ref.checksum_algorithm);
      if (!algorithm)
        return make_error(ec::invalid_argument,
                          "cannot verify " + ref.pid + ": " + describe(algorithm.error()));
      if (ref.checksum.empty())
        return make_error(ec::invalid_argument,
                          "cannot verify " + ref.pid + ": no checksum given");
      auto name = content_cache_file_name(ref.pid);
      if (auto i = st.files_.find(name); i != st.files_.end()) {
        auto path = final_path(st, name);
        struct stat sb;
        if (::stat(path.c_str(), &sb) == 0) {
          ++st.stats_.hits;
          st.lru_.splice(st.lru_.end(), st.lru_, i->second.lru_pos);
          return path;
        }
        drop_file(st, name);  // deleted behind our back: fetch it again
      }
      ++st.stats_.misses;
      auto rp = self->make_response_promise<std::string>();
      auto [it, fresh] = st.downloads_.try_emplace(name);
      it->second.waiters.push_back(rp);
      if (fresh) {
        it->second.ref = std::move(ref);
        it->second.algorithm = std::move(*algorithm);
        start_download(self, name);
      }
      return rp;
    },
    [self](stats_atom) -> cache_stats {
      auto& st = self->state;
      auto out = st.stats_;
      out.entries = st.files_.size();
      out.memory_bytes = st.total_bytes_;
      return out;
    },
  };
}

}  // namespace d1
