// The files of one tracked resource as this host reads them under Resources/<uid>/: each
// relative path with its usable local copies, best first. Pure: built from what the
// catalogue replies (the resource's file records and where its copies are).
#pragma once

#include "messages/fs_types.hpp"
#include "messages/mobile_types.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace d1 {

struct resource_tree {
  std::string uid;
  int64_t created_s = 0;  // the resource's registration, seconds since the epoch
  /// rel_path → copies best first: verified copies before unverified, then this host's
  /// preferred roots (the order `locate` gives), each on this host's disk (root_map).
  std::map<std::string, std::vector<local_copy>> files;
};

using resource_tree_ptr = std::shared_ptr<const resource_tree>;

/// Builds the tree. A file record is a usable copy once hashed and not found missing,
/// changed or mismatched at its last check; a file without one is left out.
resource_tree make_resource_tree(const resource_detail& detail, const location_report& where);

/// The copies of the file at `rel` (no leading '/'), or null if `rel` is not a file.
const std::vector<local_copy>* file_at(const resource_tree& tree, const std::string& rel);

/// One name directly below a folder of the tree.
struct tree_child {
  std::string name;
  bool folder = false;
  const std::vector<local_copy>* copies = nullptr;  // files only
};

/// The names directly below the folder `rel` ("" = the resource folder), in name order;
/// empty when `rel` is no folder of the tree.
std::vector<tree_child> children_of(const resource_tree& tree, const std::string& rel);

/// True when `rel` is a folder of the tree ("" always is).
bool is_folder(const resource_tree& tree, const std::string& rel);

/// The PID of a staged or registered DATAONE resource (its kwargs' "pid"), or "".
std::string dataone_pid_of(const resource_record& r);

}  // namespace d1
