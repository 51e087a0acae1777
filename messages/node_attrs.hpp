// The attributes of the two kinds of node every resolver builds: a folder, and a file whose
// content is a text generated in the daemon. They differ between resolvers only in how
// long the kernel and the caches may keep them (cache_class).
#pragma once

#include "messages/fs_types.hpp"

#include <cstdint>
#include <string>

namespace d1 {

/// A folder of class `cache`, modified at `mtime` (seconds since the epoch; 0: unknown).
inline node_info folder_attr(cache_class cache, int64_t mtime = 0) {
  node_info info;
  info.kind = entry_kind::directory;
  info.cache = cache;
  info.mtime = mtime;
  return info;
}

/// A file of class `cache` whose content is `text` (its size is the text's).
inline node_info text_file_attr(std::string text, cache_class cache) {
  node_info info;
  info.kind = entry_kind::file;
  info.cache = cache;
  info.content = content_kind::inline_text;
  info.size = text.size();
  info.set_text(std::move(text));
  return info;
}

}  // namespace d1
