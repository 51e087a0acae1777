// How an actor answers a FUSE request without knowing FUSE: fuse/ implements fs_reply for
// each kind of request and hands it to fs_gateway inside the message. Exactly one method
// is called per reply; an fs_reply destroyed unanswered replies EIO, so no request hangs.
#pragma once

#include "messages/fs_types.hpp"
#include "messages/object_bytes.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>

#include <memory>
#include <string>

namespace d1 {

class fs_reply {
public:
  virtual ~fs_reply() = default;

  /// lookup: the child exists with these attributes.
  virtual void entry(const node_info& info) = 0;

  /// getattr: the path has these attributes.
  virtual void attr(const node_info& info) = 0;

  /// opendir: the listing to serve for this open directory (shared, not copied).
  virtual void directory(listing_ptr entries) = 0;

  /// opendir, for callers that built a listing of their own.
  void directory(listing entries) {
    directory(std::make_shared<const listing>(std::move(entries)));
  }

  /// opendir: serve this listing while it is being resolved (entries so far, the rest to
  /// come; see listing_stream).
  virtual void directory_stream(std::shared_ptr<listing_stream> stream) = 0;

  /// open of an object's bytes: read them through `bytes` until the file is released.
  virtual void object(object_bytes_ptr bytes) = 0;

  /// Any request: fail with the errno `to_errno(err)` gives.
  virtual void error(const caf::error& err) = 0;
};

/// Local only: a reply handle never crosses a process boundary.
using fs_reply_ptr = std::shared_ptr<fs_reply>;

}  // namespace d1

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(d1::fs_reply_ptr)
