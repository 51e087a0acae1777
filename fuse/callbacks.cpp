// The callbacks: thin, uniform, and every error leaves through fuse_reply_err. A message to
// fs_gateway carries its reply handle; the actor answers later from its own thread.
#include "fuse/callbacks.hpp"

#include "messages/atoms.hpp"
#include "messages/path_codec.hpp"

#include <caf/send.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace d1 {

namespace {

using clock = inode_table::clock;

callback_context& ctx_of(fuse_req_t req) {
  return *static_cast<callback_context*>(fuse_req_userdata(req));
}

int32_t pid_of(fuse_req_t req) {
  return static_cast<int32_t>(fuse_req_ctx(req)->pid);
}

void on_init(void*, fuse_conn_info* conn) {
  // One readdirplus answers the whole `ls -l` from the listing snapshot.
  if (conn->capable & FUSE_CAP_READDIRPLUS)
    conn->want |= FUSE_CAP_READDIRPLUS;
  // Object bytes are answered from their file (reply_fd): splice moves them from the page
  // cache to the device without a copy through the daemon's memory.
  if (conn->capable & FUSE_CAP_SPLICE_WRITE)
    conn->want |= FUSE_CAP_SPLICE_WRITE;
  // With it, every read() past the attribute timeout first asks for the attributes again:
  // for Resources/ files (timeout 0: copies move) a resolver round trip per 128 KiB.
  // Nothing needs it: pages of files that may change are dropped at each open
  // (keep_cache only for verified immutable objects), and Status files are direct_io.
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
}

void on_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto& ctx = ctx_of(req);
  if (is_os_probe_name(name)) {
    reply_no_entry(req, *ctx.replies);
    return;
  }
  if (std::strlen(name) > name_max) {
    fuse_reply_err(req, ENAMETOOLONG);
    return;
  }
  auto parent_path = ctx.replies->inodes.path_of(parent);
  if (!parent_path) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  auto reply = make_entry_reply(ctx.replies, req, child_path(*parent_path, name));
  caf::anon_send(ctx.gateway(), lookup_atom::value, std::move(reply), std::move(*parent_path),
                 std::string{name}, pid_of(req));
}

void on_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  ctx_of(req).replies->inodes.forget(ino, nlookup);
  fuse_reply_none(req);
}

void on_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  auto& inodes = ctx_of(req).replies->inodes;
  for (size_t i = 0; i < count; ++i)
    inodes.forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void on_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  auto& ctx = ctx_of(req);
  // The hot path: attributes the table still holds fresh need no message.
  if (auto attr = ctx.replies->inodes.fresh_attr(ino, clock::now())) {
    auto st = make_stat(*ctx.replies, ino, *attr);
    fuse_reply_attr(req, &st, ctx.replies->timeouts.attr.of(attr->cache));
    return;
  }
  auto path = ctx.replies->inodes.path_of(ino);
  if (!path) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  caf::anon_send(ctx.gateway(), get_attr_atom::value, make_attr_reply(ctx.replies, req, ino),
                 std::move(*path), pid_of(req));
}

void on_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto& ctx = ctx_of(req);
  auto path = ctx.replies->inodes.path_of(ino);
  if (!path) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  auto reply = make_opendir_reply(ctx.replies, req, ino, *path, *fi);
  caf::anon_send(ctx.gateway(), opendir_atom::value, std::move(reply), std::move(*path),
                 pid_of(req));
}

// A listing must not show these: the kernel would mistake them for "." / ".." or a path.
bool is_unlistable_name(const std::string& name) {
  return name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos;
}

