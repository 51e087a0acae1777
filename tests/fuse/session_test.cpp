// Real mounts: fuse/ mounted in a temp dir over a fake fs_gateway actor that answers from
// an in-memory tree, exercised with the ordinary tools (ls, stat, cat, sha1sum, find,
// touch). Every command is bounded by `timeout`; teardown always unmounts.
#include "fuse/session.hpp"

#include "fuse/inode_table.hpp"
#include "messages/error.hpp"
#include "messages/path_codec.hpp"
#include "messages/type_registry.hpp"
#include "tests/storage/temp_dir.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// -- the fake gateway ---------------------------------------------------------------

// An object's bytes that are all there and verified: a plain local file.
class local_file_bytes final : public d1::object_bytes {
public:
  explicit local_file_bytes(const std::string& path)
    : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), size_(fs::file_size(path)) {
  }
  ~local_file_bytes() override {
    ::close(fd_);
  }
  uint64_t size() const override {
    return size_;
  }
  bool verified() const override {
    return true;
  }
  void read(uint64_t, uint64_t, read_callback done) override {
    done(fd_);
  }
  void opened() override {
    ++readers;
  }
  void closed() override {
    --readers;
  }
  std::atomic<int> readers{0};

private:
  int fd_;
  uint64_t size_;
};

struct fake_tree {
  std::map<std::string, d1::node_info> nodes;  // by absolute path
  std::map<std::string, d1::listing> dirs;
  std::string object_file;  // the bytes of every object

  std::mutex mutex;
  std::map<std::string, int> lookups;  // by name
  std::map<std::string, int> get_attrs;  // by path
  int opendirs = 0;
  int opens = 0;

  int lookups_of(const std::string& name) {
    std::lock_guard lock{mutex};
    return lookups[name];
  }
  int get_attrs_of(const std::string& path) {
    std::lock_guard lock{mutex};
    return get_attrs[path];
  }
  int opens_so_far() {
    std::lock_guard lock{mutex};
    return opens;
  }

  void add(const std::string& path, d1::node_info info) {
    nodes[path] = info;
    if (path == "/")
      return;
    auto slash = path.rfind('/');
    auto parent = slash == 0 ? std::string{"/"} : path.substr(0, slash);
    dirs[parent].entries.push_back(d1::dir_entry{path.substr(slash + 1), info});
    if (info.is_dir())
      dirs[path];
  }
};

d1::fs_gateway_actor::behavior_type fake_gateway(d1::fs_gateway_actor::pointer,
                                                 std::shared_ptr<fake_tree> tree) {
  return {
    [tree](d1::lookup_atom, const d1::fs_reply_ptr& reply, const std::string& parent,
           const std::string& name, int32_t) {
      {
        std::lock_guard lock{tree->mutex};
        ++tree->lookups[name];
      }
      if (name == "hang")
        return;  // the reply is dropped unanswered: the caller must get EIO, not hang
      auto i = tree->nodes.find(d1::child_path(parent, name));
      if (i == tree->nodes.end())
        reply->error(d1::make_error(d1::ec::not_found, name));
      else
        reply->entry(i->second);
    },
    [tree](d1::get_attr_atom, const d1::fs_reply_ptr& reply, const std::string& path,
           int32_t) {
      {
        std::lock_guard lock{tree->mutex};
        ++tree->get_attrs[path];
      }
      auto i = tree->nodes.find(path);
      if (i == tree->nodes.end())
        reply->error(d1::make_error(d1::ec::not_found, path));
      else
        reply->attr(i->second);
    },
    [tree](d1::opendir_atom, const d1::fs_reply_ptr& reply, const std::string& path,
           int32_t) {
      {
        std::lock_guard lock{tree->mutex};
        ++tree->opendirs;
      }
      auto i = tree->dirs.find(path);
      if (i == tree->dirs.end())
        reply->error(d1::make_error(d1::ec::not_found, path));
      else
        reply->directory(i->second);
    },
    [tree](d1::open_atom, const d1::fs_reply_ptr& reply, const d1::object_ref&, int32_t) {
      {
        std::lock_guard lock{tree->mutex};
        ++tree->opens;
      }
      reply->object(std::make_shared<local_file_bytes>(tree->object_file));
    },
  };
}

d1::node_info dir_info(d1::cache_class cache = d1::cache_class::search) {
  d1::node_info info;
  info.kind = d1::entry_kind::directory;
  info.cache = cache;
  info.mtime = 1700000000;
  return info;
}

