// The catalogue actor: reads of the catalogue tables, for the control server, the CLI and
// Resources/. Registration and location changes go through job_manager (same catalogue_db).
#pragma once

#include "actors/mobile/catalogue_db.hpp"
#include "messages/interfaces.hpp"

#include <memory>

namespace d1 {

struct catalogue_state {
  static constexpr const char* name = "catalogue";
  std::shared_ptr<catalogue_db> db_;
  host_preferences prefs_;
};

/// Spawn with `sys.spawn<caf::detached>(catalogue, db, prefs)` (a `check` reads every record).
/// A null `db` makes the actor quit at once with ec::invalid_argument.
catalogue_actor::behavior_type
catalogue(catalogue_actor::stateful_pointer<catalogue_state> self,
          std::shared_ptr<catalogue_db> db, host_preferences prefs);

}  // namespace d1
