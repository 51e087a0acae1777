// kv_store over an LMDB environment: each call is one short transaction, writes go through
// environment::write (serialised, map grown on MDB_MAP_FULL).
#pragma once

#include "storage/environment.hpp"
#include "storage/kv_store.hpp"

#include <memory>

namespace d1::storage {

class lmdb_store final : public kv_store {
public:
  /// A store over an open environment; several stores may share one environment.
  explicit lmdb_store(std::shared_ptr<environment> env);

  /// Opens the environment in `dir` (see environment::open) and returns a store over it,
  /// or the ec::storage_error of environment::open.
  static caf::expected<std::shared_ptr<lmdb_store>>
  open(const std::string& dir, environment_options options = {});

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
  caf::error check_structure() override {
    return env_->check();
  }

  const std::shared_ptr<environment>& env() const {
    return env_;
  }

private:
  caf::error check_key(std::string_view table, std::string_view key) const;

  std::shared_ptr<environment> env_;
};

}  // namespace d1::storage
