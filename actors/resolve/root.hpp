// The top of the mount: a fixed set of folders, each owned by its own resolver actor.
// Unknown top-level names are ENOENT (the set is fixed; error folders are for queries).
#pragma once

#include "messages/interfaces.hpp"

namespace d1 {

struct root_state {
  static constexpr const char* name = "root";
  resolver_actor flat_space;
};

/// Resolves "/" and hands "/FlatSpace/…" to `flat_space`.
resolver_actor::behavior_type root(resolver_actor::stateful_pointer<root_state> self,
                                   resolver_actor flat_space);

}  // namespace d1
