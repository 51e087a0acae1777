// Every atom d1drive's messages use. Atoms are at most 10 characters (CAF 0.17).
#pragma once

#include <caf/atom.hpp>

namespace d1 {

using get_attr_atom = caf::atom_constant<caf::atom("getattr")>;
using get_dir_atom = caf::atom_constant<caf::atom("getdir")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using open_atom = caf::atom_constant<caf::atom("open")>;
using opendir_atom = caf::atom_constant<caf::atom("opendir")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using put_atom = caf::atom_constant<caf::atom("put")>;
using erase_atom = caf::atom_constant<caf::atom("erase")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using meta_atom = caf::atom_constant<caf::atom("meta")>;
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;
using formats_atom = caf::atom_constant<caf::atom("formats")>;
using nodes_atom = caf::atom_constant<caf::atom("nodes")>;
using select_atom = caf::atom_constant<caf::atom("select")>;
using record_atom = caf::atom_constant<caf::atom("record")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using http_done_atom = caf::atom_constant<caf::atom("httpdone")>;
using visited_atom = caf::atom_constant<caf::atom("visited")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using verified_atom = caf::atom_constant<caf::atom("verified")>;

}  // namespace d1
