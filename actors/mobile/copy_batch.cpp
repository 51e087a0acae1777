// Copy batches: the bytes moved and hashed in one pass, the safety rules applied around
// them (regular sources only, exclusive temporaries, owners and modes kept, adoption only
// of what is provably another file with the source's bytes and owner).
#include "actors/mobile/copy_batch.hpp"

#include "actors/mobile/copy_bytes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace d1 {

namespace {

constexpr const char* temp_marker = ".d1part.";

// A fresh temporary name for `leaf`: the random suffix makes a name planted in advance
// useless (creation is exclusive anyway: a planted name only costs another draw).
std::string fresh_temp_name(const std::string& leaf) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string out = "." + leaf + temp_marker;
  auto bits = gen();
  for (int i = 0; i < 8; ++i, bits >>= 4)
    out += hex[bits & 15];
  return out;
}

// Gives the copy at `fd` (owned as `made`) the source's owner, mode and modification
// time, as `cp -a` and `rsync -a` do as root. Set-user-ID and set-group-ID bits survive
// only together with the original owner: a daemon that may not chown never makes a
// setuid file of its own. Returns 0 or the errno.
int apply_source_metadata(file_system& fs, int fd, const file_stat& made, const file_stat& src) {
  mode_t mode = src.mode & 07777;
  int rc = made.uid == src.uid && made.gid == src.gid ? 0 : fs.set_owner(fd, src.uid, src.gid);
  if (rc == -EPERM)
    mode &= ~static_cast<mode_t>(S_ISUID | S_ISGID);
  else if (rc < 0)
    return static_cast<int>(-rc);
  if ((rc = fs.set_mode(fd, mode)) < 0)
    return static_cast<int>(-rc);
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = static_cast<time_t>(src.mtime_ns / 1000000000);
  times[1].tv_nsec = static_cast<long>(src.mtime_ns % 1000000000);
  if (times[1].tv_nsec < 0) {  // a time before 1970
    times[1].tv_sec -= 1;
    times[1].tv_nsec += 1000000000;
  }
  if ((rc = fs.set_times(fd, times)) < 0)
    return static_cast<int>(-rc);
  return 0;
}

// An item's failure: the error and whether a retry may succeed.
struct item_failure {
  caf::error error;
  bool transient = false;
};

item_failure io_failure(const std::string& what, int err) {
  if (err == ECANCELED)
    return {make_error(ec::cancelled, "stopped while " + what), false};
  return {sys_error(ec::io_error, what, err), transient_errno(err)};
}

// Adopts the file already at the final name `leaf` in `dir_fd` if it is a regular file
// that is not the source itself, has the source's owner and holds `expected_digest`
// (hashed through `buf`), made durable first since someone else may have written it.
// Otherwise ec::refused (the source itself, or another owner's file), ec::checksum_mismatch
// (other bytes: never overwritten), ec::invalid_path (not a regular file) or ec::io_error.
caf::expected<copy_result> adopt_final(const worker_io& io, int dir_fd, const std::string& leaf,
                                       const std::string& dst_abs, const file_stat& source,
                                       const std::string& expected_digest,
                                       const std::string& algorithm, char* buf) {
  fs_fd existing{io.fs, io.fs.open_file_at(dir_fd, leaf)};
  if (!existing.ok()) {
    if (existing.get() == -ELOOP)
      return make_error(ec::invalid_path, dst_abs + " exists and is a symlink; not replaced");
    return sys_error(ec::io_error, "opening " + dst_abs, -existing.get());
  }
  copy_result out;
  if (int rc = io.fs.stat_fd(existing.get(), out.stat); rc < 0)
    return sys_error(ec::io_error, "stat of " + dst_abs, -rc);
  out.stat.fs_id = io.fs.fs_id(dir_fd);
  if (!S_ISREG(out.stat.mode))
    return make_error(ec::invalid_path, dst_abs + " exists and is not a regular file");
  if (same_file(out.stat, source))
    return make_error(ec::refused, dst_abs + " is the source file itself: the destination "
                                             "reaches the source (an alias of its root, or "
                                             "a hard link); not counted as a copy");
  if (out.stat.uid != source.uid || out.stat.gid != source.gid)
    return make_error(ec::refused, dst_abs + " exists, owned by uid "
                                     + std::to_string(out.stat.uid) + " gid "
                                     + std::to_string(out.stat.gid) + ", not the source's ("
                                     + std::to_string(source.uid) + ":"
                                     + std::to_string(source.gid) + "); not adopted");
  auto digest = hash_fd(io, existing.get(), out.stat.size, algorithm, dst_abs, buf);
  if (!digest)
    return std::move(digest.error());
  if (digest->hex != expected_digest)
    return make_error(ec::checksum_mismatch,
                      dst_abs + " already exists with other content; not overwritten");
  if (int rc = io.fs.fsync(existing.get()); rc < 0)
    return sys_error(ec::io_error, "fsync of " + dst_abs, -rc);
  out.size = digest->size;
  out.digest = digest->hex;
  out.adopted = true;
  return out;
}

