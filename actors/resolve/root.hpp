// The top of the mount: a fixed set of folders, each owned by its own resolver actor.
// Unknown top-level names are ENOENT (the set is fixed; error folders are for queries).
#pragma once

#include "messages/interfaces.hpp"

#include <string>
#include <vector>

namespace d1 {

/// A top-level folder beside FlatSpace and the resolver that owns everything below it.
struct top_folder {
  std::string name;
  resolver_actor resolver;
};

struct root_state {
  static constexpr const char* name = "root";
  resolver_actor flat_space;
  std::vector<top_folder> more;  // listed after FlatSpace, in this order
};

/// Resolves "/" and hands "/FlatSpace/…" to `flat_space`.
resolver_actor::behavior_type root(resolver_actor::stateful_pointer<root_state> self,
                                   resolver_actor flat_space);

/// As root, with `more` top-level folders (FacetedSearch, PreconfiguredSearch, Status, …)
/// listed after FlatSpace in the given order; entries with a null resolver are left out.
resolver_actor::behavior_type root_with(resolver_actor::stateful_pointer<root_state> self,
                                        resolver_actor flat_space,
                                        std::vector<top_folder> more);

}  // namespace d1
