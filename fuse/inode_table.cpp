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
  bool generated = info.cache == cache_class::error || info.cache == cache_class::transient;
  if (info.content == content_kind::none || generated) {
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
  s->touched = ++clock_;
  s->invalidated = false;
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
    rec.has_content = true;
  } else {
    rec.info.kind = s.kind;
    rec.info.cache = s.cache;
    rec.info.size = s.size;
    rec.info.mtime = s.mtime;
    rec.info.content = s.content;
  }
  return rec;
}

std::vector<inode_table::entry_name> inode_table::excess(size_t keep) {
  std::unique_lock lock{mutex_};
  std::vector<entry_name> out;
  if (by_inode_.size() <= keep)
    return out;
  std::vector<std::pair<uint64_t, uint64_t>> candidates;  // touched, inode
  candidates.reserve(by_inode_.size());
  size_t pending = 0;  // invalidated, not yet forgotten by the kernel
  for (auto& [ino, s] : by_inode_) {
    if (s.invalidated)
      ++pending;
    else if (ino != root_inode)
      candidates.emplace_back(s.touched, ino);
  }
  auto over = by_inode_.size() - keep;
  if (over <= pending)
    return out;
  size_t n = std::min(candidates.size(), over - pending);
  std::nth_element(candidates.begin(), candidates.begin() + n, candidates.end());
  for (size_t i = 0; i < n; ++i) {
    auto& s = by_inode_[candidates[i].second];
    const auto& path = *s.path;
    auto slash = path.rfind('/');
    auto parent = by_path_.find(slash == 0 ? "/" : path.substr(0, slash));
    if (parent == by_path_.end())
      continue;  // its folder is forgotten: the kernel holds no entry below it
    s.invalidated = true;
    out.push_back(entry_name{parent->second, path.substr(slash + 1)});
  }
  return out;
}

size_t inode_table::memory_bytes() const {
  std::shared_lock lock{mutex_};
  // Hash nodes of both maps, the path (its heap block when longer than the short-string
  // buffer), and the node_info kept for files with content.
  size_t bytes = by_inode_.size() * (sizeof(slot) + 32) + by_path_.size() * (32 + 24);
  for (auto& [path, ino] : by_path_)
    bytes += path.size() > 15 ? path.size() + 1 : 0;
  for (auto& [ino, info] : details_)
    bytes += sizeof(node_info) + 32 + info->text().size();
  return bytes;
}

size_t inode_table::size() const {
  std::shared_lock lock{mutex_};
  return by_inode_.size();
}

}  // namespace d1
