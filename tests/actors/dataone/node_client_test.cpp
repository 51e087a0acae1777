// node_client under the deterministic scheduler, talking to a fake http_client that serves
// the real DataONE fixtures and injects statuses, transport errors and delays.
#include "actors/dataone/node_client.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"
#include "messages/solr_query.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/fake_http.hpp"
#include "tests/support/files.hpp"

namespace d1::test {
namespace {

using namespace std::chrono_literals;

const std::string fixtures = d1::test::shared_fixtures();
const std::string base = "https://cn.example.org/cn";

const char* not_found_body =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><error detailCode=\"1060\" errorCode=\"404\" "
  "name=\"NotFound\"><description>No system metadata could be found for given PID: "
  "nope</description></error>";

const char* locations_body =
  "<d1:objectLocationList xmlns:d1=\"http://ns.dataone.org/service/types/v1\">"
  "<identifier>cbfs.38.9</identifier>"
  "<objectLocation><nodeIdentifier>urn:node:KNB</nodeIdentifier>"
  "<baseURL>https://knb.example.org/mn</baseURL><version>v2</version>"
  "<url>https://knb.example.org/mn/v2/object/cbfs.38.9</url></objectLocation>"
  "<objectLocation><nodeIdentifier>urn:node:mnUNM1</nodeIdentifier>"
  "<baseURL>https://unm.example.org/mn</baseURL><version>v1</version>"
  "<url>https://unm.example.org/mn/v1/object/cbfs.38.9</url></objectLocation>"
  "</d1:objectLocationList>";

class node_client_test : public fake_http_fixture<node_client_actor> {
protected:
  node_client_test() {
    config_.base_url = base + "/";  // a trailing slash must not matter
    config_.timeout_ms = 1000;
    config_.stall_ms = 5000;
    config_.max_retries = 2;
    config_.retry_base_delay_ms = 100;
  }

  node_client_actor start() {
    return spawn_subject(node_client, config_);
  }

  std::string meta_url(const std::string& pid) {
    return base + "/v2/meta/" + url_encode_path_segment(pid);
  }

  node_client_config config_;
  node_client_actor& client_ = subject_;  // the actor under test
};

bool no_reply(const caf::error& err) {
  return err.category() == caf::atom("system");
}

TEST_F(node_client_test, meta_parses_the_real_document) {
  script_->respond(meta_url("cbfs.38.9"), 200, slurp(fixtures + "/knb/sysmeta/cbfs.38.9"));
  start();
  auto md = request<system_metadata>(client_, meta_atom::value, std::string{"cbfs.38.9"});
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->size, 756u);
  EXPECT_EQ(md->checksum.value, "89c43b8d35206935ec7f7d6aae3418f3");
  ASSERT_EQ(script_->seen.size(), 1u);
  EXPECT_EQ(script_->seen[0].method, "GET");
  EXPECT_EQ(script_->seen[0].url, base + "/v2/meta/cbfs.38.9");
  EXPECT_EQ(script_->seen[0].timeout_ms, 1000u);
  EXPECT_TRUE(script_->seen[0].output_path.empty());
}

TEST_F(node_client_test, meta_encodes_the_pid_as_one_path_segment) {
  std::string pid = "doi:10.5063/F1 a#b?c%d";
  start();
  auto md = request<system_metadata>(client_, meta_atom::value, pid);
  ASSERT_EQ(script_->seen.size(), 1u);
  auto url = script_->seen[0].url;
  EXPECT_EQ(url, base + "/v2/meta/" + url_encode_path_segment(pid));
  auto segment = url.substr((base + "/v2/meta/").size());
  EXPECT_EQ(segment.find_first_of("/ #?"), std::string::npos) << segment;
  ASSERT_FALSE(md);  // the fake answers an unknown URL with 404
  EXPECT_EQ(code_of(md.error()), ec::not_found);
}

TEST_F(node_client_test, meta_404_is_not_found_with_the_dataone_description) {
  script_->respond(meta_url("nope"), 404, not_found_body);
  start();
  auto md = request<system_metadata>(client_, meta_atom::value, std::string{"nope"});
  ASSERT_FALSE(md);
  EXPECT_EQ(code_of(md.error()), ec::not_found) << describe(md.error());
  auto ctx = context_of(md.error());
  EXPECT_NE(ctx.find("NotFound (404): No system metadata could be found for given PID: nope"),
            std::string::npos)
    << ctx;
  EXPECT_NE(ctx.find(meta_url("nope")), std::string::npos) << ctx;
  EXPECT_EQ(script_->count(meta_url("nope")), 1u);  // 4xx is never retried
}

TEST_F(node_client_test, meta_500_twice_then_200_succeeds_after_backoff) {
  auto url = meta_url("cbfs.38.9");
  script_->respond(url, 500, "<html>Internal Server Error</html>");
  script_->respond(url, 503, "");
  script_->respond(url, 200, slurp(fixtures + "/knb/sysmeta/cbfs.38.9"));
  start();
  send(meta_atom::value, std::string{"cbfs.38.9"});
  EXPECT_EQ(script_->count(url), 1u);
  EXPECT_TRUE(no_reply(reply<system_metadata>().error()));
  advance(99ms);
  EXPECT_EQ(script_->count(url), 1u);  // first backoff is 100 ms
  advance(1ms);
  EXPECT_EQ(script_->count(url), 2u);
  advance(199ms);
  EXPECT_EQ(script_->count(url), 2u);  // second backoff is 200 ms
  advance(1ms);
  EXPECT_EQ(script_->count(url), 3u);
  auto md = reply<system_metadata>();
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->identifier, "cbfs.38.9");
}

