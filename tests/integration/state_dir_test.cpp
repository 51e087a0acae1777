// A damaged state dir, for real: a mount whose cache.lmdb is truncated, has a garbage
// header, cannot be opened for writing, or was left by a daemon killed with SIGKILL; a
// state dir on a tiny tmpfs that fills up; a damaged catalogue that stops `d1drive serve`
// until `d1drive catalogue restore` puts the automatic backup back.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

namespace d1::integration {
namespace {

// The first `n` PIDs of the stand-in node (its own Solr answer).
std::vector<std::string> pids_of(const test_node& node, int n) {
  auto ids = sh("curl -sf " + quote(node.cn_url() + "/v2/query/solr/?q=*:*&fl=id&rows="
                                    + std::to_string(n) + "&wt=json")
                + " | python3 -c 'import json,sys; [print(d[\"id\"]) for d in "
                  "json.load(sys.stdin)[\"response\"][\"docs\"]]'");
  return lines(ids.out);
}

// Lists the object folders of `pids` in the mount; their concatenated `ls -l`.
std::string list_objects(const mounted_drive& drive, const std::vector<std::string>& pids) {
  std::string out;
  for (auto& pid : pids) {
    auto r = sh("ls -l " + quote(drive.mountpoint() + "/FlatSpace/" + segment_for(pid)));
    EXPECT_EQ(r.status, 0) << pid << ": " << r.err;
    out += r.out;
  }
  return out;
}

class state_dir_test : public ::testing::Test {
protected:
  void SetUp() override {
    node_ = std::make_unique<test_node>(dir_.path(), std::vector<std::string>{"--synthetic", "30"});
    ASSERT_TRUE(node_->running());
    pids_ = pids_of(*node_, 5);
    ASSERT_EQ(pids_.size(), 5u);
    state_ = dir_.path() + "/state";
  }

  // Mounts, lists the objects (filling the cache), unmounts; returns the listing.
  std::string fill_cache() {
    mounted_drive drive{dir_.path(), node_->cn_url(), state_};
    EXPECT_TRUE(drive.live()) << drive.mount_output();
    auto listed = list_objects(drive, pids_);
    EXPECT_EQ(drive.unmount(), 0);
    return listed;
  }

  // Mounts over the damaged state: the mount must come up, say what it did, and serve.
  void expect_recovers(const std::string& what, const std::string& listed) {
    mounted_drive drive{dir_.path(), node_->cn_url(), state_};
    ASSERT_TRUE(drive.live()) << what << ": " << drive.mount_output();
    auto log = drive.log();
    EXPECT_NE(log.find("is unusable"), std::string::npos) << what << ": " << log;
    EXPECT_NE(log.find("moved aside to " + state_ + "/cache.lmdb.damaged-"), std::string::npos)
      << what << ": " << log;
    EXPECT_EQ(list_objects(drive, pids_), listed) << what;
    EXPECT_EQ(drive.unmount(), 0);
    EXPECT_EQ(sh("ls -d " + quote(state_) + "/cache.lmdb.damaged-*").status, 0) << what;
  }

