// How long the kernel (dentry and inode caches) and the mount's inode table may keep what
// a reply said, per cache_class: one set of defaults for [cache.kernel_ttl] and for a
// mount made without a configuration.
#pragma once

#include "messages/fs_types.hpp"

namespace d1 {

/// Seconds for each cache_class.
struct class_seconds {
  double immutable = 0;
  double metadata = 0;
  double search = 0;
  double error = 0;
  double transient = 0;
  double live = 0;

  /// Returns the seconds of class `c` (0 for a value outside the enum).
  constexpr double of(cache_class c) const {
    switch (c) {
      case cache_class::immutable: return immutable;
      case cache_class::metadata: return metadata;
      case cache_class::search: return search;
      case cache_class::error: return error;
      case cache_class::transient: return transient;
      case cache_class::live: return live;
    }
    return 0;
  }

  /// Sets every class to `seconds`.
  void set_all(double seconds) {
    immutable = metadata = search = error = transient = live = seconds;
  }
};

/// The defaults: a PID's bytes and metadata never change, search results and errors soon
/// may, live values (Status) are asked for every time.
inline constexpr class_seconds default_kernel_ttls{3600, 60, 10, 5, 1, 0};

}  // namespace d1
