// http_client against a real HTTP/1.1 server on 127.0.0.1 written here (one thread per
// connection) that can answer, delay, reset, truncate, talk garbage and answer 303.
// A real actor system: the curl engine is a real thread, so every wait is bounded.
#include "actors/dataone/http_client.hpp"

#include "messages/error.hpp"
#include "messages/type_registry.hpp"
#include "tests/storage/temp_dir.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace d1 {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

char pattern_byte(size_t i) {
  return static_cast<char>((i * 31 + 7) & 0xff);
}

// A listening socket on 127.0.0.1 and a free port (written to `port`); aborts the test
// binary when it cannot listen, as no test here could run without it.
int listen_on_loopback(int backlog, uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::listen(fd, backlog) != 0)
    std::abort();
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

// A deliberately small HTTP/1.1 server. Paths choose the behaviour:
//   /hello  /echo  /status/N  /big/N  /big-nolength/N  /delay/MS  /reset  /truncate
//   /garbage  /see-other
class test_server {
public:
  test_server() {
    listen_fd_ = listen_on_loopback(128, port_);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~test_server() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stopping_ = true;
    }
    cv_.notify_all();
    acceptor_.join();
    std::vector<std::thread> conns;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      conns.swap(conns_);
    }
    for (auto& t : conns)
      t.join();
    ::close(listen_fd_);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  int accepted() const {
    return accepted_.load();
  }

private:
  bool stopping() {
    std::lock_guard<std::mutex> guard{mtx_};
    return stopping_;
  }

  void accept_loop() {
    while (!stopping()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0)
        continue;
      ++accepted_;
      std::lock_guard<std::mutex> guard{mtx_};
      conns_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static bool send_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      auto n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  static std::string head(int status, const std::string& reason, uint64_t length,
                          const std::string& extra = {}) {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason
           + "\r\nContent-Length: " + std::to_string(length)
           + "\r\nConnection: close\r\n" + extra + "\r\n";
  }

  void serve(int fd) {
    timeval tv{2, 0};  // a client that never finishes its request is dropped
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      request.append(buf, static_cast<size_t>(n));
    }
    std::istringstream first_line{request.substr(0, request.find("\r\n"))};
    std::string method, path;
    first_line >> method >> path;
    bool is_head = method == "HEAD";
    auto body_of = [&](const std::string& status_line_head, const std::string& body) {
      return status_line_head + (is_head ? "" : body);
    };
    auto number_after = [&](const std::string& prefix) {
      return std::stoull(path.substr(prefix.size()));
    };
    if (path == "/hello") {
      std::string body = "hello world";
      send_all(fd, body_of(head(200, "OK", body.size(), "X-Test-Header:  Some Value \r\n"),
                           body));
    } else if (path == "/echo") {
      auto headers = request.substr(0, request.find("\r\n\r\n"));
      send_all(fd, body_of(head(200, "OK", headers.size()), headers));
    } else if (path.rfind("/status/", 0) == 0) {
      auto code = static_cast<int>(number_after("/status/"));
      std::string body = "status " + std::to_string(code);
      send_all(fd, body_of(head(code, "Whatever", body.size()), body));
    } else if (path.rfind("/big/", 0) == 0 || path.rfind("/big-nolength/", 0) == 0) {
      bool with_length = path.rfind("/big/", 0) == 0;
      auto n = number_after(with_length ? "/big/" : "/big-nolength/");
      std::string h = with_length ? head(200, "OK", n)
                                  : "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
      if (send_all(fd, h) && !is_head) {
        std::string chunk;
        for (uint64_t i = 0; i < n;) {
          chunk.clear();
          for (size_t k = 0; k < 65536 && i < n; ++k, ++i)
            chunk += pattern_byte(i);
          if (!send_all(fd, chunk))
            break;
        }
      }
    } else if (path.rfind("/delay/", 0) == 0) {
      auto ms = number_after("/delay/");
      {
        std::unique_lock<std::mutex> lock{mtx_};
        cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
      }
      send_all(fd, body_of(head(200, "OK", 4), "late"));
    } else if (path == "/reset") {
      linger lg{1, 0};  // close() now sends RST instead of FIN
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    } else if (path == "/truncate") {
      send_all(fd, head(200, "OK", 1000) + std::string(500, 'x'));
    } else if (path == "/garbage") {
      send_all(fd, "this is not HTTP at all\r\n\r\nnot even close\r\n");
    } else if (path == "/see-other") {
      std::string body = "<objectLocationList>somewhere</objectLocationList>";
      send_all(fd, body_of(head(303, "See Other", body.size(),
                                "Location: http://127.0.0.1:1/elsewhere\r\n"),
                           body));
    } else {
      send_all(fd, body_of(head(404, "Not Found", 9), "not found"));
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::thread> conns_;
  std::thread acceptor_;
};


// A self-signed certificate for DNS:localhost only (no IP address), written as PEM:
// trusted through ca_file it is good for https://localhost but not for https://127.0.0.1.
struct tls_files {
  std::string cert;
  std::string key;
};

tls_files make_self_signed(const std::string& dir) {
  tls_files out{dir + "/cert.pem", dir + "/key.pem"};
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, pkey);
  auto* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost"},
                            {NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,digitalSignature,keyCertSign"},
                            {NID_ext_key_usage, "serverAuth,clientAuth"}}) {
    auto* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, pkey, EVP_sha256());
  auto* f = std::fopen(out.cert.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(out.key.c_str(), "w");
  PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(pkey);
  return out;
}