// Opens the sources of the next items of a batch ahead of the copy and asks the kernel to
// read them (POSIX_FADV_WILLNEED): cold small files are then read with many requests in
// flight instead of one file at a time, which is what bounds a copy of many small files.
// Opens exactly as the copy does (beneath the root, no symlinks, never blocking); an item
// it cannot open is left to the copy, which reports the error.
class source_readahead {
public:
  static constexpr size_t window_files = 64;
  static constexpr uint64_t window_bytes = uint64_t{32} << 20;

  source_readahead(file_system& fs, const std::vector<copy_item>& items)
    : fs_(fs), items_(items) {
  }

  // Keeps the window filled beyond item `current`.
  void advance(size_t current, beneath_dirs& src_dirs) {
    next_ = std::max(next_, current + 1);
    while (next_ < items_.size() && next_ <= current + window_files && bytes_ < window_bytes) {
      auto& item = items_[next_];
      auto index = next_++;
      if (item.expected_size > small_file_bytes)
        continue;
      auto rel = normalize_rel_path(item.rel_path);
      if (!rel)
        continue;
      std::string dir, leaf;
      split_leaf(*rel, dir, leaf);
      int sdir = src_dirs.open(dir);
      if (sdir < 0)
        continue;
      fs_fd fd{fs_, fs_.open_file_at(sdir, leaf)};
      if (!fd.ok())
        continue;
      fs_.advise(fd.get(), 0, 0, POSIX_FADV_WILLNEED);
      bytes_ += item.expected_size;
      open_.emplace(index, std::move(fd));
    }
  }

  // The source of item `index` if it was opened ahead (not ok() otherwise).
  fs_fd take(size_t index) {
    auto i = open_.find(index);
    if (i == open_.end())
      return fs_fd{};
    bytes_ -= items_[index].expected_size;
    auto fd = std::move(i->second);
    open_.erase(i);
    return fd;
  }

private:
  file_system& fs_;
  const std::vector<copy_item>& items_;
  size_t next_ = 0;
  uint64_t bytes_ = 0;
  std::map<size_t, fs_fd> open_;
};

// Everything one batch shares: roots, directory descriptors, the hasher and the buffer.
struct batch_context {
  const worker_io& io;
  const copy_batch_request& req;
  streaming_hasher hasher;
  beneath_dirs src_dirs;
  beneath_dirs dst_dirs;
  std::vector<char> buf = std::vector<char>(read_buffer_bytes);
  source_readahead readahead;
  // Directories where leftover temporaries were looked for, with their names.
  std::map<std::string, std::vector<std::string>> listings;
};

// Deletes temporaries of `leaf` a crashed copy left in `dir_fd` (a resumed job only):
// regular files with one link, named as this project names them.
void remove_leftover_temporaries(batch_context& ctx, int dir_fd, const std::string& rel_dir,
                                 const std::string& leaf) {
  auto& fs = ctx.io.fs;
  auto [listing, fresh] = ctx.listings.try_emplace(rel_dir);
  if (fresh)
    fs.list_dir(dir_fd, listing->second);
  for (auto& name : listing->second) {
    file_stat st;
    if (is_temp_name_of(leaf, name) && fs.stat_at(dir_fd, name, st) == 0
        && S_ISREG(st.mode) && st.nlink == 1)
      fs.unlink_at(dir_fd, name);
  }
}

