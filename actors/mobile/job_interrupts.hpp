// Which jobs were cancelled, and whether the daemon is stopping, as the workers of this
// process see it. A worker blocked in a batch cannot read its mailbox, so it polls this
// between files and between pieces of a file; a worker on another node would receive the
// same news as a message.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>

namespace d1 {

class job_interrupts {
public:
  /// The workers stop the batches of job `id` within a file or a piece.
  void cancel(uint64_t id) {
    std::lock_guard<std::mutex> guard{mtx_};
    cancelled_.insert(id);
  }

  /// Job `id` is over and its batches answered: nothing to remember.
  void forget(uint64_t id) {
    std::lock_guard<std::mutex> guard{mtx_};
    cancelled_.erase(id);
  }

  /// The daemon stops: every batch ends after its current piece.
  void stop_all() {
    stopping_ = true;
  }

  bool stopping() const {
    return stopping_;
  }

  /// Whether a batch of job `id` should stop now.
  bool interrupted(uint64_t id) const {
    if (stopping_)
      return true;
    std::lock_guard<std::mutex> guard{mtx_};
    return cancelled_.count(id) != 0;
  }

private:
  std::atomic<bool> stopping_{false};
  mutable std::mutex mtx_;
  std::set<uint64_t> cancelled_;
};

}  // namespace d1
