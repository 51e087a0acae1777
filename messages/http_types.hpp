// HTTP requests and responses as values, so the curl engine sits behind a typed actor
// (http_client_actor) that tests can replace with a fake.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
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

struct http_request {
  std::string method = "GET";  // GET or HEAD
  std::string url;
  std::vector<http_header> headers;
  uint32_t timeout_ms = 30000;  // whole transfer
  std::string output_path;      // if set, the body goes to this file instead of memory
  uint64_t max_body_bytes = 64ull << 20;  // in-memory bodies larger than this fail
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_request& x) {
  return f(caf::meta::type_name("http_request"), x.method, x.url, x.headers, x.timeout_ms,
           x.output_path, x.max_body_bytes);
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
