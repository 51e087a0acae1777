// kv_store over LMDB: key checks, one transaction per call, cursors for ordered scans.
#include "storage/lmdb_store.hpp"

#include "messages/error.hpp"

#include <map>
#include <memory>

namespace d1::storage {

namespace {

MDB_val to_val(std::string_view x) {
  return MDB_val{x.size(), const_cast<char*>(x.data())};
}

std::string_view to_view(const MDB_val& x) {
  return {static_cast<const char*>(x.mv_data), x.mv_size};
}

std::string describe_op(const char* op, std::string_view table) {
  std::string out{op};
  out += " in table '";
  out += table;
  out += "'";
  return out;
}

}  // namespace

lmdb_store::lmdb_store(std::shared_ptr<environment> env) : env_(std::move(env)) {
}

caf::expected<std::shared_ptr<lmdb_store>>
lmdb_store::open(const std::string& dir, environment_options options) {
  auto env = environment::open(dir, options);
  if (!env)
    return env.error();
  return std::make_shared<lmdb_store>(std::move(*env));
}

size_t lmdb_store::max_key_size() const {
  return env_->max_key_size();
}

caf::error lmdb_store::check_key(std::string_view table, std::string_view key) const {
  if (key.empty() || key.size() > env_->max_key_size())
    return make_error(ec::invalid_argument,
                      "key of " + std::to_string(key.size()) + " bytes for table '"
                        + std::string{table} + "' (LMDB allows 1 to "
                        + std::to_string(env_->max_key_size()) + ")");
  return caf::none;
}

caf::expected<std::optional<std::string>> lmdb_store::get(std::string_view table,
                                                          std::string_view key) {
  if (auto err = check_key(table, key))
    return err;
  auto dbi = env_->table(table);
  if (!dbi)
    return dbi.error();
  std::optional<std::string> result;
  auto err = env_->read(describe_op("get", table), [&](MDB_txn* txn) {
    auto k = to_val(key);
    MDB_val v;
    int rc = mdb_get(txn, *dbi, &k, &v);
    if (rc == MDB_SUCCESS)
      result.emplace(to_view(v));
    return rc;
  });
  if (err)
    return err;
  return result;
}

caf::error lmdb_store::put(std::string_view table, std::string_view key,
                           std::string_view value) {
  if (auto err = check_key(table, key))
    return err;
  auto dbi = env_->table(table);
  if (!dbi)
    return dbi.error();
  return env_->write(describe_op("put", table), [&](MDB_txn* txn) {
    auto k = to_val(key);
    auto v = to_val(value);
    return mdb_put(txn, *dbi, &k, &v, 0);
  });
}

caf::error lmdb_store::erase(std::string_view table, std::string_view key) {
  if (auto err = check_key(table, key))
    return err;
  auto dbi = env_->table(table);
  if (!dbi)
    return dbi.error();
  return env_->write(describe_op("erase", table), [&](MDB_txn* txn) {
    auto k = to_val(key);
    int rc = mdb_del(txn, *dbi, &k, nullptr);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
  });
}

caf::error lmdb_store::write(const write_batch& batch) {
  if (batch.empty())
    return caf::none;
  // Resolve tables before the write transaction: creating one needs the writer lock.
  std::map<std::string_view, MDB_dbi> dbis;
  for (auto& op : batch.ops()) {
    if (auto err = check_key(op.table, op.key))
      return err;
    if (dbis.count(op.table) == 0) {
      auto dbi = env_->table(op.table);
      if (!dbi)
        return dbi.error();
      dbis.emplace(op.table, *dbi);
    }
  }
  auto what = "batch of " + std::to_string(batch.size()) + " writes";
  return env_->write(what, [&](MDB_txn* txn) {
    for (auto& op : batch.ops()) {
      auto dbi = dbis[op.table];
      auto k = to_val(op.key);
      int rc;
      if (op.kind == write_batch::op_kind::put) {
        auto v = to_val(op.value);
        rc = mdb_put(txn, dbi, &k, &v, 0);
      } else {
        rc = mdb_del(txn, dbi, &k, nullptr);
        if (rc == MDB_NOTFOUND)
          rc = MDB_SUCCESS;
      }
      if (rc != MDB_SUCCESS)
        return rc;
    }
    return MDB_SUCCESS;
  });
}

caf::error lmdb_store::scan_prefix(std::string_view table, std::string_view prefix,
                                   const scan_fn& fn) {
  auto dbi = env_->table(table);
  if (!dbi)
    return dbi.error();
  return env_->read(describe_op("scan", table), [&](MDB_txn* txn) {
    MDB_cursor* raw = nullptr;
    int rc = mdb_cursor_open(txn, *dbi, &raw);
    if (rc != MDB_SUCCESS)
      return rc;
    // Read-only cursors must be closed explicitly, also if `fn` throws.
    std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> cursor{raw, mdb_cursor_close};
    MDB_val k = to_val(prefix);
    MDB_val v;
    rc = prefix.empty() ? mdb_cursor_get(cursor.get(), &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS) {
      auto key = to_view(k);
      if (key.substr(0, prefix.size()) != prefix)
        break;
      if (!fn(key, to_view(v)))
        break;
      rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
    }
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
  });
}

caf::expected<uint64_t> lmdb_store::count(std::string_view table) {
  auto dbi = env_->table(table);
  if (!dbi)
    return dbi.error();
  uint64_t result = 0;
  auto err = env_->read(describe_op("count", table), [&](MDB_txn* txn) {
    MDB_stat stat;
    int rc = mdb_stat(txn, *dbi, &stat);
    if (rc == MDB_SUCCESS)
      result = stat.ms_entries;
    return rc;
  });
  if (err)
    return err;
  return result;
}

caf::error lmdb_store::clear(std::string_view table) {
  auto dbi = env_->table(table);
  if (!dbi)
    return dbi.error();
  return env_->write(describe_op("clear", table), [&](MDB_txn* txn) {
    return mdb_drop(txn, *dbi, 0);
  });
}

}  // namespace d1::storage
