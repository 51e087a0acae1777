// Which local copies serve each file of a resource, and the folders their paths imply.
#include "actors/resolve/resource_tree.hpp"

#include <nlohmann/json.hpp>

namespace d1 {

namespace {

bool usable(const file_record& f) {
  if (f.digest.empty())
    return false;  // never hashed: nothing says these are the resource's bytes
  switch (f.state) {
    case file_state::unknown:
    case file_state::ok:
      return true;
    default:
      return false;
  }
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string folder_prefix(const std::string& rel) {
  return rel.empty() ? std::string{} : rel + "/";
}

}  // namespace

resource_tree make_resource_tree(const resource_detail& detail, const location_report& where) {
  resource_tree out;
  out.uid = detail.resource.uid;
  out.created_s = detail.resource.created / 1000;
  // Records by root, so each copy (in the report's order) adds its files in one pass.
  std::map<std::string, std::vector<const file_record*>> by_root;
  for (auto& f : detail.files)
    if (usable(f))
      by_root[f.root].push_back(&f);
  for (auto& copy : where.copies) {
    auto i = by_root.find(copy.root);
    if (i == by_root.end())
      continue;
    auto& disk_root = copy.local_root.empty() ? copy.root : copy.local_root;
    for (auto* f : i->second) {
      local_copy c;
      c.path = disk_root + "/" + f->rel_path;
      c.size = f->size;
      c.mtime_ns = f->stat.ino != 0 ? f->stat.mtime_ns : 0;
      out.files[f->rel_path].push_back(std::move(c));
    }
  }
  return out;
}

const std::vector<local_copy>* file_at(const resource_tree& tree, const std::string& rel) {
  auto i = tree.files.find(rel);
  return i == tree.files.end() ? nullptr : &i->second;
}

std::vector<tree_child> children_of(const resource_tree& tree, const std::string& rel) {
  std::vector<tree_child> out;
  auto prefix = folder_prefix(rel);
  // Paths below one folder are contiguous in the sorted map, and so are those below each
  // of its subfolders: a subfolder repeats only next to itself.
  for (auto i = tree.files.lower_bound(prefix); i != tree.files.end(); ++i) {
    if (!starts_with(i->first, prefix))
      break;
    auto rest = i->first.substr(prefix.size());
    auto slash = rest.find('/');
    if (slash == std::string::npos) {
      out.push_back(tree_child{rest, false, &i->second});
      continue;
    }
    auto name = rest.substr(0, slash);
    if (out.empty() || out.back().name != name || !out.back().folder)
      out.push_back(tree_child{std::move(name), true, nullptr});
  }
  return out;
}

bool is_folder(const resource_tree& tree, const std::string& rel) {
  if (rel.empty())
    return true;
  auto prefix = folder_prefix(rel);
  auto i = tree.files.lower_bound(prefix);
  return i != tree.files.end() && starts_with(i->first, prefix);
}

std::string dataone_pid_of(const resource_record& r) {
  if (r.spec != "DATAONE")
    return {};
  auto kw = nlohmann::json::parse(r.kwargs, nullptr, false);
  if (!kw.is_object())
    return {};
  auto i = kw.find("pid");
  return i != kw.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

}  // namespace d1
