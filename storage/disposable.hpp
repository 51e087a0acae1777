// Opening state that may be thrown away and rebuilt (the caches): an environment or folder
// that cannot be opened, fails its check, or was open when the system went down is moved
// aside under a dated name and a fresh one takes its place, so the daemon starts anyway.
#pragma once

#include "storage/environment.hpp"
#include "storage/kv_store.hpp"

#include <caf/expected.hpp>

#include <memory>
#include <string>

namespace d1::storage {

/// What open_disposable_store found and did.
struct disposable_store {
  std::shared_ptr<kv_store> store;
  std::string problem;      // why the old environment was not used; "" if it was
  std::string moved_aside;  // where it went; "" if nowhere
  bool persistent = true;   // false: no environment could be made, `store` is in memory
};

/// Opens the LMDB environment in `dir` (see environment::open) and checks it; if that
/// fails, moves `dir` aside (keeping the two newest moved-aside copies) and opens a fresh
/// one; if that fails too, returns an in-memory store that forgets at exit. Never fails.
disposable_store open_disposable_store(const std::string& dir, environment_options options);

/// Makes `dir` a writable directory: creates it, or moves aside whatever is there and is
/// not a writable directory and creates it anew. Returns where the old one went ("" if
/// nowhere), or ec::io_error if no writable directory can be made there.
caf::expected<std::string> prepare_disposable_dir(const std::string& dir);

/// Returns the current UTC time as 20261207T101500Z (names that sort by time).
std::string utc_stamp();

/// Renames `path` to `<path>.damaged-<UTC time>`; with `keep` > 0, removes all but the
/// `keep` newest such copies (disposable state only). Returns the new name, or ec::io_error.
caf::expected<std::string> move_aside(const std::string& path, size_t keep = 0);

}  // namespace d1::storage
