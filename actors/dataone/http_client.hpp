// The HTTP engine behind http_client_actor: one libcurl multi event loop in its own
// thread. Actor threads only queue transfers; finished ones come back as messages.
#pragma once

#include "actors/network_config.hpp"
#include "messages/atoms.hpp"
#include "messages/http_types.hpp"
#include "messages/interfaces.hpp"

#include <caf/error.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace d1 {

struct http_client_config {
  std::string ca_file;      // PEM CA bundle; empty: the system's default store
  std::string client_cert;  // PEM client certificate; empty: none
  std::string client_key;   // PEM key of client_cert; empty: the key is in client_cert
  uint32_t connect_timeout_ms = network_defaults.connect_timeout_ms;
  std::string user_agent = "d1drive/0.1";
  uint32_t max_total_connections = 16;
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const http_client_config& cfg);

/// Returns an empty error if `url` may be requested: https anywhere, plain http only to
/// loopback hosts (127.0.0.0/8, ::1, localhost). Otherwise ec::invalid_argument, e.g.
/// "plain http is only allowed for loopback hosts: <url>". Never touches the network.
caf::error check_url_policy(const std::string& url);

/// http_client_actor plus the message through which the engine thread hands a finished
/// transfer back to the actor. Internal: only the engine sends it; everyone else holds
/// an http_client_actor (this handle converts to it), so fakes need not implement it.
using http_client_engine_actor = http_client_actor::extend<
  // Internal: transfer `id` finished with a response (any HTTP status).
  caf::reacts_to<http_done_atom, uint64_t, http_response>,
  // Internal: transfer `id` failed (ec::timeout, ec::network, ec::io_error).
  caf::reacts_to<http_done_atom, uint64_t, caf::error>>;

class curl_engine;

struct http_client_state {
  static constexpr const char* name = "http_client";

  http_client_state();
  /// Stops and joins the engine thread; what is still in flight gets ec::cancelled.
  ~http_client_state();

  std::unique_ptr<curl_engine> engine_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, caf::typed_response_promise<http_response>> pending_;
};

/// Spawn with `sys.spawn(http_client, cfg)` and keep the result as an http_client_actor.
/// An invalid config, or a curl that cannot start, makes the actor quit at once with
/// that error.
http_client_engine_actor::behavior_type
http_client(http_client_engine_actor::stateful_pointer<http_client_state> self,
            http_client_config cfg);

}  // namespace d1
