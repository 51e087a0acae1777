// solr_querier under the deterministic scheduler with a fake http_client serving the real
// Solr samples: parsing through the actor, single-flight, retries, Solr errors, records.
#include "actors/dataone/solr_querier.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"
#include "messages/solr_query.hpp"
#include "tests/support/fake_http.hpp"
#include "tests/support/files.hpp"

namespace d1::test {
namespace {

using namespace std::chrono_literals;

const std::string samples = d1::test::shared_fixtures() + "/solr_samples";
const std::string base = "https://cn.example.org/cn";

const char* record_body = R"({"responseHeader":{"status":0},"response":{"numFound":1,"start":0,
  "docs":[{"id":"doi:10.5063/F1/x y","formatId":"text/csv","size":41320,
  "formatType":"DATA","fileName":"table.csv","keywords":["a","b"]}]}})";

const char* syntax_error_body = R"({"responseHeader":{"status":400,"QTime":0},
  "error":{"metadata":["error-class","org.apache.solr.common.SolrException"],
  "msg":"org.apache.solr.search.SyntaxError: Cannot parse 'id:(': Encountered \"<EOF>\"",
  "code":400}})";

class solr_querier_test : public fake_http_fixture<solr_querier_actor> {
protected:
  solr_querier_test() {
    config_.base_url = base;
    config_.timeout_ms = 1000;
    config_.max_retries = 2;
    config_.retry_base_delay_ms = 100;
    query_.q = "id:a*";
    query_.fq = {"dateUploaded:{ 2017-01-01T00:00:00.000Z TO 2017-01-10T00:00:00.000Z }"};
    query_.fl = {"id", "checksum", "dateUploaded"};
    query_.sort = "id asc";
    query_.rows = 10;
  }

  void start() {
    spawn_subject(solr_querier, config_);
  }

  /// The querier's counters (safe: the test scheduler runs nothing concurrently).
  solr_querier_counters counters() {
    auto ptr = caf::actor_cast<caf::abstract_actor*>(querier_);
    return dynamic_cast<solr_querier_actor::stateful_base<solr_querier_state>&>(*ptr)
      .state.counters();
  }

  std::string url() const {
    return select_url(base, query_);
  }

  solr_querier_config config_;
  solr_querier_actor& querier_ = subject_;  // the actor under test
  solr_query query_;
};

TEST_F(solr_querier_test, select_parses_the_real_response) {
  script_->respond(url(), 200, slurp(samples + "/search_expected.json"));
  start();
  auto r = request<solr_response>(querier_, select_atom::value, query_);
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->num_found, 2u);
  ASSERT_EQ(r->docs.size(), 2u);
  EXPECT_EQ(r->docs[1].first("id"), "ark:/c5146/r3fg6p/1/AcademicLibraries_RDS_Survey.xlsx");
  ASSERT_EQ(script_->seen.size(), 1u);
  EXPECT_EQ(script_->seen[0].url, url());
  EXPECT_EQ(script_->seen[0].timeout_ms, 1000u);
  EXPECT_EQ(script_->seen[0].url.rfind(base + "/v2/query/solr/?", 0), 0u);
}

TEST_F(solr_querier_test, identical_concurrent_selects_send_one_request) {
  script_->respond(url(), 200, slurp(samples + "/search_expected.json"), 50ms);
  start();
  for (int i = 0; i < 10; ++i)
    send(select_atom::value, query_);
  EXPECT_EQ(script_->count(url()), 1u);
  advance(50ms);
  for (int i = 0; i < 10; ++i) {
    auto r = reply<solr_response>();
    ASSERT_TRUE(r) << i << ": " << describe(r.error());
    EXPECT_EQ(r->num_found, 2u);
    EXPECT_EQ(r->docs[0].first("id"), "arctic-data.10011.1");
  }
  EXPECT_EQ(script_->count(url()), 1u);
  auto c = counters();
  EXPECT_EQ(c.selects, 10u);
  EXPECT_EQ(c.requests_sent, 1u);
  EXPECT_EQ(c.coalesced, 9u);
  EXPECT_EQ(c.failures, 0u);
  // Single-flight, not a cache: a later select asks again.
  send(select_atom::value, query_);
  advance(50ms);
  auto again = reply<solr_response>();
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(script_->count(url()), 2u);
}

