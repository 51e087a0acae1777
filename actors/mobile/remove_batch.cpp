// remove_files: re-check, then delete. The catalogue is a record; the disk is the truth,
// so what makes a deletion safe is looked at again right before it.
#include "actors/mobile/remove_batch.hpp"

#include "actors/mobile/file_reads.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

namespace d1 {

namespace {

struct remover {
  const worker_io& io;
  const remove_batch_request& req;
  std::map<std::string, beneath_dirs> dirs;  // by root
  std::unique_ptr<char[]> buf = make_read_buffer();

  beneath_dirs& dirs_of(const std::string& root) {
    return dirs.try_emplace(root, io.fs, root).first->second;
  }

  // Hashes the open file `fd` and compares with `digest`: empty if it matches, else why
  // (`os_error`: the errno when it could not be read).
  std::string hash_differs(int fd, const file_stat& st, const std::string& algorithm,
                           const std::string& digest, const std::string& abs,
                           int* os_error = nullptr) {
    auto got = hash_fd(io, fd, st.size, algorithm, abs, buf.get(), os_error);
    if (!got)
      return describe(got.error());
    if (got->hex != digest)
      return algorithm + " " + got->hex + ", recorded " + digest;
    return {};
  }

  // Whether witness `w` is on disk as recorded and is not the file `target`.
  bool witness_holds(const remove_witness& w, const file_stat& target, witness_finding& out) {
    auto rel = normalize_rel_path(w.rel_path);
    auto root = normalize_root(w.root);
    if (!rel || !root) {
      out.state = file_state::error;
      out.detail = "bad witness path " + w.root + " / " + w.rel_path;
      return false;
    }
    auto abs = join_path(*root, *rel);
    std::string dir, leaf;
    split_leaf(*rel, dir, leaf);
    int dfd = dirs_of(*root).open(dir);
    fs_fd fd{io.fs, dfd < 0 ? dfd : io.fs.open_file_at(dfd, leaf)};
    file_stat now;
    int rc = fd.ok() ? io.fs.stat_fd(fd.get(), now) : fd.get();
    if (rc < 0) {
      // Missing is a finding; a failure to look (EIO…) says nothing about the copy.
      out.state = rc == -ENOENT ? file_state::missing
                  : transient_errno(-rc) ? file_state::unknown
                                         : file_state::error;
      out.detail = abs + (rc == -ENOENT ? " is missing"
                                        : " cannot be opened: " + std::string{std::strerror(-rc)});
      return false;
    }
    if (!S_ISREG(now.mode)) {
      out.state = file_state::error;
      out.detail = abs + " is not a regular file";
      return false;
    }
    if (same_file(now, target)) {
      out.state = file_state::error;
      out.detail = abs + " is the very file to delete (an alias of its root or a hard "
                         "link): not another copy";
      return false;
    }
    if (w.stat.ino != 0 && !unchanged_since(w.stat, now)) {
      out.state = now.size != w.stat.size ? file_state::size_mismatch : file_state::changed;
      out.detail = abs + " changed since it was hashed";
      return false;
    }
    if (w.stat.ino == 0 || req.recheck == recheck_mode::hash) {
      int os_error = 0;
      auto why = hash_differs(fd.get(), now, w.algorithm, w.digest, abs, &os_error);
      if (!why.empty()) {
        out.state = os_error != 0 ? file_state::unknown : file_state::hash_mismatch;
        out.detail = abs + ": " + why;
        return false;
      }
    }
    return true;
  }

