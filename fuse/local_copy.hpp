// Reading a tracked resource's file from this host's disk: the first local copy that is a
// regular file and still matches what the catalogue verified, held open for the reader.
#pragma once

#include "messages/fs_types.hpp"
#include "messages/object_bytes.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

/// Who opens a file: the caller's ids as the kernel tells them (fuse_req_ctx, and the
/// supplementary groups of its process).
struct reader_identity {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
};

/// True when the owner, group or other read bit of `mode` (owned by `owner`:`group`)
/// grants `who` reading, as the kernel would decide; root always may.
bool may_read(uint32_t mode, uint32_t owner, uint32_t group, const reader_identity& who);

/// Opens the first of `copies` (best first) that is a regular file of its recorded size and
/// mtime, logging each one passed over and why. The descriptor stays open while the reader
/// holds the result, so a job that moves or removes the copy meanwhile does not disturb
/// it. The daemon reads as root: a copy whose permissions do not let `who` read it is
/// ec::refused, so the mount (with allow_other) shows no one more than the disk would.
/// ec::not_found when there are no copies, ec::io_error when none could be used (the
/// message names each one and why).
caf::expected<object_bytes_ptr> open_local_copy(const std::string& mount_path,
                                                const std::vector<local_copy>& copies,
                                                const reader_identity& who);

}  // namespace d1
