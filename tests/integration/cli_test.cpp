// The mobile-files command line against a real daemon: `d1drive serve --daemon` in a temp
// state dir, driven with `d1drive resource …`, `jobs`, `journal`, `status` on real
// directories, checked with the ordinary tools (cmp, sha256sum, ls) and by exit codes.
#include "tests/integration/cli_fixture.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>

namespace d1::integration {
namespace {

using json = nlohmann::json;

using cli_test = cli_fixture;

TEST(cli_no_daemon, integration_no_daemon_is_exit_3_with_a_clear_message) {
  temp_dir dir;
  auto state = dir.path() + "/nowhere";
  auto r = sh(binary_dir() + "/d1drive status --state-dir " + quote(state));
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("no d1drive daemon is running with state dir " + state),
            std::string::npos)
    << r.err;
  EXPECT_NE(r.err.find("d1drive serve"), std::string::npos) << r.err;
  auto j = sh(binary_dir() + "/d1drive jobs --json --state-dir " + quote(state));
  EXPECT_EQ(j.status, 3);
  auto doc = json::parse(j.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << j.out;
  EXPECT_EQ(doc["error"].value("code", ""), "unavailable");
}

TEST_F(cli_test, integration_socket_is_private_and_status_answers) {
  auto mode = sh("stat -c %a " + quote(state_ + "/control.sock"));
  EXPECT_EQ(mode.out, "600\n");
  auto r = cli("status");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("mounted    no"), std::string::npos) << r.out;
  auto j = cli_json("status");
  EXPECT_TRUE(j.value("ok", false)) << j;
  EXPECT_EQ(j["result"].value("state_dir", ""), state_);
  EXPECT_EQ(j["result"].value("resources", -1), 0);
}

TEST_F(cli_test, integration_register_copy_locate_history_journal) {
  // RAW: one file. AD_TIFF: 3 points × 2 frames, as areaDetector names them.
  auto raw = register_raw("raw/data.bin", 2 << 20);
  ASSERT_FALSE(raw.empty());
  auto tiff = register_ad_tiff_frames();
  ASSERT_TRUE(tiff.value("ok", false)) << tiff.dump(2);
  auto tiff_uid = tiff["result"].value("resource_uid", "");
  EXPECT_EQ(tiff["result"]["job"]["progress"].value("files_total", 0), 6);
  // A followed job's result lists only the files that did not end done.
  EXPECT_TRUE(tiff["result"]["job"]["files"].empty()) << tiff.dump(2);

  // Copy with --wait: no terminal here, so plain progress lines and a summary.
  auto copy = cli("resource copy " + raw + " --to " + quote(r2_) + " --wait");
  EXPECT_EQ(copy.status, 0) << copy.out << copy.err;
  EXPECT_NE(copy.out.find("copy done"), std::string::npos) << copy.out;
  EXPECT_EQ(copy.out.find('\r'), std::string::npos) << "a bar was drawn on a non-terminal";
  EXPECT_TRUE(same(r1_ + "/raw/data.bin", r2_ + "/raw/data.bin"));
  auto copy_tiff = cli("resource copy " + tiff_uid + " --to " + quote(r2_) + " --wait");
  EXPECT_EQ(copy_tiff.status, 0) << copy_tiff.out << copy_tiff.err;
  EXPECT_TRUE(same(r1_ + "/scan/img_000005.tiff", r2_ + "/scan/img_000005.tiff"));

  auto where = cli_json("resource locate " + raw);
  ASSERT_TRUE(where.value("ok", false)) << where;
  auto& copies = where["result"]["copies"];
  ASSERT_EQ(copies.size(), 2u) << where.dump(2);
  for (auto& c : copies)
    EXPECT_TRUE(c.value("verified", false)) << c;
  auto locate_text = cli("resource locate " + raw);
  EXPECT_NE(locate_text.out.find(r2_), std::string::npos) << locate_text.out;

  auto history = cli("resource history " + raw);
  EXPECT_EQ(history.status, 0) << history.err;
  EXPECT_NE(history.out.find("register"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("copy"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find(r2_), std::string::npos) << history.out;

  auto journal = cli_json("journal");
  ASSERT_TRUE(journal.value("ok", false)) << journal;
  std::vector<std::string> commands;
  for (auto& e : journal["result"]["journal"])
    commands.push_back(e.value("command", ""));
  EXPECT_GE(commands.size(), 4u) << journal.dump(2);
  auto journal_text = cli("journal --limit 2");
  EXPECT_EQ(journal_text.status, 0);
  EXPECT_EQ(std::count(journal_text.out.begin(), journal_text.out.end(), '\n'), 2)
    << journal_text.out;

  auto jobs = cli_json("jobs");
  ASSERT_TRUE(jobs.value("ok", false));
  EXPECT_GE(jobs["result"]["jobs"].size(), 4u);
  for (auto& j : jobs["result"]["jobs"])
    EXPECT_EQ(j.value("state", ""), "done") << j;
  auto status = cli_json("status");
  EXPECT_EQ(status["result"].value("resources", 0), 2);
}

TEST_F(cli_test, integration_verify_finds_a_flipped_byte) {
  auto uid = register_raw("v/data.bin", 100000);
  ASSERT_FALSE(uid.empty());
  auto clean = cli("resource verify " + uid + " --wait");
  EXPECT_EQ(clean.status, 0) << clean.out << clean.err;
  // Flip one byte in the middle, size unchanged.
  ASSERT_EQ(sh("python3 -c 'import sys; f=open(sys.argv[1], \"r+b\"); f.seek(5000); "
               "b=f.read(1); f.seek(5000); f.write(bytes([b[0] ^ 0xff]))' "
               + quote(r1_ + "/v/data.bin"))
              .status,
            0);
  // The size is right, but the file was written after its hash: a lighter check reports
  // that ("changed"), it never vouches for bytes it did not read.
  auto by_size = cli("resource verify " + uid + " --level size --wait");
  EXPECT_EQ(by_size.status, 5) << by_size.out << by_size.err;
  EXPECT_NE(by_size.out.find("changed"), std::string::npos) << by_size.out;
  auto by_hash = cli("resource verify " + uid + " --wait");
  EXPECT_EQ(by_hash.status, 5) << by_hash.out << by_hash.err;
  EXPECT_NE(by_hash.out.find("MISMATCH"), std::string::npos) << by_hash.out;
  auto j = cli_json("resource verify " + uid + " --root " + quote(r1_) + " --wait");
  EXPECT_FALSE(j.value("ok", true));
  EXPECT_EQ(j["error"].value("code", ""), "verification_mismatch");
  EXPECT_EQ(j["result"].value("mismatches", 0), 1) << j.dump(2);
  ASSERT_EQ(j["result"]["job"]["files"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["result"]["job"]["files"][0].value("state", ""), "failed");
  // Nothing was repaired: the byte is still flipped.
  auto again = cli("resource verify " + uid + " --wait");
  EXPECT_EQ(again.status, 5);
  auto where = cli_json("resource locate " + uid);
  EXPECT_FALSE(where["result"]["copies"][0].value("verified", true)) << where.dump(2);
}

TEST_F(cli_test, integration_last_copy_is_refused_then_forced) {
  auto uid = register_raw("last/data.bin");
  ASSERT_FALSE(uid.empty());
  auto refused = cli("resource remove " + uid + " --from " + quote(r1_) + " --wait");
  EXPECT_EQ(refused.status, 4) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("last verified copy"), std::string::npos) << refused.err;
  EXPECT_TRUE(exists(r1_ + "/last/data.bin"));
  auto dry = cli("resource remove " + uid + " --from " + quote(r1_) + " --force-last --dry-run");
  EXPECT_EQ(dry.status, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("dry run"), std::string::npos) << dry.out;
  EXPECT_TRUE(exists(r1_ + "/last/data.bin"));
  auto forced = cli("resource remove " + uid + " --from " + quote(r1_)
                    + " --force-last --wait");
  EXPECT_EQ(forced.status, 0) << forced.out << forced.err;
  EXPECT_FALSE(exists(r1_ + "/last/data.bin"));
  auto history = cli("resource history " + uid);
  EXPECT_NE(history.out.find("remove"), std::string::npos) << history.out;
}

TEST_F(cli_test, integration_move_then_change_root) {
  auto uid = register_raw("m/data.bin");
  ASSERT_FALSE(uid.empty());
  auto sum = sh("sha256sum < " + quote(r1_ + "/m/data.bin")).out;
  auto move = cli("resource move " + uid + " --from " + quote(r1_) + " --to " + quote(r2_)
                  + " --wait");
  EXPECT_EQ(move.status, 0) << move.out << move.err;
  EXPECT_FALSE(exists(r1_ + "/m/data.bin"));
  EXPECT_EQ(sh("sha256sum < " + quote(r2_ + "/m/data.bin")).out, sum);
  auto where = cli_json("resource locate " + uid);
  ASSERT_EQ(where["result"]["copies"].size(), 1u) << where.dump(2);
  EXPECT_EQ(where["result"]["copies"][0].value("root", ""), r2_);

  // An operator moves the files by hand; change-root records it after checking them.
  ASSERT_EQ(sh("mkdir -p " + quote(r3_ + "/m") + " && mv " + quote(r2_ + "/m/data.bin") + " "
               + quote(r3_ + "/m/data.bin"))
              .status,
            0);
  auto change = cli("resource change-root " + uid + " --to " + quote(r3_) + " --wait");
  EXPECT_EQ(change.status, 0) << change.out << change.err;
  where = cli_json("resource locate " + uid);
  ASSERT_EQ(where["result"]["copies"].size(), 1u) << where.dump(2);
  EXPECT_EQ(where["result"]["copies"][0].value("root", ""), r3_);
  EXPECT_EQ(where["result"].value("preferred_root", ""), r3_);
  auto history = cli("resource history " + uid);
  EXPECT_NE(history.out.find("move"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find("change_root"), std::string::npos) << history.out;

  // change-root to where the files are not: fails, changes nothing.
  auto wrong = cli("resource change-root " + uid + " --to " + quote(r1_) + " --wait");
  EXPECT_NE(wrong.status, 0) << wrong.out;
  where = cli_json("resource locate " + uid);
  EXPECT_EQ(where["result"]["copies"][0].value("root", ""), r3_);
}

TEST_F(cli_test, integration_dry_run_changes_nothing) {
  auto uid = register_raw("d/data.bin");
  ASSERT_FALSE(uid.empty());
  auto jobs_before = cli_json("jobs")["result"]["jobs"].size();
  for (auto args : {"resource copy " + uid + " --to " + quote(r2_),
                    "resource move " + uid + " --from " + quote(r1_) + " --to " + quote(r2_)}) {
    auto plan = cli_json(args + " --dry-run");
    ASSERT_TRUE(plan.value("ok", false)) << plan.dump(2);
    EXPECT_TRUE(plan["result"].value("dry_run", false));
    ASSERT_FALSE(plan["result"]["plan"].empty()) << plan.dump(2);
    EXPECT_EQ(plan["result"]["plan"][0].value("action", ""), "copy");
  }
  EXPECT_EQ(sh("ls -A " + quote(r2_)).out, "");
  EXPECT_TRUE(exists(r1_ + "/d/data.bin"));
  EXPECT_EQ(cli_json("jobs")["result"]["jobs"].size(), jobs_before);
  EXPECT_EQ(cli_json("resource locate " + uid)["result"]["copies"].size(), 1u);
}

TEST_F(cli_test, integration_errors_have_their_exit_codes) {
  auto unknown = cli("resource locate no-such-uid");
  EXPECT_EQ(unknown.status, 1) << unknown.out << unknown.err;
  EXPECT_NE(unknown.err.find("not_found"), std::string::npos) << unknown.err;
  auto bad_spec = cli("resource register --spec NOPE --root " + quote(r1_) + " --path x");
  EXPECT_EQ(bad_spec.status, 2) << bad_spec.err;
  auto bad_kwargs = cli("resource register --spec RAW --root " + quote(r1_)
                        + " --path x --kwargs 'not json'");
  EXPECT_EQ(bad_kwargs.status, 2) << bad_kwargs.err;
  auto usage = sh(binary_dir() + "/d1drive resource copy");
  EXPECT_EQ(usage.status, 2);
  auto no_job = cli("job 999999");
  EXPECT_EQ(no_job.status, 1) << no_job.err;
}

TEST_F(cli_test, integration_one_daemon_per_state_dir_and_kill9_leaves_no_trap) {
  auto second = start_daemon();
  EXPECT_EQ(second.status, 1) << second.out;
  EXPECT_NE(second.err.find("another d1drive daemon"), std::string::npos) << second.err;
  EXPECT_EQ(cli("status").status, 0);
  // kill -9 leaves the socket file behind; the next daemon removes it and serves.
  ASSERT_EQ(sh("kill -9 $(cat " + quote(state_ + "/d1drive.pid") + "); sleep 0.3").status, 0);
  EXPECT_TRUE(exists(state_ + "/control.sock"));
  EXPECT_EQ(cli("status").status, 3);
  auto restarted = start_daemon();
  EXPECT_EQ(restarted.status, 0) << restarted.err;
  EXPECT_EQ(cli("status").status, 0);
}


// A FIFO, a character device or a socket where a tracked file was: every job that meets
// it reports it at once (it is never opened for a blocking read), and the rest goes on.
TEST_F(cli_test, integration_a_fifo_or_device_at_a_tracked_path_never_hangs_a_job) {
  auto uid = register_raw("pipe-here");
  ASSERT_EQ(sh("rm " + quote(r1_ + "/pipe-here") + " && mkfifo " + quote(r1_ + "/pipe-here"))
              .status,
            0);
  auto verify = cli("resource verify " + uid + " --wait", 60);
  EXPECT_EQ(verify.status, 5) << verify.out << verify.err;
  EXPECT_NE((verify.out + verify.err).find("FIFO"), std::string::npos) << verify.out << verify.err;
  auto copy = cli("resource copy " + uid + " --to " + quote(r2_) + " --wait", 60);
  EXPECT_NE(copy.status, 0);
  EXPECT_NE(copy.status, 124) << "the copy hung";
  if (::geteuid() == 0) {
    ASSERT_EQ(sh("rm " + quote(r1_ + "/pipe-here") + " && mknod " + quote(r1_ + "/pipe-here")
                 + " c 1 5")
                .status,
              0);  // /dev/zero: a read would never end
    auto again = cli("resource verify " + uid + " --wait", 60);
    EXPECT_EQ(again.status, 5) << again.out << again.err;
    EXPECT_NE((again.out + again.err).find("character device"), std::string::npos)
      << again.out << again.err;
  }
  EXPECT_EQ(cli("status").status, 0);  // the daemon answers
}

// A job whose worker is deep in a long read ends within seconds of `job ID --cancel`, and
// the daemon stops within seconds of SIGTERM in the middle of one (the job resumes after).
TEST_F(cli_test, integration_cancel_and_sigterm_end_within_seconds_during_a_long_hash) {
  // 64 GiB, sparse: hashing it takes tens of seconds and costs no disk.
  ASSERT_EQ(sh("truncate -s 64G " + quote(r1_ + "/huge")).status, 0);
  auto reg = cli_json("resource register --spec RAW --root " + quote(r1_) + " --path huge");
  ASSERT_TRUE(reg.value("ok", false)) << reg.dump(2);
  auto id = reg["result"].value("job_id", 0);
  ASSERT_EQ(sh("sleep 2").status, 0);
  auto t0 = std::chrono::steady_clock::now();
  auto cancel = cli("job " + std::to_string(id) + " --cancel", 30);
  EXPECT_EQ(cancel.status, 0) << cancel.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  auto job = cli_json("job " + std::to_string(id));
  EXPECT_EQ(job["result"]["job"].value("state", ""), "cancelled") << job.dump(2);
  // The hash workers are free again: a small job finishes at once.
  auto small = register_raw("small", 1000);
  EXPECT_FALSE(small.empty());
  // SIGTERM in the middle of another long hash.
  auto uid = reg["result"].value("resource_uid", "");
  auto v = cli_json("resource verify " + uid);
  ASSERT_TRUE(v.value("ok", false)) << v.dump(2);
  ASSERT_EQ(sh("sleep 2").status, 0);
  auto pid = sh("cat " + quote(state_ + "/d1drive.pid")).out;
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
    pid.pop_back();
  t0 = std::chrono::steady_clock::now();
  auto stopped = sh("p=" + pid + "; kill $p; for i in $(seq 150); do kill -0 $p 2>/dev/null || "
                                 "exit 0; sleep 0.1; done; exit 1",
                    30);
  EXPECT_EQ(stopped.status, 0) << "the daemon did not stop within 15 s of SIGTERM";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  ASSERT_EQ(start_daemon().status, 0);
  auto resumed = cli_json("job " + std::to_string(v["result"].value("job_id", 0)));
  EXPECT_EQ(resumed["result"]["job"].value("state", ""), "running") << resumed.dump(2);
  EXPECT_EQ(cli("job " + std::to_string(v["result"].value("job_id", 0)) + " --cancel").status, 0);
}

// `catalogue check` after real jobs: consistent, exit 0; `job ID --retry` of a job with
// nothing left to redo is refused clearly.
TEST_F(cli_test, integration_catalogue_check_and_retry) {
  auto uid = register_raw("checked");
  auto copy = cli("resource copy " + uid + " --to " + quote(r2_) + " --wait");
  ASSERT_EQ(copy.status, 0) << copy.err;
  auto check = cli("catalogue check");
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("catalogue consistent"), std::string::npos) << check.out;
  auto jobs = cli_json("jobs");
  auto last = jobs["result"]["jobs"][0].value("id", 0);
  auto retry = cli("job " + std::to_string(last) + " --retry");
  EXPECT_EQ(retry.status, 2) << retry.out << retry.err;
  EXPECT_NE(retry.err.find("no file to retry"), std::string::npos) << retry.err;
}

}  // namespace
}  // namespace d1::integration
