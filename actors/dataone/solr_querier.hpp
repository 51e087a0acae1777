// solr_querier: runs select queries against the CN's Solr index through http_client_actor,
// and reads the index's query engine description (its fields) once. Identical concurrent
// queries are sent once (single-flight); transient failures are retried with exponential
// backoff.
#pragma once

#include "actors/dataone/http_retry.hpp"
#include "actors/network_config.hpp"
#include "actors/single_flight.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>

#include <chrono>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace d1 {

// base_url is the CN base (select_url adds the rest); timeout_ms bounds each select.
struct solr_querier_config : service_settings {};

/// Returns caf::none if `config` is usable, else ec::invalid_argument saying which field is
/// wrong: base_url must be https:// (http:// only for loopback hosts), timeout_ms > 0,
/// max_retries ≤ 10, retry_base_delay_ms ≤ 60000.
caf::error validate(const solr_querier_config& config);

/// What the querier did since it started; for Status.
struct solr_querier_counters {
  uint64_t selects = 0;        // select and record requests received
  uint64_t requests_sent = 0;  // HTTP transfers, retries included
  uint64_t retries = 0;        // of those, repeats after a transient failure
  uint64_t coalesced = 0;      // selects that joined an identical one in flight
  uint64_t prefetched = 0;     // cursor pages asked for ahead of their caller
  uint64_t failures = 0;       // queries (not callers) that ended in an error
};

struct solr_querier_state {
  static constexpr const char* name = "solr_querier";

  /// Returns the counters, HTTP figures included.
  solr_querier_counters counters() const {
    auto out = counters_;
    out.requests_sent = http_.counters().requests_sent;
    out.retries = http_.counters().retries;
    return out;
  }

  solr_querier_config config_;
  retrying_http http_;
  // Callers waiting per select URL; the first one's request answers them all. A page
  // fetched ahead is in flight with no waiter until its caller asks.
  single_flight<std::string, caf::expected<solr_response>> flights_;
  using waiter = decltype(flights_)::waiter;
  // The query of each select in flight, as sent (its prefetch_rows: the caller's, for the
  // page after).
  std::unordered_map<std::string, solr_query> flight_queries_;
  // Pages fetched ahead that arrived before their caller asked, with when they arrived.
  static constexpr std::chrono::seconds prefetch_ttl{30};
  static constexpr size_t max_prefetched = 16;
  std::unordered_map<std::string,
                     std::pair<caf::expected<solr_response>, caf::actor_clock::time_point>>
    prefetched_;
  solr_querier_counters counters_;  // requests_sent and retries: see counters()
  // The fields of the query engine description once read (a failed read is not kept);
  // callers waiting while it is being read.
  std::optional<std::vector<query_field>> fields_;
  single_flight_one<caf::expected<std::vector<query_field>>> fields_fetch_;
};

/// Spawns the querier. With an invalid config the actor quits with that error at once.
solr_querier_actor::behavior_type
solr_querier(solr_querier_actor::stateful_pointer<solr_querier_state> self,
             solr_querier_config config, http_client_actor http);

}  // namespace d1
