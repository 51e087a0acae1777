// Test helper: a read of an object's bytes (object_bytes::read) whose outcome the test
// inspects once the bytes were served or the read failed.
#pragma once

#include "messages/object_bytes.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>

namespace d1 {

struct read_result {
  bool done = false;
  caf::error err;
  std::string bytes;
};

/// Starts a read of [off, off + len); the result fills in when the reply comes (the bytes
/// are read from the fd the reply names, as FUSE would).
inline std::shared_ptr<read_result> start_object_read(object_bytes& bytes, uint64_t off,
                                                      uint64_t len) {
  auto out = std::make_shared<read_result>();
  bytes.read(off, len, [out, off, len](caf::expected<int> fd) {
    out->done = true;
    if (!fd) {
      out->err = fd.error();
      return;
    }
    out->bytes.resize(len);
    auto n = ::pread(*fd, out->bytes.data(), len, static_cast<off_t>(off));
    out->bytes.resize(n < 0 ? 0 : static_cast<size_t>(n));
  });
  return out;
}

}  // namespace d1