d1::node_info text_info(const std::string& text, d1::cache_class cache) {
  d1::node_info info;
  info.kind = d1::entry_kind::file;
  info.cache = cache;
  info.size = text.size();
  info.mtime = 1700000000;
  info.content = d1::content_kind::inline_text;
  info.set_text(text);
  return info;
}

// -- running tools ---------------------------------------------------------------------

struct command_result {
  int status = -1;
  std::string output;  // stdout and stderr
};

command_result run(const std::string& command) {
  command_result result;
  std::string bounded = "LC_ALL=C timeout -k 5 20 sh -c '" + command + "' 2>&1";
  FILE* pipe = ::popen(bounded.c_str(), "r");
  if (pipe == nullptr)
    return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0)
    result.output.append(buf, n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

bool is_mounted(const std::string& path) {
  std::ifstream in{"/proc/self/mountinfo"};
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + path + " ") != std::string::npos)
      return true;
  return false;
}

// -- the fixture -------------------------------------------------------------------------

class fuse_session_test : public ::testing::Test {
protected:
  struct config : caf::actor_system_config {
    config() {
      set("scheduler.policy", caf::atom("sharing"));
      set("logger.verbosity", caf::atom("quiet"));
      d1::add_message_types(*this);
    }
  };

  void SetUp() override {
    if (::access("/dev/fuse", R_OK | W_OK) != 0)
      GTEST_SKIP() << "/dev/fuse is not usable here: mounting needs root (STACK.md)";
    mnt_ = *dir_ / "mnt";
    fs::create_directory(mnt_);
    // An object of 3 MiB + 123 bytes: many read requests, an odd tail.
    tree_ = std::make_shared<fake_tree>();
    tree_->object_file = *dir_ / "object.bin";
    object_bytes_.resize(3 * 1024 * 1024 + 123);
    std::mt19937 rng{42};
    for (auto& c : object_bytes_)
      c = static_cast<char>(rng());
    std::ofstream{tree_->object_file, std::ios::binary}.write(object_bytes_.data(),
                                                             object_bytes_.size());
    tree_->add("/", dir_info());
    tree_->add("/dir", dir_info());
    tree_->add("/dir/sub1", dir_info());
    tree_->add("/dir/sub2", dir_info());
    tree_->add("/dir/sub1/note.txt", text_info("a note\n", d1::cache_class::search));
    tree_->add("/hello.txt", text_info("hello world\n", d1::cache_class::metadata));
    d1::node_info object;
    object.kind = d1::entry_kind::file;
    object.cache = d1::cache_class::immutable;
    object.size = object_bytes_.size();
    object.mtime = 1600000000;
    object.content = d1::content_kind::object_bytes;
    object.set_object(d1::object_ref{"obj.1", object.size, "SHA-1", "unused-by-the-fake"});
    tree_->add("/object.bin", object);
    tree_->add("/ErrorFolder", dir_info(d1::cache_class::error));
    tree_->add("/ErrorFolder/Unknown identifier nope",
               text_info("nope is not a DataONE identifier.\n", d1::cache_class::error));
    system_ = std::make_unique<caf::actor_system>(cfg_);
    gateway_ = system_->spawn(fake_gateway, tree_);
  }

  void TearDown() override {
    if (mnt_.empty())
      return;  // skipped before anything was set up
    if (mount_) {
      mount_->request_exit();
      if (loop_done_.valid() && loop_done_.wait_for(10s) != std::future_status::ready)
        std::system(("fusermount3 -u " + mnt_ + " || umount -l " + mnt_).c_str());
      if (loop_.joinable())
        loop_.join();
      mount_.reset();
    }
    if (is_mounted(mnt_))
      std::system(("fusermount3 -u " + mnt_ + " 2>/dev/null || umount -l " + mnt_).c_str());
    if (system_) {
      caf::anon_send_exit(gateway_, caf::exit_reason::user_shutdown);
      gateway_ = nullptr;
      system_.reset();
    }
    if (is_mounted(mnt_))
      (void)dir_.release();  // never walk into a mount that is still there: leave it
  }

  void mount(std::vector<std::string> options = {}, d1::kernel_timeouts timeouts = {}) {
    auto m = d1::fuse_mount::create(mnt_, options, gateway_, timeouts);
    ASSERT_TRUE(m) << d1::describe(m.error());
    mount_ = std::move(*m);
    std::promise<int> done;
    loop_done_ = done.get_future();
    loop_ = std::thread([this, done = std::move(done)]() mutable {
      done.set_value(mount_->run());
    });
  }

