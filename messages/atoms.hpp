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
using fields_atom = caf::atom_constant<caf::atom("fields")>;
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;
using http_done_atom = caf::atom_constant<caf::atom("httpdone")>;
using visited_atom = caf::atom_constant<caf::atom("visited")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using verified_atom = caf::atom_constant<caf::atom("verified")>;
// content_cache: what an object's bytes asked for or reached (object_stream → its cache).
using stream_atom = caf::atom_constant<caf::atom("stream")>;
// Status: an actor's report as a value (content_cache: content_report).
using report_atom = caf::atom_constant<caf::atom("report")>;

// mobile files (catalogue, job_manager, workers)
using register_atom = caf::atom_constant<caf::atom("register")>;
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using wait_atom = caf::atom_constant<caf::atom("wait")>;
using progress_atom = caf::atom_constant<caf::atom("progress")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using history_atom = caf::atom_constant<caf::atom("history")>;
using journal_atom = caf::atom_constant<caf::atom("journal")>;
using locate_atom = caf::atom_constant<caf::atom("locate")>;
using hash_atom = caf::atom_constant<caf::atom("hash")>;
using copy_batch_atom = caf::atom_constant<caf::atom("copy_batch")>;
using remove_atom = caf::atom_constant<caf::atom("remove")>;
using job_atom = caf::atom_constant<caf::atom("job")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using check_atom = caf::atom_constant<caf::atom("check")>;
using scrub_atom = caf::atom_constant<caf::atom("scrub")>;
using shift_atom = caf::atom_constant<caf::atom("shift")>;
using resource_atom = caf::atom_constant<caf::atom("resource")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using datum_atom = caf::atom_constant<caf::atom("datum")>;
// crawl_guard: may a process spend a cold query; exempt a process; forget one.
using admit_atom = caf::atom_constant<caf::atom("admit")>;
using allow_atom = caf::atom_constant<caf::atom("allow")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;

}  // namespace d1
