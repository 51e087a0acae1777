// Process plumbing shared by `mount` and `serve`.
#include "tools/daemon_process.hpp"

#include "messages/error.hpp"
#include "messages/type_registry.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <systemd/sd-daemon.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace d1 {

caf::expected<daemon_config> load_daemon_config(const std::string& config_file,
                                                const std::string& base_url,
                                                const std::string& state_dir,
                                                const std::string& log_level) {
  daemon_config cfg;
  cfg.state_dir = default_state_dir();
  auto path = config_file.empty() ? default_config_path() : config_file;
  auto loaded = load_config(path, !config_file.empty(), cfg);
  if (!loaded)
    return loaded.error();
  cfg = std::move(*loaded);
  if (!base_url.empty())
    cfg.base_url = base_url;
  if (!state_dir.empty())
    cfg.state_dir = state_dir;
  if (!log_level.empty())
    cfg.log_level = log_level;
  while (cfg.base_url.size() > 1 && cfg.base_url.back() == '/')
    cfg.base_url.pop_back();
  if (auto err = validate(cfg))
    return err;
  cfg.state_dir = absolute(cfg.state_dir);
  cfg.log_file = absolute(cfg.log_file);
  return cfg;
}

int fail(int code, const std::string& message) {
  std::cerr << "d1drive: " << message << std::endl;
  return code;
}

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

namespace {

// A log file that can be reopened at its path while lines are being written to it. The
// base sink's mutex orders a reopen against every write and flush.
class reopenable_file_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit reopenable_file_sink(std::string path) : path_(std::move(path)) {
    file_ = open_log(path_);
    if (!file_)
      throw spdlog::spdlog_ex("cannot open " + path_ + ": " + std::strerror(errno));
  }

  ~reopenable_file_sink() override {
    std::fclose(file_);
  }

  // Opens the path anew; keeps writing to the old file when that fails. Returns "" or why.
  std::string reopen() {
    std::lock_guard<std::mutex> lock{mutex_};
    auto* fresh = open_log(path_);
    if (!fresh)
      return "cannot reopen " + path_ + ": " + std::strerror(errno);
    std::fflush(file_);
    std::fclose(file_);
    file_ = fresh;
    return {};
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), file_);
  }

  void flush_() override {
    std::fflush(file_);
  }

private:
  // Appends; close-on-exec; 0600 when created, as the state dir it usually lives in is 0700.
  static FILE* open_log(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
      return nullptr;
    auto* file = ::fdopen(fd, "a");
    if (!file)
      ::close(fd);
    return file;
  }

  std::string path_;
  FILE* file_ = nullptr;
};

std::shared_ptr<reopenable_file_sink> log_file_sink;

// systemd documents this check: $JOURNAL_STREAM names the device and inode of the stream
// it connected to stderr; a match means stderr still goes to the journal.
bool stderr_is_journal() {
  auto* stream = std::getenv("JOURNAL_STREAM");
  if (!stream || !*stream)
    return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2)
    return false;
  struct stat st;
  return ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

}  // namespace

log_target setup_logging(const daemon_config& cfg, bool daemonized) {
  std::shared_ptr<spdlog::logger> logger;
  auto target = log_target::terminal;
  auto file = log_path(cfg, daemonized);
  if (!file.empty()) {
    try {
      log_file_sink = std::make_shared<reopenable_file_sink>(file);
      logger = std::make_shared<spdlog::logger>("d1drive", log_file_sink);
      spdlog::register_logger(logger);
      target = log_target::file;
    } catch (const spdlog::spdlog_ex& e) {
      std::cerr << "d1drive: cannot open log " << file << ": " << e.what() << std::endl;
    }
  }
  if (!logger && stderr_is_journal()) {
    logger = spdlog::systemd_logger_mt("d1drive", "d1drive");
    target = log_target::journal;
  }
  if (!logger)
    logger = spdlog::stderr_color_mt("d1drive");
  logger->set_level(spdlog::level::from_str(cfg.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return target;
}

void reopen_log() {
  if (!log_file_sink)
    return;
  spdlog::info("reopening the log file (SIGHUP)");
  auto failure = log_file_sink->reopen();
  if (failure.empty())
    spdlog::info("log file reopened (SIGHUP)");
  else
    spdlog::error("{}; logging on to the old file", failure);
}

struct hangup_reopens_log::waiter {
  std::atomic<bool> stopping{false};
  std::thread thread;
};

hangup_reopens_log::hangup_reopens_log() : waiter_(std::make_unique<waiter>()) {
  sigset_t hangup;
  sigemptyset(&hangup);
  sigaddset(&hangup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hangup, nullptr);
  waiter_->thread = std::thread{[w = waiter_.get(), hangup] {
    int sig = 0;
    while (!w->stopping.load()) {
      if (sigwait(&hangup, &sig) == 0 && !w->stopping.load())
        reopen_log();
    }
  }};
}

hangup_reopens_log::~hangup_reopens_log() {
  waiter_->stopping = true;
  pthread_kill(waiter_->thread.native_handle(), SIGHUP);
  waiter_->thread.join();
}

void notify_service_manager(const std::string& state) {
  if (sd_notify(0, state.c_str()) < 0)
    spdlog::warn("sd_notify failed: {}", state);
}

void configure_actor_system(caf::actor_system_config& sys_cfg) {
  // 'sharing' wakes an idle worker at once; the default work-stealing policy sleeps 50 µs
  // between polls (STACK.md: 125 µs vs 15 µs for one round trip from a plain thread).
  sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  sys_cfg.set("logger.verbosity", caf::atom("quiet"));
  add_message_types(sys_cfg);
}

readiness::~readiness() {
  if (fd_ >= 0)
    ::close(fd_);
}

void readiness::report(const std::string& message) {
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

int run_detached(const std::function<int(readiness&)>& body,
                 const std::function<std::string(pid_t)>& ready_line, const std::string& log) {
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
      if (auto line = ready_line(pid); !line.empty())
        std::cout << "d1drive: " << line << std::endl;
      return exit_ok;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (message.empty())
      message = "the daemon exited before it was ready (see " + log + ")";
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
  ::_exit(body(ready));
}

}  // namespace d1
