// root_map: recorded roots to this host's mount points, by longest component prefix, and
// the file_system decorator that opens roots through it.
#include "actors/mobile/root_map.hpp"

#include "actors/mobile/beneath.hpp"
#include "actors/mobile/forwarding_file_system.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <set>

namespace d1 {

namespace {

// Whether `prefix` is `path` or one of its ancestors, by components.
bool contains(const std::string& prefix, const std::string& path) {
  if (prefix == "/")
    return true;
  return path.compare(0, prefix.size(), prefix) == 0
         && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

caf::error check_side(const std::string& recorded, const std::string& side,
                      const char* what) {
  auto norm = normalize_root(side);
  if (!norm || *norm != side)
    return make_error(ec::invalid_argument,
                      std::string{"root_map \""} + recorded + "\": the " + what + " '" + side
                        + "' is not an absolute normalised path"
                        + (norm ? " (write '" + *norm + "')" : std::string{}));
  return {};
}

// Opens roots at their local place; every other call goes to the disk as it is.
class mapped_file_system final : public forwarding_file_system {
public:
  mapped_file_system(std::shared_ptr<file_system> disk, root_map map)
    : forwarding_file_system(std::move(disk)), map_(std::move(map)) {
  }
  int open_root(const std::string& path) override {
    return inner_->open_root(map_.local(path));
  }
  int make_root(const std::string& path) override {
    return inner_->make_root(map_.local(path));
  }
  std::string local_path(const std::string& path) override {
    return inner_->local_path(map_.local(path));
  }

private:
  root_map map_;
};

}  // namespace

caf::expected<root_map> root_map::make(const std::map<std::string, std::string>& entries) {
  root_map out;
  std::set<std::string> locals;
  for (auto& [recorded, local] : entries) {
    if (auto err = check_side(recorded, recorded, "recorded root"))
      return err;
    if (auto err = check_side(recorded, local, "local place"))
      return err;
    if (!locals.insert(local).second)
      return make_error(ec::invalid_argument, "root_map \"" + recorded + "\": '" + local
                                                + "' is the local place of another recorded "
                                                  "root too");
    out.entries_.emplace_back(recorded, local);
  }
  // Longest first: the first entry that contains a path is its longest match.
  std::stable_sort(out.entries_.begin(), out.entries_.end(),
                   [](auto& a, auto& b) { return a.first.size() > b.first.size(); });
  return out;
}

std::string root_map::local(const std::string& path) const {
  for (auto& [recorded, local] : entries_) {
    if (!contains(recorded, path))
      continue;
    if (path.size() == recorded.size())
      return local;
    return join_path(local, path.substr(recorded == "/" ? 1 : recorded.size() + 1));
  }
  return path;
}

std::shared_ptr<file_system> map_roots(std::shared_ptr<file_system> disk, root_map map) {
  if (map.empty())
    return disk;
  return std::make_shared<mapped_file_system>(std::move(disk), std::move(map));
}

}  // namespace d1
