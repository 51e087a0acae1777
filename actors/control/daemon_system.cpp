// Starting the daemon's halves in dependency order and stopping them in reverse.
#include "actors/control/daemon_system.hpp"

#include "messages/error.hpp"

#include <ctime>

namespace d1 {

daemon_system::daemon_system(caf::actor_system& sys, hooks h)
  : sys_(sys), hooks_(std::move(h)) {
}

caf::expected<std::unique_ptr<daemon_system>>
daemon_system::start(caf::actor_system& sys, const daemon_config& cfg, control_info info,
                     const daemon_state* mount, hooks h) {
  std::unique_ptr<daemon_system> d{new daemon_system(sys, std::move(h))};
  auto failed = [p = d.get()](const std::string& why) {
    if (p->hooks_.failed)
      p->hooks_.failed(why);
  };

  // 1. The mobile half and its control socket.
  auto plane = control_plane::start(sys, cfg, std::move(info));
  if (!plane)
    return std::move(plane.error());
  d->plane_ = std::move(*plane);

  // 2. The mount's actors, with the mobile half's handles (kept across their restarts).
  if (mount) {
    auto mount_state = *mount;
    mount_state.mobile = d->plane_->handles();
    mount_state.mount_time = static_cast<int64_t>(::time(nullptr));
    daemon_supervisor::hooks mount_hooks;
    mount_hooks.restarted = [p = d.get()](const daemon_actors& fresh) {
      p->hand_over(fresh);
      if (p->hooks_.restarted)
        p->hooks_.restarted(fresh.gateway);
    };
    mount_hooks.give_up = failed;
    auto supervisor = daemon_supervisor::start(sys, cfg, std::move(mount_state), mount_hooks);
    if (!supervisor) {
      d->plane_->stop();
      return std::move(supervisor.error());
    }
    d->mount_ = std::move(*supervisor);
    // 3. The mount's actors the control socket talks to (again after each restart).
    std::lock_guard<std::mutex> guard{d->handover_mtx_};
    auto current = d->mount_->actors();
    d->plane_->set_mount({current.crawl, current.content});
  }

  // A mobile actor is never restarted under running workers: the daemon stops.
  d->mobile_watch_ = std::make_unique<actor_watch>(
    sys, [failed](const std::string& name, const caf::error& reason) {
      failed(name + " failed: " + describe(reason));
    });
  for (auto& [actor, name] : d->plane_->actors())
    d->mobile_watch_->watch(actor, name);
  return d;
}

void daemon_system::hand_over(const daemon_actors& mount) {
  std::lock_guard<std::mutex> guard{handover_mtx_};
  plane_->set_mount({mount.crawl, mount.content});
}

fs_gateway_actor daemon_system::gateway() const {
  return mount_ ? mount_->actors().gateway : fs_gateway_actor{};
}

void daemon_system::stop() {
  if (mobile_watch_)
    mobile_watch_->clear();
  if (plane_)
    plane_->stop();
  if (mount_)
    mount_->shutdown();
}

daemon_system::~daemon_system() {
  stop();
  mount_.reset();  // its hooks reach this object: gone before the rest of it
  mobile_watch_.reset();
}

}  // namespace d1
