// The kernel's view of the mount: which inode number stands for which absolute mount path,
// how many lookups the kernel holds on it (forget frees it), and its last attributes with
// a "fresh until" time so getattr can be answered here without a message to the actors.
#pragma once

#include "messages/fs_types.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace d1 {

/// The attributes getattr needs, copied out without node_info's strings (the hot path).
struct attr_snapshot {
  entry_kind kind = entry_kind::directory;
  cache_class cache = cache_class::search;
  uint64_t size = 0;
  int64_t mtime = 0;
};

/// Everything the table knows of one inode (a copy; the table keeps a compact form).
struct inode_record {
  std::string path;
  uint64_t lookups = 0;
  bool has_info = false;  // false until the first entry/attr reply (the root at start)
  bool has_content = false;  // `info` holds the text or object (else ask the gateway)
  node_info info;
  std::chrono::steady_clock::time_point fresh_until{};
};

/// Thread-safe: the FUSE loop thread reads it, actor threads replying write it.
/// Inode numbers are never reused, so the generation number can stay 0.
class inode_table {
public:
  using clock = std::chrono::steady_clock;

  /// The root "/" (FUSE_ROOT_ID). It is never forgotten.
  static constexpr uint64_t root_inode = 1;

  inode_table();

  /// Returns the inode of `path` (a new number if the path is not known), adds `lookups`
  /// to its lookup count and stores `info` as its attributes, fresh until `fresh_until`.
  uint64_t remember(const std::string& path, const node_info& info,
                    clock::time_point fresh_until, uint64_t lookups = 1);

  /// Stores new attributes of a known inode. Returns false if `ino` is unknown.
  bool update(uint64_t ino, const node_info& info, clock::time_point fresh_until);

  /// Drops `lookups` from the count of `ino`; at zero the inode and its path are
  /// forgotten (a later lookup of the path gets a new number). Unknown inodes and the
  /// root are ignored.
  void forget(uint64_t ino, uint64_t lookups);

  /// Returns the absolute mount path of `ino`, or nullopt if it is unknown.
  std::optional<std::string> path_of(uint64_t ino) const;

  /// Returns the inode of `path`, or 0 if the path is not known.
  uint64_t inode_of(const std::string& path) const;

  /// Returns the attributes of `ino` if they are fresh at `now`; nullopt if `ino` is
  /// unknown, has no attributes yet, or they expired. Takes only a shared lock.
  std::optional<attr_snapshot> fresh_attr(uint64_t ino, clock::time_point now) const;

  /// Returns a copy of everything known about `ino`, or nullopt if it is unknown.
  std::optional<inode_record> find(uint64_t ino) const;

  /// Returns the number of known inodes (the root included).
  size_t size() const;

  /// An entry the kernel is to drop: the inode of its folder and its name.
  struct entry_name {
    uint64_t parent = 0;
    std::string name;
  };

  /// Returns the least recently looked-up entries beyond the newest `keep` inodes, each
  /// returned once (the kernel forgets them after an invalidation; until then they stay
  /// here). Empty while the table holds at most `keep` inodes.
  std::vector<entry_name> excess(size_t keep);

  /// Returns a rough count of the bytes the table holds (for Status).
  size_t memory_bytes() const;

private:
  // One inode as held: 40 bytes (a 64-byte node) plus its path, whatever node_info
  // carried. The path is the key in by_path_ (unordered_map nodes never move). Only
  // files with content keep their node_info, in details_ (what open needs without a
  // message); folders, the bulk, do not, and neither do error and transient files, whose
  // text open asks for again (the kernel may keep millions of them). A lookup count that
  // reaches the 32-bit maximum stays there (the inode is then never forgotten) instead of
  // wrapping. `touched` orders inodes by their last lookup, for excess().
  struct slot {
    const std::string* path = nullptr;
    uint64_t size = 0;
    int64_t mtime = 0;
    clock::time_point fresh_until{};
    uint64_t touched = 0;
    uint32_t lookups = 0;
    bool invalidated = false;
    entry_kind kind = entry_kind::directory;
    cache_class cache = cache_class::search;
    content_kind content = content_kind::none;
    bool has_info = false;
  };

  void store(uint64_t ino, slot& s, const node_info& info, clock::time_point fresh_until);

  mutable std::shared_mutex mutex_;
  uint64_t next_inode_ = root_inode + 1;
  uint64_t clock_ = 0;  // counts remember() calls: the `touched` of slots
  std::unordered_map<uint64_t, slot> by_inode_;
  std::unordered_map<std::string, uint64_t> by_path_;
  std::unordered_map<uint64_t, std::shared_ptr<const node_info>> details_;
};

}  // namespace d1
