// The inode table: two hash maps under one reader/writer lock. Writers are rare (a lookup
// or readdirplus reply, an expired getattr, a forget); readers are every getattr.
#include "fuse/inode_table.hpp"

#include <algorithm>
#include <limits>
#include <mutex>

namespace d1 {

inode_table::inode_table() {
  auto [i, inserted] = by_path_.emplace("/", root_inode);
  static_cast<void>(inserted);
  auto& root = by_inode_[root_inode];
  root.path = &i->first;
  root.lookups = 1;
}

namespace {

constexpr uint64_t max_lookups = std::numeric_limits<uint32_t>::max();

}  // namespace

void inode_table::store(uint64_t ino, slot& s, const node_info& info,
                        clock::time_point fresh_until) {
  s.has_info = true;
  s.kind = info.kind;
  s.cache = info.cache;
  s.size = info.size;
  s.mtime = info.mtime;
  s.content = info.content;
  s.fresh_until = fresh_until;
  if (info.content == content_kind::none) {
    if (!details_.empty())
      details_.erase(ino);
    return;
  }
  auto& detail = details_[ino];
  if (!detail || !(*detail == info))
    detail = std::make_shared<const node_info>(info);
}

uint64_t inode_table::remember(const std::string& path, const node_info& info,
                               clock::time_point fresh_until, uint64_t lookups) {
  std::unique_lock lock{mutex_};
  uint64_t ino;
  slot* s;
  if (auto i = by_path_.find(path); i != by_path_.end()) {
    ino = i->second;
    s = &by_inode_[ino];
  } else {
    ino = next_inode_++;
    auto added = by_path_.emplace(path, ino).first;
    s = &by_inode_[ino];
    s->path = &added->first;
  }
  s->lookups = static_cast<uint32_t>(std::min(max_lookups, s->lookups + lookups));
  store(ino, *s, info, fresh_until);
  return ino;
}

bool inode_table::update(uint64_t ino, const node_info& info, clock::time_point fresh_until) {
  std::unique_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return false;
  store(ino, i->second, info, fresh_until);
  return true;
}

void inode_table::forget(uint64_t ino, uint64_t lookups) {
  if (ino == root_inode)
    return;
  std::unique_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return;
  auto& s = i->second;
  if (s.lookups == max_lookups)
    return;  // saturated: the count is lost, keep the inode
  s.lookups = lookups >= s.lookups ? 0 : static_cast<uint32_t>(s.lookups - lookups);
  if (s.lookups == 0) {
    // Erase by iterator: the key string is the one the slot points to.
    auto p = by_path_.find(*s.path);
    by_inode_.erase(i);
    if (p != by_path_.end())
      by_path_.erase(p);
    if (!details_.empty())
      details_.erase(ino);
  }
}

std::optional<std::string> inode_table::path_of(uint64_t ino) const {
  std::shared_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return std::nullopt;
  return *i->second.path;
}

uint64_t inode_table::inode_of(const std::string& path) const {
  std::shared_lock lock{mutex_};
  auto i = by_path_.find(path);
  return i == by_path_.end() ? 0 : i->second;
}

std::optional<attr_snapshot> inode_table::fresh_attr(uint64_t ino,
                                                     clock::time_point now) const {
  std::shared_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return std::nullopt;
  const auto& s = i->second;
  if (!s.has_info || s.fresh_until <= now)
    return std::nullopt;
  return attr_snapshot{s.kind, s.cache, s.size, s.mtime};
}

std::optional<inode_record> inode_table::find(uint64_t ino) const {
  std::shared_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return std::nullopt;
  const auto& s = i->second;
  inode_record rec;
  rec.path = *s.path;
  rec.lookups = s.lookups;
  rec.has_info = s.has_info;
  rec.fresh_until = s.fresh_until;
  if (auto d = details_.find(ino); d != details_.end()) {
    rec.info = *d->second;
  } else {
    rec.info.kind = s.kind;
    rec.info.cache = s.cache;
    rec.info.size = s.size;
    rec.info.mtime = s.mtime;
    rec.info.content = s.content;
  }
  return rec;
}

size_t inode_table::size() const {
  std::shared_lock lock{mutex_};
  return by_inode_.size();
}

}  // namespace d1
