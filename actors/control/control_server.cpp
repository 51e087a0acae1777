// The control socket: bind/permissions/stale-socket handling, the accept thread and one
// thread per connection that frames JSON lines and hands each request to the handler.
#include "actors/control/control_server.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <list>
#include <mutex>
#include <poll.h>
#include <set>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace d1 {

std::string control_socket_path(const std::string& state_dir) {
  return state_dir + "/" + control_socket_name;
}

bool peer_permitted(uid_t peer_uid, uid_t daemon_uid) {
  return peer_uid == 0 || peer_uid == daemon_uid;
}

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

caf::expected<sockaddr_un> make_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return make_error(ec::invalid_argument,
                      "socket path " + path + " is too long (a Unix socket path holds at most "
                        + std::to_string(sizeof addr.sun_path - 1) + " bytes)");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Connects to `path`; -1 with errno set on failure.
int connect_to(const std::string& path) {
  auto addr = make_address(path);
  if (!addr) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// Writes all of `data`; false if the peer has gone. MSG_NOSIGNAL: no SIGPIPE.
bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    auto n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

nlohmann::json ok_line(nlohmann::json result) {
  return {{"type", "result"}, {"ok", true}, {"result", std::move(result)}};
}

nlohmann::json error_line(const std::string& code, const std::string& message,
                          nlohmann::json extra) {
  nlohmann::json line{{"type", "result"},
                      {"ok", false},
                      {"error", {{"code", code}, {"message", message}}}};
  if (!extra.is_null())
    line["result"] = std::move(extra);
  return line;
}

nlohmann::json error_line(const caf::error& err) {
  auto code = code_of(err);
  if (err.category() == error_category)
    return error_line(to_string(code), context_of(err).empty() ? describe(err)
                                                               : context_of(err));
  return error_line("unspecified", describe(err));
}

caf::error clear_stale_socket(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return {};
    return make_error(ec::io_error, "cannot inspect " + path + ": " + errno_text());
  }
  if (!S_ISSOCK(st.st_mode))
    return make_error(ec::invalid_argument,
                      path + " exists and is not a socket; remove it or use another state dir");
  int fd = connect_to(path);
  if (fd >= 0) {
    ::close(fd);
    return make_error(ec::unavailable, "another d1drive daemon is already serving " + path);
  }
  if (errno != ECONNREFUSED && errno != ENOENT)
    return make_error(ec::io_error, "cannot probe " + path + ": " + errno_text());
  // Nobody listens: a killed daemon left it behind.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return make_error(ec::io_error, "cannot remove stale socket " + path + ": " + errno_text());
  spdlog::info("removed stale control socket {}", path);
  return {};
}

// -- server ------------------------------------------------------------------------------

struct control_server::impl {
  control_server_config cfg;
  request_handler handler;
  int listen_fd = -1;
  int wake_pipe[2] = {-1, -1};  // the accept thread polls it to learn about stop()
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::mutex mtx;
  std::set<int> open_fds;  // connection fds, so stop() can hang up on them
  struct worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<worker> workers;
  bool stopped = false;
  ino_t socket_inode = 0;  // to remove the socket file only while it is still ours

  void accept_loop();
  void serve_connection(int fd);
  void reap(bool all);
};

