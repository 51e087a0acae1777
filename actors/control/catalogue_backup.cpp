// The backup actor: one copy per tick, the next tick delayed by the interval.
#include "actors/control/catalogue_backup.hpp"

#include "messages/error.hpp"
#include "storage/backup.hpp"

#include <spdlog/spdlog.h>

#include <ctime>

namespace d1 {

namespace {

// Seconds since the newest backup was made (its stamp is its UTC time); huge if none.
int64_t age_of_newest(const std::string& backup_root) {
  auto all = storage::list_backups(backup_root);
  if (all.empty())
    return INT64_MAX;
  std::tm tm{};
  if (!strptime(all.front().stamp.c_str(), "%Y%m%dT%H%M%SZ", &tm))
    return INT64_MAX;
  return static_cast<int64_t>(std::time(nullptr) - timegm(&tm));
}

}  // namespace

caf::error validate(const catalogue_backup_config& cfg) {
  if (!cfg.env)
    return make_error(ec::invalid_argument, "catalogue backup: no environment");
  if (cfg.backup_root.empty())
    return make_error(ec::invalid_argument, "catalogue backup: no backup folder");
  if (cfg.every.count() <= 0 || cfg.keep == 0)
    return make_error(ec::invalid_argument,
                      "catalogue backup: mobile.backup_every must be > 0 and backup_keep ≥ 1");
  return {};
}

catalogue_backup_actor::behavior_type
catalogue_backup(catalogue_backup_actor::stateful_pointer<catalogue_backup_state> self,
                 catalogue_backup_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(std::move(err));
    return catalogue_backup_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  auto& c = self->state.cfg;
  auto age = age_of_newest(c.backup_root);
  if (age >= c.every.count())
    self->send(self, tick_atom::value);
  else
    self->delayed_send(self, c.every - std::chrono::seconds(age), tick_atom::value);
  return {
    [self](tick_atom) {
      auto& st = self->state;
      auto made = storage::backup_environment(*st.cfg.env, st.cfg.backup_root, st.cfg.keep);
      if (made) {
        ++st.made;
        spdlog::info("catalogue backed up to {} ({} bytes)", made->dir, made->bytes);
      } else {
        ++st.failed;
        spdlog::error("catalogue backup failed (retried in {} s): {}", st.cfg.every.count(),
                      describe(made.error()));
      }
      self->delayed_send(self, st.cfg.every, tick_atom::value);
    },
  };
}

}  // namespace d1
