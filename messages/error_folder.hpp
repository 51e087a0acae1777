// Errors are folders: an invalid path or a failed query shows as a directory whose single
// file is named after the problem; reading that file gives the details and what to try.
// Pure functions shared by every resolver.
#pragma once

#include "messages/fs_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string>

namespace d1 {

/// A problem as the user will see it.
struct problem {
  std::string title;    // becomes the file name: short, says what is wrong
  std::string details;  // the file's content: what happened, where, what to try
  bool transient = false;  // a passing failure (timeout, node down): cached briefly
};

/// Describes `err`, which happened while resolving `what` (e.g. "object 'x'") at the mount
/// path `path`. Timeouts and network failures are transient; a missing object is not.
problem problem_from_error(const caf::error& err, const std::string& what,
                           const std::string& path);

/// The attributes of the error folder itself.
node_info error_folder_attr(const problem& p);

/// The listing of the error folder: its one file.
listing error_folder_listing(const problem& p);

/// Attributes below an error folder: `name` equal to the error file's name gives the file;
/// anything else is ec::not_found.
caf::expected<node_info> error_folder_child(const problem& p, const std::string& name);

/// The name of the error file of `p`.
std::string error_folder_file_name(const problem& p);

}  // namespace d1
