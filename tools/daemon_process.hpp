// What `d1drive mount` and `d1drive serve` share as processes: exit codes, the state dir,
// logging, the CAF settings, and detaching (--daemon) with a readiness report to the
// waiting parent. Fork before any thread exists: a fork after the actor system started
// leaves CAF without its threads (STACK.md).
#pragma once

#include "actors/control/daemon_config.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>

namespace d1 {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

/// The configuration a daemon command runs with: defaults, then `config_file` (the default
/// path, optional, when empty), then the non-empty command-line overrides; validated, with
/// the state dir and log file made absolute. Errors are ec::invalid_argument (exit_usage).
caf::expected<daemon_config> load_daemon_config(const std::string& config_file,
                                                const std::string& base_url,
                                                const std::string& state_dir,
                                                const std::string& log_level);

/// Prints "d1drive: <message>" to stderr and returns `code`.
int fail(int code, const std::string& message);

/// Creates `dir` and its missing parents with mode 0700. Returns ec::io_error naming the
/// part that could not be created, or that exists but is no directory.
caf::error make_dirs(const std::string& dir);

/// `path` made absolute against the current directory (unchanged if empty or absolute).
std::string absolute(const std::string& path);

/// The log file: the configured one, else <state_dir>/d1drive.log when detached, else
/// empty (stderr).
std::string log_path(const daemon_config& cfg, bool daemonized);

/// Where a daemon's log lines go.
enum class log_target {
  terminal,  // stderr, not systemd's journal stream
  journal,   // systemd started us and stderr is its journal stream: sd_journal_send
  file,      // log_path(): appended, reopened by reopen_log()
};

/// Installs the default spdlog logger ("d1drive") at the configured level, writing to
/// log_path() when that is not empty, else to the journal when stderr is the journal
/// stream systemd gave us ($JOURNAL_STREAM), else to stderr. Returns where. A log file
/// that cannot be opened is reported on stderr and stderr is used.
log_target setup_logging(const daemon_config& cfg, bool daemonized);

/// Reopens the log file at its path, for logrotate (move the file, then SIGHUP): the old
/// file is flushed and kept until the new one is open, so no line is lost; if the new one
/// cannot be opened, logging goes on to the old one and says why. No-op for other targets.
void reopen_log();

/// While it lives, SIGHUP reopens the log (reopen_log) instead of reaching the process's
/// handlers: it blocks SIGHUP and waits for it on a thread of its own. Create it before
/// any other thread exists, so that every later thread inherits the blocked signal.
class hangup_reopens_log {
public:
  hangup_reopens_log();
  ~hangup_reopens_log();
  hangup_reopens_log(const hangup_reopens_log&) = delete;
  hangup_reopens_log& operator=(const hangup_reopens_log&) = delete;

private:
  struct waiter;
  std::unique_ptr<waiter> waiter_;
};

/// Tells the service manager about the daemon's state with sd_notify ("READY=1\nSTATUS=…",
/// "STOPPING=1"): systemd's Type=notify units wait for READY=1. Nothing happens when
/// systemd did not ask for it ($NOTIFY_SOCKET unset).
void notify_service_manager(const std::string& state);

/// The actor system settings of every d1drive daemon process.
void configure_actor_system(caf::actor_system_config& sys_cfg);

/// Tells the parent waiting in --daemon how the start went: "ok" or the error message.
/// Without a parent (foreground), errors go to stderr.
class readiness {
public:
  explicit readiness(int fd) : fd_(fd) {
  }
  ~readiness();
  readiness(const readiness&) = delete;
  readiness& operator=(const readiness&) = delete;

  void report(const std::string& message);

private:
  int fd_;
};

/// Forks. The child detaches (setsid, stdio on /dev/null) and exits with what `body`
/// returns; `body` calls report("ok") once it is ready. The parent waits for that report
/// and returns exit_ok after printing `ready_line(child pid)` (unless empty), or prints
/// the failure (naming `log` if the child died silently) and returns exit_failure.
int run_detached(const std::function<int(readiness&)>& body,
                 const std::function<std::string(pid_t)>& ready_line, const std::string& log);

}  // namespace d1
