// The control socket on a real Unix socket in a temp dir: permissions, peer credentials,
// stale sockets, line framing and malformed requests. The handler here echoes requests; the
// translation to actors is tested end to end in tests/integration/cli_test.cpp.
#include "actors/control/control_server.hpp"

#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace d1 {
namespace {

constexpr int timeout_ms = 5000;

// Answers {"command":"echo",...} with the request; "stream" with n progress lines first.
void echo_handler(const nlohmann::json& req, request_context& ctx) {
  if (req.value("command", "") == "stream") {
    for (int i = 0; i < req.value("n", 0); ++i)
      ctx.write({{"type", "progress"}, {"i", i}});
  }
  if (req.value("command", "") == "block") {
    // Waits until the server stops or the client goes (bounded: 10 s).
    for (int i = 0; i < 1000 && !ctx.cancelled(); ++i)
      usleep(10000);
  }
  ctx.write({{"type", "result"}, {"ok", true}, {"result", req}});
}

class control_server_test : public ::testing::Test {
protected:
  std::unique_ptr<control_server> start(uid_t daemon_uid = 0, bool override_uid = false) {
    control_server_config cfg;
    cfg.socket_path = control_socket_path(dir_.path());
    cfg.daemon_uid = daemon_uid;
    cfg.override_daemon_uid = override_uid;
    cfg.max_line_bytes = 4096;
    auto server = control_server::start(cfg, echo_handler);
    EXPECT_TRUE(server) << describe(server.error());
    return server ? std::move(*server) : nullptr;
  }

  nlohmann::json read_json(control_connection& conn) {
    auto line = conn.read_line(timeout_ms);
    if (!line)
      return {{"read_error", describe(line.error())}};
    return nlohmann::json::parse(*line, nullptr, false);
  }

