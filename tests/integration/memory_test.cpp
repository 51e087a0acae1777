// Memory under endless distinct failing names, on a real mount: with `max_inodes` small,
// thousands of distinct error folders looked up and listed leave the inode table (and the
// kernel's entries) at the limit, every lookup still answered; Status/daemon.txt says so.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace d1::integration {
namespace {

class memory_test : public mount_suite<memory_test> {
public:
  static mount_options options() {
    return {{"--no-fixtures", "--synthetic", "50"},
            "[cache]\nmax_inodes = 1000\n[crawl]\nenabled = false\n"};
  }
};

uint64_t figure(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern)))
    return UINT64_MAX;
  return std::stoull(m[1]);
}

TEST_F(memory_test, integration_distinct_failing_names_leave_the_inode_table_bounded) {
  // 3000 unknown PIDs, each an error folder: looked up and listed (its error file too).
  auto r = sh("/usr/bin/python3 -c 'import os, sys\n"
              "n = 0\n"
              "for i in range(3000):\n"
              "    p = os.path.join(sys.argv[1], \"FlatSpace\", \"no-such-pid-%d\" % i)\n"
              "    n += len(os.listdir(p)) == 1\n"
              "print(n)' "
                + quote(mnt()),
              300);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "3000\n") << "every failing name is an error folder of one file";
  sh("sleep 3");  // the trim runs once a second
  auto status = read_file(mnt() + "/Status/daemon.txt");
  auto held = figure(status, "inodes: ([0-9]+) held");
  auto dropped = figure(status, "held, ([0-9]+) dropped");
  EXPECT_LE(held, 1100u) << status;
  // The trim ran. How many it had to drop depends on how many entries the kernel already
  // reclaimed on its own (943 of 6000 on a loaded CI machine), so only its being busy is
  // asserted; the bound above is the claim.
  EXPECT_GT(dropped, 0u) << status;
  EXPECT_NE(dropped, UINT64_MAX) << status;
  EXPECT_NE(status.find("memory: resident"), std::string::npos) << status;
  // A dropped name comes back when looked up again.
  auto again = ls(mnt() + "/FlatSpace/no-such-pid-0");
  EXPECT_EQ(again.size(), 1u);
}

}  // namespace
}  // namespace d1::integration
