// PreconfiguredSearch: the names are escaped like PIDs; everything below a name is faceted
// search over the name's filter queries.
#include "actors/resolve/preconfigured_search.hpp"

#include "messages/error.hpp"
#include "messages/node_attrs.hpp"
#include "messages/path_codec.hpp"

#include <set>

namespace d1 {

namespace {

// The set changes only with the config, but cheaply.
node_info folder_attr() {
  return folder_attr(cache_class::search);
}

const named_search* find(const preconfigured_search_state& st, const std::string& segment) {
  for (auto& s : st.searches)
    if (shorten_segment(escape_segment(s.name)) == segment)
      return &s;
  return nullptr;
}

}  // namespace

caf::error validate(const std::vector<named_search>& searches) {
  std::set<std::string> names;
  for (auto& s : searches) {
    if (s.name.empty())
      return make_error(ec::invalid_argument, "a preconfigured search has an empty name");
    if (!names.insert(s.name).second)
      return make_error(ec::invalid_argument,
                        "two preconfigured searches are named '" + s.name + "'");
    if (s.fq.empty())
      return make_error(ec::invalid_argument,
                        "preconfigured search '" + s.name + "' has no fq");
    for (auto& q : s.fq)
      if (q.empty())
        return make_error(ec::invalid_argument,
                          "preconfigured search '" + s.name + "' has an empty fq");
  }
  return caf::none;
}

resolver_actor::behavior_type
preconfigured_search(resolver_actor::stateful_pointer<preconfigured_search_state> self,
                     std::vector<named_search> searches, faceted_search_actor faceted) {
  if (auto err = validate(searches)) {
    self->quit(err);
    return resolver_actor::behavior_type::make_empty_behavior();
  }
  self->state.searches = std::move(searches);
  self->state.faceted = std::move(faceted);
  return {
    [self](get_attr_atom, const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0)
        return folder_attr();
      auto s = find(self->state, req.current());
      if (!s)
        return make_error(ec::not_found, "no preconfigured search '" + req.current() + "'");
      return self->delegate(self->state.faceted, get_attr_atom::value, s->fq, req.next());
    },
    [self](get_dir_atom, const resolve_request& req) -> caf::result<listing> {
      if (req.remaining() == 0) {
        listing out;
        out.cache = cache_class::search;
        for (auto& s : self->state.searches)
          out.entries.push_back(
            dir_entry{shorten_segment(escape_segment(s.name)), folder_attr()});
        return out;
      }
      auto s = find(self->state, req.current());
      if (!s)
        return make_error(ec::not_found, "no preconfigured search '" + req.current() + "'");
      return self->delegate(self->state.faceted, get_dir_atom::value, s->fq, req.next());
    },
  };
}

}  // namespace d1
