// [network]: the bounds every request to DataONE shares. The daemon copies them into each
// actor's own config (daemon.cpp, mount_configs_of); the actors' configs take their
// defaults from here, so an actor spawned alone behaves as one the daemon spawned.
#pragma once

#include <cstdint>
#include <string>

namespace d1 {

/// The Coordinating Node d1drive reads unless told otherwise (`base_url`, `--base-url`).
constexpr const char* default_base_url = "https://cn.dataone.org/cn";

struct network_config {
  uint32_t timeout_ms = 15000;            // one metadata/Solr request; a user-facing bound
  uint32_t download_timeout_ms = 600000;  // no longer used (object bytes: stall_ms)
  uint32_t stall_ms = 30000;              // object bytes: no byte for this long → resume
  uint32_t connect_timeout_ms = 10000;    // TCP and TLS handshake
  uint32_t max_retries = 2;               // transient failures (5xx, reset, timeout)
  uint32_t retry_base_delay_ms = 200;     // first backoff; doubles per retry
};

/// The defaults above, for the actors' config structs to start from.
inline constexpr network_config network_defaults{};

/// What each client of a DataONE service (node_client, solr_querier) takes from [network]:
/// where the service is, how long one request may take, how often and how soon to retry.
/// Their configs share it, so the daemon fills both from one value.
struct service_settings {
  std::string base_url = default_base_url;  // the CN base, without /v2
  uint32_t timeout_ms = network_defaults.timeout_ms;  // per request (whole transfer)
  uint32_t max_retries = network_defaults.max_retries;  // repeats after a transient failure
  uint32_t retry_base_delay_ms = network_defaults.retry_base_delay_ms;  // doubles per retry
};

/// The settings for `base_url` with the bounds of `net`.
inline service_settings service_settings_of(std::string base_url, const network_config& net) {
  return {std::move(base_url), net.timeout_ms, net.max_retries, net.retry_base_delay_ms};
}

}  // namespace d1
