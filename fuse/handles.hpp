// What an open file or directory handle (fi->fh) holds: a file's content source (inline
// text, or an object's bytes as content_cache streams them) and a directory's listing
// snapshot, so read and readdir are answered in the callback without a message.
#pragma once

#include "messages/fs_types.hpp"
#include "messages/listing_stream.hpp"
#include "messages/object_bytes.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace d1 {

/// An open regular file. An object's bytes stay pinned in content_cache while it is open.
class file_handle {
public:
  /// `bytes`: the object's bytes (content_kind::object_bytes), null otherwise.
  explicit file_handle(const node_info& info, object_bytes_ptr bytes = nullptr);
  ~file_handle();

  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;

  const content_kind content;
  const cache_class cache;
  const std::string text;    // content_kind::inline_text
  const object_ref object;   // content_kind::object_bytes
  const object_bytes_ptr bytes;  // content_kind::object_bytes
};

/// An open directory: the listing fs_gateway gave at opendir (shared with the caches), or
/// the stream of a listing still being resolved, served until releasedir.
struct dir_handle {
  std::string path;
  uint64_t ino = 0;
  listing_ptr entries;              // null only if `stream` is set
  std::shared_ptr<listing_stream> stream;
};

// fi->fh holds a heap-allocated shared_ptr: a reply still running keeps the handle alive
// even if the kernel releases it meanwhile.

/// Returns the fh value that owns one reference to `handle`.
template <class T>
uint64_t to_fh(std::shared_ptr<T> handle) {
  return reinterpret_cast<uint64_t>(new std::shared_ptr<T>(std::move(handle)));
}

/// Returns the handle an fh value from to_fh<T> refers to.
template <class T>
const std::shared_ptr<T>& from_fh(uint64_t fh) {
  return *reinterpret_cast<std::shared_ptr<T>*>(fh);
}

/// Drops the reference an fh value from to_fh<T> owns.
template <class T>
void release_fh(uint64_t fh) {
  delete reinterpret_cast<std::shared_ptr<T>*>(fh);
}

}  // namespace d1
