// What the mount shows: the attributes and content source of one path, and directory
// listings. Produced by the resolvers, cached by attr_cache/dir_cache, served by fuse/.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/none.hpp>

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
  inline_text = 1,   // small generated files: bytes are in node_info::text()
  object_bytes = 2,  // a DataONE object: fetched and verified by content_cache
  local_file = 3,    // a tracked resource's file: read from this host's best local copy
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

/// One local copy of a tracked file, as the catalogue recorded it when it was verified: a
/// file on disk that differs in size or mtime has changed since and is not served.
struct local_copy {
  std::string path;  // absolute, on this host's disk (root_map applied)
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // 0: not recorded (not compared)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, local_copy& x) {
  return f(caf::meta::type_name("local_copy"), x.path, x.size, x.mtime_ns);
}

inline bool operator==(const local_copy& a, const local_copy& b) {
  return a.path == b.path && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

/// The bytes a file with content serves: its generated text, the object to fetch, or the
/// local copies to read (best first).
struct content_source {
  std::string text;   // content_kind::inline_text
  object_ref object;  // content_kind::object_bytes
  std::vector<local_copy> copies;  // content_kind::local_file
};

/// The attributes and content source of one path in the mount. The source is held out of
/// line and shared by copies: most entries of a large listing are folders, which carry
/// none (40 bytes instead of 168 with the strings inline).
struct node_info {
  entry_kind kind = entry_kind::directory;
  cache_class cache = cache_class::search;
  content_kind content = content_kind::none;
  uint64_t size = 0;
  int64_t mtime = 0;  // seconds since the epoch
  /// Null when there is neither text nor an object (folders). Never modified in place:
  /// set_text() and set_object() replace it.
  std::shared_ptr<const content_source> source;

  bool is_dir() const {
    return kind == entry_kind::directory;
  }

  /// Returns the inline text, or an empty string without a source.
  const std::string& text() const {
    return source ? source->text : empty_source().text;
  }

  /// Returns the object, or an empty object_ref without a source.
  const object_ref& object() const {
    return source ? source->object : empty_source().object;
  }

  /// Sets the inline text (the object, if any, stays); `content` is set by the caller.
  void set_text(std::string text) {
    auto next = source ? *source : content_source{};
    next.text = std::move(text);
    set_source(std::move(next));
  }

  /// Sets the object (the text, if any, stays); `content` is set by the caller.
  void set_object(object_ref object) {
    auto next = source ? *source : content_source{};
    next.object = std::move(object);
    set_source(std::move(next));
  }

  /// Returns the local copies, best first (empty without a source).
  const std::vector<local_copy>& copies() const {
    return source ? source->copies : empty_source().copies;
  }

  /// Holds `x` as the source, or none if it has neither text, an object nor copies.
  void set_source(content_source x) {
    if (x.text.empty() && x.object == object_ref{} && x.copies.empty())
      source = nullptr;
    else
      source = std::make_shared<const content_source>(std::move(x));
  }

  static const content_source& empty_source() {
    static const content_source empty;
    return empty;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  // The fields and order of when text and object were members, then the local copies
  // (storage::schema_version 2).
  if constexpr (Inspector::reads_state) {
    // Only read: the shared source is never written through this reference.
    auto& src = const_cast<content_source&>(x.source ? *x.source : node_info::empty_source());
    return f(caf::meta::type_name("node_info"), x.kind, x.cache, x.size, x.mtime, x.content,
             src.text, src.object, src.copies);
  } else {
    content_source loaded;
    return f(caf::meta::type_name("node_info"), x.kind, x.cache, x.size, x.mtime, x.content,
             loaded.text, loaded.object, loaded.copies,
             caf::meta::load_callback([&]() -> caf::error {
               x.set_source(std::move(loaded));
               return caf::none;
             }));
  }
}

inline bool operator==(const node_info& a, const node_info& b) {
  return a.kind == b.kind && a.cache == b.cache && a.size == b.size && a.mtime == b.mtime
         && a.content == b.content
         && (a.source == b.source
             || (a.text() == b.text() && a.object() == b.object() && a.copies() == b.copies()));
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

class listing_stream;  // messages/listing_stream.hpp

/// A path handed down the resolver chain: the raw (escaped) segments as the user typed
/// them, and the index of the first segment the receiving resolver owns.
struct resolve_request {
  std::vector<std::string> segments;
  uint32_t depth = 0;
  int32_t caller_pid = 0;  // the process that asked (fuse_req_ctx), 0 if unknown
  /// get_dir only, local only (not inspected): where a resolver that lists page by page
  /// may append the entries of each page as they arrive. Null: answer at the end only.
  std::shared_ptr<listing_stream> stream = nullptr;

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
