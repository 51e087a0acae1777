// solr_querier: select URL → one in-flight request shared by every caller asking the same
// URL, parsed with actors/dataone/solr_json; the query engine description parsed with
// actors/dataone/dataone_xml and kept.
#include "actors/dataone/solr_querier.hpp"

#include "actors/dataone/dataone_xml.hpp"
#include "actors/dataone/solr_json.hpp"
#include "messages/error.hpp"
#include "messages/solr_query.hpp"

#include <algorithm>
#include <utility>

namespace d1 {
namespace {

using self_ptr = solr_querier_actor::stateful_pointer<solr_querier_state>;

/// The outcome of a select transfer: the parsed response or an error naming the URL.
/// `on_cursor` hears a good response's cursor before its documents are copied out.
caf::expected<solr_response> interpret(const http_request& req,
                                       const caf::expected<http_response>& resp,
                                       const solr_cursor_callback& on_cursor) {
  if (!resp)
    return resp.error();
  auto where = " (" + req.method + " " + req.url + " → HTTP "
               + std::to_string(resp->status) + ")";
  auto parsed = parse_solr_response(resp->body, resp->status == 200 ? on_cursor
                                                                    : solr_cursor_callback{});
  if (resp->status == 200) {
    if (!parsed)
      return make_error(code_of(parsed.error()), context_of(parsed.error()) + where);
    return parsed;
  }
  // Solr's own error JSON says what was wrong with the query; otherwise the CN's answer.
  if (!parsed && code_of(parsed.error()) == ec::http_status)
    return make_error(ec::http_status, context_of(parsed.error()) + where);
  return status_error(req, *resp);
}

void send_select(self_ptr self, const std::string& url, const solr_query& query);

/// Asks for the page after `query`'s as its caller announced (query.prefetch_rows), once
/// this page says where it starts: only after a full page, and after a first page only if
/// more match than it held, so a walk's last page never costs an empty one.
void prefetch_after(self_ptr self, const solr_query& query, const std::string& next_cursor,
                    size_t docs, uint64_t num_found) {
  if (query.prefetch_rows == 0 || query.cursor_mark.empty() || next_cursor.empty()
      || next_cursor == query.cursor_mark || docs < query.rows
      || (query.cursor_mark == "*" && num_found <= docs))
    return;
  auto next = query;
  next.cursor_mark = next_cursor;
  next.rows = query.prefetch_rows;
  next.prefetch_rows = 0;  // the caller's request for it says whether to go on
  auto url = select_url(self->state.config_.base_url, next);
  auto& st = self->state;
  if (st.flights_.in_flight(url) || st.prefetched_.count(url))
    return;
  ++st.counters_.prefetched;
  st.flights_.start(url);
  st.flight_queries_[url] = next;
  send_select(self, url, next);
}

/// Keeps a page fetched ahead that nobody asked for yet, for prefetch_ttl; older ones go.
void keep_prefetched(self_ptr self, const std::string& url,
                     caf::expected<solr_response>&& result) {
  auto& st = self->state;
  auto now = self->clock().now();
  for (auto i = st.prefetched_.begin(); i != st.prefetched_.end();)
    i = now - i->second.second > solr_querier_state::prefetch_ttl ? st.prefetched_.erase(i)
                                                                 : std::next(i);
  if (st.prefetched_.size() < solr_querier_state::max_prefetched)
    st.prefetched_.emplace(url, std::make_pair(std::move(result), now));
}

/// Sends the request of the flight at `url` and answers its waiters.
void send_select(self_ptr self, const std::string& url, const solr_query& query) {
  auto& st = self->state;
  http_request req;
  req.url = url;
  req.timeout_ms = st.config_.timeout_ms;
  st.http_.send(self, req, [self, req](caf::expected<http_response> resp) {
    auto on_cursor = [&](const std::string& next, size_t docs, uint64_t num_found) {
      auto i = self->state.flight_queries_.find(req.url);
      if (i != self->state.flight_queries_.end())
        prefetch_after(self, i->second, next, docs, num_found);
    };
    auto result = interpret(req, resp, on_cursor);
    auto& st = self->state;
    if (!result)
      ++st.counters_.failures;
    if (!st.flights_.in_flight(req.url))
      return;
    st.flight_queries_.erase(req.url);
    auto waiting = st.flights_.take(req.url);
    if (waiting.empty()) {
      keep_prefetched(self, req.url, std::move(result));  // fetched ahead, not asked yet
      return;
    }
    // Copies for the joiners only: the last waiter (usually the only one) takes the
    // response itself.
    decltype(st.flights_)::answer(waiting, std::move(result));
  });
}

/// Runs `query`: from a page fetched ahead for it, else joining an identical request in
/// flight (or one fetched ahead), else as a new request; `done` gets the outcome.
void run_select(self_ptr self, const solr_query& query, solr_querier_state::waiter done) {
  auto& st = self->state;
  ++st.counters_.selects;
  auto url = select_url(st.config_.base_url, query);
  if (auto p = st.prefetched_.find(url); p != st.prefetched_.end()) {
    auto result = std::move(p->second.first);
    st.prefetched_.erase(p);
    if (result)
      prefetch_after(self, query, result->next_cursor_mark, result->docs.size(),
                     result->num_found);
    done(std::move(result));
    return;
  }
  bool joined_prefetch = st.flights_.in_flight(url) && st.flights_.waiting(url) == 0;
  if (!st.flights_.join(url, std::move(done))) {
    // The caller of a page fetched ahead says whether the walk goes on after it.
    if (joined_prefetch)
      st.flight_queries_[url].prefetch_rows = query.prefetch_rows;
    else
      ++st.counters_.coalesced;
    return;
  }
  st.flight_queries_[url] = query;
  send_select(self, url, query);
}

/// The fields of a query engine description transfer, or an error naming the URL.
caf::expected<std::vector<query_field>>
read_description(const http_request& req, const caf::expected<http_response>& resp) {
  if (!resp)
    return resp.error();
  if (resp->status != 200)
    return status_error(req, *resp);
  auto parsed = parse_query_engine_description(resp->body);
  if (!parsed)
    return make_error(ec::parse_error, "query engine description at " + req.url + ": "
                                         + context_of(parsed.error()));
  return parsed;
}

/// Reads the query engine description ({base_url}/v2/query/solr) and answers the waiters
/// of fields_fetch_; keeps the fields if the read succeeded.
void fetch_fields(self_ptr self) {
  auto& st = self->state;
  http_request req;
  req.url = st.config_.base_url;
  while (!req.url.empty() && req.url.back() == '/')
    req.url.pop_back();
  req.url += "/v2/query/solr";
  // Retries share one select's bound: each attempt gets its part of it.
  req.timeout_ms
    = std::max<uint32_t>(500, st.config_.timeout_ms / (st.config_.max_retries + 1));
  st.http_.send(self, req, [self, req](caf::expected<http_response> resp) {
    auto& st = self->state;
    auto fields = read_description(req, resp);
    if (fields)
      st.fields_ = *fields;
    st.fields_fetch_.finish(std::move(fields));
  });
}

}  // namespace

caf::error validate(const solr_querier_config& config) {
  return validate(static_cast<const service_settings&>(config), "solr_querier");
}

solr_querier_actor::behavior_type solr_querier(self_ptr self, solr_querier_config config,
                                               http_client_actor http) {
  if (auto err = validate(config)) {
    self->quit(err);
    return solr_querier_actor::behavior_type::make_empty_behavior();
  }
  self->state.config_ = std::move(config);
  self->state.http_.init(self, std::move(http), self->state.config_.max_retries,
                         self->state.config_.retry_base_delay_ms);
  return {
    [self](select_atom, const solr_query& query) -> caf::result<solr_response> {
      auto rp = self->make_response_promise<solr_response>();
      run_select(self, query, [rp](caf::expected<solr_response>&& result) mutable {
        if (result)
          rp.deliver(std::move(*result));
        else
          rp.deliver(result.error());
      });
      return rp;
    },
    [self](record_atom, const std::string& pid) -> caf::result<solr_record> {
      if (pid.empty())
        return make_error(ec::invalid_argument, "record: empty PID");
      solr_query query;
      query.q = solr_field_query("id", pid);
      query.rows = 1;
      auto rp = self->make_response_promise<solr_record>();
      run_select(self, query,
                 [rp, pid](caf::expected<solr_response>&& result) mutable {
                   if (!result)
                     rp.deliver(result.error());
                   else if (result->num_found == 0 || result->docs.empty())
                     rp.deliver(make_error(ec::not_found, "no index record for " + pid));
                   else
                     rp.deliver(std::move(result->docs.front()));
                 });
      return rp;
    },
    [self](fields_atom) -> caf::result<std::vector<query_field>> {
      auto& st = self->state;
      if (st.fields_)
        return *st.fields_;
      auto rp = self->make_response_promise<std::vector<query_field>>();
      auto answer = [rp](caf::expected<std::vector<query_field>> fields) mutable {
        if (fields)
          rp.deliver(std::move(*fields));
        else
          rp.deliver(fields.error());
      };
      if (st.fields_fetch_.join(std::move(answer)))
        fetch_fields(self);
      return rp;
    },
    [self](stats_atom) -> solr_querier_stats {
      auto c = self->state.counters();
      return {c.selects, c.requests_sent, c.retries, c.coalesced, c.failures};
    },
  };
}

}  // namespace d1
