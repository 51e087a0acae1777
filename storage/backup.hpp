// Rolling backups of an LMDB environment that must not be lost (the catalogue): compacted
// copies made while it is in use (mdb_env_copy2), kept as <backup_root>/<UTC time>/data.mdb,
// the newest few kept; checking an environment directory; restoring a backup.
#pragma once

#include "storage/environment.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1::storage {

/// One backup on disk.
struct backup_info {
  std::string dir;    // holds data.mdb
  std::string stamp;  // UTC, e.g. 20261207T101500Z (sorts by time)
  uint64_t bytes = 0;
};

/// Copies `env` compacted into a new <backup_root>/<stamp>/ (written under a temporary
/// name, synced, then renamed, so a backup directory is always complete), then removes
/// all but the newest `keep` backups. Readers and writers of `env` go on meanwhile.
/// Returns the new backup, or ec::storage_error / ec::io_error.
caf::expected<backup_info> backup_environment(environment& env, const std::string& backup_root,
                                              size_t keep);

/// The complete backups under `backup_root`, newest first (none if it does not exist).
std::vector<backup_info> list_backups(const std::string& backup_root);

/// What checking an environment directory found.
struct check_report {
  uint64_t tables = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;  // size of data.mdb
};

/// Opens the environment in `dir` (it must exist; nothing is created), runs
/// environment::check and counts its tables and records. Returns the report, or the
/// ec::storage_error that says what is wrong.
caf::expected<check_report> check_environment_dir(const std::string& dir,
                                                  environment_options options);

/// Replaces the environment in `dir` by the backup in `backup.dir`: `dir` is moved aside
/// (move_aside) and a copy of the backup checked and put in its place. The caller makes
/// sure no process has `dir` open. Returns where the old one went, or an error (then
/// `dir` is as it was, or back in place).
caf::expected<std::string> restore_backup(const std::string& dir, const backup_info& backup);

}  // namespace d1::storage
