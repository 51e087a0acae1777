// `d1drive serve`. The ladder, ordered because a fork after the actor system exists leaves
// CAF without threads (STACK.md): config → fork (--daemon) → block signals → logging →
// actor system → control plane (mobile actors + socket) → "ready" (sd_notify) → sigwait
// (SIGHUP: reopen the log) → stop.
#include "tools/serve_command.hpp"

#include "tools/daemon_process.hpp"
#include "tools/version.hpp"

#include "actors/control/daemon_config.hpp"
#include "actors/control/daemon_system.hpp"
#include "messages/error.hpp"
#include "messages/type_registry.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace d1 {

namespace {

// Everything after the (optional) fork: serves until SIGTERM or SIGINT, or SIGHUP when
// logging to stderr (a terminal that hung up); otherwise SIGHUP reopens the log.
int serve(const daemon_config& cfg, readiness& ready, bool daemonized) {
  if (auto err = make_dirs(cfg.state_dir)) {
    ready.report("state dir: " + describe(err));
    return exit_failure;
  }
  // Blocked here, before any thread exists, so every thread inherits the mask and the
  // signals reach only sigwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto log = setup_logging(cfg, daemonized);
  spdlog::info("{} serving (state {}, no mount)", version_line(), cfg.state_dir);
  caf::actor_system_config sys_cfg;
  configure_actor_system(sys_cfg);
  int rc = exit_ok;
  auto pid_file = cfg.state_dir + "/d1drive.pid";
  {
    caf::actor_system sys{sys_cfg};
    auto info = make_control_info(cfg, "");
    info.version = version_number();
    // A failed mobile actor is not restarted under running workers: the daemon stops with
    // a non-zero exit (jobs resume at the next start).
    std::atomic<bool> failed{false};
    daemon_system::hooks hooks;
    hooks.failed = [&](const std::string& why) {
      spdlog::critical("stopping the daemon: {}", why);
      failed = true;
      ::kill(::getpid(), SIGTERM);  // ends sigwait below
    };
    auto daemon = daemon_system::start(sys, cfg, info, nullptr, hooks);
    if (!daemon) {
      spdlog::error("cannot start: {}", describe(daemon.error()));
      ready.report(describe(daemon.error()));
      spdlog::shutdown();
      return exit_failure;
    }
    std::ofstream{pid_file} << ::getpid() << "\n";
    spdlog::info("serving; control socket {}", (*daemon)->control().socket_path());
    ready.report("ok");
    if (!daemonized)
      notify_service_manager("READY=1\nSTATUS=serving state dir " + cfg.state_dir);
    int sig = 0;
    for (;;) {
      if (sigwait(&stop_signals, &sig) != 0)
        continue;
      if (sig != SIGHUP || log == log_target::terminal)
        break;
      reopen_log();
    }
    spdlog::info("signal {}: stopping", sig);
    if (!daemonized)
      notify_service_manager("STOPPING=1");
    (*daemon)->stop();
    if (failed)
      rc = exit_failure;
    ::unlink(pid_file.c_str());
  }
  spdlog::info("d1drive stopped");
  spdlog::shutdown();
  return rc;
}

}  // namespace

int run_serve_command(const serve_options& opts) {
  auto loaded = load_daemon_config(opts.config_file, "", opts.state_dir, opts.log_level);
  if (!loaded)
    return fail(exit_usage, describe(loaded.error()));
  auto cfg = std::move(*loaded);

  if (!opts.daemonize) {
    readiness ready{-1};
    return serve(cfg, ready, false);
  }
  // --daemon: fork before anything starts a thread; the parent waits for "ok".
  auto log = log_path(cfg, true);
  return run_detached([&](readiness& ready) { return serve(cfg, ready, true); },
                      [&](pid_t pid) {
                        return "serving state dir " + cfg.state_dir + " (pid "
                               + std::to_string(pid) + ", socket " + cfg.state_dir
                               + "/control.sock, log " + log + ")";
                      },
                      log);
}

}  // namespace d1
