// `d1drive serve`. The ladder, ordered because a fork after the actor system exists leaves
// CAF without threads (STACK.md): config → fork (--daemon) → block signals → logging →
// actor system → control plane (mobile actors + socket) → "ready" → sigwait → stop.
#include "tools/serve_command.hpp"

#include "actors/control/control_plane.hpp"
#include "actors/control/daemon_config.hpp"
#include "messages/error.hpp"
#include "messages/type_registry.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

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

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

int fail(int code, const std::string& message) {
  std::cerr << "d1drive: " << message << std::endl;
  return code;
}

// Creates `dir` and its parents (mode 0700) where missing.
caf::error make_dirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      auto partial = dir.substr(0, i);
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
        return make_error(ec::io_error,
                          "cannot create " + partial + ": " + std::strerror(errno));
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(ec::io_error, dir + " is not a directory");
  return {};
}

std::string absolute(const std::string& path) {
  if (path.empty() || path.front() == '/')
    return path;
  char cwd[PATH_MAX];
  return ::getcwd(cwd, sizeof cwd) ? std::string{cwd} + "/" + path : path;
}

std::string log_path(const daemon_config& cfg, bool daemonized) {
  if (!cfg.log_file.empty())
    return cfg.log_file;
  return daemonized ? cfg.state_dir + "/d1drive.log" : std::string{};
}

void setup_logging(const daemon_config& cfg, bool daemonized) {
  std::shared_ptr<spdlog::logger> logger;
  auto file = log_path(cfg, daemonized);
  try {
    logger = file.empty() ? spdlog::stderr_color_mt("d1drive")
                          : spdlog::basic_logger_mt("d1drive", file);
  } catch (const spdlog::spdlog_ex& e) {
    std::cerr << "d1drive: cannot open log " << file << ": " << e.what() << std::endl;
    logger = spdlog::stderr_color_mt("d1drive");
  }
  logger->set_level(spdlog::level::from_str(cfg.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// Tells the parent waiting in `serve --daemon` how the start went: "ok" or the error.
void report(int fd, const std::string& message) {
  if (fd < 0) {
    if (message != "ok")
      std::cerr << "d1drive: " << message << std::endl;
    return;
  }
  auto rc = ::write(fd, message.data(), message.size());
  (void) rc;
  ::close(fd);
}

// Everything after the (optional) fork: serves until SIGTERM, SIGINT or SIGHUP.
int serve(const daemon_config& cfg, int ready_fd, bool daemonized) {
  if (auto err = make_dirs(cfg.state_dir)) {
    report(ready_fd, "state dir: " + describe(err));
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
  setup_logging(cfg, daemonized);
  spdlog::info("d1drive {} serving (state {}, no mount)", "0.1.0", cfg.state_dir);
  caf::actor_system_config sys_cfg;
  // As for the mount: 'sharing' answers a plain thread's request without the 50 µs
  // work-stealing poll sleep (STACK.md).
  sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  sys_cfg.set("logger.verbosity", caf::atom("quiet"));
  add_message_types(sys_cfg);
  int rc = exit_ok;
  auto pid_file = cfg.state_dir + "/d1drive.pid";
  {
    caf::actor_system sys{sys_cfg};
    auto plane = control_plane::start(sys, cfg, make_control_info(cfg, ""));
    if (!plane) {
      spdlog::error("cannot start: {}", describe(plane.error()));
      report(ready_fd, describe(plane.error()));
      spdlog::shutdown();
      return exit_failure;
    }
    std::ofstream{pid_file} << ::getpid() << "\n";
    spdlog::info("serving; control socket {}", (*plane)->socket_path());
    report(ready_fd, "ok");
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
    }
    spdlog::info("signal {}: stopping", sig);
    (*plane)->stop();
    ::unlink(pid_file.c_str());
  }
  spdlog::info("d1drive stopped");
  spdlog::shutdown();
  return rc;
}

}  // namespace

int run_serve_command(const serve_options& opts) {
  daemon_config cfg;
  cfg.state_dir = default_state_dir();
  auto config_path = opts.config_file.empty() ? default_config_path() : opts.config_file;
  auto loaded = load_config(config_path, !opts.config_file.empty(), cfg);
  if (!loaded)
    return fail(exit_usage, describe(loaded.error()));
  cfg = std::move(*loaded);
  if (!opts.state_dir.empty())
    cfg.state_dir = opts.state_dir;
  if (!opts.log_level.empty())
    cfg.log_level = opts.log_level;
  if (auto err = validate(cfg))
    return fail(exit_usage, describe(err));
  cfg.state_dir = absolute(cfg.state_dir);
  cfg.log_file = absolute(cfg.log_file);

  if (!opts.daemonize)
    return serve(cfg, -1, false);

  // --daemon: fork before anything starts a thread; the parent waits for "ok".
  int fds[2];
  if (::pipe(fds) != 0)
    return fail(exit_failure, std::string{"pipe: "} + std::strerror(errno));
  auto pid = ::fork();
  if (pid < 0)
    return fail(exit_failure, std::string{"fork: "} + std::strerror(errno));
  if (pid > 0) {
    ::close(fds[1]);
    std::string message;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
      message.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    if (message == "ok") {
      std::cout << "d1drive: serving state dir " << cfg.state_dir << " (pid " << pid
                << ", socket " << cfg.state_dir << "/control.sock, log "
                << log_path(cfg, true) << ")" << std::endl;
      return exit_ok;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (message.empty())
      message = "the daemon exited before it was ready (see " + log_path(cfg, true) + ")";
    return fail(exit_failure, message);
  }
  ::close(fds[0]);
  ::setsid();
  int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    if (devnull > 2)
      ::close(devnull);
  }
  ::_exit(serve(cfg, fds[1], true));
}

}  // namespace d1
