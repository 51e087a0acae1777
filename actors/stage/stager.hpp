// stager: `d1drive stage` — a DataONE object, or a package with every member (nested
// packages recursively), written beneath a root under the names the mount shows, each file
// verified against its system-metadata checksum while it is written, with its system
// metadata beside it, then registered as a DATAONE resource of its own. See docs/stage.md.
#pragma once

#include "actors/network_config.hpp"
#include "messages/atoms.hpp"
#include "messages/dataone_types.hpp"
#include "messages/interfaces.hpp"

#include <caf/error.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

struct stage_config {
  uint32_t parallel = 4;  // objects downloaded at once ([stage] parallel)
  uint32_t timeout_ms = network_defaults.timeout_ms;  // per system-metadata or resolve call
  uint32_t max_depth = 16;        // packages nested deeper are refused
  size_t max_objects = 100000;    // objects of one stage at most
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not
/// (parallel 1 to 64, timeout_ms > 0, max_depth ≥ 1, max_objects ≥ 1).
caf::error validate(const stage_config& cfg);

struct stage_request {
  std::string pid;
  std::string root;      // an existing folder, absolute
  bool dry_run = false;  // plan only: nothing written, nothing registered
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stage_request& x) {
  return f(caf::meta::type_name("stage_request"), x.pid, x.root, x.dry_run);
}

/// What happened to one object of a stage.
struct staged_file {
  std::string pid;
  std::string format_id;
  std::string rel_path;  // beneath the root
  uint64_t size = 0;
  std::string checksum_algorithm;
  std::string checksum;
  std::string outcome;  // planned, fetched, adopted or failed
  std::string detail;   // failed: why (every replica tried); fetched: the node used
  std::string uid;      // the DATAONE resource registered (empty in a dry run)
  uint64_t job_id = 0;  // its register job (0: none queued, e.g. already registered)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, staged_file& x) {
  return f(caf::meta::type_name("staged_file"), x.pid, x.format_id, x.rel_path, x.size,
           x.checksum_algorithm, x.checksum, x.outcome, x.detail, x.uid, x.job_id);
}

struct stage_report {
  std::string pid;
  std::string root;
  std::vector<staged_file> files;  // in the order they were found (a map before its members)
  uint64_t fetched_bytes = 0;      // bytes downloaded (failed attempts included)
  std::vector<std::string> errors; // objects that could not be staged or resolved, one each
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stage_report& x) {
  return f(caf::meta::type_name("stage_report"), x.pid, x.root, x.files, x.fetched_bytes,
           x.errors);
}

/// The resource uid a staged object is registered under.
std::string staged_uid(const std::string& pid);

using stager_actor = caf::typed_actor<
  // Stages one PID (see the header's comment); replies when every object is staged or
  // failed. Failures are in the report (errors); a request that cannot start at all (root
  // not an absolute folder) is ec::invalid_argument.
  caf::replies_to<fetch_atom, stage_request>::with<stage_report>>;

/// Spawn detached (it hashes files it adopts): `sys.spawn<caf::detached>(stager, cfg,
/// nodes, jobs)`. Without `jobs` nothing is registered.
stager_actor::behavior_type stager(stager_actor::pointer self, stage_config cfg,
                                   node_client_actor nodes, job_manager_actor jobs);

}  // namespace d1
