// The mount's life: session → mount → loop → unmount → destroy (libfuse's own ladder).
// The loop thread blocks in read(/dev/fuse); leaving it needs the exit flag plus a signal
// to that thread, because a process signal usually lands on another (CAF) thread.
#include "fuse/session.hpp"

#include "fuse/callbacks.hpp"
#include "messages/error.hpp"

#include <cerrno>
#include <chrono>
#include <iterator>
#include <thread>

namespace d1 {

namespace {

std::atomic<fuse_mount*> signal_owner{nullptr};
constexpr int exit_signals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction saved_exit_actions[3];
struct sigaction saved_pipe_action;

void on_wakeup(int) {
  // Only interrupts the loop thread's read; the exit flag is already set.
}

void install_wakeup_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    sigaction(fuse_mount::wakeup_signal, nullptr, &old);
    if ((old.sa_flags & SA_SIGINFO) == 0 && old.sa_handler == SIG_DFL) {
      struct sigaction sa {};
      sa.sa_handler = on_wakeup;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = 0;  // no SA_RESTART: read() must return EINTR
      sigaction(fuse_mount::wakeup_signal, &sa, nullptr);
    }
  });
}

}  // namespace

caf::expected<std::unique_ptr<fuse_mount>>
fuse_mount::create(const std::string& mountpoint, const std::vector<std::string>& options,
                   fs_gateway_actor gateway, kernel_timeouts timeouts) {
  install_wakeup_handler();
  auto rest = take_timeout_options(options, timeouts);
  if (!rest)
    return std::move(rest.error());
  // No default_permissions: every entry is 0444/0555 on a read-only mount, so the kernel's
  // permission checks add nothing but a second GETATTR per stat when attributes are not
  // cached (tools/bench/getattr.sh measures it: half the rate). Writes are EROFS anyway.
  std::string opts = "fsname=d1drive,subtype=d1drive,ro";
  if (!rest->empty())
    opts += "," + *rest;
  std::unique_ptr<fuse_mount> mount{new fuse_mount};
  mount->mountpoint_ = mountpoint;
  mount->context_ = std::make_unique<callback_context>(
    std::move(gateway), std::make_shared<reply_context>(timeouts));
  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  for (const char* arg : {"d1drive", "-o", opts.c_str()}) {
    if (fuse_opt_add_arg(&args, arg) != 0) {
      fuse_opt_free_args(&args);
      return make_error(ec::unspecified, "out of memory building FUSE arguments");
    }
  }
  auto ops = make_operations();
  mount->session_ = fuse_session_new(&args, &ops, sizeof(ops), mount->context_.get());
  fuse_opt_free_args(&args);
  if (mount->session_ == nullptr)
    return make_error(ec::invalid_argument,
                      "libfuse rejected the mount options \"" + opts + "\"");
  if (fuse_session_mount(mount->session_, mountpoint.c_str()) != 0)
    return make_error(ec::io_error, "cannot mount at " + mountpoint
                                      + " (is it an existing directory, and may we mount?)");
  mount->mounted_ = true;
  return mount;
}

fuse_mount::~fuse_mount() {
  if (owns_signals_) {
    for (size_t i = 0; i < std::size(exit_signals); ++i)
      sigaction(exit_signals[i], &saved_exit_actions[i], nullptr);
    sigaction(SIGPIPE, &saved_pipe_action, nullptr);
    signal_owner.store(nullptr);
  }
  if (context_)
    context_->replies->close_session();
  if (session_ != nullptr) {
    if (mounted_)
      fuse_session_unmount(session_);
    fuse_session_destroy(session_);
  }
}

int fuse_mount::run() {
  {
    std::lock_guard lock{loop_mutex_};
    loop_thread_ = pthread_self();
    running_ = true;
  }
  // Not on the loop thread: an invalidation waits for requests in the same folder, which
  // that thread may be about to serve.
  std::thread trimmer;
  if (max_inodes_ > 0 || gauges_) {
    trim_stop_ = false;
    trimmer = std::thread{[this] { trim_loop(); }};
  }
  int result = fuse_session_loop(session_);
  if (trimmer.joinable()) {
    {
      std::lock_guard lock{trim_mutex_};
      trim_stop_ = true;
    }
    trim_wake_.notify_all();
    trimmer.join();
  }
  {
    std::lock_guard lock{loop_mutex_};
    running_ = false;
  }
  loop_done_.notify_all();
  return result;
}

void fuse_mount::trim_loop() {
  // Room below the limit, so that one sweep lasts a while.
  auto keep = max_inodes_ - max_inodes_ / 10;
  std::unique_lock lock{trim_mutex_};
  while (!trim_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return trim_stop_; })) {
    lock.unlock();
    auto& inodes = context_->replies->inodes;
    if (max_inodes_ > 0 && inodes.size() > max_inodes_) {
      for (auto& e : inodes.excess(keep)) {
        if (fuse_session_exited(session_))
          break;
        fuse_lowlevel_notify_inval_entry(session_, e.parent, e.name.c_str(), e.name.size());
        ++invalidated_;
      }
    }
    if (gauges_) {
      gauges_->inodes = inodes.size();
      gauges_->inode_bytes = inodes.memory_bytes();
      gauges_->invalidated = invalidated_.load();
    }
    lock.lock();
  }
}

void fuse_mount::set_max_inodes(size_t n) {
  max_inodes_ = n;
}

void fuse_mount::set_gauges(std::shared_ptr<mount_gauges> gauges) {
  gauges_ = std::move(gauges);
}

uint64_t fuse_mount::invalidated() const {
  return invalidated_.load();
}

void fuse_mount::request_exit() {
  fuse_session_exit(session_);
  std::unique_lock lock{loop_mutex_};
  if (!running_ || pthread_equal(loop_thread_, pthread_self()))
    return;
  // The signal can land just before the loop enters read(): repeat until it has left.
  for (int attempt = 0; attempt < 100 && running_; ++attempt) {
    pthread_kill(loop_thread_, wakeup_signal);
    loop_done_.wait_for(lock, std::chrono::milliseconds(10), [this] { return !running_; });
  }
}

void fuse_mount::on_exit_signal(int) {
  int saved_errno = errno;
  if (auto* mount = signal_owner.load()) {
    fuse_session_exit(mount->session_);
    if (mount->running_.load() && !pthread_equal(pthread_self(), mount->loop_thread_))
      pthread_kill(mount->loop_thread_, wakeup_signal);
  }
  errno = saved_errno;
}

caf::error fuse_mount::install_signal_handlers() {
  fuse_mount* none = nullptr;
  if (!signal_owner.compare_exchange_strong(none, this))
    return make_error(ec::unavailable, "another mount already handles the exit signals");
  struct sigaction sa {};
  sa.sa_handler = on_exit_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (size_t i = 0; i < std::size(exit_signals); ++i)
    sigaction(exit_signals[i], &sa, &saved_exit_actions[i]);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &saved_pipe_action);
  owns_signals_ = true;
  return {};
}

int fuse_mount::fd() const {
  return fuse_session_fd(session_);
}

void fuse_mount::set_gateway(fs_gateway_actor gateway) {
  context_->set_gateway(std::move(gateway));
}

const std::string& fuse_mount::mountpoint() const {
  return mountpoint_;
}

const inode_table& fuse_mount::inodes() const {
  return context_->replies->inodes;
}

}  // namespace d1
