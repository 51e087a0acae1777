// parse_control_request: every command of the protocol typed from one JSON line, and every
// hostile argument (wrong types, huge numbers, long or NUL-holding strings) refused with
// an invalid_argument that names it.
#include "actors/control/control_requests.hpp"

#include "messages/error.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

std::string problem(std::string_view line) {
  auto req = parse_control_line(line);
  if (req)
    return "";
  EXPECT_EQ(code_of(req.error()), ec::invalid_argument) << describe(req.error());
  return context_of(req.error());
}

TEST(control_requests, each_command_parses_into_its_typed_request) {
  auto copy = parse_control_line(
    R"({"command": "resource.copy", "args": {"uid": "u1", "to": "/r2", "dry_run": true}, "wait": true})");
  ASSERT_TRUE(copy) << describe(copy.error());
  EXPECT_EQ(copy->command, "resource.copy");
  EXPECT_TRUE(copy->wait);
  EXPECT_EQ(copy->job.kind, job_kind::copy);
  EXPECT_EQ(copy->job.uid, "u1");
  EXPECT_EQ(copy->job.dst_root, "/r2");
  EXPECT_TRUE(copy->job.dry_run);
  auto reg = parse_control_line(
    R"({"command": "resource.register", "args": {"spec": "RAW", "root": "/r", "path": "p", "kwargs": {"a": 1}}})");
  ASSERT_TRUE(reg) << describe(reg.error());
  EXPECT_EQ(reg->job.kind, job_kind::register_hash);
  EXPECT_EQ(reg->job.kwargs, R"({"a":1})");
  auto verify = parse_control_line(
    R"({"command": "resource.verify", "args": {"uid": "u", "level": "size"}})");
  ASSERT_TRUE(verify);
  EXPECT_EQ(verify->job.level, check_level::size);
  auto job = parse_control_line(R"({"command": "job.wait", "args": {"id": 18446744073709551615}})");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->id, UINT64_MAX);
  auto retry = parse_control_line(R"({"command": "job.retry", "args": {"id": 7}, "wait": true})");
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->id, 7u);
  EXPECT_TRUE(retry->wait);
  auto journal = parse_control_line(R"({"command": "journal", "args": {"limit": 3}})");
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->limit, 3u);
  auto allow = parse_control_line(R"({"command": "crawl.allow", "args": {"who": "2147483647"}})");
  ASSERT_TRUE(allow);
  EXPECT_EQ(allow->who, "2147483647");
  for (auto& c : control_commands()) {
    if (c == "ping" || c == "status" || c == "resource.list" || c == "jobs"
        || c == "crawl.list" || c == "catalogue.check") {
      EXPECT_TRUE(parse_control_line(R"({"command": ")" + c + R"("})")) << c;
    }
  }
}

TEST(control_requests, hostile_requests_are_refused_naming_the_problem) {
  EXPECT_NE(problem("not json").find("malformed request"), std::string::npos);
  EXPECT_NE(problem("[1, 2]").find("malformed request"), std::string::npos);
  EXPECT_NE(problem("\"\xff\xfe\"").find("malformed request"), std::string::npos);
  EXPECT_NE(problem(R"({"command": 7})").find("\"command\" must be a string"), std::string::npos);
  EXPECT_NE(problem(R"({"args": {}})").find("without \"command\""), std::string::npos);
  EXPECT_NE(problem(R"({"command": "rm -rf"})").find("unknown command"), std::string::npos);
  EXPECT_NE(problem(R"({"command": "ping", "wait": "yes"})").find("\"wait\""), std::string::npos);
  EXPECT_NE(problem(R"({"command": "ping", "args": [1]})").find("\"args\""), std::string::npos);
  EXPECT_NE(problem(R"({"command": "job.get", "args": {"id": -1}})").find("\"id\""),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "job.get", "args": {"id": 1e300}})").find("\"id\""),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "job.get", "args": {"id": 99999999999999999999999}})")
              .find("\"id\""),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "job.get", "args": {"id": "7"}})").find("\"id\""),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "job.retry", "args": {}})").find("missing argument \"id\""),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "resource.show", "args": {"uid": ["u"]}})").find("\"uid\""),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "resource.show", "args": {"uid": "a\u0000b"}})")
              .find("NUL byte"),
            std::string::npos);
  std::string huge(1 << 20, 'x');
  EXPECT_NE(problem(R"({"command": "resource.copy", "args": {"uid": "u", "to": ")" + huge
                    + R"("}})")
              .find("\"to\" is longer than 4096 bytes"),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "resource.show", "args": {"uid": ")" + std::string(256, 'u')
                    + R"("}})")
              .find("\"uid\" is longer than 255 bytes"),
            std::string::npos);
  // A pid beyond int32 once threw out of std::stol and killed the crawl guard.
  EXPECT_NE(problem(R"({"command": "crawl.allow", "args": {"who": "99999999999999999999"}})")
              .find("is not a process id"),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "crawl.forget", "args": {"who": "0"}})")
              .find("is not a process id"),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "crawl.allow", "args": {"who": "a\nb"}})")
              .find("control character"),
            std::string::npos);
  EXPECT_NE(problem(R"({"command": "resource.verify", "args": {"uid": "u", "level": "deep"}})")
              .find("level must be"),
            std::string::npos);
}

}  // namespace
}  // namespace d1