namespace {

class connection_context : public request_context {
public:
  connection_context(int fd, const std::atomic<bool>& stopping)
    : fd_(fd), stopping_(stopping) {
  }
  bool write(const nlohmann::json& line) override {
    if (gone_)
      return false;
    if (!write_all(fd_, line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                          + "\n"))
      gone_ = true;
    return !gone_;
  }
  bool cancelled() override {
    if (stopping_ || gone_)
      return true;
    pollfd p{fd_, POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
      gone_ = true;
    return gone_;
  }

private:
  int fd_;
  const std::atomic<bool>& stopping_;
  bool gone_ = false;
};

}  // namespace

void control_server::impl::serve_connection(int fd) {
  connection_context ctx{fd, stopping};
  std::string buffer;
  char chunk[4096];
  while (!stopping) {
    auto nl = buffer.find('\n');
    if (nl == std::string::npos) {
      if (buffer.size() > cfg.max_line_bytes) {
        ctx.write(error_line("invalid_argument", "request line longer than "
                                                   + std::to_string(cfg.max_line_bytes)
                                                   + " bytes"));
        break;
      }
      auto n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      buffer.append(chunk, static_cast<size_t>(n));
      continue;
    }
    auto line = buffer.substr(0, nl);
    buffer.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos)
      continue;
    auto request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
      // The connection survives: the next line may be fine.
      if (!ctx.write(error_line("invalid_argument",
                                "malformed request: expected one JSON object per line")))
        break;
      continue;
    }
    try {
      handler(request, ctx);
    } catch (const std::exception& e) {
      // A handler bug must not take the daemon down; the client still gets an answer.
      spdlog::error("control request failed: {}", e.what());
      ctx.write(error_line("unspecified", std::string{"internal error: "} + e.what()));
    }
    if (ctx.cancelled())
      break;
  }
  std::lock_guard<std::mutex> guard{mtx};
  open_fds.erase(fd);
  ::close(fd);
}

void control_server::impl::reap(bool all) {
  for (auto i = workers.begin(); i != workers.end();) {
    if (all || *i->done) {
      if (i->thread.joinable())
        i->thread.join();
      i = workers.erase(i);
    } else {
      ++i;
    }
  }
}

void control_server::impl::accept_loop() {
  while (!stopping) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {wake_pipe[0], POLLIN, 0}};
    auto rc = ::poll(fds, 2, 1000);
    if (rc < 0 && errno != EINTR) {
      spdlog::error("control socket poll: {}", errno_text());
      return;
    }
    if (stopping)
      return;
    reap(false);
    if (rc <= 0 || !(fds[0].revents & POLLIN))
      continue;
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      write_all(fd, error_line("permission_denied", "cannot read peer credentials").dump()
                      + "\n");
      ::close(fd);
      continue;
    }
    if (!peer_permitted(cred.uid, cfg.daemon_uid)) {
      spdlog::warn("control socket: refused uid {} (pid {})", cred.uid, cred.pid);
      write_all(fd, error_line("permission_denied",
                               "user " + std::to_string(cred.uid)
                                 + " may not control this d1drive daemon (it runs as user "
                                 + std::to_string(cfg.daemon_uid) + "; only that user and "
                                 + "root may)")
                        .dump()
                      + "\n");
      ::close(fd);
      continue;
    }
    std::lock_guard<std::mutex> guard{mtx};
    if (workers.size() >= cfg.max_connections) {
      write_all(fd, error_line("unavailable", "too many control connections; try again")
                        .dump()
                      + "\n");
      ::close(fd);
      continue;
    }
    open_fds.insert(fd);
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers.push_back(worker{std::thread{[this, fd, done] {
                               serve_connection(fd);
                               *done = true;
                             }},
                             done});
  }
}

