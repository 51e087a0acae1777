// The root resolver: lists the top-level folders and delegates below them.
#include "actors/resolve/root.hpp"

#include "messages/error.hpp"
#include "messages/node_attrs.hpp"

namespace d1 {

namespace {

constexpr const char* flat_space_name = "FlatSpace";

node_info top_folder_attr() {
  return folder_attr(cache_class::immutable);
}

}  // namespace

resolver_actor::behavior_type root(resolver_actor::stateful_pointer<root_state> self,
                                   resolver_actor flat_space) {
  return root_with(self, std::move(flat_space), {});
}

resolver_actor::behavior_type root_with(resolver_actor::stateful_pointer<root_state> self,
                                        resolver_actor flat_space,
                                        std::vector<top_folder> more) {
  self->state.flat_space = std::move(flat_space);
  for (auto& f : more)
    if (f.resolver)
      self->state.more.push_back(std::move(f));
  auto owner = [self](const std::string& name) -> resolver_actor {
    for (auto& f : self->state.more)
      if (f.name == name)
        return f.resolver;
    return {};
  };
  return {
    [=](get_attr_atom, const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0) {
        auto info = top_folder_attr();
        info.cache = cache_class::live;  // the set of folders grows with new versions
        return info;
      }
      if (req.current() == flat_space_name)
        return self->delegate(self->state.flat_space, get_attr_atom::value, req.next());
      if (auto r = owner(req.current()))
        return self->delegate(r, get_attr_atom::value, req.next());
      return make_error(ec::not_found, "no top-level folder '" + req.current() + "'");
    },
    [=](get_dir_atom, const resolve_request& req) -> caf::result<listing> {
      if (req.remaining() == 0) {
        listing out;
        out.cache = cache_class::live;
        out.entries.push_back(dir_entry{flat_space_name, top_folder_attr()});
        for (auto& f : self->state.more)
          out.entries.push_back(dir_entry{f.name, top_folder_attr()});
        return out;
      }
      if (req.current() == flat_space_name)
        return self->delegate(self->state.flat_space, get_dir_atom::value, req.next());
      if (auto r = owner(req.current()))
        return self->delegate(r, get_dir_atom::value, req.next());
      return make_error(ec::not_found, "no top-level folder '" + req.current() + "'");
    },
  };
}

}  // namespace d1
