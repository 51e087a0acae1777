// Rendering and errno mapping for d1::ec.
#include "messages/error.hpp"

#include <caf/sec.hpp>

#include <cerrno>

namespace d1 {

const char* to_string(ec code) {
  switch (code) {
    case ec::unspecified: return "unspecified";
    case ec::not_found: return "not_found";
    case ec::invalid_path: return "invalid_path";
    case ec::invalid_argument: return "invalid_argument";
    case ec::timeout: return "timeout";
    case ec::network: return "network";
    case ec::http_status: return "http_status";
    case ec::parse_error: return "parse_error";
    case ec::checksum_mismatch: return "checksum_mismatch";
    case ec::io_error: return "io_error";
    case ec::read_only: return "read_only";
    case ec::storage_error: return "storage_error";
    case ec::unavailable: return "unavailable";
    case ec::cancelled: return "cancelled";
    case ec::throttled: return "throttled";
    case ec::refused: return "refused";
    case ec::no_space: return "no_space";
    case ec::actor_failed: return "actor_failed";
  }
  return "unknown";
}

caf::error make_error(ec code, std::string context) {
  if (context.empty())
    return caf::error{static_cast<uint8_t>(code), error_category};
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(context))};
}

ec code_of(const caf::error& err) {
  if (err && err.category() == error_category)
    return static_cast<ec>(err.code());
  return ec::unspecified;
}

std::string context_of(const caf::error& err) {
  if (!err || err.category() != error_category)
    return {};
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() == error_category) {
    std::string out = to_string(code_of(err));
    auto ctx = context_of(err);
    if (!ctx.empty()) {
      out += ": ";
      out += ctx;
    }
    return out;
  }
  if (err.category() == caf::atom("system")) {
    if (err.code() == static_cast<uint8_t>(caf::sec::request_timeout))
      return "timeout: no answer in time";
    return "internal: " + caf::to_string(static_cast<caf::sec>(err.code()));
  }
  return "internal error (category " + caf::to_string(err.category()) + ", code "
         + std::to_string(err.code()) + ")";
}

int to_errno(const caf::error& err) {
  if (!err)
    return 0;
  if (err.category() != error_category) {
    if (err.category() == caf::atom("system")
        && err.code() == static_cast<uint8_t>(caf::sec::request_timeout))
      return ETIMEDOUT;
    return EIO;
  }
  switch (code_of(err)) {
    case ec::not_found: return ENOENT;
    case ec::invalid_path: return ENOENT;
    case ec::invalid_argument: return EINVAL;
    case ec::timeout: return ETIMEDOUT;
    case ec::read_only: return EROFS;
    case ec::cancelled: return EINTR;
    case ec::throttled: return EAGAIN;
    case ec::refused: return EPERM;
    case ec::no_space: return ENOSPC;
    case ec::checksum_mismatch:
    case ec::network:
    case ec::http_status:
    case ec::parse_error:
    case ec::io_error:
    case ec::storage_error:
    case ec::unavailable:
    case ec::actor_failed:
    case ec::unspecified:
      return EIO;
  }
  return EIO;
}

}  // namespace d1
