// Roots from the command line against a real daemon: `resource shift-root` (files stay,
// show/locate/verify/history/journal follow, shifts past either end refused with exit 2),
// and a host's root_map: a temp dir "mounted" at a second place (a symlink) that the
// config maps a recorded root to; copy, verify and remove go through it, unmapped roots
// are untouched, and bad maps are refused at start naming the key.
#include "tests/integration/cli_fixture.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

namespace d1::integration {
namespace {

using json = nlohmann::json;
using roots_cli_test = cli_fixture;

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

TEST_F(roots_cli_test, integration_shift_root_moves_the_split_and_leaves_the_files) {
  auto uid = register_raw("proposal/scan/a.raw");
  ASSERT_FALSE(uid.empty());
  auto file = r1_ + "/proposal/scan/a.raw";
  auto shifted = cli_json("resource shift-root " + uid + " --by 2");
  ASSERT_TRUE(shifted.value("ok", false)) << shifted.dump(2);
  auto& r = shifted["result"];
  EXPECT_EQ(r["before"]["root"], r1_);
  EXPECT_EQ(r["before"]["path"], "proposal/scan/a.raw");
  EXPECT_EQ(r["after"]["root"], r1_ + "/proposal/scan");
  EXPECT_EQ(r["after"]["path"], "a.raw");
  EXPECT_EQ(r["files"], 1);
  EXPECT_TRUE(exists(file));
  auto show = cli_json("resource show " + uid);
  ASSERT_TRUE(show.value("ok", false)) << show.dump(2);
  EXPECT_EQ(show["result"]["resource"]["root"], r1_ + "/proposal/scan");
  EXPECT_EQ(show["result"]["files"][0]["abs_path"], file);
  auto locate = cli_json("resource locate " + uid);
  ASSERT_TRUE(locate.value("ok", false)) << locate.dump(2);
  EXPECT_EQ(locate["result"]["preferred_root"], r1_ + "/proposal/scan");
  auto verify = cli("resource verify " + uid + " --wait");
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  // People's output names both splits; a shift past either end is exit 2, nothing changes.
  auto back_one = cli("resource shift-root " + uid + " --by -1");
  ASSERT_EQ(back_one.status, 0) << back_one.err;
  EXPECT_NE(back_one.out.find("path a.raw -> scan/a.raw"), std::string::npos) << back_one.out;
  auto past = cli("resource shift-root " + uid + " --by 2");  // path scan/a.raw keeps one
  EXPECT_EQ(past.status, 2) << past.out << past.err;
  EXPECT_NE(past.err.find("cannot shift the root by 2"), std::string::npos) << past.err;
  auto past_root = cli("resource shift-root " + uid + " --by -100");
  EXPECT_EQ(past_root.status, 2) << past_root.err;
  auto zero = cli("resource shift-root " + uid + " --by 0");
  EXPECT_EQ(zero.status, 2) << zero.err;
  auto unknown = cli("resource shift-root nope --by 1");
  EXPECT_EQ(unknown.status, 1) << unknown.err;
  show = cli_json("resource show " + uid);
  EXPECT_EQ(show["result"]["resource"]["root"], r1_ + "/proposal");
  EXPECT_EQ(show["result"]["resource"]["path"], "scan/a.raw");
  // A copy after the shift lays the files out by the new split.
  auto copy = cli("resource copy " + uid + " --to " + quote(r2_) + " --wait");
  ASSERT_EQ(copy.status, 0) << copy.out << copy.err;
  EXPECT_TRUE(same(file, r2_ + "/scan/a.raw"));
  auto history = cli_json("resource history " + uid);
  ASSERT_TRUE(history.value("ok", false));
  int shifts = 0;
  for (auto& h : history["result"]["history"])
    shifts += h["action"] == "shift_root" ? 1 : 0;
  EXPECT_EQ(shifts, 2);
  auto journal = cli_json("journal");
  ASSERT_TRUE(journal.value("ok", false));
  int ok = 0, refused = 0;
  for (auto& e : journal["result"]["journal"]) {
    if (e["command"] != "shift_root")
      continue;
    (e["success"].get<bool>() ? ok : refused)++;
    if (e["success"].get<bool>() && e["kwargs"]["by"] == 2) {
      EXPECT_EQ(e["kwargs"]["old"]["path"], "proposal/scan/a.raw");
      EXPECT_EQ(e["kwargs"]["new"]["root"], r1_ + "/proposal/scan");
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(refused, 4);
  auto check = cli("catalogue check");
  EXPECT_EQ(check.status, 0) << check.out << check.err;
}

class root_map_cli_test : public cli_fixture {
protected:
  // This host's config maps <dir>/recorded (not on this disk) to <dir>/mnt, a symlink to
  // <dir>/real: the same storage at a second place.
  void SetUp() override {
    cli_fixture::SetUp();
    real_ = dir_.path() + "/real";
    mnt_ = dir_.path() + "/mnt";
    recorded_ = dir_.path() + "/recorded";
    ASSERT_EQ(sh("mkdir -p " + quote(real_) + " && ln -s " + quote(real_) + " " + quote(mnt_))
                .status,
              0);
    stop_daemon();
    std::ofstream{config_} << "[hosts.\"" << host_name() << "\"]\nroot_map = { \""
                           << recorded_ << "\" = \"" << mnt_ << "\" }\n";
    auto started = start_daemon();
    ASSERT_EQ(started.status, 0) << started.out << started.err;
  }

  std::string real_, mnt_, recorded_;
};

TEST_F(root_map_cli_test, integration_copy_verify_and_remove_through_the_mapped_place) {
  make_file(real_, "r1/scan/a.raw", 200000);
  make_file(real_, "r1/scan/b.raw", 3000);
  auto reg = cli_json("resource register --spec RAW --root " + quote(recorded_ + "/r1")
                      + " --path scan/a.raw --wait");
  ASSERT_TRUE(reg.value("ok", false)) << reg.dump(2);
  auto uid = reg["result"].value("resource_uid", "");
  // The catalogue keeps the recorded root; locate shows where it is here too.
  auto show = cli_json("resource show " + uid);
  EXPECT_EQ(show["result"]["resource"]["root"], recorded_ + "/r1");
  EXPECT_EQ(show["result"]["files"][0]["abs_path"], recorded_ + "/r1/scan/a.raw");
  EXPECT_EQ(show["result"]["files"][0]["state"], "ok");
  auto locate = cli_json("resource locate " + uid);
  ASSERT_TRUE(locate.value("ok", false)) << locate.dump(2);
  EXPECT_EQ(locate["result"]["copies"][0]["root"], recorded_ + "/r1");
  EXPECT_EQ(locate["result"]["copies"][0]["local_root"], mnt_ + "/r1");
  auto people = cli("resource locate " + uid);
  EXPECT_NE(people.out.find("(here at " + mnt_ + "/r1)"), std::string::npos) << people.out;
  // A copy to another recorded root is written at its local place.
  auto copy = cli("resource copy " + uid + " --to " + quote(recorded_ + "/r2") + " --wait");
  ASSERT_EQ(copy.status, 0) << copy.out << copy.err;
  EXPECT_TRUE(same(real_ + "/r1/scan/a.raw", real_ + "/r2/scan/a.raw"));
  EXPECT_FALSE(exists(recorded_));
  // An unmapped root is used as it is.
  auto plain = cli("resource copy " + uid + " --to " + quote(r3_) + " --wait");
  ASSERT_EQ(plain.status, 0) << plain.out << plain.err;
  EXPECT_TRUE(same(real_ + "/r1/scan/a.raw", r3_ + "/scan/a.raw"));
  // The local place itself is the same directory as the recorded one: refused as a second
  // copy (identity, not spelling).
  auto alias = cli("resource copy " + uid + " --to " + quote(mnt_ + "/r2") + " --wait");
  EXPECT_EQ(alias.status, 4) << alias.out << alias.err;
  auto verify = cli("resource verify " + uid + " --wait");
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  // A changed byte at the mapped place is found through it.
  ASSERT_EQ(sh("printf x | dd of=" + quote(real_ + "/r2/scan/a.raw")
               + " bs=1 seek=10 conv=notrunc status=none")
              .status,
            0);
  auto bad = cli("resource verify " + uid + " --root " + quote(recorded_ + "/r2") + " --wait");
  EXPECT_EQ(bad.status, 5) << bad.out << bad.err;
  // Remove through the mapped place: the file goes from the real directory.
  auto rm = cli("resource remove " + uid + " --from " + quote(recorded_ + "/r1") + " --wait");
  ASSERT_EQ(rm.status, 0) << rm.out << rm.err;
  EXPECT_FALSE(exists(real_ + "/r1/scan/a.raw"));
  EXPECT_TRUE(exists(real_ + "/r1/scan/b.raw"));  // not the resource's
  EXPECT_TRUE(exists(r3_ + "/scan/a.raw"));
  auto check = cli("catalogue check");
  EXPECT_EQ(check.status, 0) << check.out << check.err;
}

TEST_F(roots_cli_test, integration_a_bad_root_map_is_refused_naming_the_key) {
  stop_daemon();
  auto try_config = [&](const std::string& map) {
    std::ofstream{config_} << "[hosts.\"any\"]\nroot_map = " << map << "\n";
    return start_daemon();
  };
  auto relative = try_config(R"({ "/data" = "mnt/data" })");
  EXPECT_EQ(relative.status, 2) << relative.out << relative.err;
  EXPECT_NE(relative.err.find("hosts.\"any\".root_map \"/data\": the local place 'mnt/data'"),
            std::string::npos)
    << relative.err;
  auto trailing = try_config(R"({ "/data/" = "/mnt/data" })");
  EXPECT_EQ(trailing.status, 2) << trailing.err;
  EXPECT_NE(trailing.err.find("(write '/data')"), std::string::npos) << trailing.err;
  auto twice = try_config(R"({ "/a" = "/mnt", "/b" = "/mnt" })");
  EXPECT_EQ(twice.status, 2) << twice.err;
  EXPECT_NE(twice.err.find("local place of another recorded root"), std::string::npos)
    << twice.err;
  auto not_text = try_config(R"({ "/a" = 3 })");
  EXPECT_EQ(not_text.status, 2) << not_text.err;
  EXPECT_NE(not_text.err.find("hosts.any.root_map \"/a\" must be a string"), std::string::npos)
    << not_text.err;
  // A good map starts.
  auto good = try_config(R"({ "/data" = "/mnt/data" })");
  EXPECT_EQ(good.status, 0) << good.err;
}

}  // namespace
}  // namespace d1::integration