  // Checks and deletes one item; `dir_fd` is where it was (for the directory fsync).
  remove_outcome remove_one(const remove_item& item, int& dir_fd) {
    remove_outcome out;
    auto rel = normalize_rel_path(item.rel_path);
    if (!rel) {
      out.error = std::move(rel.error());
      return out;
    }
    auto abs = join_path(req.root, *rel);
    auto refuse = [&](const std::string& why) {
      out.error = make_error(ec::refused, "not removed: " + abs + " " + why);
      return out;
    };
    auto io_fail = [&](const std::string& what, int err) {
      out.error = sys_error(ec::io_error, what, err);
      out.transient = transient_errno(err);
      return out;
    };
    std::string dir, leaf;
    split_leaf(*rel, dir, leaf);
    auto& root_dirs = dirs_of(req.root);
    int dfd = root_dirs.open(dir);
    if (dfd == -ENOENT)
      return out;  // no directory: the file is already gone
    if (dfd < 0)
      return io_fail("opening the directory of " + abs, -dfd);
    fs_fd fd{io.fs, io.fs.open_file_at(dfd, leaf)};
    if (fd.get() == -ENOENT)
      return out;
    if (!fd.ok())
      return io_fail("opening " + abs, -fd.get());
    file_stat now;
    if (int rc = io.fs.stat_fd(fd.get(), now); rc < 0)
      return io_fail("stat of " + abs, -rc);
    if (!S_ISREG(now.mode)) {
      out.error = make_error(ec::invalid_path, abs + " is not a regular file; not removed");
      return out;
    }
    // (b) The file to delete must still be what its record says.
    if (item.stat.ino != 0 && !unchanged_since(item.stat, now))
      return refuse(same_file(item.stat, now)
                      ? "changed since it was hashed (size, modification or change time); "
                        "verify it first"
                      : "is another file than the one hashed (replaced); verify it first");
    if (item.digest.empty() && !req.force_last)
      return refuse("was never hashed; remove it with force_last");
    if (!item.digest.empty() && (item.stat.ino == 0 || req.recheck == recheck_mode::hash))
      if (auto why = hash_differs(fd.get(), now, item.algorithm, item.digest, abs); !why.empty())
        return refuse("no longer holds the recorded bytes (" + why + ")");
    // (a) Another copy must be on disk as it was hashed.
    if (!req.force_last) {
      bool held = false;
      for (uint32_t i = 0; i < item.witnesses.size() && !held; ++i) {
        witness_finding f;
        f.witness = i;
        held = witness_holds(item.witnesses[i], now, f);
        if (!held)
          out.findings.push_back(std::move(f));
      }
      if (!held) {
        std::string why = item.witnesses.empty() ? "no other copy is recorded" : "";
        bool unsure = !out.findings.empty();
        for (auto& f : out.findings) {
          why += (why.empty() ? "" : "; ") + f.detail;
          unsure = unsure && f.state == file_state::unknown;
        }
        refuse("is kept: no other copy checks out on disk (" + why + ")");
        out.transient = unsure;  // only failures to look: worth a retry
        return out;
      }
    }
    // The name must still name the file checked: a file swapped in meanwhile stays.
    file_stat named;
    if (io.fs.stat_at(dfd, leaf, named) != 0 || !same_file(named, now))
      return refuse("was replaced while it was checked");
    if (int rc = io.fs.unlink_at(dfd, leaf); rc < 0)
      return io_fail("removing " + abs, -rc);
    out.removed = true;
    dir_fd = dfd;
    return out;
  }
};

}  // namespace

std::vector<remove_outcome> remove_files(const worker_io& io, const remove_batch_request& req_in) {
  std::vector<remove_outcome> out(req_in.items.size());
  auto root = normalize_root(req_in.root);
  if (!root) {
    for (auto& o : out)
      o.error = root.error();
    return out;
  }
  remove_batch_request req = req_in;
  req.root = *root;
  remover r{io, req, {}};
  std::vector<int> touched;
  std::vector<int> dir_of(req.items.size(), -1);
  for (size_t i = 0; i < req.items.size(); ++i) {
    if (io.interrupted()) {
      out[i].error = make_error(ec::cancelled, "stopped before removing " + req.items[i].rel_path);
      continue;
    }
    out[i] = r.remove_one(req.items[i], dir_of[i]);
    if (dir_of[i] >= 0)
      touched.push_back(dir_of[i]);
  }
  // Each directory once: the removals are on disk before they are recorded. Should that
  // fail, the files are gone all the same and are reported removed: a record kept for a
  // deleted file would claim a copy that is not there, while a deletion a crash undoes
  // only leaves an unrecorded file behind.
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (int dfd : touched)
    io.fs.fsync(dfd);
  return out;
}

}  // namespace d1
