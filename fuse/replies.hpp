// fs_reply for each kind of FUSE request: each holds its fuse_req_t, answers exactly once
// (later calls are ignored; destroyed unanswered it answers EIO) and is dropped silently
// once the session is gone. Also the reply helpers the callbacks use for local answers.
#pragma once

#include "fuse/fuse_api.hpp"
#include "fuse/handles.hpp"
#include "fuse/inode_table.hpp"
#include "fuse/kernel_timeouts.hpp"
#include "messages/fs_reply.hpp"

#include <sys/stat.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>

namespace d1 {

/// What replies share with the callbacks; it may outlive the FUSE session.
class reply_context {
public:
  explicit reply_context(kernel_timeouts timeouts);

  inode_table inodes;
  const kernel_timeouts timeouts;
  const uid_t uid;  // owner shown for every entry: the mounting user
  const gid_t gid;
  /// Seconds since the epoch when the session started: the time of every entry whose
  /// resolver knows no date of its own (top folders, search folders, generated files).
  const int64_t mount_time;

  /// Runs `send` (which calls one fuse_reply_*) unless the session is closed. Returns
  /// whether it ran. Replies from any thread go through here.
  template <class F>
  bool with_session(F&& send) {
    std::shared_lock lock{guard_};
    if (!alive_)
      return false;
    send();
    return true;
  }

  /// Marks the session closed (waits for replies being sent): later replies are dropped.
  void close_session();

  /// Returns the steady-clock time until which the inode table may serve attributes of
  /// class `c` given now.
  inode_table::clock::time_point fresh_until(cache_class c,
                                             inode_table::clock::time_point now) const;

private:
  std::shared_mutex guard_;
  bool alive_ = true;
};

using reply_context_ptr = std::shared_ptr<reply_context>;

/// The d_ino readdir shows for a name whose inode the table does not know.
constexpr uint64_t unknown_inode = 0xffffffff;

/// Returns the stat of inode `ino`: directories 0555 with 2 links, files 0444 with 1,
/// owned by the mounting user, all three times = mtime (ctx.mount_time when mtime is 0).
struct stat make_stat(const reply_context& ctx, uint64_t ino, const attr_snapshot& attr);

/// Returns the entry of inode `ino` with `info`, timeouts by its cache_class.
fuse_entry_param make_entry(const reply_context& ctx, uint64_t ino, const node_info& info);

/// Answers a lookup with "no such entry": a negative entry kept negative_timeout seconds
/// if that is positive, else ENOENT.
void reply_no_entry(fuse_req_t req, const reply_context& ctx);

/// Answers a read with the bytes [off, off + size) of `text` (none past its end).
void reply_text(fuse_req_t req, const std::string& text, size_t size, off_t off);

/// Answers a read with the bytes [off, off + size) of the file open as `fd` (pread; fewer
/// at its end); a failed read answers its errno.
void reply_fd(fuse_req_t req, int fd, size_t size, off_t off);

/// Answers an open of the regular file `info` with a new file_handle in fi.fh reading
/// `bytes` for an object (keep_cache for cache_class::immutable, for an object only once its
/// bytes verified; never direct_io); EISDIR for a directory.
void reply_open_file(fuse_req_t req, fuse_file_info fi, const node_info& info,
                     object_bytes_ptr bytes = nullptr);

/// Opens the best usable local copy of a tracked file (info.copies()) and answers the open
/// with it, or EIO (logged, naming each copy and why) when none can be used.
void reply_open_local(fuse_req_t req, fuse_file_info fi, const node_info& info,
                      const std::string& path);

/// Sends the open of an object's bytes to the actors; the reply gets them with object().
using object_opener = std::function<void(fs_reply_ptr reply, const object_ref& object)>;

/// Answers a lookup: entry() registers `child_path` in the inode table (one more lookup)
/// and replies its entry; error() replies to_errno(err) (ENOENT as reply_no_entry).
fs_reply_ptr make_entry_reply(reply_context_ptr ctx, fuse_req_t req, std::string child_path);

/// Answers a getattr of `ino`: attr() refreshes the inode table and replies the stat.
fs_reply_ptr make_attr_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino);

/// Answers an opendir of `ino` at `path`: directory() keeps the listing in a dir_handle
/// (fi.fh) and replies open (cache_readdir and keep_cache for an immutable listing).
fs_reply_ptr make_opendir_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino,
                                std::string path, fuse_file_info fi);

/// Answers an open of `ino` whose attributes were not fresh: attr() refreshes the inode
/// table and opens the file as reply_open_file does; an object's bytes are first asked for
/// through `open_object`, with a reply made by make_object_open_reply.
fs_reply_ptr make_open_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino,
                             fuse_file_info fi, object_opener open_object);

/// Answers an open of the object file `info`: object() opens it as reply_open_file does.
fs_reply_ptr make_object_open_reply(reply_context_ptr ctx, fuse_req_t req, fuse_file_info fi,
                                    node_info info);

/// Answers a read of [off, off + size) of an object from the descriptor object_bytes::read
/// gives, or its error; from any thread.
void reply_object_read(const reply_context_ptr& ctx, fuse_req_t req, size_t size, off_t off,
                       const caf::expected<int>& fd);

}  // namespace d1
