// The fs_reply implementations. Each answers once; the shared lock of reply_context keeps
// a late reply (from an actor thread) from touching a session that is being destroyed.
#include "fuse/replies.hpp"

#include "fuse/local_copy.hpp"
#include "messages/error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <utility>

namespace d1 {

reply_context::reply_context(kernel_timeouts timeouts)
  : timeouts(timeouts),
    uid(::getuid()),
    gid(::getgid()),
    mount_time(std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count()) {
}

void reply_context::close_session() {
  std::unique_lock lock{guard_};
  alive_ = false;
}

inode_table::clock::time_point
reply_context::fresh_until(cache_class c, inode_table::clock::time_point now) const {
  // Clamp so that a huge configured TTL cannot overflow the clock's representation.
  double seconds = std::min(timeouts.table.of(c), 1e8);
  return now
         + std::chrono::duration_cast<inode_table::clock::duration>(
           std::chrono::duration<double>(seconds));
}

struct stat make_stat(const reply_context& ctx, uint64_t ino, const attr_snapshot& attr) {
  struct stat st {};
  st.st_ino = ino;
  if (attr.kind == entry_kind::directory) {
    st.st_mode = S_IFDIR | 0555;
    st.st_nlink = 2;
  } else {
    st.st_mode = S_IFREG | 0444;
    st.st_nlink = 1;
  }
  st.st_uid = ctx.uid;
  st.st_gid = ctx.gid;
  st.st_size = static_cast<off_t>(attr.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>((attr.size + 511) / 512);
  // An entry without a date of its own would show 1970 and confuse `ls -lt`, `find
  // -newer` and backup tools: it carries the mount time instead.
  auto time = attr.mtime != 0 ? attr.mtime : ctx.mount_time;
  st.st_mtim.tv_sec = time;
  st.st_atim.tv_sec = time;
  st.st_ctim.tv_sec = time;
  return st;
}

fuse_entry_param make_entry(const reply_context& ctx, uint64_t ino, const node_info& info) {
  fuse_entry_param e{};
  e.ino = ino;
  e.generation = 0;
  e.attr = make_stat(ctx, ino, attr_snapshot{info.kind, info.cache, info.size, info.mtime});
  e.attr_timeout = ctx.timeouts.attr.of(info.cache);
  e.entry_timeout = ctx.timeouts.entry.of(info.cache);
  return e;
}

void reply_no_entry(fuse_req_t req, const reply_context& ctx) {
  if (ctx.timeouts.negative > 0) {
    fuse_entry_param e{};
    e.ino = 0;  // a negative entry: the kernel answers ENOENT itself until it expires
    e.entry_timeout = ctx.timeouts.negative;
    fuse_reply_entry(req, &e);
  } else {
    fuse_reply_err(req, ENOENT);
  }
}

void reply_text(fuse_req_t req, const std::string& text, size_t size, off_t off) {
  if (off < 0 || static_cast<size_t>(off) >= text.size()) {
    fuse_reply_buf(req, nullptr, 0);
    return;
  }
  auto start = static_cast<size_t>(off);
  fuse_reply_buf(req, text.data() + start, std::min(size, text.size() - start));
}

void reply_fd(fuse_req_t req, int fd, size_t size, off_t off) {
  fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
  buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  buf.buf[0].fd = fd;
  buf.buf[0].pos = off;
  // fuse_reply_data answers the errno itself if the read fails.
  fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

void reply_open_file(fuse_req_t req, fuse_file_info fi, const node_info& info,
                     object_bytes_ptr bytes) {
  if (info.is_dir()) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  // Pages of bytes not verified yet must not outlive this open: were they bad, the next
  // open would otherwise still see them.
  bool verified = !bytes || bytes->verified();
  fi.fh = to_fh(std::make_shared<file_handle>(info, std::move(bytes)));
  fi.keep_cache = info.cache == cache_class::immutable && verified;
  // Live files (Status/) are generated per open: the size the kernel saw at getattr may
  // differ from the text read now, so bypass the page cache and serve what the handle has.
  // A local copy's size is the file's: the page cache may serve it within this open.
  fi.direct_io = info.cache == cache_class::live && info.content != content_kind::local_file;
  if (fuse_reply_open(req, &fi) != 0)
    release_fh<file_handle>(fi.fh);  // the open was interrupted: no release will come
}

void reply_open_local(fuse_req_t req, fuse_file_info fi, const node_info& info,
                      const std::string& path) {
  const auto* ctx = fuse_req_ctx(req);
  reader_identity who{ctx->uid, ctx->gid, {}};
  if (who.uid != 0) {
    gid_t groups[64];
    int n = fuse_req_getgroups(req, 64, groups);
    for (int i = 0; i < std::min(n, 64); ++i)
      who.groups.push_back(groups[i]);
  }
  auto bytes = open_local_copy(path, info.copies(), who);
  if (!bytes) {
    fuse_reply_err(req, code_of(bytes.error()) == ec::refused ? EACCES : EIO);
    return;
  }
  reply_open_file(req, fi, info, std::move(*bytes));
}

namespace {

using clock = inode_table::clock;

// Answers exactly once; kinds of answer a request cannot take are answered EIO.
class reply_base : public fs_reply {
public:
  reply_base(reply_context_ptr ctx, fuse_req_t req) : ctx_(std::move(ctx)), req_(req) {
  }

  ~reply_base() override {
    if (claim())
      send_errno(EIO);
  }

  void entry(const node_info&) override {
    mismatch();
  }
  void attr(const node_info&) override {
    mismatch();
  }
  using fs_reply::directory;
  void directory(listing_ptr) override {
    mismatch();
  }
  void directory_stream(std::shared_ptr<listing_stream>) override {
    mismatch();
  }
  void object(object_bytes_ptr) override {
    mismatch();
  }
  void error(const caf::error& err) override {
    if (claim())
      on_error(err);
  }

protected:
  bool claim() {
    return !answered_.exchange(true, std::memory_order_acq_rel);
  }

  void send_errno(int e) {
    ctx_->with_session([&] { fuse_reply_err(req_, e); });
  }

  virtual void on_error(const caf::error& err) {
    int e = to_errno(err);
    send_errno(e != 0 ? e : EIO);
  }

  reply_context_ptr ctx_;
  fuse_req_t req_;

private:
  void mismatch() {
    if (claim())
      send_errno(EIO);
  }

  std::atomic<bool> answered_{false};
};

class entry_reply final : public reply_base {
public:
  entry_reply(reply_context_ptr ctx, fuse_req_t req, std::string path)
    : reply_base(std::move(ctx), req), path_(std::move(path)) {
  }

  void entry(const node_info& info) override {
    if (!claim())
      return;
    ctx_->with_session([&] {
      auto ino = ctx_->inodes.remember(path_, info, ctx_->fresh_until(info.cache, clock::now()));
      auto e = make_entry(*ctx_, ino, info);
      // The kernel counts the lookup only if the reply reached it.
      if (fuse_reply_entry(req_, &e) != 0)
        ctx_->inodes.forget(ino, 1);
    });
  }

protected:
  void on_error(const caf::error& err) override {
    int e = to_errno(err);
    if (e == ENOENT)
      ctx_->with_session([&] { reply_no_entry(req_, *ctx_); });
    else
      send_errno(e != 0 ? e : EIO);
  }

private:
  std::string path_;
};

class attr_reply final : public reply_base {
public:
  attr_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino)
    : reply_base(std::move(ctx), req), ino_(ino) {
  }

  void attr(const node_info& info) override {
    if (!claim())
      return;
    ctx_->with_session([&] {
      ctx_->inodes.update(ino_, info, ctx_->fresh_until(info.cache, clock::now()));
      auto st = make_stat(*ctx_, ino_, attr_snapshot{info.kind, info.cache, info.size, info.mtime});
      fuse_reply_attr(req_, &st, ctx_->timeouts.attr.of(info.cache));
    });
  }

private:
  uint64_t ino_;
};

class opendir_reply final : public reply_base {
public:
  opendir_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino, std::string path,
                fuse_file_info fi)
    : reply_base(std::move(ctx), req), ino_(ino), path_(std::move(path)), fi_(fi) {
  }

  using fs_reply::directory;
  void directory(listing_ptr entries) override {
    if (!claim())
      return;
    if (!entries)
      entries = std::make_shared<const listing>();
    bool immutable = entries->cache == cache_class::immutable;
    auto fi = fi_;
    fi.fh = to_fh(std::make_shared<dir_handle>(dir_handle{path_, ino_, std::move(entries), nullptr}));
    fi.cache_readdir = immutable;
    fi.keep_cache = immutable;
    bool sent = false;
    ctx_->with_session([&] { sent = fuse_reply_open(req_, &fi) == 0; });
    if (!sent)
      release_fh<dir_handle>(fi.fh);
  }

  void directory_stream(std::shared_ptr<listing_stream> stream) override {
    if (!claim())
      return;
    // Still being resolved: a search listing, never kept by the kernel's readdir cache.
    auto fi = fi_;
    fi.fh = to_fh(std::make_shared<dir_handle>(dir_handle{path_, ino_, nullptr, std::move(stream)}));
    bool sent = false;
    ctx_->with_session([&] { sent = fuse_reply_open(req_, &fi) == 0; });
    if (!sent)
      release_fh<dir_handle>(fi.fh);
  }

private:
  uint64_t ino_;
  std::string path_;
  fuse_file_info fi_;
};

class object_open_reply final : public reply_base {
public:
  object_open_reply(reply_context_ptr ctx, fuse_req_t req, fuse_file_info fi, node_info info)
    : reply_base(std::move(ctx), req), fi_(fi), info_(std::move(info)) {
  }

