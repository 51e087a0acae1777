// The mount helper form's options: d1drive's own come out of the FUSE options, options
// only mount(8) understands are dropped, and bad own options are usage errors.
#include "tools/mount_helper.hpp"

#include "messages/error.hpp"

#include <gtest/gtest.h>

namespace {

using strings = std::vector<std::string>;

TEST(mount_helper, takes_own_options_out_of_the_fuse_options) {
  // What mount.fuse3 passes for `-o state_dir=…,config=…,allow_other` (mount(8) adds rw,
  // dev and suid).
  auto split = d1::split_mount_option_lists(
    {"rw,state_dir=/tmp/a b,config=/etc/x.toml,allow_other,dev,suid", "log_level=debug"});
  ASSERT_TRUE(split) << d1::describe(split.error());
  EXPECT_EQ(split->state_dir, "/tmp/a b");
  EXPECT_EQ(split->config_file, "/etc/x.toml");
  EXPECT_EQ(split->log_level, "debug");
  EXPECT_EQ(split->fuse_options, (strings{"allow_other", "dev", "suid"}));
}

TEST(mount_helper, drops_what_only_mount_and_fstab_mean) {
  auto split = d1::split_mount_option_lists(
    {"defaults,_netdev,allow_other,noauto,auto,nofail,x-systemd.automount,comment=x,rw,,"
     "attr_timeout=5"});
  ASSERT_TRUE(split) << d1::describe(split.error());
  EXPECT_EQ(split->fuse_options, (strings{"allow_other", "attr_timeout=5"}));
  EXPECT_TRUE(split->state_dir.empty());
  EXPECT_TRUE(split->config_file.empty());
  EXPECT_TRUE(split->log_level.empty());
}

TEST(mount_helper, keeps_unknown_options_for_libfuse_to_judge) {
  auto split = d1::split_mount_option_lists({"ro,max_read=65536,bogus,state_dirx=1"});
  ASSERT_TRUE(split) << d1::describe(split.error());
  EXPECT_EQ(split->fuse_options, (strings{"ro", "max_read=65536", "bogus", "state_dirx=1"}));
}

TEST(mount_helper, own_options_need_one_value) {
  for (const char* bad : {"state_dir", "state_dir=", "config=", "log_level",
                          "config=/a,config=/b", "state_dir=/a,allow_other,state_dir=/a"}) {
    auto split = d1::split_mount_option_lists({bad});
    ASSERT_FALSE(split) << bad;
    EXPECT_EQ(d1::code_of(split.error()), d1::ec::invalid_argument) << bad;
    EXPECT_NE(d1::describe(split.error()).find("mount option"), std::string::npos) << bad;
  }
}

TEST(mount_helper, source_d1drive_means_the_configured_base_url) {
  EXPECT_EQ(d1::base_url_of_source("d1drive"), "");
  EXPECT_EQ(d1::base_url_of_source("https://cn.dataone.org/cn"), "https://cn.dataone.org/cn");
}

}  // namespace
