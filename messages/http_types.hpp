// HTTP requests and responses as values, so the curl engine sits behind a typed actor
// (http_client_actor) that tests can replace with a fake.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace d1 {

struct http_header {
  std::string name;
  std::string value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_header& x) {
  return f(caf::meta::type_name("http_header"), x.name, x.value);
}

/// Takes a response body as it arrives, on the HTTP client's own thread, instead of memory
/// or a file (object bytes streamed into place). Local only: never serialized.
class body_sink {
public:
  virtual ~body_sink() = default;

  enum class decision : uint8_t {
    accept,          // the body goes to write()
    keep_in_memory,  // the body becomes http_response::body (an error document)
    abort,           // the transfer ends now with failure()
  };

  /// The final response's headers are complete (names lowercased).
  virtual decision headers_done(uint16_t status, const std::vector<http_header>& headers) = 0;

  /// `size` more body bytes. Returns false to end the transfer: with failure() if that is
  /// set, else as a success (the sink has all it wanted).
  virtual bool write(const char* data, size_t size) = 0;

  /// True once nobody wants the transfer any more: the client then removes it promptly and
  /// answers ec::cancelled.
  virtual bool cancelled() const = 0;

  /// Gives the sink the function that wakes the client's loop; the sink calls it after
  /// cancelled() turned true. Called once, before any other method.
  virtual void set_waker(std::function<void()> wake) = 0;

  /// Why headers_done or write ended the transfer; empty if it did not fail.
  virtual caf::error failure() const = 0;
};

using body_sink_ptr = std::shared_ptr<body_sink>;

struct http_request {
  std::string method = "GET";  // GET or HEAD
  std::string url;
  std::vector<http_header> headers;
  uint32_t timeout_ms = 30000;  // whole transfer; 0: none (then set stall_ms)
  std::string output_path;      // if set, the body goes to this file instead of memory
  uint64_t max_body_bytes = 64ull << 20;  // in-memory bodies larger than this fail
  uint32_t stall_ms = 0;  // > 0: ec::timeout when no byte arrives for this long
  body_sink_ptr sink;     // if set, the body goes here (local only, not inspected)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_request& x) {
  return f(caf::meta::type_name("http_request"), x.method, x.url, x.headers, x.timeout_ms,
           x.output_path, x.max_body_bytes, x.stall_ms);
}

struct http_response {
  uint16_t status = 0;
  std::vector<http_header> headers;  // names lowercased
  std::string body;                  // empty when written to output_path
  uint64_t body_bytes = 0;           // bytes received (in memory or in the file)
  std::string effective_url;         // after redirects

  /// Returns the value of header `name` (lowercase), or an empty string.
  const std::string& header(const std::string& name) const {
    static const std::string empty;
    for (auto& h : headers)
      if (h.name == name)
        return h.value;
    return empty;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_response& x) {
  return f(caf::meta::type_name("http_response"), x.status, x.headers, x.body, x.body_bytes,
           x.effective_url);
}

}  // namespace d1

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(d1::body_sink_ptr)
