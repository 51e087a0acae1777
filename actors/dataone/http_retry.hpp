// HTTP through http_client_actor with retries, for the actors that talk to DataONE: transient
// failures (ec::timeout, ec::network, HTTP 5xx) are tried again after an exponential
// backoff that runs on the actor clock (delayed messages), so tests drive it in simulated time.
#pragma once

#include "actors/network_config.hpp"
#include "messages/atoms.hpp"
#include "messages/http_types.hpp"
#include "messages/interfaces.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/scheduled_actor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace d1 {

/// Returns whether a failed transfer may succeed when tried again: ec::timeout or ec::network.
bool is_transient(const caf::error& err);

/// Returns whether an HTTP status may change when tried again: 5xx.
bool is_transient_status(uint16_t status);

/// Returns the pause before retry number `retry` (0 for the first): base · 2^retry, at most
/// one minute.
std::chrono::milliseconds backoff_delay(uint32_t base_delay_ms, uint32_t retry);

/// Returns how long to wait for http_client's answer to `req` before giving up on the
/// client itself: a safety net well beyond req.timeout_ms, which the client enforces.
std::chrono::milliseconds answer_deadline(const http_request& req);

/// Turns the failure of a request to http_client into a d1 error that names the URL:
/// d1 errors keep their code; CAF's request timeout becomes ec::timeout; a client that
/// is gone (or any other CAF error) becomes ec::unavailable.
caf::error transport_error(const caf::error& err, const http_request& req);

/// Delayed callbacks of one actor. The actor sends itself (tick_atom, id) on the actor
/// clock; typed interfaces have no room for that message, so it arrives through the
/// actor's default handler, which install() sets. Lives in the actor's state.
class delayed_calls {
public:
  /// Sets the default handler of `self` that runs due calls (other unexpected messages
  /// are dropped as before). Call once, from the spawn function.
  void install(caf::scheduled_actor* self);

  /// Runs `f` inside the actor after `delay` (simulated time under the test scheduler).
  void call_later(caf::scheduled_actor* self, std::chrono::milliseconds delay,
                  std::function<void()> f);

private:
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, std::function<void()>> calls_;
};

/// Counts of one actor's HTTP traffic.
struct http_counters {
  uint64_t requests_sent = 0;  // transfers handed to http_client, retries included
  uint64_t retries = 0;        // of those, repeats after a transient failure
};

/// Sends HTTP requests for one actor and retries transient failures. Lives in the actor's
/// state (callbacks refer to it), so it must not move after init().
class retrying_http {
public:
  /// Called once with the final outcome: a response with any status that is not retried
  /// (the last 5xx after the retries are spent included), or the last transport error.
  using callback = std::function<void(caf::expected<http_response>)>;

  /// Prepares the sender: `max_retries` repeats at most, `base_delay_ms` first pause.
  void init(caf::scheduled_actor* self, http_client_actor http, uint32_t max_retries,
            uint32_t base_delay_ms) {
    http_ = std::move(http);
    max_retries_ = max_retries;
    base_delay_ms_ = base_delay_ms;
    timers_.install(self);
  }

  /// Sends `req` from `self` (the actor whose state holds this object).
  template <class Self>
  void send(Self* self, http_request req, callback done) {
    attempt(self, std::make_shared<const http_request>(std::move(req)),
            std::make_shared<callback>(std::move(done)), 0);
  }

  const http_counters& counters() const {
    return counters_;
  }

  /// The client itself, for requests that must not be retried.
  const http_client_actor& client() const {
    return http_;
  }

private:
  template <class Self>
  void attempt(Self* self, std::shared_ptr<const http_request> req,
               std::shared_ptr<callback> done, uint32_t retry) {
    ++counters_.requests_sent;
    auto again = [this, self, req, done, retry] {
      if (retry >= max_retries_)
        return false;
      ++counters_.retries;
      timers_.call_later(self, backoff_delay(base_delay_ms_, retry),
                         [this, self, req, done, retry] {
                           attempt(self, req, done, retry + 1);
                         });
      return true;
    };
    self->request(http_, answer_deadline(*req), *req)
      .then(
        [done, again](http_response& resp) {
          if (is_transient_status(resp.status) && again())
            return;
          (*done)(std::move(resp));
        },
        [req, done, again](caf::error& err) {
          auto e = transport_error(err, *req);
          if (is_transient(e) && again())
            return;
          (*done)(std::move(e));
        });
  }

  http_client_actor http_;
  uint32_t max_retries_ = 0;
  uint32_t base_delay_ms_ = 0;
  delayed_calls timers_;
  http_counters counters_;
};

/// Returns caf::none if `url` can be a DataONE base URL: https://host…, or http:// to a
/// loopback host (localhost, 127.x.x.x, [::1]) only; else ec::invalid_argument saying why.
caf::error validate_base_url(std::string_view url);

/// Returns caf::none if `s` is usable, else ec::invalid_argument naming `who` and the
/// field: base_url as validate_base_url, timeout_ms > 0, max_retries ≤ 10,
/// retry_base_delay_ms ≤ 60000.
caf::error validate(const service_settings& s, const char* who);

/// Returns the error for a response whose status the caller cannot use, naming URL and
/// status and, when the body is a DataONE error, its name and description. 404 (or a
/// NotFound body) is ec::not_found, every other status ec::http_status.
caf::error status_error(const http_request& req, const http_response& resp);

}  // namespace d1