  test::temp_dir dir_;
};

TEST(control_peer, root_and_own_user_are_permitted) {
  EXPECT_TRUE(peer_permitted(0, 1000));
  EXPECT_TRUE(peer_permitted(1000, 1000));
  EXPECT_TRUE(peer_permitted(0, 0));
  EXPECT_FALSE(peer_permitted(1001, 1000));
  EXPECT_FALSE(peer_permitted(65534, 0));
}

TEST_F(control_server_test, socket_has_mode_0600) {
  auto server = start();
  ASSERT_TRUE(server);
  struct stat st;
  ASSERT_EQ(::stat(server->socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(control_server_test, answers_and_streams_lines) {
  auto server = start();
  ASSERT_TRUE(server);
  auto conn = control_connection::connect(server->socket_path());
  ASSERT_TRUE(conn) << describe(conn.error());
  ASSERT_FALSE(conn->send({{"command", "stream"}, {"n", 3}}));
  for (int i = 0; i < 3; ++i) {
    auto line = read_json(*conn);
    EXPECT_EQ(line.value("type", ""), "progress") << line;
    EXPECT_EQ(line.value("i", -1), i);
  }
  auto last = read_json(*conn);
  EXPECT_EQ(last.value("type", ""), "result");
  EXPECT_TRUE(last.value("ok", false));
}

TEST_F(control_server_test, malformed_lines_get_an_error_and_the_connection_survives) {
  auto server = start();
  ASSERT_TRUE(server);
  auto conn = control_connection::connect(server->socket_path());
  ASSERT_TRUE(conn);
  ASSERT_FALSE(conn->send_raw("this is not json\n[1,2,3]\n{\"command\": \n"));
  for (int i = 0; i < 3; ++i) {
    auto line = read_json(*conn);
    EXPECT_EQ(line.value("type", ""), "result") << line;
    EXPECT_FALSE(line.value("ok", true));
    EXPECT_EQ(line["error"].value("code", ""), "invalid_argument");
  }
  ASSERT_FALSE(conn->send({{"command", "echo"}, {"x", 42}}));
  auto ok = read_json(*conn);
  EXPECT_TRUE(ok.value("ok", false)) << ok;
  EXPECT_EQ(ok["result"].value("x", 0), 42);
}

TEST_F(control_server_test, an_overlong_line_is_refused_and_closed) {
  auto server = start();
  ASSERT_TRUE(server);
  auto conn = control_connection::connect(server->socket_path());
  ASSERT_TRUE(conn);
  ASSERT_FALSE(conn->send_raw(std::string(10000, 'x')));
  auto line = read_json(*conn);
  EXPECT_FALSE(line.value("ok", true)) << line;
  auto after = conn->read_line(timeout_ms);
  ASSERT_FALSE(after);
  EXPECT_EQ(code_of(after.error()), ec::unavailable);
}

TEST_F(control_server_test, a_stale_socket_is_replaced) {
  auto path = control_socket_path(dir_.path());
  {
    // What a kill -9 leaves: a bound socket file with nobody listening.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  auto server = start();
  ASSERT_TRUE(server);
  auto conn = control_connection::connect(path);
  ASSERT_TRUE(conn) << describe(conn.error());
  ASSERT_FALSE(conn->send({{"command", "echo"}}));
  EXPECT_TRUE(read_json(*conn).value("ok", false));
}

TEST_F(control_server_test, a_live_daemon_is_not_displaced) {
  auto first = start();
  ASSERT_TRUE(first);
  control_server_config cfg;
  cfg.socket_path = control_socket_path(dir_.path());
  auto second = control_server::start(cfg, echo_handler);
  ASSERT_FALSE(second);
  EXPECT_EQ(code_of(second.error()), ec::unavailable);
  EXPECT_NE(describe(second.error()).find("another d1drive daemon"), std::string::npos);
  // The first one still answers.
  auto conn = control_connection::connect(first->socket_path());
  ASSERT_TRUE(conn);
  ASSERT_FALSE(conn->send({{"command", "echo"}}));
  EXPECT_TRUE(read_json(*conn).value("ok", false));
}

TEST_F(control_server_test, a_file_that_is_not_a_socket_is_left_alone) {
  auto path = control_socket_path(dir_.path());
  { FILE* f = std::fopen(path.c_str(), "w"); ASSERT_TRUE(f); std::fclose(f); }
  control_server_config cfg;
  cfg.socket_path = path;
  auto server = control_server::start(cfg, echo_handler);
  ASSERT_FALSE(server);
  EXPECT_EQ(code_of(server.error()), ec::invalid_argument);
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
}

TEST_F(control_server_test, stop_removes_the_socket_and_hangs_up) {
  auto server = start();
  ASSERT_TRUE(server);
  auto conn = control_connection::connect(server->socket_path());
  ASSERT_TRUE(conn);
  ASSERT_FALSE(conn->send({{"command", "block"}}));
  usleep(50000);
  server->stop();
  struct stat st;
  EXPECT_NE(::stat(control_socket_path(dir_.path()).c_str(), &st), 0);
  auto no_daemon = control_connection::connect(control_socket_path(dir_.path()));
  ASSERT_FALSE(no_daemon);
  EXPECT_EQ(code_of(no_daemon.error()), ec::unavailable);
}

// Runs in a forked child as `uid`: connects and copies the first line (or an errno tag)
// into `out`. Uses only syscalls (the parent has threads).
void connect_as(uid_t uid, const std::string& path, int out) {
  if (::setgid(uid) != 0 || ::setuid(uid) != 0) {
    auto rc = ::write(out, "setuid-failed", 13);
    (void) rc;
    ::_exit(1);
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const char* tag = errno == EACCES ? "EACCES" : "connect-failed";
    auto rc = ::write(out, tag, std::strlen(tag));
    (void) rc;
    ::_exit(0);
  }
  char buf[1024];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    auto rc = ::write(out, buf, static_cast<size_t>(n));
    (void) rc;
  }
  ::_exit(0);
}

std::string run_as(uid_t uid, const std::string& path) {
  int fds[2];
  if (::pipe(fds) != 0)
    return "pipe-failed";
  auto pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(10);  // bounded even if the server never answers
    connect_as(uid, path, fds[1]);
  }
  ::close(fds[1]);
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status;
  ::waitpid(pid, &status, 0);
  return out;
}

TEST_F(control_server_test, other_users_are_refused) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to act as another user";
  auto server = start();
  ASSERT_TRUE(server);
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  // Mode 0600 alone keeps the other user out of the socket.
  EXPECT_EQ(run_as(65534, server->socket_path()), "EACCES");
  // With the file opened up, the credential check still refuses them, clearly.
  ASSERT_EQ(::chmod(server->socket_path().c_str(), 0666), 0);
  auto answer = nlohmann::json::parse(run_as(65534, server->socket_path()), nullptr, false);
  ASSERT_TRUE(answer.is_object()) << answer;
  EXPECT_FALSE(answer.value("ok", true));
  EXPECT_EQ(answer["error"].value("code", ""), "permission_denied");
  EXPECT_NE(answer["error"].value("message", "").find("may not control"), std::string::npos);
}

TEST_F(control_server_test, a_daemon_of_another_user_refuses_us_unless_root) {
  // The daemon claims to be uid 4242: we (root in CI) are still allowed; a non-root test
  // runner is refused.
  auto server = start(4242, true);
  ASSERT_TRUE(server);
  auto conn = control_connection::connect(server->socket_path());
  ASSERT_TRUE(conn);
  ASSERT_FALSE(conn->send({{"command", "echo"}}));
  auto line = read_json(*conn);
  EXPECT_EQ(line.value("ok", false), ::geteuid() == 0) << line;
}

}  // namespace
}  // namespace d1
