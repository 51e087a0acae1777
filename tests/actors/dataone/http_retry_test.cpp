// The retry policy and error mapping behind node_client and solr_querier.
#include "actors/dataone/http_retry.hpp"

#include "messages/error.hpp"

#include <caf/sec.hpp>

#include <gtest/gtest.h>

namespace d1 {
namespace {

using std::chrono::milliseconds;

TEST(http_retry, backoff_doubles_and_is_capped) {
  EXPECT_EQ(backoff_delay(100, 0), milliseconds(100));
  EXPECT_EQ(backoff_delay(100, 1), milliseconds(200));
  EXPECT_EQ(backoff_delay(100, 2), milliseconds(400));
  EXPECT_EQ(backoff_delay(500, 30), milliseconds(60'000));
  EXPECT_EQ(backoff_delay(0, 5), milliseconds(0));
}

TEST(http_retry, what_is_transient) {
  EXPECT_TRUE(is_transient(make_error(ec::timeout)));
  EXPECT_TRUE(is_transient(make_error(ec::network)));
  EXPECT_FALSE(is_transient(make_error(ec::http_status)));
  EXPECT_FALSE(is_transient(make_error(ec::unavailable)));
  EXPECT_TRUE(is_transient_status(500));
  EXPECT_TRUE(is_transient_status(503));
  EXPECT_FALSE(is_transient_status(404));
  EXPECT_FALSE(is_transient_status(400));
  EXPECT_FALSE(is_transient_status(200));
}

TEST(http_retry, transport_errors_name_the_url) {
  http_request req;
  req.url = "https://cn.example.org/cn/v2/node";
  req.timeout_ms = 1000;
  auto t = transport_error(caf::make_error(caf::sec::request_timeout), req);
  EXPECT_EQ(code_of(t), ec::timeout);
  EXPECT_NE(context_of(t).find(req.url), std::string::npos);
  EXPECT_EQ(answer_deadline(req), milliseconds(7000));
  auto gone = transport_error(caf::make_error(caf::sec::request_receiver_down), req);
  EXPECT_EQ(code_of(gone), ec::unavailable);
  auto net = transport_error(make_error(ec::network, "connection reset"), req);
  EXPECT_EQ(code_of(net), ec::network);
  EXPECT_EQ(context_of(net), "GET " + req.url + ": connection reset");
}

TEST(http_retry, status_errors) {
  http_request req;
  req.url = "https://cn.example.org/cn/v2/meta/x";
  http_response resp;
  resp.status = 404;
  auto e = status_error(req, resp);
  EXPECT_EQ(code_of(e), ec::not_found);
  EXPECT_EQ(context_of(e), "GET " + req.url + " → HTTP 404");
  resp.status = 401;
  resp.body = "<error name=\"NotAuthorized\" errorCode=\"401\" detailCode=\"1040\">"
              "<description>private</description></error>";
  e = status_error(req, resp);
  EXPECT_EQ(code_of(e), ec::http_status);
  EXPECT_EQ(context_of(e), "NotAuthorized (401): private (GET " + req.url + " → HTTP 401)");
}

}  // namespace
}  // namespace d1
