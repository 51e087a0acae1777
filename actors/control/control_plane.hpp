// The daemon's mobile-files side and its control socket, started and stopped as one unit:
// `d1drive serve` runs only this; `d1drive mount` runs it beside the mount.
#pragma once

#include "actors/control/control_requests.hpp"
#include "actors/control/control_server.hpp"
#include "actors/control/control_stage.hpp"
#include "actors/control/daemon.hpp"
#include "actors/control/daemon_config.hpp"
#include "actors/mobile/mobile.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace d1 {

/// The control_info of a daemon started now; `mountpoint` empty for `d1drive serve`.
control_info make_control_info(const daemon_config& cfg, const std::string& mountpoint);

class control_plane {
public:
  /// Checks the catalogue, starts the mobile actors (catalogue, job manager, workers; jobs
  /// interrupted by a crash resume), its rolling backups and then the control socket
  /// <state_dir>/control.sock. Fails with the first problem: the catalogue's
  /// (ec::storage_error saying what to do: `d1drive catalogue check`, `… restore`;
  /// ec::invalid_argument) or the socket's (ec::unavailable when another daemon serves
  /// this state dir, ec::io_error).
  static caf::expected<std::unique_ptr<control_plane>>
  start(caf::actor_system& sys, const daemon_config& cfg, control_info info);

  /// Closes the socket (clients are hung up on), then stops the mobile actors and waits
  /// for them. Idempotent; the destructor calls it.
  void stop();

  ~control_plane();

  /// The job manager, the catalogue and the backup actor with their names (to watch them:
  /// none of them may be restarted while workers may still be writing, so a failure stops
  /// the daemon). The workers are not listed: the job manager replaces a failed one.
  std::vector<std::pair<caf::actor, std::string>> actors() const;

  /// The handles the mount's actors use (null ones before start or after stop).
  mobile_handles handles() const;

  /// Hands the mount's current crawl guard and content cache to the control socket; the
  /// caller of daemon_supervisor sets them at start and after every restart. Until then
  /// (and under `d1drive serve`) `crawl.*` answers that there is no mount.
  void set_mount(mount_handles handles);

  const std::string& socket_path() const {
    return socket_path_;
  }

private:
  control_plane() = default;
  mobile_actors mobile_;
  bool mobile_started_ = false;
  catalogue_backup_actor backup_;
  stage_side stage_;
  std::unique_ptr<control_server> server_;
  std::shared_ptr<mount_link> mount_ = std::make_shared<mount_link>();
  std::string socket_path_;
};

}  // namespace d1