TEST_F(solr_querier_test, different_queries_are_not_coalesced) {
  auto other = query_;
  other.start = 10;
  script_->respond(url(), 200, slurp(samples + "/search_expected.json"), 50ms);
  script_->respond(select_url(base, other), 200, slurp(samples + "/search_no_results.json"),
                   50ms);
  start();
  send(select_atom::value, query_);
  send(select_atom::value, other);
  advance(50ms);
  auto a = reply<solr_response>();
  auto b = reply<solr_response>();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->num_found + b->num_found, 2u);
  EXPECT_EQ(script_->seen.size(), 2u);
}

// One cursor page of ids: numFound 5, the given ids, the given nextCursorMark.
std::string cursor_page(std::initializer_list<const char*> ids, const std::string& next) {
  std::string docs;
  for (auto id : ids)
    docs += std::string{docs.empty() ? "" : ","} + R"({"id":")" + id + R"("})";
  return R"({"responseHeader":{"status":0},"response":{"numFound":5,"start":0,"docs":[)" + docs
         + R"(]},"nextCursorMark":")" + next + R"("})";
}

TEST_F(solr_querier_test, cursor_pages_the_caller_announces_are_fetched_ahead) {
  auto page = [&](const std::string& mark, uint64_t rows, uint64_t ahead) {
    auto q = query_;
    q.fl = {"id"};
    q.cursor_mark = mark;
    q.rows = rows;
    q.prefetch_rows = ahead;
    return q;
  };
  script_->respond(select_url(base, page("*", 2, 0)), 200, cursor_page({"a", "b"}, "M1"), 10ms);
  script_->respond(select_url(base, page("M1", 2, 0)), 200, cursor_page({"c", "d"}, "M2"), 10ms);
  script_->respond(select_url(base, page("M2", 1, 0)), 200, cursor_page({"e"}, "M3"), 10ms);
  start();
  send(select_atom::value, page("*", 2, 2));  // the caller will want 2 more
  advance(10ms);
  auto first = reply<solr_response>();
  ASSERT_TRUE(first) << describe(first.error());
  EXPECT_EQ(first->docs.size(), 2u);
  // Page 2 went out as soon as page 1's cursor was known, before its caller asked.
  EXPECT_EQ(script_->count(select_url(base, page("M1", 2, 0))), 1u);
  send(select_atom::value, page("M1", 2, 1));  // joins it; then 1 more
  advance(10ms);
  auto second = reply<solr_response>();
  ASSERT_TRUE(second) << describe(second.error());
  EXPECT_EQ(second->docs[0].first("id"), "c");
  advance(10ms);  // page 3 (asked ahead with the caller's 1 row) arrives before its caller
  send(select_atom::value, page("M2", 1, 0));
  auto third = reply<solr_response>();
  ASSERT_TRUE(third) << describe(third.error());
  EXPECT_EQ(third->docs[0].first("id"), "e");
  advance(10ms);
  // Each page once, nothing past the last one the caller announced.
  EXPECT_EQ(script_->seen.size(), 3u);
  auto c = counters();
  EXPECT_EQ(c.selects, 3u);
  EXPECT_EQ(c.requests_sent, 3u);
  EXPECT_EQ(c.prefetched, 2u);
  EXPECT_EQ(c.coalesced, 0u);
}

TEST_F(solr_querier_test, no_page_is_fetched_ahead_after_a_last_page) {
  auto q = query_;
  q.fl = {"id"};
  q.cursor_mark = "*";
  q.rows = 5;
  q.prefetch_rows = 5;  // a guess: the caller does not know numFound yet
  script_->respond(select_url(base, q), 200, cursor_page({"a", "b", "c", "d", "e"}, "M1"));
  start();
  auto r = request<solr_response>(querier_, select_atom::value, q);
  ASSERT_TRUE(r) << describe(r.error());
  advance(10ms);
  EXPECT_EQ(script_->seen.size(), 1u);  // numFound 5: all were on the first page
  EXPECT_EQ(counters().prefetched, 0u);
}

