// `d1drive mount` and `d1drive unmount`: the ladder config → (fork) → actor system →
// actors → FUSE session → loop → unmount → shutdown, and the clean unmount from outside.
#pragma once

#include <string>
#include <vector>

namespace d1 {

struct mount_options {
  std::string mountpoint;
  std::string base_url;     // empty: from the config
  std::string state_dir;    // empty: from the config
  std::string config_file;  // empty: the default path, optional
  std::vector<std::string> fuse_options;  // also d1drive's own state_dir=, config=, log_level=
  std::string source;       // the mount helper form's SOURCE (shown as the mount's source)
  bool daemonize = false;
  bool quiet = false;       // with daemonize: print nothing once live (mount(8) helpers are silent)
  std::string log_level;    // empty: from the config
};

/// Runs `d1drive mount`. Returns the process exit code: 0 after a clean unmount (or, with
/// --daemon, once the mount is live), 1 on a runtime failure, 2 on a configuration error.
/// A d1drive mount left at the mount point by a daemon that died is unmounted first.
int run_mount_command(const mount_options& opts);

/// Runs `d1drive unmount`: unmounts and waits (bounded) for the daemon to exit.
int run_unmount_command(const std::string& mountpoint);

}  // namespace d1
