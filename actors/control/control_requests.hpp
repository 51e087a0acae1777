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

#include "actors/control/control_server.hpp"
#include "messages/interfaces.hpp"
#include "messages/mobile_types.hpp"

#include <caf/actor_system.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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
class mount_link {
public:
  mount_handles get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return handles_;
  }
  void set(mount_handles handles) {
    std::lock_guard<std::mutex> guard{mtx_};
    handles_ = std::move(handles);
  }

private:
  mutable std::mutex mtx_;
  mount_handles handles_;
};

/// One request of the control protocol, its command known and its arguments checked.
struct control_request {
  std::string command;  // one of control_commands()
  bool wait = false;    // follow the job to its end
  job_request job;      // resource.register|copy|move|remove|change-root|verify, datum.hash
  std::string uid;      // resource.locate|show|history|shift-root, datum.list
  datum_registration datums;  // datum.register: one datum (kwargs), or points 0…N-1
  std::string datum_id;       // datum.show
  int32_t by = 0;       // resource.shift-root: components moved into (> 0) or out of the root
  uint64_t id = 0;      // job.get|wait|cancel
  uint64_t limit = 0;   // journal: only the last `limit` entries (0: all)
  uint64_t after = 0;   // journal: entries after this sequence number
  std::string who;      // crawl.allow|forget: a pid or a process name
};

/// Parses one request (a JSON object). Returns ec::invalid_argument naming the problem:
/// not a JSON object, no or an unknown command, a missing, mistyped, too long or
/// NUL-holding argument, a number out of range.
caf::expected<control_request> parse_control_request(const nlohmann::json& request);

/// As parse_control_request, from the line that holds the request.
caf::expected<control_request> parse_control_line(std::string_view line);

/// The result line of `catalogue.check` for `report`: ok, or the error
/// "catalogue_inconsistent" with the report (the command line builds the same line when it
/// checks a catalogue no daemon has open).
nlohmann::json catalogue_check_line(const catalogue_report& report);

/// The commands of the protocol.
const std::vector<std::string>& control_commands();

/// Returns the handler that serves requests with `catalogue`, `jobs` and the mount's actors
/// that `mount` holds at the time of each request (null: no mount, as under
/// `d1drive serve`). The handler blocks its (connection) thread on a scoped actor; it never
/// runs in a CAF scheduler thread.
request_handler make_control_handler(caf::actor_system& sys, catalogue_actor catalogue,
                                     job_manager_actor jobs, control_info info,
                                     std::shared_ptr<const mount_link> mount,
                                     control_handler_config cfg = {});

/// JSON views of the mobile records, as the protocol and `--json` show them.
nlohmann::json to_json(const job_record& x);
nlohmann::json to_json(const resource_detail& x);
nlohmann::json to_json(const location_report& x);
nlohmann::json to_json(const history_entry& x);
nlohmann::json to_json(const journal_entry& x);
nlohmann::json to_json(const plan_step& x);
nlohmann::json to_json(const datum_detail& x);

}  // namespace d1