  temp_dir dir_;
  std::unique_ptr<test_node> node_;
  std::vector<std::string> pids_;
  std::string state_;
};

TEST_F(state_dir_test, integration_truncated_cache_is_moved_aside_and_the_mount_starts) {
  auto listed = fill_cache();
  auto data = state_ + "/cache.lmdb/data.mdb";
  ASSERT_EQ(sh("truncate -s 8192 " + quote(data)).status, 0);
  expect_recovers("truncated data.mdb", listed);
}

TEST_F(state_dir_test, integration_garbage_header_is_moved_aside_and_the_mount_starts) {
  auto listed = fill_cache();
  auto data = state_ + "/cache.lmdb/data.mdb";
  ASSERT_EQ(sh("dd if=/dev/urandom of=" + quote(data) + " bs=4096 count=2 conv=notrunc 2>/dev/null")
              .status,
            0);
  expect_recovers("garbage header", listed);
}

TEST_F(state_dir_test, integration_cache_that_cannot_be_opened_for_writing_is_moved_aside) {
  // The daemon runs as root, which passes every permission check: the immutable flag
  // stands for a file of another user (EPERM on open for writing).
  auto listed = fill_cache();
  auto data = state_ + "/cache.lmdb/data.mdb";
  if (sh("chattr +i " + quote(data)).status != 0)
    GTEST_SKIP() << "chattr +i is not supported here";
  expect_recovers("immutable data.mdb", listed);
  sh("chattr -i " + quote(state_) + "/cache.lmdb.damaged-*/data.mdb");
}

TEST_F(state_dir_test, integration_a_daemon_killed_with_sigkill_leaves_a_usable_cache) {
  // Its lock file and its open-in-boot marker stay behind; the same boot's marker means
  // the OS still held every commit, so nothing is thrown away and no request is needed.
  std::string listed;
  {
    mounted_drive drive{dir_.path(), node_->cn_url(), state_};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    listed = list_objects(drive, pids_);
    sh("sleep 1");  // the caches write their batch within 50 ms
    // The pid file the daemon writes for `d1drive unmount` (/run/d1drive/<mount path>.pid).
    auto pid_file = drive.mountpoint();
    std::replace(pid_file.begin(), pid_file.end(), '/', '_');
    pid_file = "/run/d1drive/" + pid_file + ".pid";
    auto killed = sh("p=$(cat " + quote(pid_file) + ") && kill -KILL $p && "
                     "for i in $(seq 50); do kill -0 $p 2>/dev/null || break; sleep 0.1; done");
    ASSERT_EQ(killed.status, 0) << killed.err;
    sh("fusermount3 -u " + quote(drive.mountpoint()));
  }
  EXPECT_EQ(sh("test -e " + quote(state_ + "/cache.lmdb/open-in-boot")).status, 0);
  auto before = node_->request_count();
  mounted_drive drive{dir_.path(), node_->cn_url(), state_};
  ASSERT_TRUE(drive.live()) << drive.mount_output();
  EXPECT_EQ(list_objects(drive, pids_), listed);
  EXPECT_EQ(node_->request_count(), before) << "the cache was not kept";
  EXPECT_EQ(drive.log().find("unusable"), std::string::npos) << drive.log();
}

TEST_F(state_dir_test, integration_a_full_state_disk_keeps_serving_and_status_says_so) {
  // The state dir on a 4 MiB tmpfs, filled up once the mount is live.
  ASSERT_EQ(sh("mkdir -p " + quote(state_) + " && mount -t tmpfs -o size=4m d1test "
               + quote(state_))
              .status,
            0);
  struct unmount_tmpfs {
    std::string path;
    ~unmount_tmpfs() {
      sh("umount -l " + quote(path));
    }
  } cleanup{state_};
  auto pids = pids_of(*node_, 20);
  ASSERT_EQ(pids.size(), 20u);
  std::vector<std::string> before(pids.begin(), pids.begin() + 5);
  std::vector<std::string> after(pids.begin() + 5, pids.end());
  mounted_drive drive{dir_.path(), node_->cn_url(), state_};
  ASSERT_TRUE(drive.live()) << drive.mount_output();
  auto listed = list_objects(drive, before);
  sh("sleep 1");  // written to LMDB
  sh("dd if=/dev/zero of=" + quote(state_ + "/fill") + " bs=64k 2>/dev/null");
  ASSERT_NE(sh("dd if=/dev/zero of=" + quote(state_ + "/more") + " bs=4k count=1 2>/dev/null")
              .status,
            0)
    << "the tmpfs did not fill up";
  // New folders need cache writes, which fail: they are served all the same, and so is
  // what was cached before.
  list_objects(drive, after);
  sh("sleep 1");
  list_objects(drive, after);
  EXPECT_EQ(list_objects(drive, before), listed);
  auto status = read_file(drive.mountpoint() + "/Status/daemon.txt");
  EXPECT_NE(status.find("last error: storage_error"), std::string::npos) << status;
  EXPECT_NE(status.find("its filesystem is full"), std::string::npos) << status;
  // Logged once a minute, not once a write. The log lives on the full disk too, so read
  // what made it there; the daemon must not have given up on anything.
  auto log = drive.log();
  size_t warnings = 0;
  for (size_t at = log.find("failed write(s) in the last minute"); at != std::string::npos;
       at = log.find("failed write(s) in the last minute", at + 1))
    ++warnings;
  EXPECT_LE(warnings, 2u) << log;
  EXPECT_EQ(log.find("restarted every actor"), std::string::npos) << log;
  sh("rm -f " + quote(state_ + "/fill"));
  EXPECT_EQ(drive.unmount(), 0);
}

TEST(catalogue_state_test, integration_a_damaged_catalogue_stops_serve_until_restored) {
  temp_dir dir;
  auto state = dir.path() + "/state";
  auto root = dir.path() + "/r1";
  auto d1drive = binary_dir() + "/d1drive";
  auto cli = [&](const std::string& args) {
    return sh(d1drive + " " + args + " --state-dir " + quote(state), 60);
  };
  auto stop = [&] {
    sh("p=$(cat " + quote(state + "/d1drive.pid") + " 2>/dev/null) || exit 0; kill $p; "
       "for i in $(seq 100); do kill -0 $p 2>/dev/null || exit 0; sleep 0.1; done; kill -9 $p",
       20);
  };
  ASSERT_EQ(sh("mkdir -p " + quote(root + "/a") + " && head -c 100000 /dev/urandom > "
               + quote(root + "/a/f.bin"))
              .status,
            0);
  ASSERT_EQ(cli("serve --daemon").status, 0);
  auto reg = cli("resource register --spec RAW --root " + quote(root) + " --path a/f.bin --uid kept --wait");
  ASSERT_EQ(reg.status, 0) << reg.out << reg.err;
  stop();
  // A start without a backup makes one at once: this one holds the registration.
  ASSERT_EQ(sh("rm -rf " + quote(state + "/catalogue.backup")).status, 0);
  ASSERT_EQ(cli("serve --daemon").status, 0);
  EXPECT_EQ(sh("for i in $(seq 100); do ls " + quote(state) + "/catalogue.backup/*/data.mdb "
               ">/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1")
              .status,
            0)
    << "no automatic backup";
  // With a daemon: it checks the catalogue it has open; restoring under it is refused.
  auto online = cli("catalogue check");
  EXPECT_EQ(online.status, 0) << online.out << online.err;
  EXPECT_NE(online.out.find("catalogue consistent: 1 resources"), std::string::npos)
    << online.out;
  EXPECT_NE(online.out.find("automatic backups in " + state + "/catalogue.backup:\n  "),
            std::string::npos)
    << online.out;
  auto refused_restore = cli("catalogue restore");
  EXPECT_EQ(refused_restore.status, 4) << refused_restore.out << refused_restore.err;
  EXPECT_NE(refused_restore.err.find("stop it before restoring"), std::string::npos)
    << refused_restore.err;
  stop();
  // Without one: the command line opens the catalogue itself, with the same checker.
  auto checked = cli("catalogue check");
  EXPECT_EQ(checked.status, 0) << checked.out << checked.err;
  EXPECT_NE(checked.out.find("catalogue consistent: 1 resources"), std::string::npos)
    << checked.out;
  ASSERT_EQ(sh("dd if=/dev/urandom of=" + quote(state + "/catalogue.lmdb/data.mdb")
               + " bs=4096 count=2 conv=notrunc 2>/dev/null")
              .status,
            0);
  auto refused = cli("serve --daemon");
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find("d1drive catalogue check"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("d1drive catalogue restore"), std::string::npos) << refused.err;
  auto damaged = cli("catalogue check");
  EXPECT_EQ(damaged.status, 5) << damaged.out << damaged.err;
  EXPECT_NE(damaged.out.find("PROBLEM the database cannot be opened"), std::string::npos)
    << damaged.out;
  EXPECT_NE(damaged.out.find("d1drive catalogue restore --state-dir"), std::string::npos)
    << damaged.out;
  auto restored = cli("catalogue restore");
  ASSERT_EQ(restored.status, 0) << restored.out << restored.err;
  EXPECT_EQ(sh("ls -d " + quote(state) + "/catalogue.lmdb.damaged-*").status, 0);
  ASSERT_EQ(cli("serve --daemon").status, 0);
  auto shown = cli("resource show kept");
  EXPECT_EQ(shown.status, 0) << shown.out << shown.err;
  stop();
}

}  // namespace
}  // namespace d1::integration