// Offsets: 0 is ".", 1 is "..", 2 + i is entries[i]; an entry's offset is the next index.
// Replies one readdir(plus) buffer from entries [0, count) of the directory `path` (inode
// `ino`): as many as fit from `off` on; none past the end means the end of the directory.
void reply_entries(fuse_req_t req, reply_context& ctx, const std::string& path, uint64_t ino,
                   const dir_entry* entries, size_t count, size_t size, off_t off, bool plus) {
  std::vector<char> buf(size);
  size_t used = 0;
  std::vector<uint64_t> counted;  // lookups readdirplus added, undone if the reply fails
  auto now = clock::now();
  for (size_t index = off < 0 ? 0 : static_cast<size_t>(off); index < count + 2; ++index) {
    const char* name = index == 0 ? "." : index == 1 ? ".." : entries[index - 2].name.c_str();
    auto next = static_cast<off_t>(index + 1);
    auto room = size - used;
    if (index >= 2 && is_unlistable_name(entries[index - 2].name))
      continue;
    if (!plus) {
      struct stat st {};
      if (index < 2) {
        st.st_ino = index == 0 ? ino : unknown_inode;
        st.st_mode = S_IFDIR;
      } else {
        const auto& entry = entries[index - 2];
        auto child = ctx.inodes.inode_of(child_path(path, entry.name));
        st.st_ino = child != 0 ? child : unknown_inode;
        st.st_mode = entry.info.is_dir() ? S_IFDIR : S_IFREG;
      }
      auto need = fuse_add_direntry(req, buf.data() + used, room, name, &st, next);
      if (need > room)
        break;
      used += need;
      continue;
    }
    // fuse_add_direntry_plus with no buffer only measures: count a lookup only if it fits.
    if (fuse_add_direntry_plus(req, nullptr, 0, name, nullptr, 0) > room)
      break;
    fuse_entry_param e{};
    if (index < 2) {
      // "." and ".." carry no lookup (ino 0): the kernel does not link them.
      e.attr.st_ino = index == 0 ? ino : unknown_inode;
      e.attr.st_mode = S_IFDIR;
    } else {
      const auto& entry = entries[index - 2];
      auto child = ctx.inodes.remember(child_path(path, entry.name), entry.info,
                                       ctx.fresh_until(entry.info.cache, now));
      counted.push_back(child);
      e = make_entry(ctx, child, entry.info);
    }
    used += fuse_add_direntry_plus(req, buf.data() + used, room, name, &e, next);
  }
  if (fuse_reply_buf(req, buf.data(), used) != 0) {
    for (auto child : counted)
      ctx.inodes.forget(child, 1);
  }
}

// Serves a readdir from a listing still being resolved: what has arrived, else (past it)
// waits for the next page, answering from the thread that appends it. Past the entries of
// a failed listing: EIO.
void serve_stream(fuse_req_t req, reply_context_ptr ctx, listing_stream_ptr stream,
                  std::string path, uint64_t ino, size_t size, off_t off, bool plus) {
  size_t from = off < 2 ? 0 : static_cast<size_t>(off) - 2;
  auto read = [&](const listing_stream::view& v) {
    if (from >= v.count && v.error) {
      fuse_reply_err(req, EIO);
      return;
    }
    reply_entries(req, *ctx, path, ino, v.entries, v.count, size, off, plus);
  };
  auto wake = [=] {
    ctx->with_session([&] { serve_stream(req, ctx, stream, path, ino, size, off, plus); });
  };
  stream->read(from, read, wake);
}

void fill_directory(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  const auto& dir = *from_fh<dir_handle>(fi->fh);
  if (dir.stream) {
    serve_stream(req, ctx_of(req).replies, dir.stream, dir.path, dir.ino, size, off, plus);
    return;
  }
  const auto& entries = dir.entries->entries;
  reply_entries(req, *ctx_of(req).replies, dir.path, dir.ino, entries.data(), entries.size(),
                size, off, plus);
}

void on_readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  fill_directory(req, size, off, fi, false);
}

void on_readdirplus(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  fill_directory(req, size, off, fi, true);
}

// A listing this large freed at releasedir is worth giving back to the system.
constexpr size_t trim_after_entries = 10000;

void on_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  // Only when this handle held the last reference (no cache keeps the listing): its
  // entries were allocated in other threads' arenas, which glibc does not shrink itself.
  const auto& dir = from_fh<dir_handle>(fi->fh);
  bool trim = dir.use_count() == 1 && dir->entries && dir->entries.use_count() == 1
              && dir->entries->entries.size() >= trim_after_entries;
  release_fh<dir_handle>(fi->fh);
  fuse_reply_err(req, 0);
  if (trim)
    malloc_trim(0);
}

void on_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
    fuse_reply_err(req, EROFS);
    return;
  }
  auto& ctx = ctx_of(req);
  auto rec = ctx.replies->inodes.find(ino);
  if (!rec) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  // Generated text must be current when opened (and error texts are not kept here at
  // all); an object's bytes never change.
  bool stale = !rec->has_info
               || (rec->info.content != content_kind::none && !rec->has_content)
               || ((rec->info.content == content_kind::inline_text
                    || rec->info.content == content_kind::local_file)
                   && rec->fresh_until <= clock::now());
  auto pid = pid_of(req);
  auto open_object = [gateway = ctx.gateway(), pid](fs_reply_ptr reply, const object_ref& obj) {
    caf::anon_send(gateway, open_atom::value, std::move(reply), obj, pid);
  };
  if (!stale) {
    if (rec->info.content == content_kind::object_bytes) {
      open_object(make_object_open_reply(ctx.replies, req, *fi, rec->info), rec->info.object());
      return;
    }
    if (rec->info.content == content_kind::local_file) {
      reply_open_local(req, *fi, rec->info, rec->path);
      return;
    }
    reply_open_file(req, *fi, rec->info);
    return;
  }
  caf::anon_send(ctx.gateway(), get_attr_atom::value,
                 make_open_reply(ctx.replies, req, ino, *fi, open_object),
                 std::move(rec->path), pid);
}

