// The client subcommands of d1drive (resource …, jobs, job, journal, status): each sends one
// request over the daemon's control socket and prints the answer for people, or as one
// JSON document with --json.
//
// Exit codes: 0 ok, 1 operation failed, 2 usage or configuration error, 3 no daemon
// running, 4 refused (e.g. the last verified copy, or a peer of another user), 5 a
// verification found mismatches.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

namespace d1 {

constexpr int exit_failed = 1;
constexpr int exit_usage_error = 2;
constexpr int exit_no_daemon = 3;
constexpr int exit_refused = 4;
constexpr int exit_mismatch = 5;

/// Maps an error code of the control protocol to the CLI's exit code.
int exit_code_for(const std::string& error_code);

/// Adds the client subcommands to `app`; run() executes whichever was chosen.
class client_commands {
public:
  explicit client_commands(CLI::App& app);
  ~client_commands();

  /// True if the parsed command line chose one of these subcommands.
  bool selected() const;

  /// Runs the chosen subcommand. Returns the exit code (see above).
  int run();

  struct state;

private:
  std::unique_ptr<state> state_;
};

}  // namespace d1
