// Verified copies of a batch of files (copy_worker and its finisher): each file written
// under a fresh exclusive temporary name while it is hashed, given the source's owner,
// mode and mtime, then the whole batch made durable by one sync, renamed (never over an
// existing name) and each directory fsynced once.
#pragma once

#include "actors/mobile/beneath.hpp"
#include "actors/mobile/file_reads.hpp"
#include "messages/mobile_types.hpp"

#include <caf/expected.hpp>

#include <string>

namespace d1 {

/// Whether `name` is a temporary name a copy of `leaf` was written under:
/// ".<leaf>.d1part.<8 hex digits>".
bool is_temp_name_of(const std::string& leaf, const std::string& name);

/// The first half: every item written under its temporary name and hashed (or adopted,
/// or failed). Only files over 1 MiB are looked up at their final name here; a smaller
/// file's existing final name is found, and adopted or kept, by the second half. A
/// destination root that is the source root itself (an alias) fails every item with
/// ec::refused before anything is written.
staged_copy_batch stage_copy_batch(const worker_io& io, const copy_batch_request& req);

/// The second half: one sync, the renames (never over an existing name: an identical file
/// with the source's owner there is adopted, anything else is kept and the item fails),
/// one fsync per directory; the outcomes. Reopens the directories by path.
copy_batch_result finish_copy_batch(const worker_io& io, staged_copy_batch& batch);

/// Both halves at once. One outcome per item, in order; a failed item leaves no
/// temporary file. After a "no space" error the remaining items are not attempted and
/// fail with the same error; once io.interrupted(), with ec::cancelled.
copy_batch_result copy_files(const worker_io& io, const copy_batch_request& req);

/// How a file larger than one buffer is copied. Copies use automatic; the others exist so
/// tests can reach every path.
enum class copy_method {
  automatic,        ///< direct_read, or copy_file_range where the filesystem offloads copies
  direct_read,      ///< O_DIRECT reads (for files over 4 MiB), hashed, written
  copy_file_range,  ///< copy_file_range piece by piece, each piece read back and hashed
  read_write,       ///< reads through the page cache, hashed, written
};

/// Copies the open file `in` (from offset 0) to `out` (opened read-write, empty) by
/// `method`, hashing with `algorithm`: the digest and size of the bytes copied, or
/// ec::io_error, ec::invalid_argument for an unknown algorithm. A method that cannot work
/// on these files falls back (O_DIRECT to copy_file_range to reads and writes).
caf::expected<file_digest> copy_fd(const worker_io& io, int in, int out, const std::string& algorithm,
                                   copy_method method);

}  // namespace d1