caf::expected<std::unique_ptr<control_server>>
control_server::start(control_server_config cfg, request_handler handler) {
  if (!cfg.override_daemon_uid)
    cfg.daemon_uid = ::geteuid();
  if (auto err = clear_stale_socket(cfg.socket_path))
    return err;
  // Bind under a temporary name, restrict it, then rename: the final path never exists
  // with looser permissions, and umask (process-wide) stays untouched.
  auto tmp_path = cfg.socket_path + ".tmp" + std::to_string(::getpid());
  auto addr = make_address(tmp_path);
  if (!addr)
    return addr.error();
  ::unlink(tmp_path.c_str());
  auto p = std::make_unique<impl>();
  p->cfg = std::move(cfg);
  p->handler = std::move(handler);
  p->listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (p->listen_fd < 0)
    return make_error(ec::io_error, "socket: " + errno_text());
  auto fail = [&](const std::string& what) {
    auto err = make_error(ec::io_error, what + ": " + errno_text());
    ::close(p->listen_fd);
    ::unlink(tmp_path.c_str());
    return err;
  };
  if (::bind(p->listen_fd, reinterpret_cast<sockaddr*>(&*addr), sizeof *addr) != 0)
    return fail("cannot bind " + tmp_path);
  if (::chmod(tmp_path.c_str(), 0600) != 0)
    return fail("cannot chmod " + tmp_path);
  if (::listen(p->listen_fd, 64) != 0)
    return fail("cannot listen on " + tmp_path);
  if (::rename(tmp_path.c_str(), p->cfg.socket_path.c_str()) != 0)
    return fail("cannot rename " + tmp_path + " to " + p->cfg.socket_path);
  if (::pipe2(p->wake_pipe, O_CLOEXEC) != 0) {
    auto err = make_error(ec::io_error, "pipe: " + errno_text());
    ::close(p->listen_fd);
    ::unlink(p->cfg.socket_path.c_str());
    return err;
  }
  struct stat st;
  if (::stat(p->cfg.socket_path.c_str(), &st) == 0)
    p->socket_inode = st.st_ino;
  auto* raw = p.get();
  p->acceptor = std::thread{[raw] { raw->accept_loop(); }};
  spdlog::info("control socket listening at {}", raw->cfg.socket_path);
  return std::unique_ptr<control_server>{new control_server{std::move(p)}};
}

control_server::control_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

control_server::~control_server() {
  stop();
}

const std::string& control_server::socket_path() const {
  return impl_->cfg.socket_path;
}

void control_server::stop() {
  auto& p = *impl_;
  if (p.stopped)
    return;
  p.stopped = true;
  p.stopping = true;
  char byte = 1;
  auto rc = ::write(p.wake_pipe[1], &byte, 1);
  (void) rc;
  if (p.acceptor.joinable())
    p.acceptor.join();
  {
    std::lock_guard<std::mutex> guard{p.mtx};
    for (int fd : p.open_fds)
      ::shutdown(fd, SHUT_RDWR);  // wakes a blocked read; the worker closes the fd
  }
  p.reap(true);
  ::close(p.listen_fd);
  ::close(p.wake_pipe[0]);
  ::close(p.wake_pipe[1]);
  // Remove the socket only if it is still ours (a successor may have replaced it).
  struct stat st;
  if (::stat(p.cfg.socket_path.c_str(), &st) == 0 && st.st_ino == p.socket_inode)
    ::unlink(p.cfg.socket_path.c_str());
  spdlog::info("control socket {} closed", p.cfg.socket_path);
}

// -- client ------------------------------------------------------------------------------

caf::expected<control_connection> control_connection::connect(const std::string& path) {
  int fd = connect_to(path);
  if (fd < 0) {
    if (errno == ENOENT || errno == ECONNREFUSED)
      return make_error(ec::unavailable, "nobody listens on " + path);
    return make_error(ec::io_error, "cannot connect to " + path + ": " + errno_text());
  }
  return control_connection{fd};
}

control_connection::control_connection(int fd) : fd_(fd) {
}

control_connection::control_connection(control_connection&& other) noexcept
  : fd_(other.fd_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

control_connection& control_connection::operator=(control_connection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = other.fd_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

control_connection::~control_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

caf::error control_connection::send(const nlohmann::json& request) {
  return send_raw(request.dump() + "\n");
}

caf::error control_connection::send_raw(const std::string& bytes) {
  if (!write_all(fd_, bytes))
    return make_error(ec::unavailable, "the daemon closed the control connection");
  return {};
}

caf::expected<std::string> control_connection::read_line(int timeout_ms) {
  char chunk[4096];
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      auto line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    pollfd p{fd_, POLLIN, 0};
    auto rc = ::poll(&p, 1, timeout_ms);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc == 0)
      return make_error(ec::timeout, "the daemon did not answer in time");
    auto n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return make_error(ec::unavailable, "the daemon closed the control connection");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace d1
