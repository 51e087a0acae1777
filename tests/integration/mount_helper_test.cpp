// `mount -t fuse.d1drive` and /etc/fstab through the real mount(8) and mount.fuse3, of the
// stand-in node, then `umount`. mount.fuse3 finds `d1drive` on its fixed PATH, so each
// test runs in a private mount namespace where /usr/local/sbin (a tmpfs) holds a link to
// this build's binary, and /etc/fstab may be a file of the test's: the host sees nothing.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>

namespace d1::integration {
namespace {

class mount_helper_test : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    node_ = new test_node(dir_->path(), {"--no-fixtures", "--synthetic", "20"});
  }

  static void TearDownTestSuite() {
    delete node_;
    delete dir_;
    node_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(node_->running()) << read_file(dir_->path() + "/node.out");
    work_ = work_dir_.path();  // short: the control socket's path must fit 107 bytes
    mnt_ = work_ + "/mnt";
    state_ = work_ + "/state";
    config_ = work_ + "/d1drive.toml";
    ASSERT_EQ(sh("mkdir -p " + quote(mnt_) + " && : > " + quote(config_)).status, 0);
  }

  // Runs `script` (sh, errexit) in a private mount namespace where mount.fuse3 finds this
  // build's d1drive; whatever is still mounted at the mount point is detached at the end.
  command_result in_namespace(const std::string& script, int timeout_seconds = 90) {
    auto prologue = "set -e\n"
                    "mount -t tmpfs -o size=1m,mode=0755 d1drive-test /usr/local/sbin\n"
                    "ln -s "
                    + quote(binary_dir() + "/d1drive") + " /usr/local/sbin/d1drive\n"
                    + "trap 'umount -l " + quote(mnt_) + " 2>/dev/null || true' EXIT\n";
    return sh("unshare --mount --propagation private /bin/sh -c " + quote(prologue + script),
              timeout_seconds);
  }

  // Shell lines that `umount` the mount and wait (bounded) for the daemon that served it to
  // exit, then print "daemon exited" or "daemon still running".
  std::string umount_and_wait() const {
    auto pid_file = "/run/d1drive/" + underscored(mnt_) + ".pid";
    return "echo '== umount'; pid=$(cat " + quote(pid_file) + ")\n"
           "umount " + quote(mnt_) + "\n"
           "for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done\n"
           "if kill -0 $pid 2>/dev/null; then echo 'daemon still running'; "
           "else echo 'daemon exited'; fi\n";
  }

  static std::string underscored(std::string path) {
    for (auto& c : path)
      if (c == '/')
        c = '_';
    return path;
  }

  // The checks every live mount passes: the mounts table, a listing, one object's bytes
  // (as the node serves them), all printed between markers by `probe_script`.
  std::string probe_script() const {
    auto pid = first_pid();
    return "echo '== mounts'; grep ' " + mnt_ + " ' /proc/self/mounts\n"
           + "echo '== ls'; ls " + quote(mnt_) + "\n"
           + "echo '== bytes'; f=$(ls " + quote(mnt_ + "/FlatSpace/" + segment_for(pid))
           + " | grep -v -e '^system.xml$' -e '^search_fields.txt$' | head -1)\n"
           + "sha1sum < " + quote(mnt_ + "/FlatSpace/" + segment_for(pid)) + "/\"$f\"\n"
           + "curl -sf " + quote(node_->mn_url() + "/v2/object/" + url_path(pid))
           + " | sha1sum\n";
  }

  static std::string first_pid() {
    auto j = node_select(*node_, "q=*:*&fl=id&rows=1&sort=id%20asc");
    return j.is_object() ? j["response"]["docs"][0].value("id", "") : "";
  }