TEST_F(node_client_test, status_5xx_after_all_retries_is_http_status) {
  auto url = meta_url("x");
  script_->respond(url, 502, "");
  start();
  send(meta_atom::value, std::string{"x"});
  for (int i = 0; i < 10; ++i)
    advance(1000ms);
  auto md = reply<system_metadata>();
  ASSERT_FALSE(md);
  EXPECT_EQ(code_of(md.error()), ec::http_status);
  EXPECT_NE(context_of(md.error()).find("HTTP 502"), std::string::npos);
  EXPECT_EQ(script_->count(url), 3u);  // one try plus max_retries
}

TEST_F(node_client_test, status_400_is_not_retried) {
  auto url = meta_url("x");
  script_->respond(url, 400,
                   "<error name=\"InvalidRequest\" errorCode=\"400\" detailCode=\"1\">"
                   "<description>bad pid</description></error>");
  start();
  auto md = request<system_metadata>(client_, meta_atom::value, std::string{"x"});
  ASSERT_FALSE(md);
  EXPECT_EQ(code_of(md.error()), ec::http_status);
  auto ctx = context_of(md.error());
  EXPECT_NE(ctx.find("InvalidRequest (400): bad pid"), std::string::npos) << ctx;
  EXPECT_NE(ctx.find(url), std::string::npos) << ctx;
  advance(10'000ms);
  EXPECT_EQ(script_->count(url), 1u);
}

TEST_F(node_client_test, timeouts_are_retried_then_fail_with_timeout) {
  auto url = meta_url("slow");
  script_->fail(url, ec::timeout);
  start();
  send(meta_atom::value, std::string{"slow"});
  for (int i = 0; i < 10; ++i)
    advance(1000ms);
  auto md = reply<system_metadata>();
  ASSERT_FALSE(md);
  EXPECT_EQ(code_of(md.error()), ec::timeout) << describe(md.error());
  EXPECT_NE(context_of(md.error()).find(url), std::string::npos);
  EXPECT_EQ(script_->count(url), 3u);
}

TEST_F(node_client_test, network_error_then_success) {
  auto url = meta_url("cbfs.38.9");
  script_->fail(url, ec::network);
  script_->respond(url, 200, slurp(fixtures + "/knb/sysmeta/cbfs.38.9"));
  start();
  send(meta_atom::value, std::string{"cbfs.38.9"});
  advance(100ms);
  auto md = reply<system_metadata>();
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(script_->count(url), 2u);
}

TEST_F(node_client_test, client_that_never_answers_is_a_timeout) {
  auto url = meta_url("hang");
  script_->respond(url, 200, "", 1h);
  config_.max_retries = 0;
  start();
  send(meta_atom::value, std::string{"hang"});
  advance(6999ms);  // deadline: 2 · timeout_ms + 5 s
  EXPECT_TRUE(no_reply(reply<system_metadata>().error()));
  advance(1ms);
  auto md = reply<system_metadata>();
  ASSERT_FALSE(md);
  EXPECT_EQ(code_of(md.error()), ec::timeout) << describe(md.error());
}

TEST_F(node_client_test, delayed_answer_within_the_deadline_arrives) {
  auto url = meta_url("cbfs.38.9");
  script_->respond(url, 200, slurp(fixtures + "/knb/sysmeta/cbfs.38.9"), 800ms);
  start();
  send(meta_atom::value, std::string{"cbfs.38.9"});
  EXPECT_TRUE(no_reply(reply<system_metadata>().error()));
  advance(800ms);
  auto md = reply<system_metadata>();
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(script_->count(url), 1u);
}

TEST_F(node_client_test, unparsable_body_is_a_parse_error_naming_the_url) {
  auto url = meta_url("x");
  script_->respond(url, 200, "<html><body>Maintenance</body></html>");
  start();
  auto md = request<system_metadata>(client_, meta_atom::value, std::string{"x"});
  ASSERT_FALSE(md);
  EXPECT_EQ(code_of(md.error()), ec::parse_error);
  EXPECT_NE(context_of(md.error()).find(url), std::string::npos);
  EXPECT_NE(context_of(md.error()).find("<html>"), std::string::npos);
  EXPECT_EQ(script_->count(url), 1u);
}

TEST_F(node_client_test, empty_pid_is_invalid) {
  start();
  auto md = request<system_metadata>(client_, meta_atom::value, std::string{});
  ASSERT_FALSE(md);
  EXPECT_EQ(code_of(md.error()), ec::invalid_argument);
  EXPECT_TRUE(script_->seen.empty());
}

TEST_F(node_client_test, resolve_accepts_the_303_body) {
  auto url = base + "/v2/resolve/cbfs.38.9";
  script_->respond(url, 303, locations_body);
  start();
  auto locs = request<std::vector<object_location>>(client_, resolve_atom::value,
                                                    std::string{"cbfs.38.9"});
  ASSERT_TRUE(locs) << describe(locs.error());
  ASSERT_EQ(locs->size(), 2u);
  EXPECT_EQ((*locs)[0].node_identifier, "urn:node:KNB");
  EXPECT_EQ((*locs)[1].url, "https://unm.example.org/mn/v1/object/cbfs.38.9");
}

TEST_F(node_client_test, resolve_accepts_200_and_reports_empty_lists) {
  script_->respond(base + "/v2/resolve/a", 200, locations_body);
  script_->respond(base + "/v2/resolve/b", 303,
                   "<d1:objectLocationList xmlns:d1=\"http://ns.dataone.org/service/types/v1\">"
                   "<identifier>b</identifier></d1:objectLocationList>");
  start();
  auto a = request<std::vector<object_location>>(client_, resolve_atom::value,
                                                 std::string{"a"});
  ASSERT_TRUE(a) << describe(a.error());
  EXPECT_EQ(a->size(), 2u);
  auto b = request<std::vector<object_location>>(client_, resolve_atom::value,
                                                 std::string{"b"});
  ASSERT_FALSE(b);
  EXPECT_EQ(code_of(b.error()), ec::not_found);
  auto c = request<std::vector<object_location>>(client_, resolve_atom::value,
                                                 std::string{"c"});
  ASSERT_FALSE(c);
  EXPECT_EQ(code_of(c.error()), ec::not_found);
}

TEST_F(node_client_test, formats_are_fetched_once) {
  auto url = base + "/v2/formats";
  script_->respond(url, 200, slurp(fixtures + "/cn/object_format_list_v2.xml"), 50ms);
  start();
  for (int i = 0; i < 5; ++i)
    send(formats_atom::value);
  EXPECT_EQ(script_->count(url), 1u);
  advance(50ms);
  for (int i = 0; i < 5; ++i) {
    auto formats = reply<std::vector<object_format>>();
    ASSERT_TRUE(formats) << describe(formats.error());
    EXPECT_EQ(formats->size(), 117u);
  }
  auto later = request<std::vector<object_format>>(client_, formats_atom::value);
  ASSERT_TRUE(later) << describe(later.error());
  EXPECT_EQ(later->size(), 117u);
  EXPECT_EQ(script_->count(url), 1u);
}

TEST_F(node_client_test, failed_formats_are_not_kept) {
  auto url = base + "/v2/formats";
  script_->respond(url, 404, "", 10ms);
  script_->respond(url, 200, slurp(fixtures + "/cn/object_format_list_v2.xml"));
  start();
  send(formats_atom::value);
  send(formats_atom::value);
  EXPECT_EQ(script_->count(url), 1u);
  advance(10ms);
  for (int i = 0; i < 2; ++i) {
    auto failed = reply<std::vector<object_format>>();
    ASSERT_FALSE(failed);
    EXPECT_EQ(code_of(failed.error()), ec::not_found);
  }
  auto ok = request<std::vector<object_format>>(client_, formats_atom::value);
  ASSERT_TRUE(ok) << describe(ok.error());
  EXPECT_EQ(script_->count(url), 2u);
}

TEST_F(node_client_test, nodes_parse_the_node_list) {
  script_->respond(base + "/v2/node", 200, slurp(fixtures + "/cn/node_list_v2.xml"));
  start();
  auto nodes = request<std::vector<node_description>>(client_, nodes_atom::value);
  ASSERT_TRUE(nodes) << describe(nodes.error());
  EXPECT_EQ(nodes->size(), 44u);
  EXPECT_EQ(nodes->front().identifier, "urn:node:CN");
}

// A body_sink that keeps what it is given, or refuses the headers.
struct collecting_sink : body_sink {
  bool refuse = false;
  uint16_t status = 0;
  std::string bytes;
  decision headers_done(uint16_t s, const std::vector<http_header>&) override {
    status = s;
    return refuse ? decision::abort : decision::accept;
  }
  bool write(const char* data, size_t size) override {
    bytes.append(data, size);
    return true;
  }
  bool cancelled() const override { return false; }
  void set_waker(std::function<void()>) override {}
  caf::error failure() const override {
    return refuse ? make_error(ec::http_status, "Content-Range disagrees") : caf::error{};
  }
};

TEST_F(node_client_test, fetch_streams_one_range_into_the_sink) {
  auto bytes = slurp(fixtures + "/knb/data/cbfs.38.9");
  object_location loc{"urn:node:KNB", "https://knb.example.org/mn",
                      "https://knb.example.org/mn/v2/object/cbfs.38.9"};
  script_->respond(loc.url, 206, bytes.substr(100, 100), 0ms,
                   {{"content-range", "bytes 100-199/756"}});
  start();
  auto sink = std::make_shared<collecting_sink>();
  auto n = request<uint64_t>(client_, fetch_atom::value, loc, uint64_t{100}, uint64_t{200},
                             body_sink_ptr{sink});
  ASSERT_TRUE(n) << describe(n.error());
  EXPECT_EQ(*n, 100u);
  EXPECT_EQ(sink->status, 206);
  EXPECT_EQ(sink->bytes, bytes.substr(100, 100));
  ASSERT_EQ(script_->seen.size(), 1u);
  auto& req = script_->seen[0];
  ASSERT_EQ(req.headers.size(), 1u);
  EXPECT_EQ(req.headers[0].name, "Range");
  EXPECT_EQ(req.headers[0].value, "bytes=100-199");
  // Bounded by stalls, never by the duration of the whole transfer.
  EXPECT_EQ(req.timeout_ms, 0u);
  EXPECT_EQ(req.stall_ms, 5000u);
}

TEST_F(node_client_test, fetch_is_tried_once_the_cache_resumes) {
  object_location loc{"urn:node:KNB", "https://knb.example.org/mn",
                      "https://knb.example.org/mn/v2/object/x"};
  script_->fail(loc.url, ec::network);
  script_->respond(loc.url, 206, "never asked");
  start();
  auto n = request<uint64_t>(client_, fetch_atom::value, loc, uint64_t{0}, uint64_t{10},
                             body_sink_ptr{std::make_shared<collecting_sink>()});
  ASSERT_FALSE(n);
  EXPECT_EQ(code_of(n.error()), ec::network);
  EXPECT_EQ(script_->seen.size(), 1u);
}

TEST_F(node_client_test, fetch_failures) {
  object_location gone{"urn:node:KNB", "https://knb.example.org/mn",
                       "https://knb.example.org/mn/v2/object/gone"};
  start();
  auto refusing = std::make_shared<collecting_sink>();
  refusing->refuse = true;
  script_->respond(gone.url, 206, "0123456789", 0ms, {{"content-range", "bytes 1-10/99"}});
  auto n = request<uint64_t>(client_, fetch_atom::value, gone, uint64_t{0}, uint64_t{10},
                             body_sink_ptr{refusing});
  ASSERT_FALSE(n);
  EXPECT_EQ(code_of(n.error()), ec::http_status);
  EXPECT_NE(context_of(n.error()).find(gone.url), std::string::npos) << describe(n.error());
  auto sink = body_sink_ptr{std::make_shared<collecting_sink>()};
  auto no_url = request<uint64_t>(client_, fetch_atom::value, object_location{}, uint64_t{0},
                                  uint64_t{10}, sink);
  ASSERT_FALSE(no_url);
  EXPECT_EQ(code_of(no_url.error()), ec::invalid_argument);
  auto empty = request<uint64_t>(client_, fetch_atom::value, gone, uint64_t{5}, uint64_t{5},
                                 sink);
  ASSERT_FALSE(empty);
  EXPECT_EQ(code_of(empty.error()), ec::invalid_argument);
  auto no_sink = request<uint64_t>(client_, fetch_atom::value, gone, uint64_t{0}, uint64_t{5},
                                   body_sink_ptr{});
  ASSERT_FALSE(no_sink);
  EXPECT_EQ(code_of(no_sink.error()), ec::invalid_argument);
}

TEST_F(node_client_test, dot_segment_pids_reach_the_node_percent_encoded) {
  for (auto pid : {".", ".."}) {
    auto url = base + (std::string{pid} == "." ? "/v2/meta/%2E" : "/v2/meta/%2E%2E");
    script_->respond(url, 404, not_found_body);
  }
  start();
  for (auto pid : {".", ".."}) {
    auto meta = request<system_metadata>(client_, meta_atom::value, std::string{pid});
    ASSERT_FALSE(meta);
    EXPECT_EQ(code_of(meta.error()), ec::not_found);
  }
  ASSERT_EQ(script_->seen.size(), 2u);
  EXPECT_EQ(script_->seen[0].url, base + "/v2/meta/%2E");
  EXPECT_EQ(script_->seen[1].url, base + "/v2/meta/%2E%2E");
}

TEST_F(node_client_test, invalid_config_quits) {
  config_.base_url = "ftp://cn.example.org/cn";
  start();
  auto md = request<system_metadata>(client_, meta_atom::value, std::string{"x"});
  ASSERT_FALSE(md);
  EXPECT_TRUE(script_->seen.empty());
}

TEST(node_client_config, validation) {
  node_client_config ok;
  EXPECT_FALSE(validate(ok));
  ok.base_url = "http://127.0.0.1:8080/cn";
  EXPECT_FALSE(validate(ok));
  ok.base_url = "http://localhost/cn";
  EXPECT_FALSE(validate(ok));
  ok.base_url = "http://[::1]:9000/cn";
  EXPECT_FALSE(validate(ok));
  auto bad = [](node_client_config c, const std::string& needle) {
    auto err = validate(c);
    ASSERT_TRUE(err) << needle;
    EXPECT_EQ(code_of(err), ec::invalid_argument);
    EXPECT_NE(context_of(err).find(needle), std::string::npos) << context_of(err);
  };
  node_client_config c;
  c.base_url = "http://cn.dataone.org/cn";
  bad(c, "loopback");
  c.base_url = "cn.dataone.org/cn";
  bad(c, "not an http:// or https:// URL");
  c.base_url = "https:///cn";
  bad(c, "no host");
  c.base_url = "https://user:pw@cn.dataone.org/cn";
  bad(c, "credentials");
  c = {};
  c.timeout_ms = 0;
  bad(c, "timeout_ms");
  c = {};
  c.stall_ms = 0;
  bad(c, "stall_ms");
  c = {};
  c.max_retries = 11;
  bad(c, "max_retries");
  c = {};
  c.retry_base_delay_ms = 60'001;
  bad(c, "retry_base_delay_ms");
}

}  // namespace
}  // namespace d1::test
