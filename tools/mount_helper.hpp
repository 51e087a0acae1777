// The mount(8) side of `d1drive mount`: mount.fuse3 runs `d1drive SOURCE MOUNTPOINT -o
// OPTIONS` for `mount -t fuse.d1drive` and /etc/fstab. This splits d1drive's own options
// (state_dir=, config=, log_level=) from the FUSE ones and drops what only mount(8) means.
#pragma once

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace d1 {

/// `-o` options after d1drive took its own out.
struct split_mount_options {
  std::string state_dir;    // state_dir=DIR; empty when absent
  std::string config_file;  // config=FILE; empty when absent
  std::string log_level;    // log_level=LEVEL; empty when absent
  std::vector<std::string> fuse_options;  // the rest, one option each, in order
};

/// Splits comma-separated `-o` lists. d1drive's own options are taken out; `rw` (the mount
/// is always read-only; mount(8) adds `rw` unless told `ro`) and the fstab-only options
/// `defaults`, `auto`, `noauto`, `nofail`, `_netdev`, `x-*` and `comment=*` are dropped;
/// everything else is kept for libfuse, which rejects what it does not know. Fails with
/// ec::invalid_argument for an own option without a value or given twice.
caf::expected<split_mount_options> split_mount_option_lists(const std::vector<std::string>& lists);

/// The base URL a mount-helper SOURCE names: empty (use the configured one) for "d1drive",
/// the conventional filesystem name in fstab, else SOURCE itself.
std::string base_url_of_source(const std::string& source);

}  // namespace d1