  static std::string url_path(const std::string& pid) {
    std::string out;
    for (unsigned char c : pid) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += hex;
      }
    }
    return out;
  }

  // Checks what probe_script printed for a mount of the node at mnt_ with allow_other.
  void expect_probe_passed(const std::string& out) {
    auto mounts = out.substr(0, out.find("== ls"));
    EXPECT_NE(mounts.find(node_->cn_url() + " " + mnt_ + " fuse.d1drive ro,"),
              std::string::npos)
      << out;
    EXPECT_NE(mounts.find("allow_other"), std::string::npos) << out;
    EXPECT_NE(out.find("FlatSpace"), std::string::npos) << out;
    EXPECT_NE(out.find("FacetedSearch"), std::string::npos) << out;
    auto from = out.find("== bytes");
    auto bytes = lines(out.substr(from, out.find("== umount") - from));
    ASSERT_EQ(bytes.size(), 3u) << out;
    EXPECT_EQ(first_word(bytes[1]), first_word(bytes[2])) << out;
    EXPECT_EQ(first_word(bytes[1]).size(), 40u) << out;
  }

  static inline temp_dir* dir_ = nullptr;
  static inline test_node* node_ = nullptr;
  temp_dir work_dir_;
  std::string work_, mnt_, state_, config_;
};

TEST_F(mount_helper_test, integration_mount_t_fuse_d1drive_with_own_options_then_umount) {
  auto r = in_namespace("mount -t fuse.d1drive " + quote(node_->cn_url()) + " " + quote(mnt_)
                        + " -o " + quote("state_dir=" + state_ + ",config=" + config_
                                         + ",allow_other")
                        + "\n" + probe_script() + umount_and_wait() + "echo '== after'; grep -c ' " + mnt_
                        + " ' /proc/self/mounts || true\n");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  expect_probe_passed(r.out);
  EXPECT_NE(r.out.find("daemon exited"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== after\n0\n"), std::string::npos) << r.out;
  // state_dir= and config= were the daemon's, not FUSE options: its log is in state_dir.
  auto log = read_file(state_ + "/d1drive.log");
  EXPECT_NE(log.find("mounted at " + mnt_), std::string::npos) << log;
  EXPECT_NE(log.find("d1drive stopped"), std::string::npos) << log;
}

TEST_F(mount_helper_test, integration_fstab_line_then_mount_and_umount_by_mount_point) {
  auto fstab = work_ + "/fstab";
  auto r = in_namespace("cp /etc/fstab " + quote(fstab) + "\n" + "echo " + quote(node_->cn_url()
                        + " " + mnt_ + " fuse.d1drive defaults,_netdev,allow_other,state_dir="
                        + state_ + ",config=" + config_ + " 0 0")
                        + " >> " + quote(fstab) + "\n" + "mount --bind " + quote(fstab)
                        + " /etc/fstab\n" + "mount " + quote(mnt_) + "\n" + probe_script()
                        + umount_and_wait());
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  expect_probe_passed(r.out);
  EXPECT_NE(r.out.find("daemon exited"), std::string::npos) << r.out;
}

TEST_F(mount_helper_test, integration_bad_own_option_fails_clearly_and_mounts_nothing) {
  auto r = in_namespace("if mount -t fuse.d1drive " + quote(node_->cn_url()) + " "
                        + quote(mnt_) + " -o state_dir=,allow_other; then echo mounted; fi\n"
                        + "grep -c ' " + mnt_ + " ' /proc/self/mounts || true\n");
  EXPECT_EQ(r.out, "0\n") << r.out << r.err;
  EXPECT_NE(r.err.find("mount option state_dir needs a value"), std::string::npos) << r.err;
}

TEST_F(mount_helper_test, integration_plain_http_to_a_remote_host_is_refused) {
  auto r = in_namespace("if mount -t fuse.d1drive http://example.org/cn " + quote(mnt_)
                        + " -o state_dir=" + quote(state_) + "; then echo mounted; fi\n");
  EXPECT_EQ(r.out, "") << r.out << r.err;
  EXPECT_NE(r.err.find("http://"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace d1::integration
