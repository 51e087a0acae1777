// The daemon's mobile-files side and its control socket, started and stopped as one unit:
// `d1drive serve` runs only this; `d1drive mount` runs it beside the mount.
#pragma once

#include "actors/control/control_requests.hpp"
#include "actors/control/control_server.hpp"
#include "actors/control/daemon_config.hpp"
#include "actors/mobile/mobile.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <memory>

namespace d1 {

/// The control_info of a daemon started now; `mountpoint` empty for `d1drive serve`.
control_info make_control_info(const daemon_config& cfg, const std::string& mountpoint);

class control_plane {
public:
  /// Starts the mobile actors (catalogue, job manager, workers; jobs interrupted by a crash
  /// resume) and then the control socket <state_dir>/control.sock. Fails with the first
  /// problem: the catalogue's (ec::storage_error, ec::invalid_argument) or the socket's
  /// (ec::unavailable when another daemon serves this state dir, ec::io_error).
  static caf::expected<std::unique_ptr<control_plane>>
  start(caf::actor_system& sys, const daemon_config& cfg, control_info info);

  /// Closes the socket (clients are hung up on), then stops the mobile actors and waits
  /// for them. Idempotent; the destructor calls it.
  void stop();

  ~control_plane();

  const std::string& socket_path() const {
    return socket_path_;
  }

private:
  control_plane() = default;
  mobile_actors mobile_;
  bool mobile_started_ = false;
  std::unique_ptr<control_server> server_;
  std::string socket_path_;
};

}  // namespace d1
