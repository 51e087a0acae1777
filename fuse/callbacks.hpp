// The low-level FUSE operations of d1drive. Each callback copies its arguments, sends one
// message to fs_gateway and returns, unless the answer is already here: fresh attributes
// in the inode table, an open directory's listing, an open file's text or local copy,
// an OS probe name, or any write (EROFS).
#pragma once

#include "fuse/fuse_api.hpp"
#include "fuse/replies.hpp"
#include "messages/guarded.hpp"
#include "messages/interfaces.hpp"

namespace d1 {

/// The session's userdata: must outlive the session.
struct callback_context {
  callback_context(fs_gateway_actor g, reply_context_ptr r)
    : gateway_(std::move(g)), replies(std::move(r)) {
  }

  /// The gateway requests go to (the loop thread reads it, a supervisor may replace it).
  fs_gateway_actor gateway() const {
    return gateway_.get();
  }
  void set_gateway(fs_gateway_actor g) {
    gateway_.set(std::move(g));
  }

private:
  guarded<fs_gateway_actor> gateway_;

public:
  reply_context_ptr replies;
};

/// Returns the operations; the session's userdata must be a callback_context*.
fuse_lowlevel_ops make_operations();

}  // namespace d1
