// `d1drive stage PID --to ROOT [--dry-run] [--json] [--wait]`: asks the running daemon to
// stage a DataONE object or package beneath ROOT (docs/stage.md) and prints what it did.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace d1 {

struct stage_options {
  std::string pid;
  std::string root;
  bool dry_run = false;
  bool json = false;
  bool wait = false;  // also follow the register jobs of the staged files to their ends
  std::string state_dir;
  std::string config_file;
};

/// Adds the `stage` subcommand, filling `opts`; returns it.
CLI::App* add_stage_command(CLI::App& app, stage_options& opts);

/// Runs it. Exit codes as the other client commands (client_commands.hpp): 0 every object
/// staged, 1 some could not be, 2 usage, 3 no daemon.
int run_stage_command(const stage_options& opts);

}  // namespace d1
