// The in-memory kv_store with injected faults: std::map per table under one mutex.
#include "storage/memory_store.hpp"

#include "messages/error.hpp"

namespace d1::storage {

memory_store::memory_store(size_t max_key_size) : max_key_size_(max_key_size) {
}

void memory_store::set_faults(faults f) {
  std::lock_guard<std::mutex> guard{mutex_};
  faults_ = f;
}

memory_store::counters memory_store::stats() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return counters_;
}

size_t memory_store::max_key_size() const {
  return max_key_size_;
}

caf::error memory_store::check_key(std::string_view table, std::string_view key) const {
  if (key.empty() || key.size() > max_key_size_)
    return make_error(ec::invalid_argument,
                      "key of " + std::to_string(key.size()) + " bytes for table '"
                        + std::string{table} + "' (allowed 1 to "
                        + std::to_string(max_key_size_) + ")");
  return caf::none;
}

caf::error memory_store::begin_write() {
  ++counters_.write_calls;
  bool fail = faults_.fail_writes;
  if (faults_.fail_writes_after >= 0) {
    if (faults_.fail_writes_after == 0)
      fail = true;
    else
      --faults_.fail_writes_after;
  }
  if (fail) {
    ++counters_.failed_writes;
    return make_error(ec::storage_error,
                      "write in memory_store: MDB_MAP_FULL: Environment mapsize limit "
                      "reached (injected fault)");
  }
  return caf::none;
}

caf::error memory_store::begin_read() {
  ++counters_.reads;
  if (faults_.fail_reads)
    return make_error(ec::storage_error,
                      "read in memory_store: MDB_PANIC: Update of meta page failed or "
                      "environment had fatal error (injected fault)");
  return caf::none;
}

caf::expected<std::optional<std::string>> memory_store::get(std::string_view table,
                                                            std::string_view key) {
  if (auto err = check_key(table, key))
    return err;
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto err = begin_read())
    return err;
  std::optional<std::string> result;
  if (auto t = tables_.find(table); t != tables_.end())
    if (auto i = t->second.find(key); i != t->second.end())
      result = i->second;
  return result;
}

caf::error memory_store::put(std::string_view table, std::string_view key,
                             std::string_view value) {
  write_batch batch;
  batch.put(std::string{table}, std::string{key}, std::string{value});
  return write(batch);
}

caf::error memory_store::erase(std::string_view table, std::string_view key) {
  write_batch batch;
  batch.erase(std::string{table}, std::string{key});
  return write(batch);
}

caf::error memory_store::write(const write_batch& batch) {
  for (auto& op : batch.ops())
    if (auto err = check_key(op.table, op.key))
      return err;
  std::lock_guard<std::mutex> guard{mutex_};
  if (batch.empty())
    return caf::none;
  if (auto err = begin_write())
    return err;
  for (auto& op : batch.ops()) {
    auto t = tables_.find(op.table);
    if (t == tables_.end())
      t = tables_.emplace(op.table, table_type{}).first;
    if (op.kind == write_batch::op_kind::put)
      t->second[op.key] = op.value;
    else
      t->second.erase(op.key);
  }
  counters_.written_ops += batch.size();
  return caf::none;
}

caf::error memory_store::scan_prefix(std::string_view table, std::string_view prefix,
                                     const scan_fn& fn) {
  // Copy the matching records first: `fn` may call other (read) functions of this store.
  std::vector<std::pair<std::string, std::string>> records;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (auto err = begin_read())
      return err;
    auto t = tables_.find(table);
    if (t == tables_.end())
      return caf::none;
    for (auto i = t->second.lower_bound(prefix);
         i != t->second.end() && std::string_view{i->first}.substr(0, prefix.size()) == prefix;
         ++i)
      records.emplace_back(i->first, i->second);
  }
  for (auto& [k, v] : records)
    if (!fn(k, v))
      break;
  return caf::none;
}

caf::expected<uint64_t> memory_store::count(std::string_view table) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto err = begin_read())
    return err;
  auto t = tables_.find(table);
  return t == tables_.end() ? uint64_t{0} : uint64_t{t->second.size()};
}

caf::error memory_store::clear(std::string_view table) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (auto err = begin_write())
    return err;
  if (auto t = tables_.find(table); t != tables_.end())
    t->second.clear();
  return caf::none;
}

}  // namespace d1::storage