// An HTTPS server on 127.0.0.1 that answers every request with "hello tls"; with
// `require_client_cert` it only talks to clients presenting the same certificate.
class tls_server {
public:
  tls_server(const tls_files& files, bool require_client_cert) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_file(ctx_, files.cert.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx_, files.key.c_str(), SSL_FILETYPE_PEM);
    if (require_client_cert) {
      SSL_CTX_load_verify_locations(ctx_, files.cert.c_str(), nullptr);
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    listen_fd_ = listen_on_loopback(16, port_);
    thread_ = std::thread([this] { loop(); });
  }

  ~tls_server() {
    stopping_ = true;
    thread_.join();
    ::close(listen_fd_);
    SSL_CTX_free(ctx_);
  }

  std::string url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(port_) + "/hello";
  }

private:
  // One connection at a time is enough here.
  void loop() {
    // SSL_write to a client that hung up would raise SIGPIPE: make it EPIPE instead.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0)
        continue;
      timeval tv{2, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
          int n = SSL_read(ssl, buf, sizeof(buf));
          if (n <= 0)
            break;
          request.append(buf, static_cast<size_t>(n));
        }
        std::string reply =
          "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nhello tls";
        SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
        SSL_shutdown(ssl);
      }
      SSL_free(ssl);
      ::close(fd);
    }
  }

  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

class http_client_test : public ::testing::Test {
protected:
  struct config : caf::actor_system_config {
    config() {
      set("logger.verbosity", caf::atom("quiet"));
      set("scheduler.max-threads", 2);
      d1::add_message_types(*this);
    }
  };

  http_client_test() : sys_(cfg_), self_(sys_) {
    client_ = sys_.spawn(http_client, http_client_config{});
  }

  ~http_client_test() override {
    caf::anon_send_exit(client_, caf::exit_reason::user_shutdown);
  }

  static http_request get(std::string url) {
    http_request req;
    req.url = std::move(url);
    req.timeout_ms = 10000;
    return req;
  }

  // One request with a bounded wait; a missing reply shows as caf's request_timeout.
  caf::expected<http_response> call(http_request req, std::chrono::milliseconds bound = 15s) {
    std::optional<caf::expected<http_response>> out;
    self_->request(client_, bound, std::move(req))
      .receive([&](http_response& r) { out = std::move(r); },
               [&](caf::error& e) { out = caf::expected<http_response>{std::move(e)}; });
    return std::move(*out);
  }

