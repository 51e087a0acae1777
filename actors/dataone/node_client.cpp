// node_client: one REST call per request (formats: one call per actor lifetime), parsed
// with actors/dataone/dataone_xml; failures name the URL that failed.
#include "actors/dataone/node_client.hpp"

#include "actors/dataone/dataone_xml.hpp"
#include "messages/error.hpp"
#include "messages/solr_query.hpp"

#include <algorithm>
#include <utility>

namespace d1 {
namespace {

using self_ptr = node_client_actor::stateful_pointer<node_client_state>;

/// `err` with the request appended to its context, same code.
caf::error about(const caf::error& err, const http_request& req) {
  return make_error(code_of(err),
                    context_of(err) + " (" + req.method + " " + req.url + ")");
}

http_request rest_request(self_ptr self, const std::string& path) {
  http_request req;
  req.url = self->state.config_.base_url + path;
  req.timeout_ms = self->state.config_.timeout_ms;
  return req;
}

/// Sends `req`, and for a response whose status is in `ok` delivers `parse(body)` to `rp`;
/// anything else becomes the matching error.
template <class T, class Parse>
void call(self_ptr self, http_request req, std::initializer_list<uint16_t> ok, Parse parse,
          caf::typed_response_promise<T> rp) {
  std::vector<uint16_t> accepted(ok);
  self->state.http_.send(
    self, req, [req, accepted, parse, rp](caf::expected<http_response> resp) mutable {
      if (!resp) {
        rp.deliver(resp.error());
        return;
      }
      if (std::find(accepted.begin(), accepted.end(), resp->status) == accepted.end()) {
        rp.deliver(status_error(req, *resp));
        return;
      }
      caf::expected<T> value = parse(resp->body);
      if (!value) {
        rp.deliver(about(value.error(), req));
        return;
      }
      rp.deliver(std::move(*value));
    });
}

}  // namespace

caf::error validate(const node_client_config& config) {
  if (auto err = validate(static_cast<const service_settings&>(config), "node_client"))
    return err;
  if (config.stall_ms == 0)
    return make_error(ec::invalid_argument, "node_client stall_ms must be > 0");
  return caf::none;
}

node_client_actor::behavior_type node_client(self_ptr self, node_client_config config,
                                             http_client_actor http) {
  if (auto err = validate(config)) {
    self->quit(err);
    return node_client_actor::behavior_type::make_empty_behavior();
  }
  while (!config.base_url.empty() && config.base_url.back() == '/')
    config.base_url.pop_back();
  self->state.config_ = std::move(config);
  self->state.http_.init(self, std::move(http), self->state.config_.max_retries,
                         self->state.config_.retry_base_delay_ms);
  return {
    [self](meta_atom, const std::string& pid) -> caf::result<system_metadata> {
      if (pid.empty())
        return make_error(ec::invalid_argument, "meta: empty PID");
      auto rp = self->make_response_promise<system_metadata>();
      call(self, rest_request(self, "/v2/meta/" + url_encode_path_segment(pid)), {200},
           [](const std::string& body) { return parse_system_metadata(body); }, rp);
      return rp;
    },
    [self](resolve_atom,
           const std::string& pid) -> caf::result<std::vector<object_location>> {
      if (pid.empty())
        return make_error(ec::invalid_argument, "resolve: empty PID");
      auto rp = self->make_response_promise<std::vector<object_location>>();
      // The CN answers 303 See Other with the list as body; the client follows no redirects.
      call(self, rest_request(self, "/v2/resolve/" + url_encode_path_segment(pid)),
           {200, 303},
           [pid](const std::string& body) -> caf::expected<std::vector<object_location>> {
             auto locations = parse_object_locations(body);
             if (locations && locations->empty())
               return make_error(ec::not_found, "the CN lists no location for " + pid);
             return locations;
           },
           rp);
      return rp;
    },
    [self](formats_atom) -> caf::result<std::vector<object_format>> {
      auto& st = self->state;
      if (st.formats_)
        return *st.formats_;
      auto rp = self->make_response_promise<std::vector<object_format>>();
      auto answer = [rp](caf::expected<std::vector<object_format>> list) mutable {
        if (list)
          rp.deliver(std::move(*list));
        else
          rp.deliver(list.error());
      };
      if (!st.formats_fetch_.join(std::move(answer)))
        return rp;  // the list is on its way
      auto req = rest_request(self, "/v2/formats");
      self->state.http_.send(self, req, [self, req](caf::expected<http_response> resp) {
        caf::expected<std::vector<object_format>> result{std::vector<object_format>{}};
        if (!resp)
          result = resp.error();
        else if (resp->status != 200)
          result = status_error(req, *resp);
        else if (auto parsed = parse_object_formats(resp->body))
          result = std::move(*parsed);
        else
          result = about(parsed.error(), req);
        if (result)
          self->state.formats_ = *result;  // failures are not kept: the next call retries
        self->state.formats_fetch_.finish(std::move(result));
      });
      return rp;
    },
    [self](nodes_atom) -> caf::result<std::vector<node_description>> {
      auto rp = self->make_response_promise<std::vector<node_description>>();
      call(self, rest_request(self, "/v2/node"), {200},
           [](const std::string& body) { return parse_node_list(body); }, rp);
      return rp;
    },
    [self](fetch_atom, const object_location& location, uint64_t begin, uint64_t end,
           const body_sink_ptr& sink) -> caf::result<uint64_t> {
      if (location.url.empty())
        return make_error(ec::invalid_argument, "fetch: the location has no URL");
      if (!sink || begin >= end)
        return make_error(ec::invalid_argument, "fetch: no sink or an empty range for "
                                                  + location.url);
      auto rp = self->make_response_promise<uint64_t>();
      http_request req;
      req.url = location.url;
      req.headers.push_back(
        http_header{"Range", "bytes=" + std::to_string(begin) + "-" + std::to_string(end - 1)});
      // A large object takes as long as it takes: only a silent connection is cut.
      req.timeout_ms = 0;
      req.stall_ms = self->state.config_.stall_ms;
      req.sink = sink;
      // One attempt: the caller resumes from the next missing byte, here or elsewhere.
      self->request(self->state.http_.client(), caf::infinite, req)
        .then(
          [req, rp, sink](http_response& resp) mutable {
            if (auto err = sink->failure()) {
              // The sink's verdict on the headers, with the node's own words if it sent an
              // error document.
              auto detail = context_of(err);
              if (auto d1err = parse_dataone_error(resp.body))
                detail += " (" + context_of(to_error(*d1err)) + ")";
              rp.deliver(make_error(code_of(err), detail + ": GET " + req.url));
              return;
            }
            rp.deliver(resp.body_bytes);
          },
          [req, rp](caf::error& err) mutable {
            auto e = transport_error(err, req);
            rp.deliver(code_of(e) == ec::unspecified ? make_error(ec::network, describe(e)) : e);
          });
      return rp;
    },
  };
}

}  // namespace d1
