// The daemon's wiring diagram: the mobile half and its control socket, then (for
// `d1drive mount`) the mount's actors, each given the handles it needs; stopped in
// reverse. `d1drive serve` and `d1drive mount` both start the daemon through it.
#pragma once

#include "actors/control/control_plane.hpp"
#include "actors/control/daemon.hpp"
#include "actors/control/daemon_config.hpp"
#include "actors/control/supervision.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace d1 {

class daemon_system {
public:
  struct hooks {
    /// The mount's actors were restarted: later FUSE requests go to `gateway`.
    std::function<void(const fs_gateway_actor& gateway)> restarted;
    /// The daemon must stop and exit non-zero: a mobile actor failed (it is never
    /// restarted under running workers; jobs resume at the next start) or the mount's
    /// actors failed too often.
    std::function<void(const std::string& why)> failed;
  };

  /// Starts, in this order: the control plane (catalogue, job manager, workers, backups,
  /// the control socket), then, when `mount` is given (`d1drive mount`), the mount's actors
  /// over it with the mobile half's handles, and hands the mount's crawl guard and content
  /// cache to the control socket. Fails with the first problem (control_plane::start,
  /// start_daemon), with nothing left running.
  static caf::expected<std::unique_ptr<daemon_system>>
  start(caf::actor_system& sys, const daemon_config& cfg, control_info info,
        const daemon_state* mount, hooks h);

  /// Stops the control plane first (jobs checkpoint), then the mount's actors from
  /// fs_gateway back to http_client. Idempotent; the destructor calls it.
  void stop();

  ~daemon_system();

  /// The mount's current gateway (null without a mount).
  fs_gateway_actor gateway() const;

  const control_plane& control() const {
    return *plane_;
  }

private:
  daemon_system(caf::actor_system& sys, hooks h);
  void hand_over(const daemon_actors& mount);

  caf::actor_system& sys_;
  hooks hooks_;
  std::mutex handover_mtx_;  // a restart's handles never overtaken by older ones
  std::unique_ptr<control_plane> plane_;
  std::unique_ptr<daemon_supervisor> mount_;
  std::unique_ptr<actor_watch> mobile_watch_;
};

}  // namespace d1
