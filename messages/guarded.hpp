// A value one thread replaces while others read it, such as the actor handles a restart
// swaps. Readers get a copy, so none holds the lock while it uses the value.
#pragma once

#include <mutex>
#include <utility>

namespace d1 {

/// `T` behind a mutex. Safe from any thread.
template <class T>
class guarded {
public:
  guarded() = default;
  explicit guarded(T value) : value_(std::move(value)) {
  }

  /// Returns a copy of the current value.
  T get() const {
    std::lock_guard<std::mutex> lock{mtx_};
    return value_;
  }

  /// Replaces the value.
  void set(T value) {
    std::lock_guard<std::mutex> lock{mtx_};
    value_ = std::move(value);
  }

private:
  mutable std::mutex mtx_;
  T value_;
};

}  // namespace d1
