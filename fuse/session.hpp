// One FUSE mount of d1drive: the low-level session with d1drive's operations, mounted
// read-only as type fuse.d1drive, its single-threaded loop, and a clean way out
// (request_exit from any thread or a signal, then unmount and destroy).
#pragma once

#include "fuse/kernel_timeouts.hpp"
#include "messages/interfaces.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <pthread.h>

#include <csignal>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct fuse_session;

namespace d1 {

class inode_table;
struct callback_context;

class fuse_mount {
public:
  /// The signal request_exit sends to the loop thread to interrupt its blocking read. A
  /// no-op handler (without SA_RESTART) is installed for it unless the process has one.
  static constexpr int wakeup_signal = SIGUSR2;

  /// Creates the session and mounts it at `mountpoint` (an existing directory) with
  /// fsname=d1drive, subtype=d1drive, ro, default_permissions and then `options` (each a
  /// comma-separated -o list; entry_timeout=, attr_timeout= and negative_timeout= override
  /// `timeouts`). The mount is live when this returns. Fails with ec::invalid_argument for
  /// options libfuse rejects and ec::io_error if the mount fails.
  static caf::expected<std::unique_ptr<fuse_mount>>
  create(const std::string& mountpoint, const std::vector<std::string>& options,
         fs_gateway_actor gateway, kernel_timeouts timeouts);

  /// Unmounts and destroys the session; replies arriving later are dropped. run() must
  /// have returned (or never been called).
  ~fuse_mount();

  fuse_mount(const fuse_mount&) = delete;
  fuse_mount& operator=(const fuse_mount&) = delete;

  /// Serves requests on the calling thread until request_exit, a handled signal or an
  /// external unmount. Returns 0 then, or a negative errno if reading /dev/fuse failed.
  int run();

  /// Makes run() return. Callable from any thread; from another thread than run()'s it
  /// waits (at most about one second) until the loop has left.
  void request_exit();

  /// Makes SIGINT, SIGTERM and SIGHUP end run() (whichever thread receives them) and
  /// ignores SIGPIPE, until this mount is destroyed. Fails with ec::unavailable if another
  /// mount has them installed.
  caf::error install_signal_handlers();

  /// Returns the /dev/fuse descriptor of the live mount.
  int fd() const;

  /// Returns the mountpoint given to create().
  const std::string& mountpoint() const;

  /// Returns the inode table (for status and tests).
  const inode_table& inodes() const;

private:
  fuse_mount() = default;

  static void on_exit_signal(int sig);

  std::string mountpoint_;
  std::unique_ptr<callback_context> context_;
  fuse_session* session_ = nullptr;
  bool mounted_ = false;
  bool owns_signals_ = false;

  std::atomic<bool> running_{false};
  pthread_t loop_thread_{};
  std::mutex loop_mutex_;
  std::condition_variable loop_done_;
};

}  // namespace d1