void on_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  const auto& handle = from_fh<file_handle>(fi->fh);
  switch (handle->content) {
    case content_kind::inline_text:
      reply_text(req, handle->text, size, off);
      return;
    case content_kind::object_bytes:
    case content_kind::local_file: {
      if (!handle->bytes) {
        fuse_reply_err(req, EIO);
        return;
      }
      // At once when the range may be served, else from whichever thread makes it so.
      auto ctx = ctx_of(req).replies;
      handle->bytes->read(static_cast<uint64_t>(off < 0 ? 0 : off), size,
                          [ctx, req, size, off](caf::expected<int> fd) {
                            reply_object_read(ctx, req, size, off, fd);
                          });
      return;
    }
    case content_kind::none:
      break;
  }
  fuse_reply_buf(req, nullptr, 0);
}

void on_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  release_fh<file_handle>(fi->fh);
  fuse_reply_err(req, 0);
}

void on_statfs(fuse_req_t req, fuse_ino_t) {
  struct statvfs sv {};
  sv.f_bsize = 4096;
  sv.f_frsize = 4096;
  sv.f_files = ctx_of(req).replies->inodes.size();
  sv.f_namemax = name_max;
  sv.f_flag = ST_RDONLY;
  fuse_reply_statfs(req, &sv);
}

void on_access(fuse_req_t req, fuse_ino_t, int mask) {
  fuse_reply_err(req, (mask & W_OK) ? EROFS : 0);
}

// No extended attributes. ENOSYS (not ENODATA) makes the kernel remember that and answer
// every later getxattr/listxattr itself: `ls -l` asks three per entry, which otherwise cost
// a round trip each (tools/bench/search.sh measured `ls -l` of 10k entries at 5.5× ext4).
void on_getxattr(fuse_req_t req, fuse_ino_t, const char*, size_t) {
  fuse_reply_err(req, ENOSYS);
}

void on_listxattr(fuse_req_t req, fuse_ino_t, size_t) {
  fuse_reply_err(req, ENOSYS);
}

// -- writes: the mount is read-only ------------------------------------------------

void erofs(fuse_req_t req) {
  fuse_reply_err(req, EROFS);
}

void on_setattr(fuse_req_t req, fuse_ino_t, struct stat*, int, fuse_file_info*) {
  erofs(req);
}
void on_mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) {
  erofs(req);
}
void on_mkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) {
  erofs(req);
}
void on_unlink(fuse_req_t req, fuse_ino_t, const char*) {
  erofs(req);
}
void on_rmdir(fuse_req_t req, fuse_ino_t, const char*) {
  erofs(req);
}
void on_symlink(fuse_req_t req, const char*, fuse_ino_t, const char*) {
  erofs(req);
}
void on_rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) {
  erofs(req);
}
void on_link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
  erofs(req);
}
void on_write(fuse_req_t req, fuse_ino_t, const char*, size_t, off_t, fuse_file_info*) {
  erofs(req);
}
void on_create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) {
  erofs(req);
}
void on_setxattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) {
  erofs(req);
}
void on_removexattr(fuse_req_t req, fuse_ino_t, const char*) {
  erofs(req);
}
void on_fallocate(fuse_req_t req, fuse_ino_t, int, off_t, off_t, fuse_file_info*) {
  erofs(req);
}
void on_copy_file_range(fuse_req_t req, fuse_ino_t, off_t, fuse_file_info*, fuse_ino_t,
                        off_t, fuse_file_info*, size_t, int) {
  erofs(req);
}

}  // namespace

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.init = on_init;
  ops.lookup = on_lookup;
  ops.forget = on_forget;
  ops.forget_multi = on_forget_multi;
  ops.getattr = on_getattr;
  ops.opendir = on_opendir;
  ops.readdir = on_readdir;
  ops.readdirplus = on_readdirplus;
  ops.releasedir = on_releasedir;
  ops.open = on_open;
  ops.read = on_read;
  ops.release = on_release;
  ops.statfs = on_statfs;
  ops.access = on_access;
  ops.getxattr = on_getxattr;
  ops.listxattr = on_listxattr;
  ops.setattr = on_setattr;
  ops.mknod = on_mknod;
  ops.mkdir = on_mkdir;
  ops.unlink = on_unlink;
  ops.rmdir = on_rmdir;
  ops.symlink = on_symlink;
  ops.rename = on_rename;
  ops.link = on_link;
  ops.write = on_write;
  ops.create = on_create;
  ops.setxattr = on_setxattr;
  ops.removexattr = on_removexattr;
  ops.fallocate = on_fallocate;
  ops.copy_file_range = on_copy_file_range;
  return ops;
}

}  // namespace d1