TEST_F(solr_querier_test, solr_syntax_error_is_http_status_and_not_retried) {
  script_->respond(url(), 400, syntax_error_body, 10ms);
  start();
  send(select_atom::value, query_);
  send(select_atom::value, query_);
  advance(10ms);
  for (int i = 0; i < 2; ++i) {
    auto r = reply<solr_response>();
    ASSERT_FALSE(r);
    EXPECT_EQ(code_of(r.error()), ec::http_status);
    auto ctx = context_of(r.error());
    EXPECT_NE(ctx.find("Solr 400: org.apache.solr.search.SyntaxError: Cannot parse 'id:('"),
              std::string::npos)
      << ctx;
  }
  advance(10'000ms);
  EXPECT_EQ(script_->count(url()), 1u);
  EXPECT_EQ(counters().failures, 1u);
}

TEST_F(solr_querier_test, status_500_twice_then_200) {
  script_->respond(url(), 500, "");
  script_->respond(url(), 500, syntax_error_body);
  script_->respond(url(), 200, slurp(samples + "/search_expected.json"));
  start();
  send(select_atom::value, query_);
  EXPECT_EQ(script_->count(url()), 1u);
  advance(100ms);
  EXPECT_EQ(script_->count(url()), 2u);
  advance(200ms);
  EXPECT_EQ(script_->count(url()), 3u);
  auto r = reply<solr_response>();
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->num_found, 2u);
  auto c = counters();
  EXPECT_EQ(c.requests_sent, 3u);
  EXPECT_EQ(c.retries, 2u);
  EXPECT_EQ(c.failures, 0u);
}

TEST_F(solr_querier_test, timeouts_are_retried_then_fail) {
  script_->fail(url(), ec::timeout);
  start();
  send(select_atom::value, query_);
  for (int i = 0; i < 10; ++i)
    advance(1000ms);
  auto r = reply<solr_response>();
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::timeout);
  EXPECT_EQ(script_->count(url()), 3u);
  EXPECT_EQ(counters().failures, 1u);
}

TEST_F(solr_querier_test, gateway_page_after_retries_names_the_status) {
  script_->respond(url(), 503, "<html><body>503 Service Unavailable</body></html>");
  start();
  send(select_atom::value, query_);
  for (int i = 0; i < 10; ++i)
    advance(1000ms);
  auto r = reply<solr_response>();
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::http_status);
  EXPECT_NE(context_of(r.error()).find("HTTP 503"), std::string::npos);
  EXPECT_EQ(script_->count(url()), 3u);
}

TEST_F(solr_querier_test, garbage_with_200_is_a_parse_error) {
  script_->respond(url(), 200, "<html>not json</html>");
  start();
  auto r = request<solr_response>(querier_, select_atom::value, query_);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::parse_error);
  EXPECT_NE(context_of(r.error()).find(url()), std::string::npos);
}

