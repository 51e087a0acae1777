// Starting and stopping the mobile actors and the control socket together, in order.
#include "actors/control/control_plane.hpp"

#include "actors/control/catalogue_backup.hpp"
#include "actors/control/supervision.hpp"
#include "messages/error.hpp"
#include "storage/backup.hpp"
#include "storage/lmdb_store.hpp"

#include <caf/scoped_actor.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

namespace d1 {

namespace {

// What an operator can do about a catalogue that cannot be used.
caf::error catalogue_advice(const daemon_config& cfg, const caf::error& problem) {
  auto backups = storage::list_backups(cfg.catalogue_backup_dir());
  auto text = "the catalogue " + cfg.catalogue_db_dir() + " cannot be used: "
              + context_of(problem) + ". Nothing was changed. `d1drive catalogue check "
              "--state-dir " + cfg.state_dir + "` shows what is wrong; ";
  if (backups.empty())
    text += "there is no automatic backup to restore (" + cfg.catalogue_backup_dir() + ")";
  else
    text += "`d1drive catalogue restore --state-dir " + cfg.state_dir
            + "` puts the newest automatic backup (" + backups.front().stamp
            + ") in its place, keeping the damaged one aside";
  return make_error(ec::storage_error, text);
}

caf::error check_catalogue(const daemon_config& cfg) {
  std::error_code err;
  if (!std::filesystem::exists(cfg.catalogue_db_dir(), err))
    return {};  // the first start creates it
  auto checked = storage::check_environment_dir(cfg.catalogue_db_dir(), {});
  if (!checked)
    return catalogue_advice(cfg, checked.error());
  return {};
}

}  // namespace

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
  // The catalogue is not disposable: a damaged one stops the daemon, saying what to do.
  if (auto err = check_catalogue(cfg))
    return err;
  auto mobile = start_mobile(sys, cfg);
  if (!mobile)
    return code_of(mobile.error()) == ec::storage_error ? catalogue_advice(cfg, mobile.error())
                                                        : std::move(mobile.error());
  p->mobile_ = std::move(*mobile);
  p->mobile_started_ = true;
  if (cfg.backup_every_s > 0) {
    auto* lmdb = dynamic_cast<storage::lmdb_store*>(&p->mobile_.db->store());
    if (lmdb) {
      catalogue_backup_config backup_cfg;
      backup_cfg.env = lmdb->env();
      backup_cfg.backup_root = cfg.catalogue_backup_dir();
      backup_cfg.every = std::chrono::seconds(cfg.backup_every_s);
      backup_cfg.keep = cfg.backup_keep;
      p->backup_ = spawn_loud<caf::detached>(sys, catalogue_backup, backup_cfg);
    }
  }
  auto stage = start_stage_side(sys, cfg, p->mobile_.jobs);
  if (!stage) {
    p->stop();
    return std::move(stage.error());
  }
  p->stage_ = std::move(*stage);
  control_server_config server_cfg;
  server_cfg.socket_path = p->socket_path_;
  auto handler = with_stage_requests(
    sys, make_control_handler(sys, p->mobile_.catalogue, p->mobile_.jobs, std::move(info), p->mount_),
    p->stage_.stager);
  auto server = control_server::start(server_cfg, std::move(handler));
  if (!server) {
    p->stop();
    return std::move(server.error());
  }
  p->server_ = std::move(*server);
  return p;
}

std::vector<std::pair<caf::actor, std::string>> control_plane::actors() const {
  std::vector<std::pair<caf::actor, std::string>> out;
  if (!mobile_started_)
    return out;
  auto add = [&](const auto& h, std::string name) {
    out.emplace_back(caf::actor_cast<caf::actor>(h), std::move(name));
  };
  add(mobile_.jobs, "job_manager");
  add(mobile_.catalogue, "catalogue");
  if (backup_)
    add(backup_, "catalogue_backup");
  return out;
}

mobile_handles control_plane::handles() const {
  mobile_handles out;
  if (mobile_started_) {
    out.jobs = mobile_.jobs;
    out.catalogue = mobile_.catalogue;
  }
  return out;
}

void control_plane::set_mount(mount_handles handles) {
  mount_->set(std::move(handles));
}

void control_plane::stop() {
  if (server_) {
    server_->stop();
    server_.reset();
  }
  mount_->set({});
  stage_.stop();
  if (backup_) {
    caf::scoped_actor self{backup_->home_system()};
    self->monitor(backup_);
    self->send_exit(backup_, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {},
                  caf::after(std::chrono::seconds(60)) >> [] {
                    spdlog::warn("the catalogue backup did not stop within 60 s");
                  });
    backup_ = nullptr;
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
