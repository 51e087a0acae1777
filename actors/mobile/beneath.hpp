// Paths beneath a root: normalised roots and relative paths, directories opened one
// component at a time without following symlinks (what openat2's RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS does, on any kernel), and the errno-to-error rules every worker
// shares.
#pragma once

#include "actors/mobile/file_system.hpp"
#include "messages/error.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace d1 {

/// How the workers read and when they give up: one per worker thread.
struct worker_io {
  file_system& fs;
  /// Files over 4 MiB are read with O_DIRECT (where the filesystem takes it) when copied
  /// or hashed ([mobile] direct_reads); false: through the page cache.
  bool direct_reads = true;
  /// True once the job was cancelled or the daemon stops: a batch then ends after the
  /// current piece (8 MiB at most), its remaining items failing with ec::cancelled.
  std::function<bool()> interrupted = [] { return false; };
};

/// Returns `root` as an absolute normalised path (no trailing '/', no empty, "." or ".."
/// components); ec::invalid_path otherwise. "/" stays "/".
caf::expected<std::string> normalize_root(const std::string& root);

/// Returns `rel` normalised (no leading or trailing '/', no empty or "." components);
/// ec::invalid_path for an empty path, an absolute one, or one with a ".." component.
caf::expected<std::string> normalize_rel_path(const std::string& rel);

/// The components of a normalised root ("/" has none) or relative path, in order.
std::vector<std::string> path_components(const std::string& normalized);

/// Joins a normalised root and relative path.
std::string join_path(const std::string& root, const std::string& rel);

/// Splits a normalised relative path into its directory ("" for none) and its last name.
void split_leaf(const std::string& rel, std::string& dir, std::string& leaf);

/// An errno as an error: ENOSPC and EDQUOT are ec::no_space, ELOOP (a symlink where
/// none may be) ec::invalid_path, others `code`; the context reads "what: strerror".
caf::error sys_error(ec code, const std::string& what, int err);

/// Whether a failure with this errno may not happen again on a retry: an I/O error, a
/// stale handle, a busy or interrupted call, a timeout, memory pressure.
bool transient_errno(int err);

/// True for ec::no_space (a full destination: every later file would fail too).
bool is_out_of_space(const caf::error& err);

/// Directory descriptors beneath one root, each directory opened once, component by
/// component with O_NOFOLLOW: no symlink ever leads out of the root.
class beneath_dirs {
public:
  beneath_dirs(file_system& fs, std::string root) : fs_(fs), root_(std::move(root)) {
  }

  /// The descriptor of `rel_dir` ("" is the root), or -errno (-ELOOP for a symlink on the
  /// way, -ENOTDIR for a file).
  int open(const std::string& rel_dir);

  /// As open, but missing directories are made (the root too, like `mkdir -p`). With a
  /// `model` (the source root of a copy), each directory made takes the owner and mode
  /// of the same directory there; otherwise mode 0755. Parents are fsynced.
  int open_or_create(const std::string& rel_dir, beneath_dirs* model);

  /// The file_stat of the root directory (its identity, fs_id included), or -errno.
  int stat_root(file_stat& out);

  /// The fs_id of the directory `rel_dir` (opened already), which its files share; 0 if
  /// unknown. Asked of the filesystem once per directory.
  uint64_t fs_id(const std::string& rel_dir);

  const std::string& root() const {
    return root_;
  }

private:
  int open_root(bool create, beneath_dirs* model);
  int open_step(int parent, const std::string& prefix, const std::string& name, bool create,
                beneath_dirs* model);

  file_system& fs_;
  std::string root_;
  std::map<std::string, fs_fd> fds_;  // by rel_dir ("" = root)
  std::map<std::string, uint64_t> fs_ids_;
};

}  // namespace d1
