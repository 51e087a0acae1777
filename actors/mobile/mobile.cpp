// start_mobile: the one place that knows how the mobile-files actors are built.
#include "actors/mobile/mobile.hpp"

#include "actors/control/supervision.hpp"
#include "actors/mobile/catalogue.hpp"
#include "actors/mobile/file_ops.hpp"
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
  return out;
}

caf::expected<mobile_actors> start_mobile(caf::actor_system& sys, const daemon_config& cfg) {
  if (cfg.copy_workers < 1 || cfg.hash_workers < 1)
    return make_error(ec::invalid_argument, "mobile needs at least one copy and hash worker");
  auto db = catalogue_db::open(cfg.catalogue_db_dir());
  if (!db)
    return std::move(db.error());
  mobile_actors a;
  a.system = &sys;
  a.db = *db;
  auto prefs = host_preferences_of(cfg);
  for (uint32_t i = 0; i < cfg.copy_workers; ++i) {
    a.finishers.push_back(spawn_loud<caf::detached>(sys, copy_finisher));
    a.copiers.push_back(
      spawn_loud<caf::detached>(sys, pipelined_copy_worker, a.finishers.back(), cfg.direct_reads));
  }
  for (uint32_t i = 0; i < cfg.hash_workers; ++i)
    a.hashers.push_back(spawn_loud<caf::detached>(sys, hash_worker, cfg.direct_reads));
  a.catalogue = spawn_loud<caf::detached>(sys, catalogue, a.db, prefs);
  job_manager_config jm;
  jm.db = a.db;
  jm.prefs = prefs;
  jm.copiers = a.copiers;
  jm.hashers = a.hashers;
  jm.copy_batch_files = cfg.copy_batch_files;
  jm.copy_batch_bytes = cfg.copy_batch_bytes;
  jm.max_active_jobs = cfg.max_active_jobs;
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
  caf::scoped_actor self{*system};
  std::vector<caf::actor> order{caf::actor_cast<caf::actor>(jobs),
                                caf::actor_cast<caf::actor>(catalogue)};
  for (auto& c : copiers)
    order.push_back(caf::actor_cast<caf::actor>(c));
  for (auto& f : finishers)
    order.push_back(caf::actor_cast<caf::actor>(f));
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
  finishers.clear();
  hashers.clear();
  db.reset();
  system = nullptr;
}

}  // namespace d1
