// Shortened path segments (names over NAME_MAX, see shorten_segment) mapped back to the
// full segment they stand for, in memory and in an LMDB table, so that a shortened name
// listed before a restart still resolves after it. Not an actor: resolvers own one each.
#pragma once

#include "storage/kv_store.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace d1 {

class long_name_map {
public:
  /// `store` null: memory only. At most `max_names` are kept in memory and in the table
  /// (past that both start over: a bound, not a policy; listing a folder again restores
  /// its names). `table` names the LMDB table (tables of different resolvers may share
  /// one: a shortened name means the same full segment everywhere).
  long_name_map(std::shared_ptr<storage::kv_store> store, size_t max_names,
                std::string table = "long_names");

  /// Writes what is still queued.
  ~long_name_map();

  long_name_map(const long_name_map&) = delete;
  long_name_map& operator=(const long_name_map&) = delete;

  /// Returns shorten_segment(full) and remembers the mapping back when it is shortened;
  /// a new mapping is queued for the table until flush().
  std::string name_for(const std::string& full);

  /// Returns the full segment of a shortened `name`: from memory, else from the table.
  std::optional<std::string> full_of(const std::string& name);

  /// Writes the queued mappings in one batch; an LMDB error is logged (they stay in memory).
  void flush();

  size_t size() const {
    return names_.size();
  }

private:
  std::shared_ptr<storage::kv_store> store_;
  size_t max_names_;
  std::string table_;
  uint64_t stored_ = 0;  // records in the table (as counted at start, plus writes)
  std::unordered_map<std::string, std::string> names_;
  storage::write_batch pending_;
};

}  // namespace d1