// Copies one item to a temporary name (or adopts an identical file already at the final
// name: `adopted` set). Returns the failure (none: `st` filled); no temporary file is left
// behind on failure.
item_failure stage_copy(batch_context& ctx, size_t index, const copy_item& item,
                        staged_copy& st, bool& adopted, int& dst_dir_fd) {
  auto& fs = ctx.io.fs;
  adopted = false;
  auto rel = normalize_rel_path(item.rel_path);
  if (!rel)
    return {std::move(rel.error())};
  if (item.expected_digest.empty())
    return {make_error(ec::invalid_argument, "copy of " + *rel + " without a recorded digest")};
  auto src_abs = join_path(ctx.req.src_root, *rel);
  auto dst_abs = join_path(ctx.req.dst_root, *rel);
  split_leaf(*rel, st.rel_dir, st.leaf);
  int sdir = ctx.src_dirs.open(st.rel_dir);
  if (sdir < 0)
    return io_failure("opening the directory of " + src_abs, -sdir);
  fs_fd in = ctx.readahead.take(index);
  bool read_ahead = in.ok();
  ctx.readahead.advance(index, ctx.src_dirs);
  if (!in.ok())
    in = fs_fd{fs, fs.open_file_at(sdir, st.leaf)};
  if (!in.ok())
    return io_failure("opening " + src_abs, -in.get());
  if (int rc = fs.stat_fd(in.get(), st.source); rc < 0)
    return io_failure("stat of " + src_abs, -rc);
  if (!S_ISREG(st.source.mode))
    return {make_error(ec::invalid_path, src_abs + " is not a regular file (a FIFO, device, "
                                                   "socket or directory); not copied")};
  // Destination directory (made beneath the root, never through a symlink, with the
  // source directory's owner and mode).
  dst_dir_fd = ctx.dst_dirs.open_or_create(st.rel_dir, &ctx.src_dirs);
  if (dst_dir_fd < 0)
    return io_failure("creating the directory of " + dst_abs, -dst_dir_fd);
  if (ctx.req.clean_temporaries)
    remove_leftover_temporaries(ctx, dst_dir_fd, st.rel_dir, st.leaf);
  // A final name that already exists is adopted if it holds the bytes, never overwritten.
  // Looked up here for files larger than one buffer (adopting one saves its copy); a
  // smaller file is copied at once and an existing final name shows up at its rename,
  // which saves a directory lookup per file.
  st.checked_final = st.source.size > read_buffer_bytes;
  file_stat existing;
  if (st.checked_final && fs.stat_at(dst_dir_fd, st.leaf, existing) == 0) {
    auto result = adopt_final(ctx.io, dst_dir_fd, st.leaf, dst_abs, st.source,
                              item.expected_digest, ctx.req.algorithm, ctx.buf.data());
    if (!result)
      return {std::move(result.error())};
    st.result = std::move(*result);
    adopted = true;
    return {};
  }
  fs_fd out;
  for (int attempt = 0; attempt < 8 && !out.ok(); ++attempt) {
    st.tmp_leaf = fresh_temp_name(st.leaf);
    out = fs_fd{fs, fs.create_exclusive_at(dst_dir_fd, st.tmp_leaf)};
    if (out.get() != -EEXIST)
      break;
  }
  if (!out.ok())
    return io_failure("creating a temporary file for " + dst_abs, -out.get());
  auto fail = [&](item_failure f) {
    out.reset();
    fs.unlink_at(dst_dir_fd, st.tmp_leaf);
    return f;
  };
  // Its inode (checked again before the rename) and owner (a chown saved when it is
  // already the source's).
  if (int rc = fs.stat_fd(out.get(), st.temp); rc < 0)
    return fail(io_failure("stat of the temporary file of " + dst_abs, -rc));
  st.temp.fs_id = ctx.dst_dirs.fs_id(st.rel_dir);
  file_digest digest;
  if (int err = copy_and_hash(ctx.io, in.get(), out.get(), st.source.size, read_ahead,
                              ctx.io.direct_reads ? copy_method::automatic
                                                  : copy_method::copy_file_range,
                              ctx.hasher, ctx.buf, digest);
      err != 0) {
    ctx.hasher.hex_digest();  // starts the next file's digest afresh
    return fail(io_failure(err == ENOSPC || err == EDQUOT
                             ? "writing " + dst_abs
                             : "copying " + src_abs + " to " + dst_abs,
                           err));
  }
  if (digest.hex != item.expected_digest || digest.size != item.expected_size)
    return fail({make_error(ec::checksum_mismatch,
                            "copy of " + src_abs + ": " + ctx.req.algorithm + " " + digest.hex
                              + " (" + std::to_string(digest.size) + " bytes), recorded "
                              + item.expected_digest + " ("
                              + std::to_string(item.expected_size) + " bytes)")});
  if (int err = apply_source_metadata(fs, out.get(), st.temp, st.source); err != 0)
    return fail(io_failure("setting the owner, mode and times of " + dst_abs, err));
  st.result = copy_result{digest.size, digest.hex, false, {}};
  return {};
}

