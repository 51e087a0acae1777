// `stage` on the control socket, and the DataONE fetch side it needs (an HTTP client and a
// node client of the daemon's own, for `serve` as for `mount`). The request
//   {"command": "stage", "args": {"pid": PID, "to": ROOT, "dry_run": false}}
// answers once every object is staged or failed:
//   {"type": "result", "ok": true, "result": {"pid", "root", "files": [...], ...}}
// or ok false with the error "stage_incomplete" and the same result (which objects
// failed and why). See docs/stage.md.
#pragma once

#include "actors/control/control_server.hpp"
#include "actors/control/daemon_config.hpp"
#include "actors/stage/stager.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace d1 {

/// The actors of the stage side, stopped in reverse.
struct stage_side {
  http_client_actor http;
  node_client_actor nodes;
  stager_actor stager;

  /// Stops them (idempotent).
  void stop();
};

/// Starts the stage side over `jobs` (which registers what is staged). ec::invalid_argument
/// for an unusable config.
caf::expected<stage_side> start_stage_side(caf::actor_system& sys, const daemon_config& cfg,
                                           job_manager_actor jobs);

/// Parses the arguments of a `stage` request; ec::invalid_argument names the problem.
caf::expected<stage_request> parse_stage_args(const nlohmann::json& args);

/// The JSON view of a stage's report.
nlohmann::json to_json(const stage_report& r);

/// A handler that answers `stage` requests with `stager` and hands every other to `inner`.
request_handler with_stage_requests(caf::actor_system& sys, request_handler inner,
                                    stager_actor stager);

}  // namespace d1
