// node_client: reads the Coordinating Node's REST API (meta, resolve, formats, node list),
// retrying transient failures with exponential backoff, and streams ranges of object bytes
// from member nodes (one attempt each: content_cache resumes), all through http_client_actor.
#pragma once

#include "actors/dataone/http_retry.hpp"
#include "actors/network_config.hpp"
#include "actors/single_flight.hpp"
#include "messages/interfaces.hpp"

#include <caf/error.hpp>
#include <caf/typed_response_promise.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace d1 {

// timeout_ms bounds each REST call (whole transfer).
struct node_client_config : service_settings {
  uint32_t stall_ms = network_defaults.stall_ms;  // object bytes: no byte for this long fails
};

/// Returns caf::none if `config` is usable, else ec::invalid_argument saying which field is
/// wrong: base_url must be https:// (http:// only for loopback hosts), timeouts > 0,
/// max_retries ≤ 10, retry_base_delay_ms ≤ 60000.
caf::error validate(const node_client_config& config);

struct node_client_state {
  static constexpr const char* name = "node_client";

  node_client_config config_;  // base_url without trailing slashes
  retrying_http http_;
  std::optional<std::vector<object_format>> formats_;  // kept once fetched
  // Callers of `formats` while the one request for the list is in flight.
  single_flight_one<caf::expected<std::vector<object_format>>> formats_fetch_;
};

/// Spawns the client. With an invalid config the actor quits with that error at once.
node_client_actor::behavior_type
node_client(node_client_actor::stateful_pointer<node_client_state> self,
            node_client_config config, http_client_actor http);

}  // namespace d1