  test_server server_;
  config cfg_;
  caf::actor_system sys_;
  caf::scoped_actor self_;
  http_client_actor client_;
  test::temp_dir dir_;  // files a test's transfers write
};

TEST_F(http_client_test, get_returns_body_status_and_lowercased_headers) {
  auto r = call(get(server_.url("/hello")));
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello world");
  EXPECT_EQ(r->body_bytes, 11u);
  EXPECT_EQ(r->header("x-test-header"), "Some Value");
  EXPECT_EQ(r->header("content-length"), "11");
  EXPECT_EQ(r->effective_url, server_.url("/hello"));
  for (auto& h : r->headers)
    for (char c : h.name)
      EXPECT_FALSE(c >= 'A' && c <= 'Z') << h.name;
}

TEST_F(http_client_test, sends_request_headers_and_user_agent) {
  auto req = get(server_.url("/echo"));
  req.headers.push_back({"X-Req", "42"});
  auto r = call(req);
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_NE(r->body.find("X-Req: 42"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("User-Agent: d1drive/0.1"), std::string::npos) << r->body;
}

TEST_F(http_client_test, head_has_headers_and_no_body) {
  auto req = get(server_.url("/hello"));
  req.method = "HEAD";
  auto r = call(req);
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(r->body_bytes, 0u);
  EXPECT_EQ(r->header("content-length"), "11");
}

TEST_F(http_client_test, error_statuses_are_responses) {
  for (int code : {404, 500}) {
    auto r = call(get(server_.url("/status/" + std::to_string(code))));
    ASSERT_TRUE(r) << describe(r.error());
    EXPECT_EQ(r->status, code);
    EXPECT_EQ(r->body, "status " + std::to_string(code));
  }
}

TEST_F(http_client_test, see_other_is_not_followed) {
  auto r = call(get(server_.url("/see-other")));
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->status, 303);
  EXPECT_EQ(r->body, "<objectLocationList>somewhere</objectLocationList>");
  EXPECT_EQ(r->header("location"), "http://127.0.0.1:1/elsewhere");
  EXPECT_EQ(r->effective_url, server_.url("/see-other"));
}

TEST_F(http_client_test, output_path_streams_to_a_file) {
  const uint64_t n = 3u << 20;
  auto path = dir_ / "body.bin";
  {
    std::ofstream stale{path};
    stale << std::string(10u << 20, 's');  // longer than the body: must be truncated
  }
  auto req = get(server_.url("/big/" + std::to_string(n)));
  req.output_path = path;
  req.max_body_bytes = 1000;  // applies to bodies in memory only
  auto r = call(req);
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(r->body_bytes, n);
  std::ifstream in{path, std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_EQ(bytes.size(), n);
  for (size_t i = 0; i < n; ++i)
    if (bytes[i] != pattern_byte(i))
      FAIL() << "byte " << i << " differs";
}

TEST_F(http_client_test, output_path_in_missing_directory_is_io_error) {
  auto req = get(server_.url("/hello"));
  req.output_path = "/nonexistent/d1drive/body";
  auto r = call(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::io_error) << describe(r.error());
}

TEST_F(http_client_test, body_over_max_body_bytes_fails) {
  for (auto path : {"/big/100000", "/big-nolength/100000"}) {
    auto req = get(server_.url(path));
    req.max_body_bytes = 1000;
    auto r = call(req);
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(code_of(r.error()), ec::network) << describe(r.error());
    EXPECT_NE(context_of(r.error()).find("response larger than 1000 bytes"),
              std::string::npos)
      << describe(r.error());
  }
  auto req = get(server_.url("/big/1000"));
  req.max_body_bytes = 1000;
  auto r = call(req);
  ASSERT_TRUE(r) << describe(r.error());
  EXPECT_EQ(r->body.size(), 1000u);
}

TEST_F(http_client_test, slow_server_times_out_within_bound) {
  auto req = get(server_.url("/delay/5000"));
  req.timeout_ms = 300;
  auto start = clock_type::now();
  auto r = call(req, 5s);
  auto took = clock_type::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::timeout) << describe(r.error());
  EXPECT_LT(took, 2s);
}

