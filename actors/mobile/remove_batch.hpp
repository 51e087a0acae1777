// Deleting a copy's files (copy_worker), each only after re-checks made at that moment:
// the file is still the one its record describes, and (unless forced) another copy of it
// is on disk, a different file, unchanged since it was hashed.
#pragma once

#include "actors/mobile/beneath.hpp"
#include "messages/mobile_types.hpp"

#include <vector>

namespace d1 {

/// Deletes each item of `req` beneath req.root (a regular file, never through a symlink)
/// after: (b) it still matches its record (identity, size, mtime and ctime as when it
/// was hashed; its bytes too with recheck_mode::hash, or when no stat was recorded), and
/// (a) unless req.force_last, one of its witnesses checks out the same way and is not
/// the same file. Then each directory is fsynced once. One outcome per item, in order:
/// gone already is removed=false; a failed re-check is ec::refused naming the file and
/// what changed (nothing deleted); witnesses that failed are listed in `findings` either
/// way. Once io.interrupted() the rest fail with ec::cancelled.
std::vector<remove_outcome> remove_files(const worker_io& io, const remove_batch_request& req);

}  // namespace d1
