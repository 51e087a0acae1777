// start_mobile: the one place that knows how the mobile-files actors are built.
#include "actors/mobile/mobile.hpp"

#include "actors/control/supervision.hpp"
#include "actors/mobile/beneath.hpp"
#include "actors/mobile/catalogue.hpp"
#include "actors/mobile/job_manager.hpp"
#include "actors/mobile/workers.hpp"
#include "messages/error.hpp"

#include <caf/scoped_actor.hpp>

#include <unistd.h>

namespace d1 {

host_preferences host_preferences_of(const daemon_config& cfg) {
  host_preferences out;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0)
    out.host = name;
  if (auto i = cfg.host_roots.find(out.host); i != cfg.host_roots.end())
    for (auto& root : i->second)
      if (auto r = normalize_root(root))
        out.roots.push_back(*r);
  if (auto i = cfg.host_root_maps.find(out.host); i != cfg.host_root_maps.end())
    if (auto m = root_map::make(i->second))  // validate_config refused a bad one
      out.local = std::move(*m);
  return out;
}

caf::expected<mobile_actors> start_mobile(caf::actor_system& sys, const daemon_config& cfg,
                                          std::shared_ptr<file_system> fs) {
  if (cfg.copy_workers < 1 || cfg.hash_workers < 1)
    return make_error(ec::invalid_argument, "mobile needs at least one copy and hash worker");
  auto db = catalogue_db::open(cfg.catalogue_db_dir());
  if (!db)
    return std::move(db.error());
  mobile_actors a;
  a.system = &sys;
  a.db = *db;
  a.interrupts = std::make_shared<job_interrupts>();
  auto prefs = host_preferences_of(cfg);
  // Every disk access of the workers and of the job manager's checks goes through this
  // file_system: recorded roots are opened where this host mounts them.
  worker_setup setup{map_roots(fs ? std::move(fs) : make_posix_file_system(), prefs.local),
                     cfg.direct_reads, a.interrupts};
  // A copy worker and its finisher are made together: a replaced worker gets a new one.
  // Each fails loudly (its name and message logged); the job manager replaces it.
  auto new_copier = [&sys, setup]() {
    auto finisher = spawn_loud<caf::detached>(sys, copy_finisher, setup);
    return spawn_loud<caf::detached>(sys, copy_worker, finisher, setup);
  };
  auto new_hasher = [&sys, setup]() { return spawn_loud<caf::detached>(sys, hash_worker, setup); };
  for (uint32_t i = 0; i < cfg.copy_workers; ++i)
    a.copiers.push_back(new_copier());
  for (uint32_t i = 0; i < cfg.hash_workers; ++i)
    a.hashers.push_back(new_hasher());
  a.catalogue = spawn_loud<caf::detached>(sys, catalogue, a.db, prefs);
  job_manager_config jm = cfg.jobs;
  jm.db = a.db;
  jm.prefs = prefs;
  jm.copiers = a.copiers;
  jm.hashers = a.hashers;
  jm.new_copier = new_copier;
  jm.new_hasher = new_hasher;
  jm.fs = setup.fs;
  jm.interrupts = a.interrupts;
  if (auto err = validate(jm)) {
    a.shutdown();
    return err;
  }
  a.jobs = spawn_loud<caf::detached>(sys, job_manager, jm);
  return a;
}

void mobile_actors::shutdown() {
  if (!system)
    return;
  // Workers in the middle of a batch stop after their current piece.
  if (interrupts)
    interrupts->stop_all();
  caf::scoped_actor self{*system};
  std::vector<caf::actor> order{caf::actor_cast<caf::actor>(jobs),
                                caf::actor_cast<caf::actor>(catalogue)};
  for (auto& c : copiers)
    order.push_back(caf::actor_cast<caf::actor>(c));
  for (auto& h : hashers)
    order.push_back(caf::actor_cast<caf::actor>(h));
  for (auto& h : order) {
    if (!h)
      continue;
    self->monitor(h);
    self->send_exit(h, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {}, caf::after(std::chrono::seconds(60)) >> [] {});
  }
  jobs = nullptr;
  catalogue = nullptr;
  copiers.clear();
  hashers.clear();
  db.reset();
  system = nullptr;
}

}  // namespace d1
