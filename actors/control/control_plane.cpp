// Starting and stopping the mobile actors and the control socket together, in order.
#include "actors/control/control_plane.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace d1 {

control_info make_control_info(const daemon_config& cfg, const std::string& mountpoint) {
  control_info info;
  info.state_dir = cfg.state_dir;
  info.mountpoint = mountpoint;
  if (!mountpoint.empty())
    info.base_url = cfg.base_url;
  info.started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return info;
}

caf::expected<std::unique_ptr<control_plane>>
control_plane::start(caf::actor_system& sys, const daemon_config& cfg, control_info info) {
  std::unique_ptr<control_plane> p{new control_plane};
  p->socket_path_ = control_socket_path(cfg.state_dir);
  // Refuse early, before the catalogue is opened, if another daemon serves this state dir:
  // two job managers must never run the same catalogue's jobs.
  if (auto err = clear_stale_socket(p->socket_path_))
    return err;
  auto mobile = start_mobile(sys, cfg);
  if (!mobile)
    return std::move(mobile.error());
  p->mobile_ = std::move(*mobile);
  p->mobile_started_ = true;
  control_server_config server_cfg;
  server_cfg.socket_path = p->socket_path_;
  auto handler = make_control_handler(sys, p->mobile_.catalogue, p->mobile_.jobs,
                                      std::move(info));
  auto server = control_server::start(server_cfg, std::move(handler));
  if (!server) {
    p->stop();
    return std::move(server.error());
  }
  p->server_ = std::move(*server);
  return p;
}

void control_plane::stop() {
  if (server_) {
    server_->stop();
    server_.reset();
  }
  if (mobile_started_) {
    mobile_started_ = false;
    mobile_.shutdown();
  }
}

control_plane::~control_plane() {
  stop();
}

}  // namespace d1
