// MOUNT/Resources/ on a real mount whose daemon also tracks files: a registered resource
// reads the copy this host prefers (the one the daemon holds open, seen in /proc), the
// preference swapped in the config swaps the copy, an open reader keeps reading while a
// move takes its copy away, a vanished or hand-changed copy falls over to the next one
// (logged), an AD_TIFF resource shows its files under their relative paths, and a
// DATAONE resource is found by its PID under @by-pid/.
#include "tests/integration/cli_fixture.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace d1::integration {
namespace {


std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// cli_fixture with a mount (over a stand-in node) instead of `serve`: the same daemon
// answers the CLI and serves Resources/. Roots r1, r2 are this host's preferred ones.
class resources_test : public cli_fixture {
protected:
  void SetUp() override {
    // The mount needs a node; nothing here reads from it.
    ASSERT_EQ(sh("mkdir -p " + quote(dir_.path() + "/node")).status, 0);
    node_ = std::make_unique<test_node>(dir_.path() + "/node",
                                        std::vector<std::string>{"--no-fixtures", "--synthetic",
                                                                 "5"});
    roots_ = {dir_.path() + "/r1", dir_.path() + "/r2"};
    cli_fixture::SetUp();
  }

  command_result start_daemon() override {
    std::string list;
    for (auto& r : roots_)
      list += (list.empty() ? "\"" : ", \"") + r + "\"";
    drive_ = std::make_unique<mounted_drive>(dir_.path(), node_->cn_url(), state_,
                                             "[hosts.\"" + host_name() + "\"]\nroots = ["
                                               + list + "]\n",
                                             fuse_options_);
    return {drive_->live() ? 0 : 1, drive_->mount_output(), ""};
  }

  void stop_daemon() override {
    drive_.reset();
  }

  // Remounts with this host's preferred roots in `roots` order.
  void remount(std::vector<std::string> roots) {
    stop_daemon();
    roots_ = std::move(roots);
    auto started = start_daemon();
    ASSERT_EQ(started.status, 0) << started.out;
  }

  // Registers r1/rel as RAW, waits for the hashing, copies it to `copy_to` (if given).
  std::string register_copied(const std::string& rel, size_t bytes,
                              const std::string& copy_to = "") {
    auto uid = register_raw(rel, bytes);
    if (!copy_to.empty()) {
      auto copy = cli("resource copy " + uid + " --to " + quote(copy_to) + " --wait");
      EXPECT_EQ(copy.status, 0) << copy.out << copy.err;
    }
    return uid;
  }

  std::string in_mount(const std::string& rel) const {
    return drive_->mountpoint() + "/Resources/" + rel;
  }

  // The local file the daemon reads while a shell holds `path` open and has read a byte
  // of it: the daemon's descriptor on one of the roots, seen in /proc.
  std::string copy_read_for(const std::string& path) {
    auto r = sh("exec 3<" + quote(path) + " && head -c 1 <&3 >/dev/null && "
                  "find /proc/[0-9]*/fd -maxdepth 1 -lname " + quote(dir_.path() + "/r[0-9]/*")
                  + " -printf '%l\\n' 2>/dev/null",
                30);
    return first_word(r.out);
  }