TEST_F(solr_querier_test, record_queries_the_id_and_returns_the_doc) {
  std::string pid = "doi:10.5063/F1/x y";
  solr_query q;
  q.q = solr_field_query("id", pid);
  q.rows = 1;
  script_->respond(select_url(base, q), 200, record_body);
  start();
  auto rec = request<solr_record>(querier_, record_atom::value, pid);
  ASSERT_TRUE(rec) << describe(rec.error());
  EXPECT_EQ(rec->first("id"), pid);
  EXPECT_EQ(rec->first("size"), "41320");
  EXPECT_EQ(rec->all("keywords"), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(script_->seen.size(), 1u);
  EXPECT_EQ(script_->seen[0].url.find("fl="), std::string::npos);  // every field
}

TEST_F(solr_querier_test, record_of_an_unknown_pid_is_not_found) {
  solr_query q;
  q.q = solr_field_query("id", "invalid_solr_record_id");
  q.rows = 1;
  script_->respond(select_url(base, q), 200, slurp(samples + "/search_no_results.json"));
  start();
  auto rec = request<solr_record>(querier_, record_atom::value,
                                  std::string{"invalid_solr_record_id"});
  ASSERT_FALSE(rec);
  EXPECT_EQ(code_of(rec.error()), ec::not_found);
  auto empty = request<solr_record>(querier_, record_atom::value, std::string{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(code_of(empty.error()), ec::invalid_argument);
}

const std::string description_url = base + "/v2/query/solr";

// The field of `fields` named `name`, or null.
const query_field* field_named(const std::vector<query_field>& fields, const std::string& name) {
  for (auto& f : fields)
    if (f.name == name)
      return &f;
  return nullptr;
}

TEST_F(solr_querier_test, fields_of_the_real_description_are_read_once_failures_are_not_kept) {
  config_.max_retries = 0;
  script_->respond(description_url, 503, "");
  script_->respond(description_url, 200,
                   slurp(shared_fixtures() + "/cn/query_engine_description.xml"));
  start();
  auto failed = request<std::vector<query_field>>(querier_, fields_atom::value);
  ASSERT_FALSE(failed);
  EXPECT_EQ(code_of(failed.error()), ec::http_status);
  EXPECT_NE(context_of(failed.error()).find("503"), std::string::npos);
  auto fields = request<std::vector<query_field>>(querier_, fields_atom::value);
  ASSERT_TRUE(fields) << describe(fields.error());
  auto format_id = field_named(*fields, "formatId");
  ASSERT_NE(format_id, nullptr);
  EXPECT_EQ(format_id->type, "string");
  EXPECT_TRUE(format_id->searchable && format_id->returnable);
  auto checksum = field_named(*fields, "checksum");
  ASSERT_NE(checksum, nullptr);
  EXPECT_FALSE(checksum->searchable);
  auto uploaded = field_named(*fields, "dateUploaded");
  ASSERT_NE(uploaded, nullptr);
  EXPECT_EQ(uploaded->type, "tdate");
  // Kept: the next caller is answered without a request.
  auto again = request<std::vector<query_field>>(querier_, fields_atom::value);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), fields->size());
  EXPECT_EQ(script_->count(description_url), 2u);
  EXPECT_EQ(script_->seen.back().timeout_ms, 1000u);
}

TEST_F(solr_querier_test, concurrent_askers_of_the_fields_share_one_retried_read) {
  script_->respond(description_url, 500, "", 10ms);
  script_->respond(description_url, 200,
                   slurp(shared_fixtures() + "/cn/query_engine_description.xml"), 10ms);
  start();
  for (int i = 0; i < 5; ++i)
    send(fields_atom::value);
  advance(10ms);   // the 500
  advance(100ms);  // the backoff, then the retry is sent
  advance(10ms);   // the 200
  for (int i = 0; i < 5; ++i) {
    auto r = reply<std::vector<query_field>>();
    ASSERT_TRUE(r) << i << ": " << describe(r.error());
    EXPECT_NE(field_named(*r, "formatId"), nullptr);
  }
  EXPECT_EQ(script_->count(description_url), 2u);
  // Each attempt gets its part of the select bound, at least 500 ms.
  EXPECT_EQ(script_->seen.front().timeout_ms, 500u);
}

TEST_F(solr_querier_test, a_description_that_is_not_one_is_a_parse_error_naming_the_url) {
  script_->respond(description_url, 200, "<html><body>Service Unavailable</body></html>");
  start();
  auto r = request<std::vector<query_field>>(querier_, fields_atom::value);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::parse_error);
  EXPECT_NE(context_of(r.error()).find("query engine description at " + description_url),
            std::string::npos);
}

TEST(solr_querier_config, validation) {
  solr_querier_config c;
  EXPECT_FALSE(validate(c));
  c.base_url = "http://127.0.0.1:8080/cn";
  EXPECT_FALSE(validate(c));
  c.base_url = "http://cn.dataone.org/cn";
  EXPECT_EQ(code_of(validate(c)), ec::invalid_argument);
  c = {};
  c.timeout_ms = 0;
  EXPECT_EQ(code_of(validate(c)), ec::invalid_argument);
  c = {};
  c.max_retries = 100;
  EXPECT_EQ(code_of(validate(c)), ec::invalid_argument);
}

}  // namespace
}  // namespace d1::test
