// `d1drive stage` end to end: a real `d1drive serve` daemon staging from the stand-in node,
// registering what it staged, killed with SIGKILL in the middle of a stage and started
// again: the second stage finishes it and no partial or unverified file is left.
#include "tests/integration/cli_fixture.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>

namespace d1::integration {
namespace {

class stage_cli_test : public cli_fixture {
protected:
  command_result start_daemon() override {
    if (fixtures_dir().empty())
      return {0, "", ""};
    if (!node_) {
      auto fx = dir_.path() + "/fixtures";
      auto shared = fixtures_dir();
      sh("mkdir -p " + quote(fx + "/resource_maps") + " && ln -s " + quote(shared + "/cn") + " "
         + quote(fx + "/cn") + " && ln -s " + quote(shared + "/knb") + " " + quote(fx + "/knb"));
      node_ = std::make_unique<test_node>(dir_.path(), std::vector<std::string>{"--fixtures", fx});
      std::ofstream{config_} << "base_url = \"" << node_->cn_url()
                             << "\"\n[network]\ntimeout_ms = 10000\nmax_retries = 0\n"
                                "[stage]\nparallel = 1\n";
    }
    return cli_fixture::start_daemon();
  }

  void SetUp() override {
    cli_fixture::SetUp();
    if (!node_ || !node_->running())
      GTEST_SKIP() << "no fixtures or the stand-in node did not start";
  }

  std::string knb(const std::string& what) const {
    return fixtures_dir() + "/knb/" + what;
  }

  std::string daemon_pid() {
    return first_word(read_file(state_ + "/d1drive.pid"));
  }

  std::unique_ptr<test_node> node_;
};

TEST_F(stage_cli_test, integration_stage_registers_a_verified_dataone_resource) {
  auto j = cli_json("stage cbfs.38.9 --to " + quote(r1_) + " --wait");
  ASSERT_TRUE(j.value("ok", false)) << j.dump(2);
  auto& f = j["result"]["files"][0];
  EXPECT_EQ(f.value("outcome", ""), "fetched");
  EXPECT_TRUE(same(f.value("path", ""), knb("data/cbfs.38.9")));
  auto shown = cli_json("resource show " + quote(f.value("resource_uid", "")));
  ASSERT_TRUE(shown.value("ok", false)) << shown.dump(2);
  EXPECT_NE(shown.dump().find("DATAONE"), std::string::npos) << shown.dump(2);
  EXPECT_NE(shown.dump().find(f.value("checksum", "?")), std::string::npos) << shown.dump(2);
  // Again: adopted, nothing downloaded, nothing registered twice.
  auto again = cli_json("stage cbfs.38.9 --to " + quote(r1_));
  ASSERT_TRUE(again.value("ok", false)) << again.dump(2);
  EXPECT_EQ(again["result"].value("adopted", 0), 1);
  EXPECT_EQ(again["result"].value("fetched_bytes", 1), 0);
}

TEST_F(stage_cli_test, integration_a_stage_killed_mid_download_resumes_clean) {
  // Every object body is slow: the daemon is killed while one is being written.
  node_->add_fault(R"({"match": "/v2/object/jimont\\.109\\.7$", "kind": "stall", )"
                   R"("keep_bytes": 100000, "delay_ms": 20000, "count": 1})");
  auto bg = sh(d1drive() + " stage jimont.109.7 --to " + quote(r1_) + " --state-dir "
                 + quote(state_) + " > /dev/null 2>&1 & echo started",
               5);
  ASSERT_EQ(bg.status, 0);
  // Bounded wait for the temporary to appear (the download under way).
  auto temp_seen = sh("for i in $(seq 100); do find " + quote(r1_)
                        + " -name '.d1stage.*' | grep -q . && exit 0; sleep 0.1; done; exit 1",
                      20);
  ASSERT_EQ(temp_seen.status, 0) << "the download never started";
  ASSERT_EQ(sh("kill -9 " + daemon_pid()).status, 0);
  // No final name holds anything but verified bytes: here, nothing at all yet.
  EXPECT_NE(sh("find " + quote(r1_) + " -type f ! -name '.d1stage.*' ! -name system.xml "
               "| grep -q .").status,
            0);
  auto restarted = cli_fixture::start_daemon();
  ASSERT_EQ(restarted.status, 0) << restarted.out << restarted.err;
  auto j = cli_json("stage jimont.109.7 --to " + quote(r1_) + " --wait");
  ASSERT_TRUE(j.value("ok", false)) << j.dump(2);
  EXPECT_TRUE(same(j["result"]["files"][0].value("path", ""), knb("data/jimont.109.7")));
  EXPECT_NE(sh("find " + quote(r1_) + " -name '.d1stage.*' | grep -q .").status, 0)
    << "a temporary was left";
}

TEST_F(stage_cli_test, integration_an_object_no_replica_of_which_matches_fails_the_stage) {
  node_->add_fault(R"({"match": "/v2/object/jimont\\.128\\.4$", "kind": "corrupt"})");
  auto r = cli("stage jimont.128.4 --to " + quote(r1_));
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("jimont.128.4"), std::string::npos) << r.err;
  EXPECT_EQ(sh("find " + quote(r1_) + " -type f ! -name system.xml | grep -q .").status, 1)
    << sh("find " + quote(r1_)).out;
}

}  // namespace
}  // namespace d1::integration
