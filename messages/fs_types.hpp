// What the mount shows: the attributes and content source of one path, and directory
// listings. Produced by the resolvers, cached by attr_cache/dir_cache, served by fuse/.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace d1 {

enum class entry_kind : uint8_t { directory = 1, file = 2 };

/// How long an entry may be cached; the TTL of each class comes from the config.
enum class cache_class : uint8_t {
  immutable = 1,    // object folders and bytes: a PID never changes
  metadata = 2,     // system metadata: may be updated (e.g. replicas, archived)
  search = 3,       // search listings: the index changes
  error = 4,        // an error folder for a permanent problem (unknown PID, bad path)
  transient = 5,    // an error folder for a passing problem (timeout, node down)
  live = 6,         // generated on every access (Status files): never cached
};

enum class content_kind : uint8_t {
  none = 0,          // directories
  inline_text = 1,   // small generated files: bytes are in node_info::text
  object_bytes = 2,  // a DataONE object: fetched and verified by content_cache
};

/// A DataONE object's bytes and the checksum they must match before any byte is served.
struct object_ref {
  std::string pid;
  uint64_t size = 0;
  std::string checksum_algorithm;  // as in system metadata: "MD5", "SHA-1", "SHA-256"
  std::string checksum;            // lowercase hex
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, object_ref& x) {
  return f(caf::meta::type_name("object_ref"), x.pid, x.size, x.checksum_algorithm,
           x.checksum);
}

inline bool operator==(const object_ref& a, const object_ref& b) {
  return a.pid == b.pid && a.size == b.size && a.checksum_algorithm == b.checksum_algorithm
         && a.checksum == b.checksum;
}

/// The attributes and content source of one path in the mount.
struct node_info {
  entry_kind kind = entry_kind::directory;
  cache_class cache = cache_class::search;
  uint64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch
  content_kind content = content_kind::none;
  std::string text;   // content_kind::inline_text
  object_ref object;  // content_kind::object_bytes

  bool is_dir() const {
    return kind == entry_kind::directory;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("node_info"), x.kind, x.cache, x.size, x.mtime, x.content,
           x.text, x.object);
}

inline bool operator==(const node_info& a, const node_info& b) {
  return a.kind == b.kind && a.cache == b.cache && a.size == b.size && a.mtime == b.mtime
         && a.content == b.content && a.text == b.text && a.object == b.object;
}

/// One name in a directory listing with its attributes (readdirplus needs both).
struct dir_entry {
  std::string name;
  node_info info;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dir_entry& x) {
  return f(caf::meta::type_name("dir_entry"), x.name, x.info);
}

inline bool operator==(const dir_entry& a, const dir_entry& b) {
  return a.name == b.name && a.info == b.info;
}

/// A whole directory: what `ls` shows, in order.
struct listing {
  std::vector<dir_entry> entries;
  cache_class cache = cache_class::search;  // the class of the listing itself
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listing& x) {
  return f(caf::meta::type_name("listing"), x.entries, x.cache);
}

inline bool operator==(const listing& a, const listing& b) {
  return a.entries == b.entries && a.cache == b.cache;
}

/// A listing shared read-only by fs_gateway, dir_cache and open directory handles: a large
/// folder is held once, and handing it on copies no entry. Local only (never serialized).
using listing_ptr = std::shared_ptr<const listing>;

/// A path handed down the resolver chain: the raw (escaped) segments as the user typed
/// them, and the index of the first segment the receiving resolver owns.
struct resolve_request {
  std::vector<std::string> segments;
  uint32_t depth = 0;
  int32_t caller_pid = 0;  // the process that asked (fuse_req_ctx), 0 if unknown

  /// The segments from `depth` on.
  size_t remaining() const {
    return depth < segments.size() ? segments.size() - depth : 0;
  }
  const std::string& current() const {
    return segments[depth];
  }
  resolve_request next(uint32_t consumed = 1) const {
    auto copy = *this;
    copy.depth += consumed;
    return copy;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resolve_request& x) {
  return f(caf::meta::type_name("resolve_request"), x.segments, x.depth, x.caller_pid);
}

inline bool operator==(const resolve_request& a, const resolve_request& b) {
  return a.segments == b.segments && a.depth == b.depth && a.caller_pid == b.caller_pid;
}

}  // namespace d1

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(d1::listing_ptr)
