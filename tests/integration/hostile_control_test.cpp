// The control socket of a real mounted daemon under hostile requests: every command with
// every argument set to huge numbers, wrong types, 1 MB strings, NUL bytes, invalid UTF-8,
// deep nesting and over-long lines. Each gets an answer (an invalid_argument result, or
// the command's ordinary error), the daemon keeps answering `ping`, its crawl guard stays
// up, its log shows no failed actor, and the mount keeps serving.
#include "tests/integration/harness.hpp"

#include "actors/control/control_requests.hpp"
#include "actors/control/control_server.hpp"
#include "messages/error.hpp"

#include <gtest/gtest.h>

namespace d1::integration {
namespace {

using json = nlohmann::json;

class hostile_control_test : public mount_suite<hostile_control_test> {
public:
  static mount_options options() {
    return {{"--no-fixtures", "--synthetic", "200"}, "[network]\ntimeout_ms = 5000\n"};
  }

protected:
  std::string socket() const {
    return control_socket_path(dir_->path() + "/state");
  }

  // Sends `line` (a newline is added) on a connection of its own and returns the last
  // line of the answer, "" if the daemon hung up without one.
  std::string exchange(const std::string& line) {
    auto conn = control_connection::connect(socket());
    EXPECT_TRUE(conn) << describe(conn.error());
    if (!conn)
      return "";
    // A line over the limit is answered and hung up on while it is still being sent: the
    // send fails then, the answer is there to read all the same.
    static_cast<void>(conn->send_raw(line + "\n"));
    std::string last;
    for (int i = 0; i < 10000; ++i) {  // progress lines come before the result
      auto got = conn->read_line(15000);
      if (!got)
        break;
      last = *got;
      auto j = json::parse(last, nullptr, false);
      if (!j.is_discarded() && j.value("type", "") == "result")
        break;
    }
    return last;
  }

  void expect_ping() {
    auto pong = json::parse(exchange(R"({"command": "ping"})"), nullptr, false);
    ASSERT_FALSE(pong.is_discarded());
    ASSERT_TRUE(pong.value("ok", false)) << pong;
  }
};

TEST_F(hostile_control_test, integration_every_command_survives_hostile_arguments) {
  const std::string mega(1000 * 1000, 'x');  // a 1 MB string: the line stays under 1 MiB
  const std::vector<std::string> values{
    "18446744073709551616",    // one past uint64
    "-9223372036854775809",    // one past int64
    "1e308",        "-1",      "0",   "3.5",          "true",        "null",
    "[]",           "{}",      R"("")",
    R"("99999999999999999999")",  // a pid beyond int32 (once killed the crawl guard)
    R"("a\u0000b")",              // a NUL inside a path or name
    R"("../../etc")",  R"("/")",  R"("\ud800")",  // a lone surrogate
    "\"" + mega + "\"",
    std::string(2000, '[') + std::string(2000, ']'),
  };
  const std::vector<std::string> keys{"uid",   "to",         "from",  "root", "path",
                                      "spec",  "kwargs",     "algorithm", "level",
                                      "dry_run", "force_last", "id",    "limit", "after",
                                      "who"};
  size_t answered = 0, sent = 0;
  for (auto& command : control_commands()) {
    if (command == "job.wait")
      continue;  // waits for a job by design; job.get and job.cancel take the same id
    for (auto& key : keys) {
      for (auto& value : values) {
        auto line = R"({"command": ")" + command + R"(", "args": {")" + key + R"(": )" + value
                    + "}}";
        ++sent;
        auto answer = json::parse(exchange(line), nullptr, false);
        ASSERT_FALSE(answer.is_discarded()) << command << " " << key << " " << value.substr(0, 40);
        EXPECT_EQ(answer.value("type", ""), "result") << answer;
        ++answered;
      }
    }
    expect_ping();
  }
  EXPECT_EQ(answered, sent);
  // Whole lines that are not requests.
  for (auto& line : {std::string{"\xff\xfe\xfd"}, std::string{"{\"command\": \"ping\xc3\x28\"}"},
                     std::string(100000, '['), std::string{"{\"command\": [\"ping\"]}"},
                     std::string{"{\"command\": \"ping\", \"wait\": 12}"}}) {
    auto answer = json::parse(exchange(line), nullptr, false);
    ASSERT_FALSE(answer.is_discarded()) << line.substr(0, 40);
    EXPECT_EQ(answer["error"].value("code", ""), "invalid_argument") << answer;
  }
  // Over the line limit: refused, the connection closed, the daemon fine.
  auto too_long = json::parse(exchange(std::string(2 << 20, 'y')), nullptr, false);
  EXPECT_FALSE(too_long.is_discarded());
  expect_ping();
  // The crawl guard still answers (through the daemon's own registry).
  auto guard = json::parse(exchange(R"({"command": "crawl.list"})"), nullptr, false);
  EXPECT_TRUE(guard.value("ok", false)) << guard;
  EXPECT_EQ(drive_->log().find("failed on"), std::string::npos) << drive_->log();
  EXPECT_EQ(drive_->log().find("restarted every actor"), std::string::npos);
  EXPECT_FALSE(ls(mnt() + "/FlatSpace").empty() && ls(mnt()).empty());
  EXPECT_EQ(sh("ls " + quote(mnt() + "/Status")).status, 0);
}

}  // namespace
}  // namespace d1::integration
