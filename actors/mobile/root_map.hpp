// Where the roots the catalogue records are on this host's disk: the same storage may be
// mounted at different places on different hosts ([hosts."NAME"] root_map in the config).
// The catalogue keeps recorded roots; only the door to the disk turns them into local ones.
#pragma once

#include "actors/mobile/file_system.hpp"

#include <caf/expected.hpp>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace d1 {

class root_map {
public:
  root_map() = default;

  /// The map of `entries` (recorded root → local place). ec::invalid_argument naming the
  /// entry when a side is not an absolute normalised path (no trailing '/', no "." or ".."
  /// components) or two recorded roots map to one local place.
  static caf::expected<root_map> make(const std::map<std::string, std::string>& entries);

  /// Where the absolute normalised `path` is on this host: the entry whose recorded root
  /// is the longest equal to or containing it, component by component (/data never maps
  /// /database), replaced by its local place; `path` itself when no entry contains it.
  std::string local(const std::string& path) const;

  bool empty() const {
    return entries_.empty();
  }

  /// The entries (recorded, local), longest recorded root first.
  const std::vector<std::pair<std::string, std::string>>& entries() const {
    return entries_;
  }

private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

/// `disk` with every root opened (and made) at its local place under `map`: the one place
/// where a recorded root becomes a path on this host's disk. `disk` itself for an empty map.
std::shared_ptr<file_system> map_roots(std::shared_ptr<file_system> disk, root_map map);

}  // namespace d1