// Fails every outcome of `out` with `err`.
void fail_all(copy_batch_result& out, const caf::error& err) {
  for (auto& outcome : out.outcomes)
    outcome.error = err;
}

}  // namespace

bool is_temp_name_of(const std::string& leaf, const std::string& name) {
  auto prefix = "." + leaf + temp_marker;
  if (name.size() != prefix.size() + 8 || name.compare(0, prefix.size(), prefix) != 0)
    return false;
  return std::all_of(name.begin() + static_cast<long>(prefix.size()), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

staged_copy_batch stage_copy_batch(const worker_io& io, const copy_batch_request& req_in) {
  staged_copy_batch batch;
  batch.job_id = req_in.job_id;
  batch.algorithm = req_in.algorithm;
  batch.direct_reads = io.direct_reads;
  auto& out = batch.out;
  out.outcomes.resize(req_in.items.size());
  auto src_root = normalize_root(req_in.src_root);
  auto dst_root = normalize_root(req_in.dst_root);
  if (!src_root || !dst_root) {
    fail_all(out, !src_root ? src_root.error() : dst_root.error());
    return batch;
  }
  auto hasher = streaming_hasher::make(req_in.algorithm);
  if (!hasher) {
    fail_all(out, hasher.error());
    return batch;
  }
  copy_batch_request req = req_in;
  req.src_root = *src_root;
  req.dst_root = *dst_root;
  batch.dst_root = *dst_root;
  batch_context ctx{io,
                    req,
                    std::move(*hasher),
                    beneath_dirs{io.fs, *src_root},
                    beneath_dirs{io.fs, *dst_root},
                    std::vector<char>(read_buffer_bytes),
                    source_readahead{io.fs, req.items},
                    {}};
  // Two spellings of one directory (a symlink, a bind mount) are one copy, never two.
  file_stat src_id, dst_id;
  if (ctx.src_dirs.stat_root(src_id) == 0 && ctx.dst_dirs.stat_root(dst_id) == 0
      && same_file(src_id, dst_id)) {
    fail_all(out, make_error(ec::refused, "destination root " + req.dst_root
                                            + " is the source root " + req.src_root
                                            + " itself (a symlink or bind mount of it)"));
    return batch;
  }
  caf::error stop;  // a full destination or a cancel: the rest is not tried
  std::set<int> adopted_dirs;
  for (size_t i = 0; i < req.items.size(); ++i) {
    if (!stop && io.interrupted())
      stop = make_error(ec::cancelled, "stopped before " + req.items[i].rel_path);
    if (stop) {
      out.outcomes[i].error = stop;
      continue;
    }
    staged_copy st;
    st.index = static_cast<uint32_t>(i);
    bool adopted = false;
    int dir_fd = -1;
    auto failure = stage_copy(ctx, i, req.items[i], st, adopted, dir_fd);
    if (failure.error) {
      if (is_out_of_space(failure.error) || code_of(failure.error) == ec::cancelled)
        stop = failure.error;
      out.outcomes[i].error = std::move(failure.error);
      out.outcomes[i].transient = failure.transient;
    } else if (adopted) {
      out.outcomes[i].result = std::move(st.result);
      if (adopted_dirs.insert(dir_fd).second)
        batch.adopted_dirs.push_back(st.rel_dir);
    } else {
      batch.staged.push_back(std::move(st));
    }
  }
  return batch;
}

copy_batch_result finish_copy_batch(const worker_io& io, staged_copy_batch& batch) {
  auto& fs = io.fs;
  auto& out = batch.out;
  auto& staged = batch.staged;
  beneath_dirs dirs{fs, batch.dst_root};
  auto dst_abs = [&](const staged_copy& st) {
    return join_path(batch.dst_root, st.rel_dir.empty() ? st.leaf : st.rel_dir + "/" + st.leaf);
  };
  auto fail = [&](const staged_copy& st, item_failure f, bool remove_temp) {
    if (remove_temp)
      if (int dfd = dirs.open(st.rel_dir); dfd >= 0)
        fs.unlink_at(dfd, st.tmp_leaf);
    out.outcomes[st.index].error = std::move(f.error);
    out.outcomes[st.index].transient = f.transient;
  };
  // One sync for the whole batch (one fsync when it is a single file), before any rename,
  // so a final name never holds bytes that a crash could lose.
  if (!staged.empty()) {
    int rc = 0;
    int dfd = dirs.open(staged.front().rel_dir);
    if (dfd < 0) {
      rc = dfd;
    } else if (staged.size() == 1) {
      fs_fd tmp{fs, fs.open_file_at(dfd, staged.front().tmp_leaf)};
      rc = tmp.ok() ? fs.fsync(tmp.get()) : tmp.get();
    } else {
      rc = fs.syncfs(dfd);
    }
    if (rc < 0) {
      auto f = io_failure("syncing the copies under " + batch.dst_root, static_cast<int>(-rc));
      for (auto& st : staged)
        fail(st, f, true);
      staged.clear();
    }
  }
  std::vector<std::string> renamed_dirs = batch.adopted_dirs;
  std::unique_ptr<char[]> adopt_buf;  // only if a final name turns up
  for (auto& st : staged) {
    int dfd = dirs.open(st.rel_dir);
    if (dfd < 0) {
      fail(st, io_failure("opening the directory of " + dst_abs(st), -dfd), false);
      continue;
    }
    if (int rc = fs.rename_noreplace_at(dfd, st.tmp_leaf, st.leaf); rc < 0) {
      fs.unlink_at(dfd, st.tmp_leaf);
      if (rc == -EEXIST && !st.checked_final) {
        // Not looked up before the copy (a small file): adopted if it may be.
        if (!adopt_buf)
          adopt_buf = make_read_buffer();
        auto adopted = adopt_final(io, dfd, st.leaf, dst_abs(st), st.source, st.result.digest,
                                   batch.algorithm, adopt_buf.get());
        if (adopted) {
          out.outcomes[st.index].result = std::move(*adopted);
          renamed_dirs.push_back(st.rel_dir);
        } else {
          fail(st, {std::move(adopted.error())}, false);
        }
        continue;
      }
      if (rc == -ENOENT)  // someone removed the temporary: worth a retry
        fail(st,
             {make_error(ec::io_error,
                         "the temporary file of " + dst_abs(st) + " vanished before its rename"),
              true},
             false);
      else
        fail(st,
             rc == -EEXIST
               ? item_failure{make_error(ec::checksum_mismatch,
                                         dst_abs(st) + " appeared during the copy; not overwritten")}
               : io_failure("renaming into " + dst_abs(st), static_cast<int>(-rc)),
             false);
      continue;
    }
    // The final file as it now is (a rename changes its ctime, which later re-checks
    // compare), and the proof that it is the file written: a temporary swapped for
    // another file before the rename is never recorded as the copy (the other file stays
    // where the rename put it, unrecorded: whoever could swap it could put it there).
    auto& result = out.outcomes[st.index].result;
    int rc = fs.stat_at(dfd, st.leaf, result.stat);
    if (rc == 0 && !same_file(result.stat, st.temp)) {
      fail(st,
           {make_error(ec::io_error, "the temporary file of " + dst_abs(st)
                                       + " was replaced before its rename; not recorded"),
            true},
           false);
      continue;
    }
    auto stat = rc == 0 ? result.stat : file_stat{};  // unknown: the next re-check hashes it
    stat.fs_id = rc == 0 ? st.temp.fs_id : 0;
    result = std::move(st.result);
    result.stat = stat;
    renamed_dirs.push_back(st.rel_dir);
  }
  // Each directory once: its new names (and adopted files' entries) on disk.
  std::sort(renamed_dirs.begin(), renamed_dirs.end());
  renamed_dirs.erase(std::unique(renamed_dirs.begin(), renamed_dirs.end()), renamed_dirs.end());
  for (auto& rel_dir : renamed_dirs) {
    int dfd = dirs.open(rel_dir);
    int rc = dfd < 0 ? dfd : fs.fsync(dfd);
    if (rc == 0)
      continue;
    auto f = io_failure("fsync of " + join_path(batch.dst_root, rel_dir), static_cast<int>(-rc));
    for (auto& st : staged)
      if (st.rel_dir == rel_dir && !out.outcomes[st.index].error)
        fail(st, f, false);
  }
  staged.clear();
  return std::move(out);
}

copy_batch_result copy_files(const worker_io& io, const copy_batch_request& req) {
  auto staged = stage_copy_batch(io, req);
  return finish_copy_batch(io, staged);
}

}  // namespace d1
