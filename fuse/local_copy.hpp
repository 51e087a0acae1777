// Reading a tracked resource's file from this host's disk: the first local copy that is a
// regular file and still matches what the catalogue verified, held open for the reader.
#pragma once

#include "messages/fs_types.hpp"
#include "messages/object_bytes.hpp"

#include <caf/expected.hpp>

namespace d1 {

/// Opens the first of `copies` (best first) that is a regular file of its recorded size and
/// mtime, logging each one passed over and why. The descriptor stays open while the reader
/// holds the result, so a job that moves or removes the copy meanwhile does not disturb
/// it. ec::not_found when there are no copies, ec::io_error when none could be used (the
/// message names each one and why).
caf::expected<object_bytes_ptr> open_local_copy(const std::string& mount_path,
                                                const std::vector<local_copy>& copies);

}  // namespace d1
