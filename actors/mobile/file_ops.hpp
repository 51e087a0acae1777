// Blocking file operations beneath a root, used by copy_worker and hash_worker: paths
// checked (no "..", no absolute parts), every component opened with O_NOFOLLOW so no
// symlink leads out of a root, copies written under a temporary name and renamed only
// once fsynced and matched against the expected digest.
#pragma once

#include "actors/dataone/checksum.hpp"
#include "messages/mobile_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string>

namespace d1 {

/// How files are read ([mobile] direct_reads in the config).
struct read_options {
  /// Files over 4 MiB are read with O_DIRECT (where the filesystem takes it) when copied
  /// or hashed; false: through the page cache (copy_file_range for copies).
  bool direct = true;
};

/// Returns `root` as an absolute normalised path (no trailing '/', no empty, "." or ".."
/// components); ec::invalid_path otherwise. "/" stays "/".
caf::expected<std::string> normalize_root(const std::string& root);

/// Returns `rel` normalised (no leading or trailing '/', no empty or "." components);
/// ec::invalid_path for an empty path, an absolute one, or one with a ".." component.
caf::expected<std::string> normalize_rel_path(const std::string& rel);

/// True for the error of a full destination (ENOSPC or EDQUOT): an ec::io_error whose
/// message starts "no space left" (the message is what crosses actors).
bool is_out_of_space(const caf::error& err);

/// Joins a normalised root and relative path.
std::string join_path(const std::string& root, const std::string& rel);

/// The temporary name a copy of `rel_path` is written to before its rename:
/// "<dir>/.<name>.d1part".
std::string temp_name_of(const std::string& rel_path);

/// Checks root/rel_path to `req.level` (exists, size, hash). A missing file, a symlink
/// or a mismatch is a result (state missing/error/…_mismatch), not an error. Returns
/// ec::invalid_path for a bad path, ec::invalid_argument for an unknown algorithm.
caf::expected<hash_result> check_file(const hash_request& req, const read_options& reads = {});

/// check_file for each request, the next files read ahead; a request check_file refuses
/// (bad path, unknown algorithm) is a result with state error and the refusal as detail.
/// Stops after the request that brings the bytes read past `max_bytes` (at least one
/// request is checked): the results are then fewer than the requests.
std::vector<hash_result> check_files(const std::vector<hash_request>& reqs,
                                     uint64_t max_bytes = UINT64_MAX,
                                     const read_options& reads = {});

/// Copies the items of `req` (see copy_batch_request): each through its temporary name,
/// hashed while copying, then one syncfs of the destination filesystem, the renames, one
/// fsync per destination directory. Returns one outcome per item, in order; a failed item
/// leaves no temporary file. After a "no space left" error the remaining items are not
/// attempted and fail with the same error. Never fails as a whole.
/// Same as finish_copy_batch(*stage_copy_batch(req)).
copy_batch_result copy_files(const copy_batch_request& req, const read_options& reads = {});

/// The first half of copy_files: every item written under its temporary name and hashed
/// (or adopted, or failed). Only files over 1 MiB are looked up at their final name here;
/// a smaller file's existing final name is found, and adopted or kept, by the second half.
/// The batch holds the descriptors the second half needs.
staged_copy_batch_ptr stage_copy_batch(const copy_batch_request& req,
                                       const read_options& reads = {});

/// The second half: one sync, the renames (never over an existing name: an identical file
/// there is adopted, another is kept and the item fails), one fsync per directory; the
/// outcomes. Call once per staged batch (any thread; a batch is not shared).
copy_batch_result finish_copy_batch(staged_copy_batch& batch);

/// Deletes root/rel for each of `rels` (a regular file; never through a symlink), then
/// fsyncs each directory once. One outcome per path, in order: removed=false if it was not
/// there; ec::invalid_path, ec::io_error.
std::vector<remove_outcome> remove_files(const std::string& root,
                                         const std::vector<std::string>& rels);

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
caf::expected<file_digest> copy_fd(int in, int out, const std::string& algorithm,
                                   copy_method method);

}  // namespace d1
