// The control protocol's meaning: each JSON request of the control socket becomes typed
// messages to the catalogue and the job manager, and their answers become JSON lines.
//
// Protocol (one JSON object per line each way; docs/control-protocol.md has examples):
//   request:  {"command": "resource.copy", "args": {"uid": "...", "to": "/r2"}, "wait": true}
//   progress: {"type": "progress", "job": {...}}                       (only with "wait")
//   result:   {"type": "result", "ok": true, "result": {...}}
//         or  {"type": "result", "ok": false, "error": {"code": "not_found", "message": "..."}}
// Commands: ping, status, resource.register|copy|move|remove|change-root|shift-root|
// verify|locate|history|show|list, datum.register|list|show|hash, jobs, job.get, job.wait, job.cancel,
// job.retry, journal, crawl.list|allow|forget, catalogue.check.
#pragma once

#include "actors/control/control_json.hpp"
#include "actors/control/control_parse.hpp"
#include "actors/control/control_server.hpp"
#include "messages/guarded.hpp"
#include "messages/interfaces.hpp"
#include "messages/mobile_types.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace d1 {

/// What `status` reports about the daemon itself.
struct control_info {
  std::string version = "0.1.0";
  std::string state_dir;
  std::string mountpoint;  // empty for `d1drive serve`
  std::string base_url;    // empty for `d1drive serve`
  int64_t started_ms = 0;  // ms since the epoch
};

struct control_handler_config {
  std::chrono::milliseconds request_timeout{30000};  // one message to an actor
  std::chrono::milliseconds poll_interval{200};      // job progress while waiting
};

// Error codes a client sees are d1::ec's names ("refused": removing the last verified
// copy without force_last) plus "permission_denied" (control_server: a peer of another
// user) and "verification_mismatch" (a verify that found differences).

/// The mount's actors the control socket talks to: `crawl.list|allow|forget` go to `crawl`
/// (args: {"who": PID_OR_NAME}; result {"text": ...}), and `status` reports the cached
/// objects, downloads and checksum failures of `content`. Null: no mount is running.
struct mount_handles {
  crawl_guard_actor crawl;
  content_cache_actor content;
};

/// Hands the mount's current actors to the control socket: whoever (re)spawns them sets
/// the new handles (the supervisor restarts the whole set when one fails), the connection
/// threads read them for each request. Safe from any thread.
using mount_link = guarded<mount_handles>;

/// Returns the handler that serves requests with `catalogue`, `jobs` and the mount's actors
/// that `mount` holds at the time of each request (null: no mount, as under
/// `d1drive serve`). The handler blocks its (connection) thread on a scoped actor; it never
/// runs in a CAF scheduler thread.
request_handler make_control_handler(caf::actor_system& sys, catalogue_actor catalogue,
                                     job_manager_actor jobs, control_info info,
                                     std::shared_ptr<const mount_link> mount,
                                     control_handler_config cfg = {});

}  // namespace d1