  void object(object_bytes_ptr bytes) override {
    if (!claim())
      return;
    bool sent = ctx_->with_session([&] { reply_open_file(req_, fi_, info_, std::move(bytes)); });
    static_cast<void>(sent);  // a closed session: the handle was never made
  }

private:
  fuse_file_info fi_;
  node_info info_;
};

class open_reply final : public reply_base {
public:
  open_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino, fuse_file_info fi,
             object_opener open_object)
    : reply_base(std::move(ctx), req), ino_(ino), fi_(fi), open_object_(std::move(open_object)) {
  }

  void attr(const node_info& info) override {
    if (!claim())
      return;
    if (info.content == content_kind::object_bytes && !info.is_dir()) {
      // The request is handed on: the object's reply answers it.
      ctx_->inodes.update(ino_, info, ctx_->fresh_until(info.cache, clock::now()));
      open_object_(make_object_open_reply(ctx_, req_, fi_, info), info.object());
      return;
    }
    ctx_->with_session([&] {
      ctx_->inodes.update(ino_, info, ctx_->fresh_until(info.cache, clock::now()));
      if (info.content == content_kind::local_file && !info.is_dir()) {
        reply_open_local(req_, fi_, info, ctx_->inodes.path_of(ino_).value_or(""));
        return;
      }
      reply_open_file(req_, fi_, info);
    });
  }

private:
  uint64_t ino_;
  fuse_file_info fi_;
  object_opener open_object_;
};

}  // namespace

