// `d1drive mount` / `d1drive unmount`. The ladder, in this order because a fork after the
// actor system exists leaves CAF without threads (STACK.md): config → fork (--daemon) →
// logging → actor system → actors → FUSE mount → "live" (sd_notify) → loop → unmount →
// shutdown.
#include "tools/mount_command.hpp"

#include "tools/daemon_process.hpp"
#include "tools/mount_helper.hpp"
#include "tools/version.hpp"

#include "actors/control/daemon_config.hpp"
#include "actors/control/daemon_system.hpp"
#include "fuse/kernel_timeouts.hpp"
#include "fuse/session.hpp"
#include "messages/error.hpp"
#include "messages/type_registry.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <iostream>
#include <signal.h>
#include <optional>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace d1 {

namespace {

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

// The type of the filesystem mounted at `mountpoint` ("fuse.d1drive"), empty if none.
std::string mounted_type(const std::string& mountpoint) {
  std::ifstream in{"/proc/self/mounts"};
  std::string dev, dir, type, rest;
  std::string found;
  while (in >> dev >> dir >> type && std::getline(in, rest))
    if (dir == mountpoint)
      found = type;  // the last one is the top of the stack
  return found;
}

bool is_mounted(const std::string& mountpoint) {
  return !mounted_type(mountpoint).empty();
}

// A daemon killed without unmounting leaves its mount behind, answering ENOTCONN
// ("Transport endpoint is not connected"). Detaches such a d1drive mount at `mountpoint`
// so that a restart (systemd's Restart=on-failure) can mount again. Returns true if it did.
bool remove_stale_mount(const std::string& mountpoint) {
  struct stat st;
  if (mounted_type(mountpoint) != "fuse.d1drive" || ::stat(mountpoint.c_str(), &st) == 0
      || errno != ENOTCONN)
    return false;
  bool removed = false;
  if (::geteuid() == 0) {
    removed = ::umount2(mountpoint.c_str(), MNT_DETACH) == 0;
  } else {
    const char* argv[] = {"fusermount3", "-u", "-z", mountpoint.c_str(), nullptr};
    pid_t child;
    int status = 0;
    removed = posix_spawnp(&child, "fusermount3", nullptr, nullptr, const_cast<char**>(argv),
                           environ)
                == 0
              && ::waitpid(child, &status, 0) == child && WIFEXITED(status)
              && WEXITSTATUS(status) == 0;
  }
  if (removed)
    std::cerr << "d1drive: unmounted the stale d1drive mount at " << mountpoint
              << " (its daemon had died)" << std::endl;
  return removed;
}

// A command-line flag and the same setting as a -o option: at most one of them.
caf::expected<std::string> one_of(const std::string& flag_value, const std::string& flag,
                                  const std::string& option_value, const std::string& option) {
  if (!flag_value.empty() && !option_value.empty())
    return make_error(ec::invalid_argument,
                      flag + " and -o " + option + "= both given; use one of them");
  return flag_value.empty() ? option_value : flag_value;
}

// The mount's kernel timeouts: [cache.kernel_ttl] for every cache, live values never kept.
kernel_timeouts kernel_timeouts_of(const daemon_config& cfg) {
  kernel_timeouts timeouts;
  for (auto* cs : {&timeouts.entry, &timeouts.attr, &timeouts.table}) {
    *cs = cfg.kernel_ttl;
    cs->live = 0;  // Status is read afresh every time
  }
  return timeouts;
}

// Starts the daemon's actors in `sys`, mounts, serves until unmounted, and stops them.
// Returns the exit code.
int mount_and_run(caf::actor_system& sys, const daemon_config& cfg,
                  const std::string& mountpoint, const std::vector<std::string>& fuse_options,
                  const kernel_timeouts& timeouts, daemon_state& state, readiness& ready,
                  bool daemonized) {
  int rc = exit_ok;
  // The daemon's hooks reach the mount only while it is live.
  std::mutex live_mtx;
  fuse_mount* live = nullptr;
  std::atomic<bool> failed{false};
  daemon_system::hooks hooks;
  hooks.restarted = [&](const fs_gateway_actor& gateway) {
    std::lock_guard<std::mutex> guard{live_mtx};
    if (live)
      live->set_gateway(gateway);
  };
  hooks.failed = [&](const std::string& why) {
    spdlog::critical("stopping the daemon: {}", why);
    failed = true;
    std::lock_guard<std::mutex> guard{live_mtx};
    if (live)
      live->request_exit();
  };
  // Mobile files (jobs and the control socket) beside the mount's actors. Declared after
  // `sys`: the mobile handles the mount's actors hold must go before the actor system
  // waits for its detached actors (held any longer, they would make every unmount hang).
  auto info = make_control_info(cfg, mountpoint);
  info.version = version_number();
  auto daemon = daemon_system::start(sys, cfg, info, &state, hooks);
  if (!daemon) {
    ready.report(describe(daemon.error()));
    return exit_failure;
  }
  auto mount = fuse_mount::create(mountpoint, fuse_options, (*daemon)->gateway(), timeouts);
  if (!mount) {
    (*daemon)->stop();
    ready.report("cannot mount " + mountpoint + ": " + describe(mount.error()));
    return exit_failure;
  }
  {
    std::lock_guard<std::mutex> guard{live_mtx};
    live = mount->get();
    // A restart between create() and here would otherwise be missed.
    live->set_gateway((*daemon)->gateway());
  }
  (*mount)->set_max_inodes(cfg.max_inodes);
  (*mount)->set_gauges(state.gauges);
  if (auto err = (*mount)->install_signal_handlers())
    spdlog::warn("signal handlers: {}", describe(err));
  auto pid_file = pid_file_for(mountpoint);
  make_dirs(pid_file.substr(0, pid_file.rfind('/')));
  std::ofstream{pid_file} << getpid() << "\n";
  spdlog::info("mounted at {}", mountpoint);
  ready.report("ok");
  if (!daemonized)
    notify_service_manager("READY=1\nSTATUS=" + cfg.base_url + " mounted at " + mountpoint);
  if (!failed && (*mount)->run() != 0)
    rc = exit_failure;
  if (!daemonized)
    notify_service_manager("STOPPING=1");
  {
    std::lock_guard<std::mutex> guard{live_mtx};
    live = nullptr;
  }
  (*mount).reset();  // unmounts
  spdlog::info("unmounted {}; stopping", mountpoint);
  (*daemon)->stop();  // the control plane first, then the mount's actors
  ::unlink(pid_file.c_str());
  if (failed)
    rc = exit_failure;
  return rc;
}

// Everything after the (optional) fork: runs the mount until it is unmounted.
int serve_mount(const daemon_config& cfg, const std::string& mountpoint,
                const std::vector<std::string>& fuse_options, readiness& ready,
                bool daemonized) {
  if (auto err = make_dirs(cfg.state_dir)) {
    ready.report("state dir: " + describe(err));
    return exit_failure;
  }
  auto log = setup_logging(cfg, daemonized);
  // Logging to a file or the journal: SIGHUP reopens the log (logrotate) and does not stop
  // the daemon. Started before any thread, so that every thread leaves SIGHUP to it.
  std::optional<hangup_reopens_log> hangup;
  if (log != log_target::terminal)
    hangup.emplace();
  spdlog::info("{} mounting {} at {} (state {})", version_line(), cfg.base_url, mountpoint,
               cfg.state_dir);
  auto timeouts = kernel_timeouts_of(cfg);
  caf::actor_system_config sys_cfg;
  configure_actor_system(sys_cfg);
  auto state = open_daemon_state(cfg);
  if (!state) {
    ready.report(describe(state.error()));
    return exit_failure;
  }
  int rc = exit_ok;
  {
    caf::actor_system sys{sys_cfg};
    rc = mount_and_run(sys, cfg, mountpoint, fuse_options, timeouts, *state, ready, daemonized);
  }
  hangup.reset();  // no reopen may run once the logger is gone
  spdlog::info("d1drive stopped");
  spdlog::shutdown();
  return rc;
}

}  // namespace

