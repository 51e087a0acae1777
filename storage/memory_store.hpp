// The in-memory kv_store: what a cache falls back to when no LMDB environment can be made
// (storage/disposable.hpp), and the fake of tests: same contract as lmdb_store, plus
// switches that make reads or writes fail the way LMDB does (e.g. MDB_MAP_FULL), and
// counters of what callers did.
#pragma once

#include "storage/kv_store.hpp"

#include <map>
#include <mutex>

namespace d1::storage {

class memory_store final : public kv_store {
public:
  /// What to break. Failing calls return ec::storage_error and change nothing.
  struct faults {
    bool fail_writes = false;  // put, erase, write, clear: "MDB_MAP_FULL" (injected)
    bool fail_reads = false;   // get, scan_prefix, count: "MDB_PANIC" (injected)
    // Lets this many write calls succeed, then fails every later one (if >= 0).
    int64_t fail_writes_after = -1;
  };

  /// Counters of calls that reached the store (failed ones included).
  struct counters {
    uint64_t reads = 0;
    uint64_t write_calls = 0;    // put, erase, write, clear: one transaction each
    uint64_t written_ops = 0;    // puts and erases committed
    uint64_t failed_writes = 0;
  };

  explicit memory_store(size_t max_key_size = 511);

  /// Replaces the injected faults (takes effect for the next call).
  void set_faults(faults f);
  counters stats() const;

  caf::expected<std::optional<std::string>> get(std::string_view table,
                                                std::string_view key) override;
  caf::error put(std::string_view table, std::string_view key,
                 std::string_view value) override;
  caf::error erase(std::string_view table, std::string_view key) override;
  caf::error write(const write_batch& batch) override;
  caf::error scan_prefix(std::string_view table, std::string_view prefix,
                         const scan_fn& fn) override;
  caf::expected<uint64_t> count(std::string_view table) override;
  caf::error clear(std::string_view table) override;
  size_t max_key_size() const override;

private:
  using table_type = std::map<std::string, std::string, std::less<>>;

  caf::error check_key(std::string_view table, std::string_view key) const;
  // The caller holds mutex_.
  caf::error begin_write();
  caf::error begin_read();

  size_t max_key_size_;
  mutable std::mutex mutex_;
  faults faults_;
  counters counters_;
  std::map<std::string, table_type, std::less<>> tables_;
};

}  // namespace d1::storage
