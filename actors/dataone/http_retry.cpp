// Retry policy, error mapping and the delayed-call table behind retrying_http.
#include "actors/dataone/http_retry.hpp"

#include "actors/dataone/dataone_xml.hpp"
#include "messages/error.hpp"

#include <caf/message_view.hpp>
#include <caf/send.hpp>
#include <caf/sec.hpp>

#include <algorithm>

namespace d1 {

bool is_transient(const caf::error& err) {
  auto code = code_of(err);
  return code == ec::timeout || code == ec::network;
}

bool is_transient_status(uint16_t status) {
  return status >= 500 && status <= 599;
}

std::chrono::milliseconds backoff_delay(uint32_t base_delay_ms, uint32_t retry) {
  constexpr uint64_t max_ms = 60'000;
  uint64_t ms = base_delay_ms;
  for (uint32_t i = 0; i < retry && ms < max_ms; ++i)
    ms *= 2;
  return std::chrono::milliseconds(std::min(ms, max_ms));
}

std::chrono::milliseconds answer_deadline(const http_request& req) {
  // The client may queue transfers before starting them: leave it ample room.
  return std::chrono::milliseconds(2 * uint64_t{req.timeout_ms} + 5000);
}

caf::error transport_error(const caf::error& err, const http_request& req) {
  auto where = req.method + " " + req.url;
  if (err.category() == error_category) {
    auto ctx = context_of(err);
    if (ctx.find(req.url) != std::string::npos)
      return err;
    return make_error(code_of(err), where + (ctx.empty() ? "" : ": " + ctx));
  }
  if (err.category() == caf::atom("system")
      && err.code() == static_cast<uint8_t>(caf::sec::request_timeout))
    return make_error(ec::timeout, where + ": no answer from the http client within "
                                     + std::to_string(answer_deadline(req).count())
                                     + " ms");
  return make_error(ec::unavailable, where + ": the http client failed: " + describe(err));
}

caf::error status_error(const http_request& req, const http_response& resp) {
  auto where = req.method + " " + req.url + " → HTTP " + std::to_string(resp.status);
  if (auto d1err = parse_dataone_error(resp.body)) {
    auto err = to_error(*d1err);
    auto code = resp.status == 404 ? ec::not_found : code_of(err);
    return make_error(code, context_of(err) + " (" + where + ")");
  }
  return make_error(resp.status == 404 ? ec::not_found : ec::http_status, where);
}

caf::error validate_base_url(std::string_view url) {
  auto fail = [&](std::string why) {
    return make_error(ec::invalid_argument, "'" + std::string{url} + "': " + why);
  };
  bool https = url.substr(0, 8) == "https://";
  bool http = url.substr(0, 7) == "http://";
  if (!https && !http)
    return fail("not an http:// or https:// URL");
  auto rest = url.substr(https ? 8 : 7);
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos)
    return fail("credentials in the URL are not supported");
  auto host = authority;
  if (!host.empty() && host.front() == '[')
    host = host.substr(0, host.find(']') + 1);
  else
    host = host.substr(0, host.find(':'));
  if (host.empty())
    return fail("no host");
  if (http && host != "localhost" && host != "[::1]" && host.substr(0, 4) != "127.")
    return fail("plain http:// is accepted only for loopback hosts; use https://");
  return caf::none;
}

caf::error validate(const service_settings& s, const char* who) {
  auto fail = [who](const std::string& why) {
    return make_error(ec::invalid_argument, std::string{who} + " " + why);
  };
  if (auto err = validate_base_url(s.base_url))
    return fail("base_url: " + context_of(err));
  if (s.timeout_ms == 0)
    return fail("timeout_ms must be > 0");
  if (s.max_retries > 10)
    return fail("max_retries must be ≤ 10, not " + std::to_string(s.max_retries));
  if (s.retry_base_delay_ms > 60'000)
    return fail("retry_base_delay_ms must be ≤ 60000, not "
                + std::to_string(s.retry_base_delay_ms));
  return caf::none;
}

void delayed_calls::install(caf::scheduled_actor* self) {
  self->set_default_handler(
    [this](caf::scheduled_actor* s, caf::message_view& msg) -> caf::result<caf::message> {
      auto& content = msg.content();
      if (!content.match_elements<tick_atom, uint64_t>())
        return caf::print_and_drop(s, msg);
      auto i = calls_.find(content.get_as<uint64_t>(1));
      if (i == calls_.end())
        return caf::message{};
      auto f = std::move(i->second);
      calls_.erase(i);
      f();
      return caf::message{};
    });
}

void delayed_calls::call_later(caf::scheduled_actor* self, std::chrono::milliseconds delay,
                               std::function<void()> f) {
  auto id = next_id_++;
  calls_.emplace(id, std::move(f));
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self), delay, tick_atom::value, id);
}

}  // namespace d1
