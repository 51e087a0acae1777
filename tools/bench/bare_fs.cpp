// bench_bare_fs: the baseline for FUSE benchmarks. A minimal low-level libfuse filesystem
// (a root with one file, constant attributes, single-threaded loop) so that d1drive's
// rates can be compared with what libfuse and the kernel allow on this machine.
// usage: bench_bare_fs MOUNTPOINT [-f] [-o attr_timeout=S,entry_timeout=S,<fuse options>]
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct bench_options {
  double attr_timeout = 1.0;
  double entry_timeout = 1.0;
};

bench_options options;

const fuse_opt option_spec[] = {
  {"attr_timeout=%lf", offsetof(bench_options, attr_timeout), 0},
  {"entry_timeout=%lf", offsetof(bench_options, entry_timeout), 0},
  FUSE_OPT_END,
};

constexpr fuse_ino_t file_inode = 2;
constexpr const char* file_name = "file";
const std::string file_text = "bench_bare_fs: one constant file\n";

bool fill_stat(fuse_ino_t ino, struct stat& st) {
  st = {};
  st.st_ino = ino;
  if (ino == FUSE_ROOT_ID) {
    st.st_mode = S_IFDIR | 0555;
    st.st_nlink = 2;
  } else if (ino == file_inode) {
    st.st_mode = S_IFREG | 0444;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(file_text.size());
  } else {
    return false;
  }
  st.st_mtim.tv_sec = 1700000000;
  return true;
}

void bare_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (parent != FUSE_ROOT_ID || std::strcmp(name, file_name) != 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_entry_param e{};
  e.ino = file_inode;
  e.attr_timeout = options.attr_timeout;
  e.entry_timeout = options.entry_timeout;
  fill_stat(file_inode, e.attr);
  fuse_reply_entry(req, &e);
}

void bare_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st;
  if (!fill_stat(ino, st)) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_reply_attr(req, &st, options.attr_timeout);
}

void bare_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  if (ino != FUSE_ROOT_ID) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  const char* names[] = {".", "..", file_name};
  const fuse_ino_t inodes[] = {FUSE_ROOT_ID, FUSE_ROOT_ID, file_inode};
  std::string buf(size, '\0');
  size_t used = 0;
  for (off_t i = off; i < 3; ++i) {
    struct stat st{};
    fill_stat(inodes[i], st);
    auto need = fuse_add_direntry(req, buf.data() + used, size - used, names[i], &st, i + 1);
    if (need > size - used)
      break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void bare_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (ino != file_inode)
    fuse_reply_err(req, EISDIR);
  else if ((fi->flags & O_ACCMODE) != O_RDONLY)
    fuse_reply_err(req, EROFS);
  else
    fuse_reply_open(req, fi);
}

void bare_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info*) {
  if (off < 0 || static_cast<size_t>(off) >= file_text.size()) {
    fuse_reply_buf(req, nullptr, 0);
    return;
  }
  fuse_reply_buf(req, file_text.data() + off,
                 std::min(size, file_text.size() - static_cast<size_t>(off)));
}

}  // namespace

int main(int argc, char* argv[]) {
  fuse_args args = FUSE_ARGS_INIT(argc, argv);
  if (fuse_opt_parse(&args, &options, option_spec, nullptr) != 0)
    return 1;
  fuse_cmdline_opts cmdline{};
  if (fuse_parse_cmdline(&args, &cmdline) != 0)
    return 1;
  if (cmdline.show_help || cmdline.mountpoint == nullptr) {
    std::printf("usage: %s MOUNTPOINT [-f] [-o attr_timeout=S,entry_timeout=S,...]\n",
                argv[0]);
    fuse_opt_free_args(&args);
    return cmdline.show_help ? 0 : 1;
  }
  fuse_lowlevel_ops ops{};
  ops.lookup = bare_lookup;
  ops.getattr = bare_getattr;
  ops.readdir = bare_readdir;
  ops.open = bare_open;
  ops.read = bare_read;
  int result = 1;
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), nullptr);
  if (se != nullptr) {
    if (fuse_set_signal_handlers(se) == 0) {
      if (fuse_session_mount(se, cmdline.mountpoint) == 0) {
        fuse_daemonize(cmdline.foreground);
        result = fuse_session_loop(se) == 0 ? 0 : 1;
        fuse_session_unmount(se);
      }
      fuse_remove_signal_handlers(se);
    }
    fuse_session_destroy(se);
  }
  std::free(cmdline.mountpoint);
  fuse_opt_free_args(&args);
  return result;
}
