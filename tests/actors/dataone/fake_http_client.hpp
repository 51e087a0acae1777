// A fake http_client for deterministic actor tests: answers from a script of URL → replies
// (responses, ec::timeout / ec::network errors, delays in simulated time) and records every
// request it saw. Bodies for requests with output_path go to that (real) file, bodies of
// requests with a body_sink through it, as the real client does.
#pragma once

#include "messages/atoms.hpp"
#include "messages/error.hpp"
#include "messages/http_types.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace d1::test {

struct fake_reply {
  caf::expected<http_response> outcome{http_response{}};
  std::chrono::milliseconds delay{0};
};

/// What the fake answers and what it was asked. Replies for a URL are used in order; the
/// last one keeps answering. Unknown URLs get HTTP 404 with an empty body.
struct fake_http_script {
  std::map<std::string, std::deque<fake_reply>> replies;
  std::vector<http_request> seen;

  void respond(const std::string& url, uint16_t status, std::string body,
               std::chrono::milliseconds delay = std::chrono::milliseconds{0},
               std::vector<http_header> headers = {}) {
    http_response resp;
    resp.status = status;
    resp.headers = std::move(headers);
    resp.body_bytes = body.size();
    resp.body = std::move(body);
    resp.effective_url = url;
    replies[url].push_back(fake_reply{std::move(resp), delay});
  }

  void fail(const std::string& url, ec code,
            std::chrono::milliseconds delay = std::chrono::milliseconds{0}) {
    replies[url].push_back(
      fake_reply{caf::expected<http_response>{make_error(code, "fake " + url)}, delay});
  }

  /// Returns how many requests for `url` arrived.
  size_t count(const std::string& url) const {
    size_t n = 0;
    for (auto& r : seen)
      n += r.url == url ? 1 : 0;
    return n;
  }

  fake_reply next(const std::string& url) {
    auto i = replies.find(url);
    if (i == replies.end() || i->second.empty()) {
      http_response resp;
      resp.status = 404;
      return fake_reply{resp, std::chrono::milliseconds{0}};
    }
    auto reply = i->second.front();
    if (i->second.size() > 1)
      i->second.pop_front();
    return reply;
  }
};

struct fake_http_state {
  static constexpr const char* name = "fake_http";
  uint64_t next_id = 0;
  std::map<uint64_t, std::pair<caf::typed_response_promise<http_response>,
                               caf::expected<http_response>>>
    delayed;
};

/// Writes the body to output_path if the request asks for that, as the real client does.
inline caf::expected<http_response> finish(const http_request& req,
                                           caf::expected<http_response> outcome) {
  if (outcome && req.sink) {
    switch (req.sink->headers_done(outcome->status, outcome->headers)) {
      case body_sink::decision::abort:
        return req.sink->failure();
      case body_sink::decision::keep_in_memory:
        return outcome;
      case body_sink::decision::accept:
        break;
    }
    auto body = std::move(outcome->body);
    outcome->body.clear();
    if (!req.sink->write(body.data(), body.size()) && req.sink->failure())
      return req.sink->failure();
    outcome->body_bytes = body.size();
    return outcome;
  }
  if (outcome && !req.output_path.empty()) {
    std::ofstream out(req.output_path, std::ios::binary | std::ios::trunc);
    out << outcome->body;
    if (!out)
      return make_error(ec::io_error, "fake: cannot write " + req.output_path);
    outcome->body_bytes = outcome->body.size();
    outcome->body.clear();
  }
  return outcome;
}

inline caf::behavior fake_http(caf::stateful_actor<fake_http_state>* self,
                               std::shared_ptr<fake_http_script> script) {
  return {
    [self, script](const http_request& req) -> caf::result<http_response> {
      script->seen.push_back(req);
      auto reply = script->next(req.url);
      if (reply.delay.count() == 0)
        return finish(req, std::move(reply.outcome));
      auto rp = self->make_response_promise<http_response>();
      auto id = self->state.next_id++;
      self->state.delayed.emplace(id, std::make_pair(rp, finish(req, reply.outcome)));
      self->delayed_send(self, reply.delay, tick_atom::value, id);
      return rp;
    },
    [self](tick_atom, uint64_t id) {
      auto i = self->state.delayed.find(id);
      if (i == self->state.delayed.end())
        return;
      auto& [rp, outcome] = i->second;
      if (outcome)
        rp.deliver(std::move(*outcome));
      else
        rp.deliver(outcome.error());
      self->state.delayed.erase(i);
    },
  };
}

inline http_client_actor spawn_fake_http(caf::actor_system& sys,
                                         std::shared_ptr<fake_http_script> script) {
  return caf::actor_cast<http_client_actor>(sys.spawn(fake_http, std::move(script)));
}

}  // namespace d1::test
