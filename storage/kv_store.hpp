// The narrow interface every persistent table user goes through: byte keys and values in
// named tables, batched writes, ordered scans. lmdb_store implements it over LMDB;
// memory_store is the in-memory fake that injects faults for tests of callers.
#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace d1::storage {

/// Many puts and erases applied in ONE write transaction: all or nothing. Batching is
/// what makes writes fast (one durable transaction each: ~4k/s; batched: millions/s).
class write_batch {
public:
  enum class op_kind : uint8_t { put, erase };

  struct op {
    op_kind kind;
    std::string table;
    std::string key;
    std::string value;  // empty for erase
  };

  void put(std::string table, std::string key, std::string value) {
    ops_.push_back(op{op_kind::put, std::move(table), std::move(key), std::move(value)});
  }

  /// Erasing an absent key is not an error.
  void erase(std::string table, std::string key) {
    ops_.push_back(op{op_kind::erase, std::move(table), std::move(key), {}});
  }

  /// Operations in the order they were added; a later one wins over an earlier one.
  const std::vector<op>& ops() const {
    return ops_;
  }

  size_t size() const {
    return ops_.size();
  }

  bool empty() const {
    return ops_.empty();
  }

  void clear() {
    ops_.clear();
  }

private:
  std::vector<op> ops_;
};

/// Called for each record of a scan, in key order; the views are valid only during the
/// call. Returns false to stop the scan early.
using scan_fn = std::function<bool(std::string_view key, std::string_view value)>;

/// Byte-keyed tables. Every call is one short transaction (none is kept open across
/// calls); safe to call from several threads, writers are serialised. Keys must be 1 to
/// max_key_size() bytes; tables are created on first use.
class kv_store {
public:
  virtual ~kv_store() = default;

  /// Returns the value of `key`, std::nullopt if absent, or ec::storage_error.
  virtual caf::expected<std::optional<std::string>> get(std::string_view table,
                                                        std::string_view key) = 0;

  /// Inserts or replaces one record (its own transaction). Returns an empty error, or
  /// ec::storage_error (ec::invalid_argument for a key of bad size).
  virtual caf::error put(std::string_view table, std::string_view key,
                         std::string_view value) = 0;

  /// Removes one record; an absent key is not an error. Returns an empty error, or
  /// ec::storage_error / ec::invalid_argument.
  virtual caf::error erase(std::string_view table, std::string_view key) = 0;

  /// Applies every operation of `batch` in one transaction, all or nothing. Returns an
  /// empty error, or ec::storage_error / ec::invalid_argument (nothing was written).
  virtual caf::error write(const write_batch& batch) = 0;

  /// Calls `fn` for every record whose key starts with `prefix` (all records for an
  /// empty prefix), in key order, inside one read snapshot. `fn` must not write to this
  /// store. Returns an empty error, or ec::storage_error.
  virtual caf::error scan_prefix(std::string_view table, std::string_view prefix,
                                 const scan_fn& fn) = 0;

  /// Returns the number of records in `table` (0 for a table never written), or
  /// ec::storage_error.
  virtual caf::expected<uint64_t> count(std::string_view table) = 0;

  /// Removes every record of `table`. Returns an empty error, or ec::storage_error.
  virtual caf::error clear(std::string_view table) = 0;

  /// The longest key this store accepts, in bytes.
  virtual size_t max_key_size() const = 0;

  /// Checks what lies under the tables (LMDB: every page, the file's length). Returns an
  /// empty error, or ec::storage_error naming the damage. A store in memory has none.
  virtual caf::error check_structure() {
    return {};
  }

  /// Calls `fn` for every record of `table` in key order (see scan_prefix).
  caf::error scan(std::string_view table, const scan_fn& fn) {
    return scan_prefix(table, {}, fn);
  }
};

}  // namespace d1::storage