  std::unique_ptr<test_node> node_;
  std::unique_ptr<mounted_drive> drive_;
  std::vector<std::string> roots_;
  std::string fuse_options_;
};

TEST_F(resources_test, integration_reads_the_preferred_copy_and_swaps_with_the_config) {
  auto uid = register_copied("raw/data.bin", 3 << 20, r2_);
  ASSERT_FALSE(uid.empty());
  auto top = ls(drive_->mountpoint() + "/Resources");
  EXPECT_EQ(top, std::vector<std::string>{uid});
  EXPECT_EQ(ls(in_mount(uid)), std::vector<std::string>{"raw"});
  EXPECT_EQ(ls(in_mount(uid + "/raw")), std::vector<std::string>{"data.bin"});
  auto file = in_mount(uid + "/raw/data.bin");
  EXPECT_TRUE(same(file, r1_ + "/raw/data.bin"));
  // Attributes are the file's.
  auto st = sh("stat -c '%s %Y' " + quote(file) + " " + quote(r1_ + "/raw/data.bin"));
  auto l = lines(st.out);
  ASSERT_EQ(l.size(), 2u) << st.out << st.err;
  EXPECT_EQ(l[0], l[1]);
  EXPECT_EQ(copy_read_for(file), r1_ + "/raw/data.bin");

  remount({r2_, r1_});
  EXPECT_EQ(copy_read_for(file), r2_ + "/raw/data.bin");
  EXPECT_TRUE(same(file, r1_ + "/raw/data.bin"));
}

TEST_F(resources_test, integration_an_open_reader_keeps_reading_while_a_move_runs) {
  auto uid = register_copied("big.bin", 8 << 20);
  ASSERT_FALSE(uid.empty());
  auto original = dir_.path() + "/original.bin";
  ASSERT_EQ(sh("cp " + quote(r1_ + "/big.bin") + " " + quote(original)).status, 0);
  auto file = in_mount(uid + "/big.bin");
  auto out = dir_.path() + "/read.bin";
  // Half through the mount, the move (r1 → r3, which deletes r1's copy), then the rest.
  auto r = sh("exec 3<" + quote(file) + " && dd bs=1M count=4 iflag=fullblock status=none <&3 > "
                + quote(out) + " && " + binary_dir() + "/d1drive resource move " + uid
                + " --from " + quote(r1_) + " --to " + quote(r3_) + " --wait --state-dir "
                + quote(state_) + " >/dev/null && test ! -e " + quote(r1_ + "/big.bin")
                + " && cat <&3 >> " + quote(out),
              120);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(same(out, original));
  // The same path now reads the moved copy.
  EXPECT_TRUE(same(file, original));
  EXPECT_EQ(copy_read_for(file), r3_ + "/big.bin");
}

TEST_F(resources_test, integration_a_vanished_or_changed_copy_falls_over_to_the_next) {
  auto uid = register_copied("a.bin", 1 << 20, r2_);
  ASSERT_FALSE(uid.empty());
  auto original = dir_.path() + "/original.bin";
  ASSERT_EQ(sh("cp " + quote(r1_ + "/a.bin") + " " + quote(original)).status, 0);
  auto file = in_mount(uid + "/a.bin");
  // Changed by hand (same size, new bytes and mtime): passed over for r2's copy.
  ASSERT_EQ(sh("sleep 0.01; printf X | dd of=" + quote(r1_ + "/a.bin")
               + " bs=1 seek=10 conv=notrunc status=none")
              .status,
            0);
  EXPECT_TRUE(same(file, original));
  EXPECT_EQ(copy_read_for(file), r2_ + "/a.bin");
  // r2's copy vanishes too: nothing usable is left, the read fails instead of serving r1.
  ASSERT_EQ(sh("rm " + quote(r2_ + "/a.bin")).status, 0);
  auto cat = sh("cat " + quote(file) + " > /dev/null");
  EXPECT_NE(cat.status, 0);
  auto log = drive_->log();
  EXPECT_NE(log.find("modified since it was verified"), std::string::npos) << log;
  EXPECT_NE(log.find("no usable copy"), std::string::npos) << log;
  // Put back (as it was verified): readable again, from r1.
  ASSERT_EQ(sh("cp -p " + quote(original) + " " + quote(r2_ + "/a.bin")).status, 0);
}

// Mounted with allow_other, other users reach Resources/, but the daemon (root) opens a
// copy for them only if the copy's own permission bits let them read it.
TEST_F(resources_test, integration_other_users_read_only_what_the_disk_lets_them) {
  stop_daemon();
  fuse_options_ = "allow_other";
  ASSERT_EQ(sh("chmod 755 " + quote(dir_.path())).status, 0);  // nobody reaches the mount
  ASSERT_EQ(start_daemon().status, 0) << drive_->mount_output();
  auto open_uid = register_raw("open.bin", 4096);
  auto secret_uid = register_raw("secret.bin", 4096);
  ASSERT_EQ(sh("chmod 644 " + quote(r1_ + "/open.bin") + " && chmod 600 "
               + quote(r1_ + "/secret.bin"))
              .status,
            0);
  auto as_nobody = [&](const std::string& path) {
    return sh("setpriv --reuid=65534 --regid=65534 --clear-groups cat " + quote(path)
              + " > /dev/null");
  };
  auto ok = as_nobody(in_mount(open_uid + "/open.bin"));
  EXPECT_EQ(ok.status, 0) << ok.err;
  auto denied = as_nobody(in_mount(secret_uid + "/secret.bin"));
  EXPECT_NE(denied.status, 0);
  EXPECT_NE(denied.err.find("Permission denied"), std::string::npos) << denied.err;
  EXPECT_TRUE(same(in_mount(secret_uid + "/secret.bin"), r1_ + "/secret.bin"));  // root may
}

TEST_F(resources_test, integration_shows_the_files_of_an_ad_tiff_resource) {
  auto tiff = register_ad_tiff_frames();
  ASSERT_TRUE(tiff.value("ok", false)) << tiff.dump(2);
  auto uid = tiff["result"].value("resource_uid", "");
  auto names = ls(in_mount(uid + "/scan"));
  ASSERT_EQ(names.size(), 6u);
  EXPECT_EQ(names.front(), "img_000000.tiff");
  EXPECT_EQ(names.back(), "img_000005.tiff");
  EXPECT_TRUE(same(in_mount(uid + "/scan/img_000003.tiff"), r1_ + "/scan/img_000003.tiff"));
  // A DATAONE resource is also reachable by its PID (escaped as everywhere in the mount).
  make_file(r1_, "d1/eml.xml", 5000);
  auto sum = first_word(sh("sha1sum " + quote(r1_ + "/d1/eml.xml")).out);
  auto d1 = cli_json("resource register --spec DATAONE --root " + quote(r1_)
                     + " --path d1/eml.xml --kwargs "
                     + quote(R"({"pid": "doi:10.5063/AA/x", "checksum_algorithm": "SHA-1", )"
                             R"("checksum": ")" + sum + R"("})")
                     + " --wait");
  ASSERT_TRUE(d1.value("ok", false)) << d1.dump(2);
  EXPECT_EQ(ls(in_mount("@by-pid")), std::vector<std::string>{segment_for("doi:10.5063/AA/x")});
  EXPECT_TRUE(same(in_mount("@by-pid/" + segment_for("doi:10.5063/AA/x") + "/d1/eml.xml"),
                   r1_ + "/d1/eml.xml"));
  auto top = ls(in_mount(""));
  EXPECT_NE(std::find(top.begin(), top.end(), "@by-pid"), top.end());
  EXPECT_EQ(top.size(), 3u);  // @by-pid and the two uids
  // An unknown uid is an error folder naming the problem.
  auto missing = ls(in_mount("no-such-resource"));
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].find("no-such-resource"), std::string::npos) << missing[0];
  // The mount stays read-only here too.
  EXPECT_NE(sh("touch " + quote(in_mount(uid + "/scan/new"))).status, 0);
}

}  // namespace
}  // namespace d1::integration