TEST_F(http_client_test, reset_connection_is_network_error) {
  auto r = call(get(server_.url("/reset")));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::network) << describe(r.error());
  EXPECT_NE(context_of(r.error()).find(server_.url("/reset")), std::string::npos)
    << describe(r.error());
}

TEST_F(http_client_test, body_shorter_than_content_length_is_an_error) {
  auto r = call(get(server_.url("/truncate")));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::network) << describe(r.error());
  auto req = get(server_.url("/truncate"));
  req.output_path = dir_ / "short";
  auto f = call(req);
  ASSERT_FALSE(f);
  EXPECT_EQ(code_of(f.error()), ec::network) << describe(f.error());
}

TEST_F(http_client_test, garbage_is_network_error) {
  auto r = call(get(server_.url("/garbage")));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::network) << describe(r.error());
}

TEST_F(http_client_test, connection_refused_is_network_error) {
  // A port that was just free: nothing listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  auto url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x";
  auto r = call(get(url));
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::network) << describe(r.error());
  EXPECT_NE(context_of(r.error()).find(url), std::string::npos) << describe(r.error());
}

TEST_F(http_client_test, plain_http_to_other_hosts_is_refused_without_connecting) {
  auto start = clock_type::now();
  for (auto url : {"http://192.0.2.1:9/object/x", "http://example.invalid/x",
                   "http://127.0.0.1.example.com/x", "http://10.0.0.1/"}) {
    auto r = call(get(url));
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(code_of(r.error()), ec::invalid_argument) << describe(r.error());
    EXPECT_NE(context_of(r.error()).find("plain http is only allowed for loopback hosts"),
              std::string::npos)
      << describe(r.error());
  }
  // A connection attempt to 192.0.2.1 (TEST-NET) would hang until the connect timeout.
  EXPECT_LT(clock_type::now() - start, 2s);
  EXPECT_EQ(server_.accepted(), 0);
  for (auto url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "not a url"}) {
    auto r = call(get(url));
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(code_of(r.error()), ec::invalid_argument) << describe(r.error());
  }
  auto post = get(server_.url("/hello"));
  post.method = "POST";
  auto r = call(post);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::invalid_argument);
  EXPECT_EQ(server_.accepted(), 0);
}

TEST(http_url_policy, loopback_and_https_are_allowed) {
  for (auto url : {"http://127.0.0.1:8080/cn", "http://127.9.8.7/", "http://localhost:1/x",
                   "http://LOCALHOST/x", "http://[::1]:8080/cn", "https://cn.dataone.org/cn",
                   "HTTPS://knb.ecoinformatics.org/knb/d1/mn"})
    EXPECT_FALSE(check_url_policy(url)) << url << ": " << describe(check_url_policy(url));
  for (auto url : {"http://128.0.0.1/", "http://[::2]/", "http://localhost.example.com/",
                   "http://cn.dataone.org/cn", "gopher://127.0.0.1/"})
    EXPECT_EQ(code_of(check_url_policy(url)), ec::invalid_argument) << url;
}

TEST_F(http_client_test, fifty_concurrent_requests_are_all_answered) {
  using handle_type = decltype(self_->request(client_, caf::infinite, http_request{}));
  std::vector<handle_type> handles;
  for (int i = 0; i < 50; ++i) {
    auto req = get(server_.url("/big/" + std::to_string(1000 + i)));
    handles.push_back(self_->request(client_, 30s, req));
  }
  int answered = 0;
  for (int i = 0; i < 50; ++i) {
    handles[i].receive(
      [&](http_response& r) {
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body.size(), static_cast<size_t>(1000 + i));
        ++answered;
      },
      [&](caf::error& e) { ADD_FAILURE() << "request " << i << ": " << describe(e); });
  }
  EXPECT_EQ(answered, 50);
  EXPECT_EQ(server_.accepted(), 50);
}

