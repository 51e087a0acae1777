// The catalogue actor: each handler is one catalogue_db read.
#include "actors/mobile/catalogue.hpp"

#include "messages/error.hpp"

namespace d1 {

catalogue_actor::behavior_type
catalogue(catalogue_actor::stateful_pointer<catalogue_state> self,
          std::shared_ptr<catalogue_db> db, host_preferences prefs) {
  if (!db) {
    self->quit(make_error(ec::invalid_argument, "catalogue without a database"));
    return catalogue_actor::behavior_type::make_empty_behavior();
  }
  self->state.db_ = std::move(db);
  self->state.prefs_ = std::move(prefs);
  return {
    [self](get_atom, resource_atom, const std::string& uid) -> caf::result<resource_detail> {
      auto r = self->state.db_->get_resource(uid);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](list_atom, resource_atom) -> caf::result<std::vector<resource_record>> {
      auto r = self->state.db_->list_resources();
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](history_atom, const std::string& uid) -> caf::result<std::vector<history_entry>> {
      auto r = self->state.db_->history(uid);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](journal_atom, uint64_t after,
           uint32_t limit) -> caf::result<std::vector<journal_entry>> {
      auto r = self->state.db_->journal(after, limit);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](locate_atom, const std::string& uid) -> caf::result<location_report> {
      auto r = self->state.db_->locate(uid, self->state.prefs_);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](check_atom) -> caf::result<catalogue_report> {
      auto r = self->state.db_->check();
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](list_atom, datum_atom,
           const std::string& uid) -> caf::result<std::vector<datum_detail>> {
      auto r = self->state.db_->datum_details(uid);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](get_atom, datum_atom, const std::string& id) -> caf::result<datum_detail> {
      auto r = self->state.db_->get_datum(id);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
  };
}

}  // namespace d1
