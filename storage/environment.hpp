// One LMDB environment (a directory holding data.mdb and lock.mdb): opening it, its named
// tables, and the transaction discipline every store in this process follows (one writer
// at a time, short transactions, the map grown on MDB_MAP_FULL).
#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace d1::storage {

struct environment_options {
  /// Initial map size in bytes; doubled (up to max_map_size) whenever a write hits
  /// MDB_MAP_FULL. The file only takes the space it uses.
  uint64_t map_size = uint64_t{1} << 30;
  uint64_t max_map_size = uint64_t{1} << 40;
  /// Named tables this environment may hold.
  unsigned max_dbs = 32;
  unsigned max_readers = 126;
  /// true: every commit is on disk when it returns. false: MDB_NOSYNC, for caches only:
  /// commits reach the OS at once but the disk later, so a crash of the process loses
  /// nothing, while a crash of the system (power loss) may lose the last commits or leave
  /// the file corrupt. Such an environment records the boot it is open in (the file
  /// `open-in-boot`, removed at a clean close), so the next open can tell that the system
  /// went down under it and refuse it (docs/hardening.md).
  bool durable = true;
};

/// An open LMDB environment. Shared by every store over it (std::shared_ptr); closed when
/// the last owner lets go. LMDB forbids opening one environment twice in a process, so
/// open() refuses a directory that is already open here.
class environment {
public:
  /// Work inside one transaction: returns an LMDB code (MDB_SUCCESS to commit).
  using txn_fn = std::function<int(MDB_txn*)>;

  /// Opens (creating the directory with mode 0700 if needed) the environment in `dir`.
  /// Returns the environment, or ec::storage_error naming `dir` and the reason
  /// (e.g. "Not a directory", "Permission denied", already open in this process, a
  /// non-durable environment left open by an earlier boot of the system).
  static caf::expected<std::shared_ptr<environment>>
  open(const std::string& dir, environment_options options = {});

  ~environment();
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;

  /// Walks every page of every table (a few ms for a cache of 100k records) and checks the
  /// file is as long as LMDB's meta page says. Returns an empty error, or
  /// ec::storage_error naming the damage (truncated file, MDB_CORRUPTED, MDB_PAGE_NOTFOUND).
  caf::error check();

  /// Writes a copy of the environment (compacted: free pages left out) as
  /// `dest_dir`/data.mdb, an existing empty directory, in one read snapshot: writers go on
  /// meanwhile. Returns an empty error, or ec::storage_error.
  caf::error copy_to(const std::string& dest_dir, bool compact);

  /// Returns the number of named tables and of records in all of them.
  caf::expected<std::pair<uint64_t, uint64_t>> count_all();

  /// Returns the handle of the named table, creating it on first use (handles are opened
  /// once and kept), or ec::storage_error (e.g. MDB_DBS_FULL when max_dbs is exhausted).
  caf::expected<MDB_dbi> table(std::string_view name);

  /// Runs `fn` in one write transaction and commits it. On MDB_MAP_FULL the transaction
  /// is aborted, the map doubled and `fn` run again from scratch, so `fn` must not have
  /// side effects outside the transaction. Writers are serialised. Must not be called
  /// from inside another transaction of this environment (it would deadlock).
  /// Returns an empty error on commit, else ec::storage_error with `what` as context.
  caf::error write(std::string_view what, const txn_fn& fn);

  /// Runs `fn` in one read-only transaction (a consistent snapshot). MDB_NOTFOUND from
  /// `fn` is not an error. `fn` must not write to this environment.
  /// Returns an empty error, or ec::storage_error with `what` as context.
  caf::error read(std::string_view what, const txn_fn& fn);

  /// Builds the ec::storage_error for LMDB code `rc`: "<what> in <dir>: <mdb_strerror>".
  caf::error make_storage_error(std::string_view what, int rc) const;

  /// The largest key LMDB accepts (511 bytes with the default build).
  size_t max_key_size() const {
    return max_key_size_;
  }

  /// The current map size in bytes (grows on MDB_MAP_FULL).
  uint64_t map_size() const;

  const std::string& path() const {
    return path_;
  }

  const environment_options& options() const {
    return options_;
  }

private:
  environment(std::string path, environment_options options, MDB_env* env);

  // Runs one write transaction; the caller holds writer_mutex_.
  caf::error write_locked(std::string_view what, const txn_fn& fn);

  // Doubles the map; the caller holds writer_mutex_ and no transaction.
  caf::error grow(std::string_view what);

  // Adopts a map size grown by another process; the caller holds no transaction.
  void adopt_map_size();

  std::string path_;
  environment_options options_;
  MDB_env* env_;
  size_t max_key_size_;
  // One writer at a time (LMDB's own lock would block a thread while holding a mutex of
  // ours; this keeps the order explicit).
  std::mutex writer_mutex_;
  // Every transaction holds it shared; resizing the map needs it exclusive because
  // mdb_env_set_mapsize requires that no transaction is active in this process.
  mutable std::shared_mutex resize_mutex_;
  std::mutex tables_mutex_;
  std::unordered_map<std::string, MDB_dbi> tables_;
};

}  // namespace d1::storage