  std::string at(const std::string& rel) const {
    return mnt_ + "/" + rel;
  }

  config cfg_;
  std::unique_ptr<caf::actor_system> system_;
  d1::fs_gateway_actor gateway_;
  std::shared_ptr<fake_tree> tree_;
  std::string object_bytes_;
  std::unique_ptr<d1::test::temp_dir> dir_ = std::make_unique<d1::test::temp_dir>();
  std::string mnt_;
  std::unique_ptr<d1::fuse_mount> mount_;
  std::thread loop_;
  std::future<int> loop_done_;
};

TEST_F(fuse_session_test, mounts_read_only_as_fuse_d1drive) {
  mount();
  EXPECT_TRUE(is_mounted(mnt_));
  EXPECT_GE(mount_->fd(), 0);
  auto mounts = run("grep \" " + mnt_ + " \" /proc/mounts");
  EXPECT_NE(mounts.output.find("d1drive " + mnt_ + " fuse.d1drive ro"), std::string::npos)
    << mounts.output;
  auto namemax = run("stat -f -c %l " + mnt_);
  EXPECT_EQ(trimmed(namemax.output), "255");
}

TEST_F(fuse_session_test, ls_lists_and_stat_shows_sizes) {
  mount();
  auto ls = run("ls " + mnt_);
  EXPECT_EQ(ls.status, 0) << ls.output;
  EXPECT_EQ(ls.output, "ErrorFolder\ndir\nhello.txt\nobject.bin\n");
  auto ls_l = run("ls -l " + at("dir"));
  EXPECT_EQ(ls_l.status, 0) << ls_l.output;
  EXPECT_NE(ls_l.output.find("dr-xr-xr-x"), std::string::npos) << ls_l.output;
  EXPECT_NE(ls_l.output.find("sub1"), std::string::npos) << ls_l.output;
  EXPECT_NE(ls_l.output.find("sub2"), std::string::npos) << ls_l.output;
  EXPECT_EQ(trimmed(run("stat -c %s " + at("hello.txt")).output), "12");
  EXPECT_EQ(trimmed(run("stat -c %s " + at("object.bin")).output),
            std::to_string(object_bytes_.size()));
  EXPECT_EQ(trimmed(run("stat -c %F:%a " + at("dir/sub1/note.txt")).output),
            "regular file:444");
  // readdirplus registered the listed children in the inode table.
  EXPECT_NE(mount_->inodes().inode_of("/dir/sub1"), 0u);
}

TEST_F(fuse_session_test, cat_reads_inline_text) {
  mount();
  auto cat = run("cat " + at("hello.txt"));
  EXPECT_EQ(cat.status, 0);
  EXPECT_EQ(cat.output, "hello world\n");
  EXPECT_EQ(run("cat " + at("dir/sub1/note.txt")).output, "a note\n");
  auto errors = run("ls " + at("ErrorFolder"));
  EXPECT_EQ(errors.output, "Unknown identifier nope\n");
  EXPECT_EQ(run("cat \"" + at("ErrorFolder/Unknown identifier nope") + "\"").output,
            "nope is not a DataONE identifier.\n");
}

TEST_F(fuse_session_test, sha1sum_of_an_object_matches_its_local_copy) {
  mount();
  auto want = run("sha1sum < " + tree_->object_file);
  auto got = run("sha1sum < " + at("object.bin"));
  EXPECT_EQ(got.status, 0) << got.output;
  EXPECT_EQ(got.output, want.output);
  auto copy = run("cmp " + at("object.bin") + " " + tree_->object_file);
  EXPECT_EQ(copy.status, 0) << copy.output;
  // Each open asks the gateway once; reads are answered from the handle's bytes.
  auto opens = tree_->opens_so_far();
  EXPECT_GE(opens, 2);
  EXPECT_LE(opens, 4) << "reads went to the gateway instead of the handle's bytes";
}

TEST_F(fuse_session_test, find_terminates_and_sees_everything) {
  mount();
  auto found = run("find " + mnt_ + " | sort");
  EXPECT_EQ(found.status, 0) << found.output;
  std::string want;
  for (auto rel : {"", "/ErrorFolder", "/ErrorFolder/Unknown identifier nope", "/dir",
                   "/dir/sub1", "/dir/sub1/note.txt", "/dir/sub2", "/hello.txt",
                   "/object.bin"})
    want += mnt_ + rel + "\n";
  EXPECT_EQ(found.output, want);
}

