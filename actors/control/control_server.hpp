// The daemon's control socket: a Unix-domain socket at <state_dir>/control.sock (mode 0600,
// peers checked with SO_PEERCRED) speaking one JSON request per line, answered by one or
// more JSON lines. Its own threads do all blocking I/O; a request_handler turns requests
// into messages to actors (control_requests.hpp).
#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>

namespace d1 {

/// The name of the control socket inside a state dir, and its full path.
constexpr const char* control_socket_name = "control.sock";
std::string control_socket_path(const std::string& state_dir);

/// True when a peer with `peer_uid` may use the control socket of a daemon running as
/// `daemon_uid`: root, or the daemon's own user.
bool peer_permitted(uid_t peer_uid, uid_t daemon_uid);

/// Makes `path` free for a new socket. Nothing there: ok. A socket nobody answers on (left
/// by a killed daemon): removed, ok. A socket a live daemon answers on, or a file that is
/// not a socket: ec::unavailable / ec::invalid_argument naming the path.
caf::error clear_stale_socket(const std::string& path);

/// What a handler sees of one request in progress.
class request_context {
public:
  virtual ~request_context() = default;
  /// Sends one JSON line to the client. Returns false once the client has gone.
  virtual bool write(const nlohmann::json& line) = 0;
  /// True once the server is stopping or the client has hung up: long waits end early.
  virtual bool cancelled() = 0;
};

/// The result lines of the protocol: success with `result`; failure with an error code
/// and message (and, when not null, a `result` that says more); a caf::error as the
/// failure line named by its d1::ec code ("unspecified" for other categories).
nlohmann::json ok_line(nlohmann::json result);
nlohmann::json error_line(const std::string& code, const std::string& message,
                          nlohmann::json extra = nullptr);
nlohmann::json error_line(const caf::error& err);

/// Answers one parsed request (an object). Must write at least one line, the last one of
/// type "result" (control_requests.hpp documents the protocol). Runs in a connection thread.
using request_handler = std::function<void(const nlohmann::json& request, request_context& ctx)>;

struct control_server_config {
  std::string socket_path;        // usually control_socket_path(state_dir)
  size_t max_connections = 16;    // more concurrent clients get a "busy" error line
  size_t max_line_bytes = 1 << 20;
  uid_t daemon_uid = 0;           // set by start(): geteuid() unless a test overrides it
  bool override_daemon_uid = false;
};

/// The listening socket and its threads. Stop it (or destroy it) before the actors that
/// its handler talks to.
class control_server {
public:
  /// Clears a stale socket, binds, sets mode 0600 and starts the accept thread. Fails with
  /// ec::unavailable if another daemon serves the path, ec::io_error if it cannot bind.
  static caf::expected<std::unique_ptr<control_server>> start(control_server_config cfg,
                                                              request_handler handler);

  ~control_server();
  control_server(const control_server&) = delete;
  control_server& operator=(const control_server&) = delete;

  /// Stops accepting, hangs up on every client, joins all threads and removes the socket
  /// file. Idempotent.
  void stop();

  const std::string& socket_path() const;

  struct impl;

private:
  explicit control_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// One blocking client connection (used by the CLI and the tests).
class control_connection {
public:
  /// Connects to the socket at `path`. ec::unavailable when no daemon listens there (no
  /// file, or nobody answers), ec::io_error for other failures.
  static caf::expected<control_connection> connect(const std::string& path);

  control_connection(control_connection&& other) noexcept;
  control_connection& operator=(control_connection&& other) noexcept;
  ~control_connection();

  /// Sends one request line. Returns an empty error on success.
  caf::error send(const nlohmann::json& request);
  /// Sends raw bytes (tests send malformed lines).
  caf::error send_raw(const std::string& bytes);
  /// Reads the next line, waiting at most `timeout_ms` (negative: forever). Returns the
  /// line without its newline; ec::timeout, or ec::unavailable once the daemon hung up.
  caf::expected<std::string> read_line(int timeout_ms);

private:
  explicit control_connection(int fd);
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace d1
