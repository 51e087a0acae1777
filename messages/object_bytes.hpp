// An object's bytes as they arrive, shared by content_cache (which fetches them) and the open
// files of the mount (which read them): a read is answered at once when its range may be
// served, or later, from whichever thread makes it servable.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace d1 {

class object_bytes {
public:
  virtual ~object_bytes() = default;

  /// Called exactly once per read with the descriptor to read the range from (pread or
  /// splice; it stays open while the caller holds this object), or the error that ended
  /// the read (ec::checksum_mismatch, ec::io_error for a full disk, ec::network, …).
  using read_callback = std::function<void(caf::expected<int> fd)>;

  /// The object's size in bytes (from its system metadata).
  virtual uint64_t size() const = 0;

  /// True once every byte matched the system-metadata checksum: the kernel may then keep
  /// the file's pages across opens.
  virtual bool verified() const = 0;

  /// Answers a read of [offset, offset + length) (clipped to the object): on this thread
  /// if those bytes may be served now, else later from another thread. Bytes of the last
  /// chunk are served only once the whole object verified. Asks for the bytes if nobody
  /// fetches them yet.
  virtual void read(uint64_t offset, uint64_t length, read_callback done) = 0;

  /// A reader opened the object: it is not evicted while any reader has it open.
  virtual void opened() = 0;

  /// A reader that opened it closed it.
  virtual void closed() = 0;
};

/// Local only: shared by actors and FUSE handles of one process.
using object_bytes_ptr = std::shared_ptr<object_bytes>;

}  // namespace d1

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(d1::object_bytes_ptr)