TEST_F(fuse_session_test, forgets_balance_lookups_and_readdirplus) {
  mount();
  ASSERT_EQ(run("ls -l " + mnt_ + " " + at("dir") + " " + at("dir/sub1")).status, 0);
  ASSERT_EQ(run("find " + mnt_).status, 0);
  ASSERT_EQ(run("stat " + at("hello.txt")).status, 0);
  EXPECT_GT(mount_->inodes().size(), 5u);
  // Evicting the kernel's dentries and inodes sends FORGET for every lookup it counted:
  // the table must shrink to the root, no more (ESTALE later) and no less (a leak).
  ASSERT_EQ(std::system("sync; echo 2 > /proc/sys/vm/drop_caches"), 0);
  for (int i = 0; i < 100 && mount_->inodes().size() > 1; ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(mount_->inodes().size(), 1u);
  EXPECT_EQ(run("cat " + at("dir/sub1/note.txt")).output, "a note\n");
  EXPECT_EQ(trimmed(run("stat -c %s " + at("hello.txt")).output), "12");
}

TEST_F(fuse_session_test, writes_fail_read_only) {
  mount();
  for (auto cmd : {"touch " + at("new"), "mkdir " + at("newdir"),
                   "echo x > " + at("hello.txt"), "rm " + at("hello.txt"),
                   "mv " + at("hello.txt") + " " + at("moved")}) {
    auto r = run(cmd);
    EXPECT_NE(r.status, 0) << cmd;
    EXPECT_NE(r.output.find("Read-only file system"), std::string::npos)
      << cmd << ": " << r.output;
  }
  EXPECT_EQ(run("cat " + at("hello.txt")).output, "hello world\n");
}

TEST_F(fuse_session_test, probe_names_fail_without_a_lookup) {
  mount();
  ASSERT_TRUE(d1::is_os_probe_name(".DS_Store"));
  auto probe = run("stat " + at(".DS_Store"));
  EXPECT_NE(probe.status, 0);
  EXPECT_NE(probe.output.find("No such file or directory"), std::string::npos) << probe.output;
  EXPECT_EQ(tree_->lookups_of(".DS_Store"), 0);
  // A name that is no probe does reach the gateway, which says ENOENT.
  auto missing = run("stat " + at("missing"));
  EXPECT_NE(missing.output.find("No such file or directory"), std::string::npos)
    << missing.output;
  EXPECT_EQ(tree_->lookups_of("missing"), 1);
}

TEST_F(fuse_session_test, a_dropped_reply_gives_eio_not_a_hang) {
  mount();
  auto start = std::chrono::steady_clock::now();
  auto r = run("stat " + at("hang"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("Input/output error"), std::string::npos) << r.output;
  EXPECT_EQ(tree_->lookups_of("hang"), 1);
}

TEST_F(fuse_session_test, fresh_attributes_need_no_message) {
  // The kernel asks every time; the inode table answers while its attributes are fresh.
  mount({"attr_timeout=0"});
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(trimmed(run("stat -c %s " + at("hello.txt")).output), "12");
  EXPECT_EQ(tree_->lookups_of("hello.txt"), 1);
  EXPECT_EQ(tree_->get_attrs_of("/hello.txt"), 0);
}

TEST_F(fuse_session_test, expired_attributes_ask_the_gateway) {
  d1::kernel_timeouts timeouts;
  timeouts.table.set_all(0);
  mount({"attr_timeout=0"}, timeouts);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(trimmed(run("stat -c %s " + at("hello.txt")).output), "12");
  EXPECT_GE(tree_->get_attrs_of("/hello.txt"), 5);
}

TEST_F(fuse_session_test, request_exit_ends_the_loop_and_unmounts) {
  mount();
  EXPECT_EQ(run("ls " + mnt_).status, 0);
  mount_->request_exit();
  ASSERT_EQ(loop_done_.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(loop_done_.get(), 0);
  loop_.join();
  mount_.reset();
  EXPECT_FALSE(is_mounted(mnt_));
}

TEST_F(fuse_session_test, rejects_a_missing_mountpoint_and_bad_options) {
  auto missing = d1::fuse_mount::create(*dir_ / "nowhere", {}, gateway_, {});
  EXPECT_FALSE(missing);
  auto bad = d1::fuse_mount::create(mnt_, {"attr_timeout=soon"}, gateway_, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(d1::code_of(bad.error()), d1::ec::invalid_argument);
  auto unknown = d1::fuse_mount::create(mnt_, {"no_such_option"}, gateway_, {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(d1::code_of(unknown.error()), d1::ec::invalid_argument);
  EXPECT_FALSE(is_mounted(mnt_));
}

}  // namespace
