// long_name_map: a bounded memory map in front of one LMDB table; writes are batched.
#include "actors/resolve/long_names.hpp"

#include "messages/error.hpp"
#include "messages/path_codec.hpp"

#include <spdlog/spdlog.h>

namespace d1 {

long_name_map::long_name_map(std::shared_ptr<storage::kv_store> store, size_t max_names,
                             std::string table)
  : store_(std::move(store)), max_names_(max_names), table_(std::move(table)) {
  if (!store_)
    return;
  if (auto n = store_->count(table_))
    stored_ = *n;
  else
    spdlog::warn("{}: {}", table_, describe(n.error()));
}

long_name_map::~long_name_map() {
  flush();
}

std::string long_name_map::name_for(const std::string& full) {
  auto name = shorten_segment(full);
  if (name == full)
    return name;
  auto [i, added] = names_.try_emplace(name, full);
  if (!added)
    return name;
  if (names_.size() > max_names_) {
    names_.clear();
    names_.emplace(name, full);
  }
  if (store_)
    pending_.put(table_, name, full);
  return name;
}

std::optional<std::string> long_name_map::full_of(const std::string& name) {
  if (auto i = names_.find(name); i != names_.end())
    return i->second;
  if (!store_ || name.empty() || name.size() > store_->max_key_size())
    return std::nullopt;
  flush();  // a name queued a moment ago is in the table then
  auto stored = store_->get(table_, name);
  if (!stored) {
    spdlog::warn("{}: {}", table_, describe(stored.error()));
    return std::nullopt;
  }
  if (!*stored || shorten_segment(**stored) != name)
    return std::nullopt;  // unknown, or a record that does not map to this name
  if (names_.size() >= max_names_)
    names_.clear();
  names_.emplace(name, **stored);
  return *stored;
}

void long_name_map::flush() {
  if (!store_ || pending_.empty())
    return;
  if (stored_ + pending_.size() > max_names_) {
    if (auto err = store_->clear(table_))
      spdlog::warn("{}: {}", table_, describe(err));
    stored_ = 0;
  }
  auto n = pending_.size();
  if (auto err = store_->write(pending_))
    spdlog::warn("{}: shortened names not saved: {}", table_, describe(err));
  else
    stored_ += n;
  pending_.clear();
}

}  // namespace d1
