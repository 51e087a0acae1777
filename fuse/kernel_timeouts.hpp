// How long the kernel (dentry and inode caches) and the inode table may keep what a reply
// said, per cache_class; and the mount options (entry_timeout=, attr_timeout=,
// negative_timeout=) that override them, which libfuse's low-level session would reject.
#pragma once

#include "messages/kernel_ttls.hpp"

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace d1 {

struct kernel_timeouts {
  /// How long the kernel keeps name → inode.
  class_seconds entry = default_kernel_ttls;
  /// How long the kernel keeps attributes before it sends getattr.
  class_seconds attr = default_kernel_ttls;
  /// How long the inode table answers getattr itself, without a message to fs_gateway.
  class_seconds table = default_kernel_ttls;
  /// How long the kernel keeps an ENOENT of a lookup (0: it asks again every time).
  double negative = 0;
};

/// Removes entry_timeout=S, attr_timeout=S (each applied to every class) and
/// negative_timeout=S from comma-separated FUSE option lists and applies them to
/// `timeouts`. Returns the other options joined by commas (possibly empty); fails with
/// ec::invalid_argument if a value is not a finite non-negative number.
caf::expected<std::string> take_timeout_options(const std::vector<std::string>& options,
                                                kernel_timeouts& timeouts);

}  // namespace d1
