// `d1drive serve`: the daemon without a mount — the mobile-files actors (catalogue, jobs,
// workers) and the control socket — running until SIGTERM/SIGINT.
#pragma once

#include <string>

namespace d1 {

struct serve_options {
  std::string state_dir;    // empty: from the config
  std::string config_file;  // empty: the default path, optional
  bool daemonize = false;
  std::string log_level;    // empty: from the config
};

/// Runs `d1drive serve`. Returns the process exit code: 0 after a clean stop (or, with
/// --daemon, once the control socket is live), 1 on a runtime failure (e.g. another daemon
/// serves the state dir), 2 on a configuration error.
int run_serve_command(const serve_options& opts);

}  // namespace d1
