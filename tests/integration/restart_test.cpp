// Restart with the same state dir: a folder listed before is listed again with zero
// requests to the node (counted in the node's request log); unmount and SIGTERM exit 0.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

namespace d1::integration {
namespace {

TEST(restart_test, integration_seen_folder_needs_no_request_after_restart) {
  temp_dir dir;
  test_node node{dir.path(), {"--synthetic", "50"}};
  ASSERT_TRUE(node.running());
  auto ids = sh("curl -sf " + quote(node.cn_url() + "/v2/query/solr/?q=*:*&fl=id&rows=3&wt=json")
                + " | python3 -c 'import json,sys; [print(d[\"id\"]) for d in "
                  "json.load(sys.stdin)[\"response\"][\"docs\"]]'");
  ASSERT_EQ(ids.status, 0) << ids.err;
  auto pids = lines(ids.out);
  ASSERT_FALSE(pids.empty());
  auto state = dir.path() + "/state";
  std::string first_listing;
  {
    mounted_drive drive{dir.path(), node.cn_url(), state};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    for (auto& pid : pids) {
      auto r = sh("ls -l " + quote(drive.mountpoint() + "/FlatSpace/" + segment_for(pid)));
      ASSERT_EQ(r.status, 0) << r.err;
      first_listing += r.out;
    }
    EXPECT_EQ(drive.unmount(), 0);
  }
  auto before = node.request_count();
  mounted_drive drive{dir.path(), node.cn_url(), state};
  ASSERT_TRUE(drive.live()) << drive.mount_output();
  std::string second_listing;
  for (auto& pid : pids) {
    auto r = sh("ls -l " + quote(drive.mountpoint() + "/FlatSpace/" + segment_for(pid)));
    ASSERT_EQ(r.status, 0) << r.err;
    second_listing += r.out;
  }
  EXPECT_EQ(node.request_count(), before) << "a seen folder cost requests after a restart";
  EXPECT_EQ(second_listing, first_listing);
}

TEST(restart_test, integration_sigterm_unmounts_and_exits_zero) {
  temp_dir dir;
  test_node node{dir.path(), {"--synthetic", "10"}};
  ASSERT_TRUE(node.running());
  auto mnt = dir.path() + "/mnt";
  sh("mkdir -p " + quote(mnt));
  // Foreground daemon in the background of a shell; SIGTERM it once the mount is live.
  auto r = sh(binary_dir() + "/d1drive mount " + quote(mnt) + " --base-url "
                + quote(node.cn_url()) + " --state-dir " + quote(dir.path() + "/state")
                + " & pid=$!; for i in $(seq 100); do grep -qs ' " + mnt
                + " ' /proc/self/mounts && break; sleep 0.1; done; ls " + quote(mnt)
                + " && kill -TERM $pid; wait $pid; echo exit=$?; grep -c ' " + mnt
                + " ' /proc/self/mounts",
              60);
  EXPECT_NE(r.out.find("FlatSpace"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("exit=0"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("\n0\n"), std::string::npos) << "still mounted: " << r.out;
}

TEST(restart_test, integration_daemon_mode_reports_failure_clearly) {
  temp_dir dir;
  auto r = sh(binary_dir() + "/d1drive mount " + quote(dir.path() + "/does-not-exist")
                + " --base-url http://127.0.0.1:9/cn --state-dir " + quote(dir.path() + "/s")
                + " --daemon",
              30);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("does-not-exist"), std::string::npos) << r.err;
  auto insecure = sh(binary_dir() + "/d1drive mount " + quote(dir.path()) +
                       " --base-url http://example.org/cn --state-dir " + quote(dir.path() + "/s"),
                     30);
  EXPECT_EQ(insecure.status, 2);
  EXPECT_NE(insecure.err.find("loopback"), std::string::npos) << insecure.err;
}

}  // namespace
}  // namespace d1::integration