TEST_F(http_client_test, exit_with_request_in_flight_cancels_it) {
  auto req = get(server_.url("/delay/10000"));
  req.timeout_ms = 20000;
  auto handle = self_->request(client_, 10s, req);
  // Wait (bounded) until the transfer really is in flight.
  for (int i = 0; i < 200 && server_.accepted() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(server_.accepted(), 1);
  auto start = clock_type::now();
  caf::anon_send_exit(client_, caf::exit_reason::user_shutdown);
  std::optional<caf::error> err;
  handle.receive([&](http_response&) { ADD_FAILURE() << "a response after exit"; },
                 [&](caf::error& e) { err = std::move(e); });
  EXPECT_LT(clock_type::now() - start, 3s);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(*err), ec::cancelled) << describe(*err);
}

TEST_F(http_client_test, invalid_config_quits_at_once) {
  http_client_config bad;
  bad.ca_file = "/nonexistent/ca.pem";
  http_client_actor c = sys_.spawn(http_client, bad);
  auto r = [&] {
    std::optional<caf::expected<http_response>> out;
    self_->request(c, 5s, get(server_.url("/hello")))
      .receive([&](http_response& x) { out = std::move(x); },
               [&](caf::error& e) { out = caf::expected<http_response>{std::move(e)}; });
    return std::move(*out);
  }();
  EXPECT_FALSE(r);
  EXPECT_EQ(server_.accepted(), 0);
}


TEST_F(http_client_test, tls_peer_and_host_are_verified) {
  auto files = make_self_signed(dir_.path());
  tls_server tls{files, false};
  // The system store does not know our certificate.
  auto untrusted = call(get(tls.url("localhost")));
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(code_of(untrusted.error()), ec::network) << describe(untrusted.error());
  http_client_config cfg;
  cfg.ca_file = files.cert;
  http_client_actor trusting = sys_.spawn(http_client, cfg);
  auto call_with = [&](const std::string& url) {
    std::optional<caf::expected<http_response>> out;
    self_->request(trusting, 15s, get(url))
      .receive([&](http_response& r) { out = std::move(r); },
               [&](caf::error& e) { out = caf::expected<http_response>{std::move(e)}; });
    return std::move(*out);
  };
  auto ok = call_with(tls.url("localhost"));
  ASSERT_TRUE(ok) << describe(ok.error());
  EXPECT_EQ(ok->body, "hello tls");
  // Trusted certificate, wrong name: the certificate says localhost, not 127.0.0.1.
  auto wrong_host = call_with(tls.url("127.0.0.1"));
  ASSERT_FALSE(wrong_host);
  EXPECT_EQ(code_of(wrong_host.error()), ec::network) << describe(wrong_host.error());
  caf::anon_send_exit(trusting, caf::exit_reason::user_shutdown);
}

TEST_F(http_client_test, client_certificate_is_presented_when_configured) {
  auto files = make_self_signed(dir_.path());
  tls_server tls{files, true};
  auto call_with = [&](const http_client_config& cfg) {
    http_client_actor c = sys_.spawn(http_client, cfg);
    std::optional<caf::expected<http_response>> out;
    self_->request(c, 15s, get(tls.url("localhost")))
      .receive([&](http_response& r) { out = std::move(r); },
               [&](caf::error& e) { out = caf::expected<http_response>{std::move(e)}; });
    caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
    return std::move(*out);
  };
  http_client_config cfg;
  cfg.ca_file = files.cert;
  auto without = call_with(cfg);
  ASSERT_FALSE(without);
  EXPECT_EQ(code_of(without.error()), ec::network) << describe(without.error());
  cfg.client_cert = files.cert;
  cfg.client_key = files.key;
  auto with = call_with(cfg);
  ASSERT_TRUE(with) << describe(with.error());
  EXPECT_EQ(with->body, "hello tls");
}

}  // namespace
}  // namespace d1
