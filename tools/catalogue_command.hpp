// `d1drive catalogue check` and `d1drive catalogue restore`: what an operator runs when the
// daemon refuses a damaged catalogue. Both work on the state dir directly, no daemon needed
// (restore refuses while one runs).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace d1 {

struct catalogue_options {
  std::string state_dir;
  std::string config_file;
  std::string from;  // restore: a backup folder (default: the newest)
};

/// Adds `catalogue check|restore` to `app`.
class catalogue_command {
public:
  explicit catalogue_command(CLI::App& app);

  /// True if the parsed command line chose `catalogue …`.
  bool selected() const;

  /// Runs it: 0 ok; 1 damaged (check) or failed (restore); 2 usage; 3 restore refused
  /// while a daemon serves the state dir.
  int run();

private:
  CLI::App* catalogue_ = nullptr;
  CLI::App* check_ = nullptr;
  CLI::App* restore_ = nullptr;
  catalogue_options opts_;
};

}  // namespace d1