fs_reply_ptr make_entry_reply(reply_context_ptr ctx, fuse_req_t req, std::string child_path) {
  return std::make_shared<entry_reply>(std::move(ctx), req, std::move(child_path));
}

fs_reply_ptr make_attr_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino) {
  return std::make_shared<attr_reply>(std::move(ctx), req, ino);
}

fs_reply_ptr make_opendir_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino,
                                std::string path, fuse_file_info fi) {
  return std::make_shared<opendir_reply>(std::move(ctx), req, ino, std::move(path), fi);
}

fs_reply_ptr make_open_reply(reply_context_ptr ctx, fuse_req_t req, uint64_t ino,
                             fuse_file_info fi, object_opener open_object) {
  return std::make_shared<open_reply>(std::move(ctx), req, ino, fi, std::move(open_object));
}

fs_reply_ptr make_object_open_reply(reply_context_ptr ctx, fuse_req_t req, fuse_file_info fi,
                                    node_info info) {
  return std::make_shared<object_open_reply>(std::move(ctx), req, fi, std::move(info));
}

void reply_object_read(const reply_context_ptr& ctx, fuse_req_t req, size_t size, off_t off,
                       const caf::expected<int>& fd) {
  ctx->with_session([&] {
    if (fd) {
      reply_fd(req, *fd, size, off);
      return;
    }
    int e = to_errno(fd.error());
    fuse_reply_err(req, e != 0 ? e : EIO);
  });
}

}  // namespace d1
