// One FUSE mount of d1drive: the low-level session with d1drive's operations, mounted
// read-only as type fuse.d1drive, its single-threaded loop, and a clean way out
// (request_exit from any thread or a signal, then unmount and destroy).
#pragma once

#include "fuse/kernel_timeouts.hpp"
#include "messages/interfaces.hpp"
#include "messages/mount_gauges.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <pthread.h>

#include <csignal>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

  /// Keeps at most about `n` inodes (the default, 0, keeps all): while run() serves, once a
  /// second the least recently looked-up entries beyond it are invalidated in the kernel,
  /// which then forgets them, so that endless distinct names (scanners, typos) cannot grow
  /// the table, nor the kernel's caches, without bound. Call before run().
  void set_max_inodes(size_t n);

  /// How many entries the kernel was told to drop so far.
  uint64_t invalidated() const;

  /// Publishes the inode table's size there once a second while run() serves.
  void set_gauges(std::shared_ptr<mount_gauges> gauges);

  /// Sends every later request to `gateway` (a restarted set of actors). Callable from any
  /// thread; requests already sent stay with the old gateway.
  void set_gateway(fs_gateway_actor gateway);

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

  // Invalidates the entries beyond max_inodes_ once a second until run() ends.
  void trim_loop();

  size_t max_inodes_ = 0;
  std::shared_ptr<mount_gauges> gauges_;
  std::atomic<uint64_t> invalidated_{0};
  std::mutex trim_mutex_;
  std::condition_variable trim_wake_;
  bool trim_stop_ = false;

  std::atomic<bool> running_{false};
  pthread_t loop_thread_{};
  std::mutex loop_mutex_;
  std::condition_variable loop_done_;
};

}  // namespace d1
