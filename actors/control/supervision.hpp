// Actors that fail loudly: every long-lived actor of the daemon is spawned with an exception
// handler that logs the actor's name and the message it was handling, and an actor_watch
// tells its owner about every actor that stops for any reason but an orderly shutdown, so
// the owner restarts it or stops the daemon with a non-zero exit (docs/hardening.md).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/spawn_options.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace d1 {

/// Thrown by check_invariant: a state an actor must never reach. The actor stops (loudly).
class invariant_violation : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

/// Throws invariant_violation(`what`) unless `holds`.
inline void check_invariant(bool holds, const char* what) {
  if (!holds)
    throw invariant_violation(what);
}

/// Makes an exception in any handler of `self` stop it with an error (ec::actor_failed,
/// "<name> failed on <message>: <what>") after logging the same at error level; the
/// message is shown cut to a few hundred bytes. A request being handled is answered with
/// that error.
void fail_loudly(caf::scheduled_actor* self);

/// Spawns `fn` (an actor function) with `xs` as sys.spawn<Os>(fn, xs...) does, with
/// fail_loudly installed before `fn` builds its behaviour.
template <caf::spawn_options Os = caf::no_spawn_options, class Behavior, class Self,
          class... Params, class... Ts>
auto spawn_loud(caf::actor_system& sys, Behavior (*fn)(Self, Params...), Ts&&... xs) {
  return sys.spawn<Os>(
    [fn](Self self, Params... ps) -> Behavior {
      fail_loudly(self);
      return fn(self, std::move(ps)...);
    },
    std::forward<Ts>(xs)...);
}

/// True for the exit reason of an orderly stop (user_shutdown): the daemon's actors run
/// until told to stop, so any other reason, "normal" included, is a failure.
bool is_orderly_exit(const caf::error& reason);

/// Watches actors and reports each one that stops with another reason than an orderly
/// one. Reports arrive on the watch's own (detached) actor thread, one at a time.
class actor_watch {
public:
  using failure_fn = std::function<void(const std::string& name, const caf::error& reason)>;

  actor_watch(caf::actor_system& sys, failure_fn on_failure);
  /// Stops the watch, waiting until a report in progress has returned.
  ~actor_watch();
  actor_watch(const actor_watch&) = delete;
  actor_watch& operator=(const actor_watch&) = delete;

  /// Starts watching `who` under `name` (an actor that is already gone is reported).
  void watch(const caf::actor& who, std::string name);

  /// Stops watching everything (before an orderly shutdown of the watched actors).
  void clear();

private:
  caf::actor_system& sys_;
  caf::actor watcher_;
};

}  // namespace d1
