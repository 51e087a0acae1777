// `d1drive mount` / `d1drive unmount`. The ladder, in this order because a fork after the
// actor system exists leaves CAF without threads (STACK.md): config → fork (--daemon) →
// logging → actor system → actors → FUSE mount → "live" → loop → unmount → shutdown.
#include "tools/mount_command.hpp"

#include "actors/control/control_plane.hpp"
#include "actors/control/daemon.hpp"
#include "actors/control/daemon_config.hpp"
#include "fuse/kernel_timeouts.hpp"
#include "fuse/session.hpp"
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
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace d1 {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

int fail(int code, const std::string& message) {
  std::cerr << "d1drive: " << message << std::endl;
  return code;
}

// Creates `dir` and its parents with mode 0700 where missing.
caf::error make_dirs(const std::string& dir) {
  std::string partial;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      partial = dir.substr(0, i);
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

// Where a running mount records its daemon's pid, so `unmount` can wait for it to finish
// flushing its caches.
std::string pid_file_for(const std::string& mountpoint) {
  std::string dir = geteuid() == 0 ? "/run/d1drive" : "";
  if (dir.empty()) {
    auto xdg = std::getenv("XDG_RUNTIME_DIR");
    dir = std::string{xdg && *xdg ? xdg : "/tmp"} + "/d1drive-" + std::to_string(geteuid());
  }
  std::string name = mountpoint;
  for (auto& c : name)
    if (c == '/')
      c = '_';
  return dir + "/" + name + ".pid";
}

bool is_mounted(const std::string& mountpoint) {
  std::ifstream in{"/proc/self/mounts"};
  std::string dev, dir, rest;
  while (in >> dev >> dir && std::getline(in, rest))
    if (dir == mountpoint)
      return true;
  return false;
}

void setup_logging(const daemon_config& cfg, bool to_file) {
  std::shared_ptr<spdlog::logger> logger;
  auto file = cfg.log_file.empty() && to_file ? cfg.state_dir + "/d1drive.log" : cfg.log_file;
  try {
    if (!file.empty())
      logger = spdlog::basic_logger_mt("d1drive", file);
    else
      logger = spdlog::stderr_color_mt("d1drive");
  } catch (const spdlog::spdlog_ex& e) {
    std::cerr << "d1drive: cannot open log " << file << ": " << e.what() << std::endl;
    logger = spdlog::stderr_color_mt("d1drive");
  }
  logger->set_level(spdlog::level::from_str(cfg.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// Tells the waiting parent (with --daemon) how the mount went: "ok" or an error message.
class readiness {
public:
  explicit readiness(int fd) : fd_(fd) {
  }
  ~readiness() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  void report(const std::string& message) {
    if (fd_ < 0) {
      if (message != "ok")
        std::cerr << "d1drive: " << message << std::endl;
      return;
    }
    auto rc = ::write(fd_, message.data(), message.size());
    (void) rc;
    ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_;
};

// Everything after the (optional) fork: runs the mount until it is unmounted.
int serve_mount(const daemon_config& cfg, const std::string& mountpoint,
                const std::vector<std::string>& fuse_options, readiness& ready,
                bool daemonized) {
  if (auto err = make_dirs(cfg.state_dir)) {
    ready.report("state dir: " + describe(err));
    return exit_failure;
  }
  setup_logging(cfg, daemonized);
  spdlog::info("d1drive {} mounting {} at {} (state {})", "0.1.0", cfg.base_url, mountpoint,
               cfg.state_dir);
  kernel_timeouts timeouts;
  auto& k = cfg.kernel_ttl;
  for (auto* cs : {&timeouts.entry, &timeouts.attr, &timeouts.table}) {
    cs->immutable = k.immutable;
    cs->metadata = k.metadata;
    cs->search = k.search;
    cs->error = k.error;
    cs->transient = k.transient;
    cs->live = 0;
  }
  caf::actor_system_config sys_cfg;
  // 'sharing' wakes an idle worker at once; the default work-stealing policy sleeps 50 µs
  // between polls (STACK.md: 125 µs vs 15 µs for one round trip).
  sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  sys_cfg.set("logger.verbosity", caf::atom("quiet"));
  add_message_types(sys_cfg);
  int rc = exit_ok;
  {
    caf::actor_system sys{sys_cfg};
    auto actors = start_daemon(sys, cfg);
    if (!actors) {
      ready.report(describe(actors.error()));
      return exit_failure;
    }
    // Mobile files (issue 4): jobs and the control socket serve beside the mount, and
    // stop before the other actors (plane->stop() ahead of each actors->shutdown()).
    auto plane = control_plane::start(sys, cfg, make_control_info(cfg, mountpoint));
    if (!plane) {
      actors->shutdown();
      ready.report(describe(plane.error()));
      return exit_failure;
    }
    auto mount = fuse_mount::create(mountpoint, fuse_options, actors->gateway, timeouts);
    if (!mount) {
      (*plane)->stop();
      actors->shutdown();
      ready.report("cannot mount " + mountpoint + ": " + describe(mount.error()));
      return exit_failure;
    }
    if (auto err = (*mount)->install_signal_handlers())
      spdlog::warn("signal handlers: {}", describe(err));
    auto pid_file = pid_file_for(mountpoint);
    make_dirs(pid_file.substr(0, pid_file.rfind('/')));
    std::ofstream{pid_file} << getpid() << "\n";
    spdlog::info("mounted at {}", mountpoint);
    ready.report("ok");
    if ((*mount)->run() != 0)
      rc = exit_failure;
    (*mount).reset();  // unmounts
    spdlog::info("unmounted {}; stopping", mountpoint);
    (*plane)->stop();
    actors->shutdown();
    ::unlink(pid_file.c_str());
  }
  spdlog::info("d1drive stopped");
  spdlog::shutdown();
  return rc;
}

}  // namespace

int run_mount_command(const mount_options& opts) {
  daemon_config cfg;
  cfg.state_dir = default_state_dir();
  auto config_path = opts.config_file.empty() ? default_config_path() : opts.config_file;
  auto loaded = load_config(config_path, !opts.config_file.empty(), cfg);
  if (!loaded)
    return fail(exit_usage, describe(loaded.error()));
  cfg = std::move(*loaded);
  if (!opts.base_url.empty())
    cfg.base_url = opts.base_url;
  if (!opts.state_dir.empty())
    cfg.state_dir = opts.state_dir;
  if (!opts.log_level.empty())
    cfg.log_level = opts.log_level;
  while (cfg.base_url.size() > 1 && cfg.base_url.back() == '/')
    cfg.base_url.pop_back();
  if (auto err = validate(cfg))
    return fail(exit_usage, describe(err));
  char resolved[PATH_MAX];
  if (!::realpath(opts.mountpoint.c_str(), resolved))
    return fail(exit_usage, "mount point " + opts.mountpoint + ": " + std::strerror(errno));
  std::string mountpoint = resolved;
  struct stat st;
  if (::stat(mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(exit_usage, "mount point " + mountpoint + " is not a directory");
  if (is_mounted(mountpoint))
    return fail(exit_failure, mountpoint + " is already a mount point; `d1drive unmount "
                                + mountpoint + "` first");
  if (cfg.state_dir.front() != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd))
      cfg.state_dir = std::string{cwd} + "/" + cfg.state_dir;
  }
  if (!cfg.log_file.empty() && cfg.log_file.front() != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd))
      cfg.log_file = std::string{cwd} + "/" + cfg.log_file;
  }

  if (!opts.daemonize) {
    readiness ready{-1};
    return serve_mount(cfg, mountpoint, opts.fuse_options, ready, false);
  }

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
      std::cout << "d1drive: " << cfg.base_url << " mounted at " << mountpoint << " (pid "
                << pid << ", log " << (cfg.log_file.empty() ? cfg.state_dir + "/d1drive.log"
                                                             : cfg.log_file)
                << ")" << std::endl;
      return exit_ok;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (message.empty())
      message = "the daemon exited before the mount was live (see "
                + cfg.state_dir + "/d1drive.log)";
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
  readiness ready{fds[1]};
  ::_exit(serve_mount(cfg, mountpoint, opts.fuse_options, ready, true));
}

int run_unmount_command(const std::string& mountpoint_arg) {
  char resolved[PATH_MAX];
  std::string mountpoint = ::realpath(mountpoint_arg.c_str(), resolved) ? resolved
                                                                         : mountpoint_arg;
  if (!is_mounted(mountpoint))
    return fail(exit_failure, mountpoint + " is not mounted");
  pid_t daemon_pid = 0;
  {
    std::ifstream in{pid_file_for(mountpoint)};
    in >> daemon_pid;
  }
  const char* argv[] = {"fusermount3", "-u", mountpoint.c_str(), nullptr};
  pid_t child;
  if (posix_spawnp(&child, "fusermount3", nullptr, nullptr, const_cast<char**>(argv),
                   environ) != 0)
    return fail(exit_failure, "cannot run fusermount3 (package fuse3)");
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(exit_failure, "fusermount3 -u " + mountpoint + " failed");
  // Wait (bounded) for the daemon to flush its caches and exit.
  for (int i = 0; daemon_pid > 0 && i < 300; ++i) {
    if (::kill(daemon_pid, 0) != 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return exit_ok;
}

}  // namespace d1
