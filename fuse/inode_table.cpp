// The inode table: two hash maps under one reader/writer lock. Writers are rare (a lookup
// or readdirplus reply, an expired getattr, a forget); readers are every getattr.
#include "fuse/inode_table.hpp"

#include <mutex>

namespace d1 {

inode_table::inode_table() {
  inode_record root;
  root.path = "/";
  root.lookups = 1;
  by_inode_.emplace(root_inode, std::move(root));
  by_path_.emplace("/", root_inode);
}

uint64_t inode_table::remember(const std::string& path, const node_info& info,
                               clock::time_point fresh_until, uint64_t lookups) {
  std::unique_lock lock{mutex_};
  uint64_t ino;
  if (auto i = by_path_.find(path); i != by_path_.end()) {
    ino = i->second;
  } else {
    ino = next_inode_++;
    by_path_.emplace(path, ino);
    by_inode_[ino].path = path;
  }
  auto& rec = by_inode_[ino];
  rec.lookups += lookups;
  rec.has_info = true;
  rec.info = info;
  rec.fresh_until = fresh_until;
  return ino;
}

bool inode_table::update(uint64_t ino, const node_info& info, clock::time_point fresh_until) {
  std::unique_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return false;
  i->second.has_info = true;
  i->second.info = info;
  i->second.fresh_until = fresh_until;
  return true;
}

void inode_table::forget(uint64_t ino, uint64_t lookups) {
  if (ino == root_inode)
    return;
  std::unique_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return;
  auto& rec = i->second;
  rec.lookups = lookups >= rec.lookups ? 0 : rec.lookups - lookups;
  if (rec.lookups == 0) {
    by_path_.erase(rec.path);
    by_inode_.erase(i);
  }
}

std::optional<std::string> inode_table::path_of(uint64_t ino) const {
  std::shared_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return std::nullopt;
  return i->second.path;
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
  const auto& rec = i->second;
  if (!rec.has_info || rec.fresh_until <= now)
    return std::nullopt;
  return attr_snapshot{rec.info.kind, rec.info.cache, rec.info.size, rec.info.mtime};
}

std::optional<inode_record> inode_table::find(uint64_t ino) const {
  std::shared_lock lock{mutex_};
  auto i = by_inode_.find(ino);
  if (i == by_inode_.end())
    return std::nullopt;
  return i->second;
}

size_t inode_table::size() const {
  std::shared_lock lock{mutex_};
  return by_inode_.size();
}

}  // namespace d1