int run_mount_command(const mount_options& opts) {
  auto split = split_mount_option_lists(opts.fuse_options);
  if (!split)
    return fail(exit_usage, describe(split.error()));
  auto config_file = one_of(opts.config_file, "--config", split->config_file, "config");
  auto state_dir = one_of(opts.state_dir, "--state-dir", split->state_dir, "state_dir");
  auto log_level = one_of(opts.log_level, "--log-level", split->log_level, "log_level");
  for (auto* value : {&config_file, &state_dir, &log_level})
    if (!*value)
      return fail(exit_usage, describe(value->error()));
  auto loaded = load_daemon_config(*config_file, opts.base_url, *state_dir, *log_level);
  if (!loaded)
    return fail(exit_usage, describe(loaded.error()));
  auto cfg = std::move(*loaded);
  auto fuse_options = split->fuse_options;
  // The mount's source in /proc/mounts, findmnt and df: what fstab says (a comma would
  // end the option early, so such a source is not shown).
  if (!opts.source.empty() && opts.source.find(',') == std::string::npos)
    fuse_options.push_back("fsname=" + opts.source);
  if (opts.mountpoint.rfind("/dev/fd/", 0) == 0)
    return fail(exit_usage, "mount point " + opts.mountpoint
                              + ": d1drive cannot take a mount made for it (mount.fuse3's "
                                "drop_privileges): it needs root, see docs/install.md");
  // A dead d1drive mount fails realpath or stat with ENOTCONN: detach it, then look again.
  auto absolute_mountpoint = absolute(opts.mountpoint);
  struct stat st;
  if (::stat(absolute_mountpoint.c_str(), &st) != 0 && errno == ENOTCONN)
    remove_stale_mount(absolute_mountpoint);
  char resolved[PATH_MAX];
  if (!::realpath(opts.mountpoint.c_str(), resolved))
    return fail(exit_usage, "mount point " + opts.mountpoint + ": " + std::strerror(errno));
  std::string mountpoint = resolved;
  if (::stat(mountpoint.c_str(), &st) != 0 && errno == ENOTCONN)
    remove_stale_mount(mountpoint);
  if (::stat(mountpoint.c_str(), &st) != 0)
    return fail(exit_usage, "mount point " + mountpoint + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return fail(exit_usage, "mount point " + mountpoint + " is not a directory");
  if (is_mounted(mountpoint))
    return fail(exit_failure, mountpoint + " is already a mount point; `d1drive unmount "
                                + mountpoint + "` first");
  if (!opts.daemonize) {
    readiness ready{-1};
    return serve_mount(cfg, mountpoint, fuse_options, ready, false);
  }

  // --daemon: fork before anything starts a thread; the parent waits for "ok".
  auto log = log_path(cfg, true);
  return run_detached(
    [&](readiness& ready) {
      return serve_mount(cfg, mountpoint, fuse_options, ready, true);
    },
    [&](pid_t pid) {
      if (opts.quiet)
        return std::string{};
      return cfg.base_url + " mounted at " + mountpoint + " (pid " + std::to_string(pid)
             + ", log " + log + ")";
    },
    log);
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
